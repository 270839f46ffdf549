"""The kernel step on the simplex, on periodic arrays and on the observed interior."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import Convolution
from proxdeblur.blind import (
    kernel_step,
    observed_interior,
)
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import motion_kernel
from proxdeblur.metrics import kernel_similarity
from proxdeblur.padding import periodic_extension

from ..strategies import seeds
from .scenes import make_scene, observed_objective, observed_problem


@settings(max_examples=25, deadline=None)
@given(seed=seeds, ksize=st.sampled_from([(3, 3), (5, 3), (5, 7)]), eta=st.sampled_from([0.0, 0.01, 1.0]))
def test_kernel_step_never_increases_its_objective_and_stays_on_the_simplex(seed, ksize, eta):
    rng = np.random.default_rng(seed)
    latent = make_scene(seed)
    blurred = Convolution(rng.random(ksize) ** 2 + 1e-3, "circular", normalize=True).forward(latent)
    blurred += 0.01 * rng.standard_normal(blurred.shape)
    start = rng.random(ksize)
    result = kernel_step(latent, blurred, start / start.sum(), eta, max_iter=60)
    assert np.all(np.diff(result.objective) <= 1e-12 * np.abs(result.objective[0]) + 1e-15)
    assert result.kernel.shape == ksize
    assert np.all(result.kernel >= 0) and np.isclose(result.kernel.sum(), 1.0)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, ksize=st.sampled_from([(3, 3), (5, 7), (9, 9), (21, 15), (31, 35)]))
def test_kernel_step_hessian_by_fft_equals_the_explicit_matrix(seed, ksize):
    """Large supports apply the Hessian by FFT; it must be the same operator (even
    where the support's offsets wrap around the periodic image)."""
    from proxdeblur.blind.kernel_step import _correlations
    from proxdeblur.blind.latent import Latent
    from proxdeblur.blind.simplex import toeplitz_quadratic as _quadratic

    rng = np.random.default_rng(seed)
    latent, blurred = make_scene(seed), rng.random((40, 44))
    autocorrelation, crosscorrelation, _ = _correlations(Latent.from_image(latent), blurred)
    dense, linear = _quadratic(autocorrelation, crosscorrelation, ksize, 0.3, dense=True)
    by_fft, linear_fft = _quadratic(autocorrelation, crosscorrelation, ksize, 0.3, dense=False)
    k = rng.random(ksize[0] * ksize[1])
    assert np.allclose(by_fft(k), dense(k), rtol=0, atol=1e-12 * np.abs(dense(k)).max())
    assert np.array_equal(linear, linear_fft)


def test_kernel_step_recovers_a_kernel_from_the_true_latent_image():
    latent = make_scene(3, (64, 64))
    truth = motion_kernel(7, seed=2)
    blurred = Convolution(truth, "circular").forward(latent)
    result = kernel_step(latent, blurred, np.full((7, 7), 1 / 49), eta=0.0, max_iter=500, tol=0)
    assert kernel_similarity(result.kernel, truth) > 0.97


def test_kernel_step_objective_matches_a_direct_evaluation():
    latent = make_scene(5)
    k = motion_kernel(5, seed=1)
    blurred = Convolution(motion_kernel(5, seed=4), "circular").forward(latent)
    result = kernel_step(latent, blurred, k, eta=0.0, max_iter=1)
    # ½ Σ_d ‖∂_d u ∗ k − ∂_d y‖² up to the constant ½ Σ_d ‖∂_d y‖²
    grad = lambda x: (np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x)  # noqa: E731
    conv = Convolution(k, "circular")
    direct = sum(0.5 * np.sum((conv.forward(gu) - gy) ** 2)
                 for gu, gy in zip(grad(latent), grad(blurred), strict=True))
    constant = sum(0.5 * np.sum(gy**2) for gy in grad(blurred))
    assert result.objective[0] == pytest.approx(direct - constant, rel=1e-9, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, ksize=st.sampled_from([(3, 3), (5, 3), (7, 7)]), weight=st.sampled_from([0.0, 0.5]))
def test_observed_kernel_step_decreases_the_masked_objective_it_states(seed, ksize, weight):
    latent, blurred, _ = observed_problem(seed, ksize)
    rng = np.random.default_rng(seed + 1)
    start = rng.random(ksize)
    start /= start.sum()
    result = kernel_step(latent, blurred, start, max_iter=25, weight=weight, observed=(40, 44))
    assert np.all(np.diff(result.objective) <= 1e-6 * abs(result.objective[0]) + 1e-12)
    assert np.all(result.kernel >= 0) and np.isclose(result.kernel.sum(), 1.0)
    # the objective it reports is F(k) (single precision: relative 1e-5)
    for k, value in ((start, result.objective[0]), (result.kernel, result.objective[-1])):
        assert value == pytest.approx(observed_objective(latent, blurred, k, (40, 44), weight),
                                      rel=1e-5, abs=1e-8)


def test_observed_kernel_step_ignores_the_band_that_misleads_the_periodic_fit():
    latent, blurred, truth = observed_problem(4, (7, 7), shape=(56, 60), band=(11, 9))
    start = np.full((7, 7), 1 / 49)
    observed = kernel_step(latent, blurred, start, max_iter=400, tol=0, weight=0.0,
                           observed=(56, 60))
    periodic = kernel_step(latent, blurred, start, max_iter=400, tol=0, weight=0.0)
    assert kernel_similarity(observed.kernel, truth) > 0.99
    assert kernel_similarity(periodic.kernel, truth) < 0.95


def _clipped_problem(level_quantile=0.85):
    """observed_problem with the observed window clipped at a quantile: the plateau's
    values are not the kernel times the scene."""
    latent, blurred, truth = observed_problem(4, (7, 7), shape=(56, 60), band=(11, 9))
    window = blurred[:56, :60]
    level = np.quantile(window, level_quantile)
    valid = window < level
    blurred = blurred.copy()
    blurred[:56, :60] = np.minimum(window, level)
    return latent, blurred, truth, valid


def test_observed_kernel_step_leaves_clipped_pixels_out_of_the_fit():
    latent, blurred, truth, valid = _clipped_problem()
    start = np.full((7, 7), 1 / 49)
    fitted = {trust: kernel_step(latent, blurred, start, max_iter=400, tol=0, weight=0.0,
                                 observed=(56, 60), valid=valid if trust else None).kernel
              for trust in (False, True)}
    assert kernel_similarity(fitted[True], truth) > 0.99
    assert kernel_similarity(fitted[False], truth) < 0.95


@settings(max_examples=10, deadline=None)
@given(quantile=st.sampled_from([0.6, 0.85, 0.95]), weight=st.sampled_from([0.0, 0.5]))
def test_observed_kernel_step_with_valid_decreases_the_objective_it_states(quantile, weight):
    from proxdeblur.blind.observed import trusted_differences

    latent, blurred, _, valid = _clipped_problem(quantile)
    start = np.full((7, 7), 1 / 49)
    result = kernel_step(latent, blurred, start, max_iter=25, weight=weight, observed=(56, 60),
                         valid=valid)
    assert np.all(np.diff(result.objective) <= 1e-6 * abs(result.objective[0]) + 1e-12)
    trusted = trusted_differences(valid)
    for k, value in ((start, result.objective[0]), (result.kernel, result.objective[-1])):
        assert value == pytest.approx(observed_objective(latent, blurred, k, (56, 60), weight,
                                                         trusted), rel=1e-5, abs=1e-8)


def test_trusted_differences_needs_the_pixel_and_its_forward_neighbours():
    from proxdeblur.blind.observed import trusted_differences

    valid = np.ones((4, 5), dtype=bool)
    valid[2, 3] = False
    expected = valid.copy()
    expected[1, 3] = expected[2, 2] = False  # their lower / right neighbour is untrusted
    np.testing.assert_array_equal(trusted_differences(valid), expected)


def test_valid_map_errors_name_the_argument():
    latent = make_scene(1)
    start = np.full((5, 5), 1 / 25)
    with pytest.raises(InvalidArgumentError, match="^valid:"):
        kernel_step(latent, latent, start, observed=(40, 44), valid=np.ones((40, 43), bool))
    with pytest.raises(InvalidArgumentError, match="^valid:"):
        kernel_step(latent, latent, start, observed=(40, 44), valid=np.zeros((40, 44), bool))
    with pytest.raises(InvalidArgumentError, match="^valid:"):
        kernel_step(latent, latent, start, valid=np.ones((40, 44), bool))


def test_observed_interior_and_bad_observed_shapes():
    assert observed_interior((40, 44), (5, 7)) == (slice(3, 37), slice(4, 40))
    latent = make_scene(1)
    for bad in ((8, 44), (41, 44)):  # no interior left / larger than the arrays
        with pytest.raises(InvalidArgumentError, match="^observed:"):
            kernel_step(latent, latent, np.full((7, 7), 1 / 49), observed=bad)


def test_kernel_step_absolute_weight_equals_the_relative_one_it_stands_for():
    latent = make_scene(7)
    blurred = Convolution(motion_kernel(5, seed=3), "circular").forward(latent)
    energy = sum(np.sum(g ** 2) for g in (np.roll(latent, -1, 0) - latent,
                                          np.roll(latent, -1, 1) - latent))
    start = np.full((5, 5), 1 / 25)
    relative = kernel_step(latent, blurred, start, eta=0.05, max_iter=40)
    absolute = kernel_step(latent, blurred, start, eta=123.0, max_iter=40, weight=0.05 * energy)
    np.testing.assert_allclose(absolute.kernel, relative.kernel, atol=1e-12)
    # a heavier ℓ2 term spreads the kernel: its largest entry falls
    heavy = kernel_step(latent, blurred, start, max_iter=40, weight=50 * energy)
    assert heavy.kernel.max() < relative.kernel.max()
    with pytest.raises(InvalidArgumentError, match="weight"):
        kernel_step(latent, blurred, start, weight=-1.0)


def test_periodic_extension_keeps_the_image_and_is_harmonic_on_the_band():
    image = np.random.default_rng(0).random((20, 23))
    out = periodic_extension(image, (27, 31))
    assert np.array_equal(out[:20, :23], image)
    laplacian = 4 * out - sum(np.roll(out, s, a) for s in (1, -1) for a in (0, 1))
    band = np.ones(out.shape, bool)
    band[:20, :23] = False
    assert np.abs(laplacian[band]).max() < 1e-10
    colour = periodic_extension(np.dstack([image, 1 - image]), (27, 31))
    assert np.allclose(colour[..., 1], 1 - out)
