"""Blind deblurring: kernel step on the simplex, periodic extension, estimate_kernel, deblur."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import Convolution, deblur, deconvolve, io
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import delta_kernel, motion_kernel
from proxdeblur.metrics import kernel_similarity
from proxdeblur.padding import periodic_extension
from proxdeblur.solvers.blind import (
    _pyramid,
    clean_kernel,
    diagnose_kernel,
    estimate_kernel,
    kernel_extent,
    kernel_step,
    kernel_support,
    latent_step,
    observed_interior,
    soften_kernel,
)

from .strategies import seeds


def _scene(seed: int, shape=(40, 44)) -> np.ndarray:
    """Piecewise-constant rectangles: a scene with sparse gradients."""
    rng = np.random.default_rng(seed)
    image = np.full(shape, 0.3)
    for _ in range(6):
        y0, x0 = rng.integers(0, shape[0] - 8), rng.integers(0, shape[1] - 8)
        image[y0:y0 + rng.integers(4, 16), x0:x0 + rng.integers(4, 16)] = rng.random()
    return image


@settings(max_examples=25, deadline=None)
@given(seed=seeds, ksize=st.sampled_from([(3, 3), (5, 3), (5, 7)]), eta=st.sampled_from([0.0, 0.01, 1.0]))
def test_kernel_step_never_increases_its_objective_and_stays_on_the_simplex(seed, ksize, eta):
    rng = np.random.default_rng(seed)
    latent = _scene(seed)
    blurred = Convolution(rng.random(ksize) ** 2 + 1e-3, "circular", normalize=True).forward(latent)
    blurred += 0.01 * rng.standard_normal(blurred.shape)
    start = rng.random(ksize)
    result = kernel_step(latent, blurred, start / start.sum(), eta, iterations=60)
    assert np.all(np.diff(result.objective) <= 1e-12 * np.abs(result.objective[0]) + 1e-15)
    assert result.kernel.shape == ksize
    assert np.all(result.kernel >= 0) and np.isclose(result.kernel.sum(), 1.0)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, ksize=st.sampled_from([(3, 3), (5, 7), (9, 9), (21, 15), (31, 35)]))
def test_kernel_step_hessian_by_fft_equals_the_explicit_matrix(seed, ksize):
    """Large supports apply the Hessian by FFT; it must be the same operator (even
    where the support's offsets wrap around the periodic image)."""
    from proxdeblur.solvers.blind import _correlations, _quadratic

    rng = np.random.default_rng(seed)
    latent, blurred = _scene(seed), rng.random((40, 44))
    autocorrelation, crosscorrelation, _ = _correlations(latent, blurred)
    dense, linear = _quadratic(autocorrelation, crosscorrelation, ksize, 0.3, dense=True)
    by_fft, linear_fft = _quadratic(autocorrelation, crosscorrelation, ksize, 0.3, dense=False)
    k = rng.random(ksize[0] * ksize[1])
    assert np.allclose(by_fft(k), dense(k), rtol=0, atol=1e-12 * np.abs(dense(k)).max())
    assert np.array_equal(linear, linear_fft)


def test_kernel_step_recovers_a_kernel_from_the_true_latent_image():
    latent = _scene(3, (64, 64))
    truth = motion_kernel(7, seed=2)
    blurred = Convolution(truth, "circular").forward(latent)
    result = kernel_step(latent, blurred, np.full((7, 7), 1 / 49), eta=0.0, iterations=500, tol=0)
    assert kernel_similarity(result.kernel, truth) > 0.97


def test_kernel_step_objective_matches_a_direct_evaluation():
    latent = _scene(5)
    k = motion_kernel(5, seed=1)
    blurred = Convolution(motion_kernel(5, seed=4), "circular").forward(latent)
    result = kernel_step(latent, blurred, k, eta=0.0, iterations=1)
    # ½ Σ_d ‖∂_d u ∗ k − ∂_d y‖² up to the constant ½ Σ_d ‖∂_d y‖²
    grad = lambda x: (np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x)  # noqa: E731
    conv = Convolution(k, "circular")
    direct = sum(0.5 * np.sum((conv.forward(gu) - gy) ** 2)
                 for gu, gy in zip(grad(latent), grad(blurred), strict=True))
    constant = sum(0.5 * np.sum(gy**2) for gy in grad(blurred))
    assert result.objective[0] == pytest.approx(direct - constant, rel=1e-9, abs=1e-9)


def _observed_problem(seed, ksize, shape=(40, 44), band=(9, 7)):
    """A periodic latent/blurred pair whose top-left ``shape`` is an exact "valid" blur of
    the latent (the scene extends beyond the frame) and whose band is unrelated noise."""
    from scipy.signal import convolve2d

    rng = np.random.default_rng(seed)
    full = (shape[0] + band[0], shape[1] + band[1])
    latent = _scene(seed, full)
    truth = rng.random(ksize) ** 3 + 1e-3
    truth /= truth.sum()
    kh, kw = ksize
    blurred = rng.random(full)
    # observed pixel p = Σ_o k(o) u(p − o), o centred: a "valid" convolution of the latent
    # (extended periodically, as the arrays are) over the observed window
    ext = np.pad(latent, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="wrap")
    blurred[: shape[0], : shape[1]] = convolve2d(ext, truth, mode="valid")[: shape[0], : shape[1]]
    return latent, blurred, truth


def _observed_objective(latent, blurred, kernel, shape, weight):
    """F(k) of kernel_step(observed=shape), evaluated directly (scipy's convolve2d)."""
    from scipy.signal import convolve2d

    kh, kw = kernel.shape
    rows, cols = observed_interior(shape, kernel.shape)
    grad = lambda x: (np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x)  # noqa: E731
    total = 0.5 * weight * np.sum(kernel**2)
    for gu, gy in zip(grad(latent), grad(blurred), strict=True):
        ext = np.pad(gu, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="wrap")
        model = convolve2d(ext, kernel, mode="valid")
        total += 0.5 * np.sum((model[rows, cols] - gy[rows, cols]) ** 2)
    return total


@settings(max_examples=20, deadline=None)
@given(seed=seeds, ksize=st.sampled_from([(3, 3), (5, 3), (7, 7)]), weight=st.sampled_from([0.0, 0.5]))
def test_observed_kernel_step_decreases_the_masked_objective_it_states(seed, ksize, weight):
    latent, blurred, _ = _observed_problem(seed, ksize)
    rng = np.random.default_rng(seed + 1)
    start = rng.random(ksize)
    start /= start.sum()
    result = kernel_step(latent, blurred, start, iterations=25, weight=weight, observed=(40, 44))
    assert np.all(np.diff(result.objective) <= 1e-6 * abs(result.objective[0]) + 1e-12)
    assert np.all(result.kernel >= 0) and np.isclose(result.kernel.sum(), 1.0)
    # the objective it reports is F(k) (single precision: relative 1e-5)
    for k, value in ((start, result.objective[0]), (result.kernel, result.objective[-1])):
        assert value == pytest.approx(_observed_objective(latent, blurred, k, (40, 44), weight),
                                      rel=1e-5, abs=1e-8)


def test_observed_kernel_step_ignores_the_band_that_misleads_the_periodic_fit():
    latent, blurred, truth = _observed_problem(4, (7, 7), shape=(56, 60), band=(11, 9))
    start = np.full((7, 7), 1 / 49)
    observed = kernel_step(latent, blurred, start, iterations=400, tol=0, weight=0.0,
                           observed=(56, 60))
    periodic = kernel_step(latent, blurred, start, iterations=400, tol=0, weight=0.0)
    assert kernel_similarity(observed.kernel, truth) > 0.99
    assert kernel_similarity(periodic.kernel, truth) < 0.95


def test_observed_interior_and_bad_observed_shapes():
    assert observed_interior((40, 44), (5, 7)) == (slice(3, 37), slice(4, 40))
    latent = _scene(1)
    for bad in ((8, 44), (41, 44)):  # no interior left / larger than the arrays
        with pytest.raises(InvalidArgumentError, match="^observed:"):
            kernel_step(latent, latent, np.full((7, 7), 1 / 49), observed=bad)


def test_estimate_kernel_fits_the_observed_interior_on_the_finer_levels(monkeypatch):
    from proxdeblur.solvers import blind

    seen = []
    real = blind.kernel_step

    def spy(latent, blurred, *args, observed=None, **kwargs):
        seen.append((blurred.shape, observed))
        return real(latent, blurred, *args, observed=observed, **kwargs)

    monkeypatch.setattr(blind, "kernel_step", spy)
    image = Convolution(motion_kernel(9, seed=1), "circular").forward(_scene(2, (96, 80)))

    def observed_levels(**options):
        seen.clear()
        _, info = estimate_kernel(image, 9, iterations=1, settle=0, min_level_side=0, **options)
        assert len(seen) == len(info.levels)  # one kernel step per level
        return ([level["scale"] for level in info.levels],
                [tuple(level["image_shape"]) for level in info.levels], [o for _, o in seen])

    scales, shapes, observed = observed_levels()
    assert len(scales) >= 3 and min(scales) < 0.5
    assert observed == [shape if scale >= 0.5 else None
                        for scale, shape in zip(scales, shapes, strict=True)]
    assert observed[-1] == (96, 80)
    assert all(o is None for o in observed_levels(observed_min_scale=2.0)[2])
    assert all(o is not None for o in observed_levels(observed_min_scale=0.0)[2])
    with pytest.raises(InvalidArgumentError, match="^observed_iterations:"):
        estimate_kernel(image, 9, observed_iterations=0)
    with pytest.raises(InvalidArgumentError, match="^observed_min_scale:"):
        estimate_kernel(image, 9, observed_min_scale=-1.0)


def test_kernel_step_absolute_weight_equals_the_relative_one_it_stands_for():
    latent = _scene(7)
    blurred = Convolution(motion_kernel(5, seed=3), "circular").forward(latent)
    energy = sum(np.sum(g ** 2) for g in (np.roll(latent, -1, 0) - latent,
                                          np.roll(latent, -1, 1) - latent))
    start = np.full((5, 5), 1 / 25)
    relative = kernel_step(latent, blurred, start, eta=0.05, iterations=40)
    absolute = kernel_step(latent, blurred, start, eta=123.0, iterations=40, weight=0.05 * energy)
    np.testing.assert_allclose(absolute.kernel, relative.kernel, atol=1e-12)
    # a heavier ℓ2 term spreads the kernel: its largest entry falls
    heavy = kernel_step(latent, blurred, start, iterations=40, weight=50 * energy)
    assert heavy.kernel.max() < relative.kernel.max()
    with pytest.raises(InvalidArgumentError, match="weight"):
        kernel_step(latent, blurred, start, weight=-1.0)


def test_estimate_kernels_weight_is_per_input_pixel(monkeypatch):
    from proxdeblur.solvers import blind

    seen = []
    real = blind.kernel_step

    def spy(*args, weight=None, **kwargs):
        seen.append(weight)
        return real(*args, weight=weight, **kwargs)

    monkeypatch.setattr(blind, "kernel_step", spy)
    image = Convolution(motion_kernel(5, seed=1), "circular").forward(_scene(2, (48, 40)))
    estimate_kernel(image, 5, eta=1e-3, iterations=1)
    assert seen and all(w == pytest.approx(1e-3 * 48 * 40) for w in seen)


def test_soften_kernel_is_a_gaussian_blur_on_a_grown_support():
    kernel = motion_kernel(7, seed=4)
    assert soften_kernel(kernel, 0.0) is kernel
    soft = soften_kernel(kernel, 0.5)  # radius int(4 · 0.5 + 0.5) = 2
    assert soft.shape == (11, 11) and soft.min() >= 0 and np.isclose(soft.sum(), 1)
    grid = np.indices(soft.shape) - 5
    centre = [float((grid[i] * soft).sum()) for i in (0, 1)]
    centre0 = [float(((np.indices(kernel.shape)[i] - 3) * kernel).sum()) for i in (0, 1)]
    np.testing.assert_allclose(centre, centre0, atol=1e-12)  # a symmetric blur keeps the centre
    delta = soften_kernel(delta_kernel(3), 1.0)
    profile = delta[delta.shape[0] // 2]
    assert profile[len(profile) // 2 + 1] / profile[len(profile) // 2] == pytest.approx(
        np.exp(-0.5), rel=1e-6)


def test_estimate_kernel_softens_the_latent_model_by_level(monkeypatch):
    from proxdeblur.solvers import blind

    seen = []
    real = blind.latent_step

    def spy(blurred, kernel, *args, **kwargs):
        seen.append(kernel.shape)
        return real(blurred, kernel, *args, **kwargs)

    monkeypatch.setattr(blind, "latent_step", spy)
    image = Convolution(motion_kernel(9, seed=1), "circular").forward(_scene(2, (64, 64)))
    _, info = estimate_kernel(image, 9, iterations=1, settle=0, edge_softness=1.0)
    expected = [tuple(s + 2 * int(4.0 * level["scale"] + 0.5) for s in level["kernel_shape"])
                for level in info.levels]
    assert seen == expected and expected[-1] == (17, 17)
    seen.clear()
    _, info = estimate_kernel(image, 9, iterations=1, settle=0, edge_softness=0.0)
    assert seen == [tuple(level["kernel_shape"]) for level in info.levels]
    with pytest.raises(InvalidArgumentError, match="^edge_softness:"):
        estimate_kernel(image, 9, edge_softness=-0.5)


def test_finest_level_settles_within_its_extra_alternations():
    image = Convolution(motion_kernel(7, seed=2), "circular").forward(_scene(3, (64, 64)))
    _, info = estimate_kernel(image, 7, iterations=1, settle=0)
    assert [len(level["kernel_objective"]) for level in info.levels] == [1] * len(info.levels)
    _, info = estimate_kernel(image, 7, iterations=1, settle=6)
    runs = len(info.levels[-1]["kernel_objective"])
    assert all(len(level["kernel_objective"]) == 1 for level in info.levels[:-1])
    assert 1 <= runs <= 7
    assert info.converged or runs == 7  # stops early only once the kernel has settled
    assert info.converged == (info.levels[-1]["kernel_change"] < 0.05)
    with pytest.raises(InvalidArgumentError, match="^settle:"):
        estimate_kernel(image, 7, settle=-1)


def test_edge_softness_recovers_the_kernel_of_an_image_with_soft_edges():
    from scipy import ndimage

    rng = np.random.default_rng(1)
    scene = np.full((120, 120), 0.3)
    for _ in range(30):
        y0, x0 = rng.integers(0, 110, 2)
        scene[y0:y0 + rng.integers(5, 30), x0:x0 + rng.integers(5, 30)] = rng.random()
    sharp = ndimage.gaussian_filter(scene, 0.8, mode="nearest")  # step edges softened by 0.8 px
    truth = motion_kernel(9, seed=1)
    blurred = Convolution(truth, "valid").forward(sharp)
    blurred += 0.002 * np.random.default_rng(1).standard_normal(blurred.shape)
    steps_only = kernel_similarity(estimate_kernel(blurred, 11, edge_softness=0.0)[0], truth)
    modelled = kernel_similarity(estimate_kernel(blurred, 11, edge_softness=0.8)[0], truth)
    assert modelled > steps_only + 0.03 and modelled > 0.93


def test_kernels_carried_to_a_finer_level_stay_on_the_simplex_and_centred():
    from proxdeblur.solvers.blind import _resize_kernel

    yy, xx = np.mgrid[-3:4, -3:4]
    gaussian = np.exp(-(yy ** 2 + xx ** 2) / 3.0)
    for kernel in (gaussian / gaussian.sum(), motion_kernel(7, seed=5)):
        larger = _resize_kernel(kernel, (11, 9))
        assert larger.shape == (11, 9)
        assert np.all(larger >= 0) and np.isclose(larger.sum(), 1.0)
    larger = _resize_kernel(gaussian / gaussian.sum(), (11, 11))
    np.testing.assert_allclose(larger, larger[::-1, ::-1], atol=1e-12)
    centre = [np.sum(larger * g) for g in np.mgrid[0:11, 0:11]]
    np.testing.assert_allclose(centre, [5, 5], atol=1e-9)


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


def test_latent_step_with_a_delta_kernel_keeps_a_piecewise_constant_image():
    scene = np.full((40, 44), 0.2)
    scene[5:20, 8:30] = 0.9
    scene[25:35, 20:40] = 0.5
    u = latent_step(scene, delta_kernel(3), lam=1e-4)
    assert np.abs(u - scene).max() < 1e-3


def test_delta_kernel_leaves_a_sharp_image_unchanged(camera_small):
    assert np.allclose(Convolution(delta_kernel(5), "valid").forward(camera_small), camera_small[2:-2, 2:-2])
    restored = deconvolve(camera_small, delta_kernel(5))
    assert restored.shape == camera_small.shape
    assert np.abs(restored - camera_small)[4:-4, 4:-4].mean() < 0.01


def test_clean_kernel_thresholds_and_prunes():
    k = np.zeros((9, 9))
    k[4, 2:7] = 1.0
    k[0, 0] = 0.2  # an isolated speck of 4% of the mass
    k[8, 8] = 0.01
    cleaned = clean_kernel(k / k.sum(), threshold=0.05, prune=0.1)
    assert cleaned[0, 0] == 0 and cleaned[8, 8] == 0
    assert np.isclose(cleaned.sum(), 1.0) and np.count_nonzero(cleaned) == 5
    assert np.allclose(clean_kernel(k / k.sum(), 0.0, 0.0), k / k.sum())


def test_pyramid_goes_from_about_3_to_the_requested_size():
    levels = _pyramid((27, 19))
    assert levels[-1] == (1.0, (27, 19))
    assert max(levels[0][1]) <= 5
    scales = [scale for scale, _ in levels]
    assert np.allclose(np.diff(np.log(scales)), 0.5 * np.log(2))


def test_estimate_kernel_finds_a_motion_blur(camera_small):
    blurred, truth = _camera_blurred_by_motion()
    kernel, info = estimate_kernel(blurred, 11)
    assert kernel.shape == (11, 11) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert kernel_similarity(kernel, truth) > 0.8
    assert len(info.levels) >= 3 and not info.collapsed
    assert all(a >= b for level in info.levels for a, b in level["kernel_objective"])


def _camera_blurred_by_motion():
    from skimage import data

    sharp = data.camera()[100:260, 150:310] / 255.0
    truth = motion_kernel(9, seed=3)
    blurred = Convolution(truth, "valid").forward(sharp)
    return blurred + 0.003 * np.random.default_rng(0).standard_normal(blurred.shape), truth


def test_kernel_extent_is_the_larger_side_of_the_significant_entries():
    kernel = np.zeros((15, 15))
    kernel[7, 3:10] = 1.0  # a 7-pixel horizontal line
    kernel[0, 7] = 0.04  # below 5 % of the maximum: not counted
    assert kernel_extent(kernel) == 7
    assert kernel_extent(kernel, threshold=0.01) == 8  # rows 0..7 now count
    assert kernel_extent(delta_kernel(9)) == 1


def test_estimate_kernel_does_not_depend_on_an_oversized_support():
    """A 9-pixel blur searched in a 49-pixel support: the pyramid stops at 32-pixel
    images, the support follows the kernel, and the speckle is cleaned away."""
    blurred, truth = _camera_blurred_by_motion()
    kernel, info = estimate_kernel(blurred, 49)
    assert kernel.shape == (49, 49) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert kernel_similarity(kernel, truth) > 0.8
    assert min(info.levels[0]["image_shape"]) >= 32
    assert max(info.levels[-1]["kernel_shape"]) < 49  # estimated on a support near its own size
    significant = kernel[kernel > 0]
    assert significant.min() >= 0.02 * kernel.max() * (1 - 1e-12)
    assert kernel_extent(kernel) < 25


def test_estimate_kernel_support_options_can_be_switched_off():
    blurred, _ = _camera_blurred_by_motion()
    off = {"min_level_side": 0, "support_margin": 0, "final_threshold": 0, "final_prune": 0,
           "support_room": 0}
    _, info = estimate_kernel(blurred, 27, iterations=1, settle=0, **off)
    assert [tuple(level["kernel_shape"]) for level in info.levels] == [
        size for _, size in _pyramid((27, 27))]
    assert min(info.levels[0]["image_shape"]) < 32
    for name, value in [("support_margin", -0.1), ("final_threshold", 1.5), ("final_prune", -1.0),
                        ("min_level_side", -3), ("support_room", -1)]:
        with pytest.raises(InvalidArgumentError, match=name):
            estimate_kernel(blurred, 9, **{name: value})


def test_estimate_kernel_searches_a_wider_support_and_cuts_back_to_the_requested_one():
    blurred, truth = _camera_blurred_by_motion()
    off = {"min_level_side": 0, "support_margin": 0, "iterations": 1, "settle": 0}
    kernel, info = estimate_kernel(blurred, 11, support_room=3, **off)
    assert kernel.shape == (11, 11) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert [tuple(level["kernel_shape"]) for level in info.levels] == [
        size for _, size in _pyramid((17, 17))]
    # the room is capped at a third of the image's side: none is left for a 15-pixel
    # support on a 47-pixel image, and the estimate is that of support_room=0
    small = blurred[:47, :47]
    np.testing.assert_array_equal(estimate_kernel(small, 15, support_room=4, **off)[0],
                                  estimate_kernel(small, 15, support_room=0, **off)[0])


def test_deblur_colour_returns_image_kernel_and_info(camera_small):
    truth = motion_kernel(7, seed=5)
    colour = np.dstack([camera_small, camera_small**2, 1 - camera_small])
    blurred = Convolution(truth, "valid").forward(colour)
    restored, kernel, info = deblur(blurred, 9, deconvolve_options={"iterations": 4})
    assert restored.shape == blurred.shape
    assert kernel.shape == (9, 9)
    assert info.seconds >= info.kernel_seconds > 0


def test_diagnose_kernel_flags_a_delta_and_a_moving_kernel():
    collapsed, converged, messages = diagnose_kernel(delta_kernel(9), change=0.2)
    assert collapsed and not converged and len(messages) == 2
    assert "0.20" in messages[1] and "--noise 0.02" in messages[1]  # says what to try
    collapsed, converged, messages = diagnose_kernel(motion_kernel(9, seed=1), change=0.01)
    assert not collapsed and converged and messages == []


def test_deblur_reports_a_collapsed_kernel_as_a_warning(monkeypatch, camera_small):
    import proxdeblur.deblurring as deblurring
    from proxdeblur.solvers.blind import KernelEstimate

    def collapsed(image, kernel_size, **options):
        estimate = KernelEstimate()
        estimate.collapsed, estimate.converged, estimate.warnings = diagnose_kernel(delta_kernel(9), 0.0)
        return delta_kernel(9), estimate

    monkeypatch.setattr(deblurring, "estimate_kernel", collapsed)
    with pytest.warns(deblurring.BlindDeblurWarning, match="delta"):
        _, _, info = deblur(camera_small, 9, deconvolve_options={"iterations": 2})
    assert info.estimate.collapsed and info.warnings


@pytest.mark.parametrize("size, match", [(8, "odd"), ((9, 10), "odd"), (41, "third"), (1, "odd"),
                                         ("seven", "odd int")])
def test_bad_kernel_size(camera_small, size, match):
    with pytest.raises(InvalidArgumentError, match="kernel_size.*" + match):
        estimate_kernel(camera_small, size)


def test_bad_images():
    with pytest.raises(InvalidArgumentError, match="image.*contrast"):
        estimate_kernel(np.full((64, 64), 0.5), 9)
    with pytest.raises(InvalidArgumentError, match="image.*at least 16"):
        estimate_kernel(np.random.default_rng(0).random((10, 64)), 3)
    nan = np.random.default_rng(0).random((64, 64))
    nan[3, 3] = np.nan
    with pytest.raises(InvalidArgumentError, match="image.*finite"):
        deblur(nan, 9)
    with pytest.raises(InvalidArgumentError, match="image_step"):
        estimate_kernel(np.random.default_rng(0).random((64, 64)), 9, image_step="l2")


def test_kernel_support_accepts_pairs():
    assert kernel_support((5, 7), (64, 64)) == (5, 7)
    assert kernel_support(np.int64(9), (64, 64)) == (9, 9)


def test_cli_deblur_writes_image_and_kernel(tmp_path, camera_small):
    from proxdeblur.cli import main

    blurred = Convolution(motion_kernel(7, seed=1), "valid").forward(camera_small)
    io.write_image(tmp_path / "in.png", blurred)
    code = main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--kernel-size", "9",
                 "--kernel-out", str(tmp_path / "k.png"), "--quiet"])
    assert code == 0
    assert io.read_image(tmp_path / "out.png").shape == blurred.shape
    assert io.read_kernel(tmp_path / "k.png").shape == (9, 9)


def test_jpeg_input_sets_the_kernel_estimates_error_floor(tmp_path, camera_small, monkeypatch):
    """JPEG compression error counts as noise σ ≥ JPEG_NOISE for the λ floor; --noise overrides."""
    import proxdeblur.deblurring as deblurring
    from proxdeblur.cli import main
    from proxdeblur.deblurring import source_kernel_options
    from proxdeblur.solvers.blind import JPEG_NOISE

    assert source_kernel_options(tmp_path / "a.JPG") == {"min_noise": JPEG_NOISE}
    assert source_kernel_options(tmp_path / "a.png") == {}
    blurred = Convolution(motion_kernel(5, seed=2), "valid").forward(camera_small[:48, :48])
    _, info = estimate_kernel(blurred, 5, min_noise=JPEG_NOISE, iterations=1, settle=0)
    assert info.noise_sigma == JPEG_NOISE and np.isclose(info.lam_floor, 3 * JPEG_NOISE ** 2)
    with pytest.raises(InvalidArgumentError, match="min_noise"):
        estimate_kernel(blurred, 5, min_noise=-0.1)

    seen = []
    real = deblurring.deblur

    def spy(image, kernel_size, **options):
        seen.append(options["kernel_options"])
        return real(image, kernel_size, **options)

    monkeypatch.setattr(deblurring, "deblur", spy)
    io.write_image(tmp_path / "in.jpg", blurred)
    io.write_image(tmp_path / "in.png", blurred)
    for name, extra in [("in.jpg", []), ("in.png", []), ("in.jpg", ["--noise", "0.005"])]:
        assert main(["deblur", str(tmp_path / name), "-o", str(tmp_path / f"out{len(seen)}.png"),
                     "--kernel-size", "5", "--quiet", *extra]) == 0
    assert seen[0]["min_noise"] == JPEG_NOISE
    assert "min_noise" not in seen[1] and "noise" not in seen[1]
    assert seen[2]["noise"] == 0.005 and "min_noise" not in seen[2]


def test_cli_deblur_errors_are_one_line(tmp_path, camera_small, capsys):
    from proxdeblur.cli import main

    io.write_image(tmp_path / "in.png", camera_small)
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "8"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "kernel_size" in err
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "in.png"),
                 "--kernel-size", "9"]) == 2
    assert "input" in capsys.readouterr().err
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "9", "--edge-softness", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "edge_softness" in err
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "9", "--noise", "-0.01"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--noise" in err
    assert not (tmp_path / "out.png").exists()


def test_bench_levin_on_a_tiny_synthetic_set(tmp_path, camera_small):
    from proxdeblur.bench import format_table, run_levin

    data = tmp_path / "data"
    for sub in ("blurred", "sharp", "kernels"):
        (data / sub).mkdir(parents=True)
    entries = []
    for j in range(2):
        kernel = motion_kernel(7, seed=j)
        blurred = Convolution(kernel, "valid").forward(camera_small)
        sharp = camera_small[3:-3, 3:-3]
        name = f"im1_kernel{j + 1}"
        io.write_image(data / "blurred" / f"{name}.png", blurred)
        io.write_image(data / "sharp" / f"{name}.png", sharp)
        np.save(data / "kernels" / f"kernel{j + 1}.npy", kernel)
        entries.append({"blurred": f"blurred/{name}.png", "sharp": f"sharp/{name}.png",
                        "kernel": f"kernels/kernel{j + 1}.npy",
                        "kernel_aligned": f"kernels/kernel{j + 1}.npy", "kernel_size": [9, 9]})
    (data / "manifest.json").write_text(json.dumps({"entries": entries}))
    result = run_levin(data, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "im1_kernel1.png").is_file()
    assert (tmp_path / "out" / "gt_kernel" / "im1_kernel2.png").is_file()
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["summary"]["images"] == 2
    assert all(row["error_ratio"] > 0 for row in result["rows"])
    assert "error ratio" in format_table(result)
    cap = (min(camera_small.shape) - 6) // 3
    wide = run_levin(data, tmp_path / "wide", progress=False, limit=1, support_scale=3)
    expected = min(27, (cap - 1) | 1)
    assert wide["rows"][0]["support"] == [expected, expected]
    assert np.load(tmp_path / "wide" / "im1_kernel1_kernel.npy").shape == (expected, expected)
    with pytest.raises(InvalidArgumentError, match="support_scale"):
        run_levin(data, tmp_path / "bad", progress=False, support_scale=0)


def test_gcm_image_step_runs_with_a_generator_and_returns_gradients():
    from proxdeblur.solvers.blind import gcm_latent_step

    scene = _scene(4, (32, 36))
    blurred = Convolution(motion_kernel(5, seed=1), "circular").forward(scene)
    calls = []

    def generator(u):
        calls.append(u.shape)
        return u

    latent = gcm_latent_step(blurred, motion_kernel(5, seed=1), 1e-3, generator=generator,
                             iterations=3)
    assert len(latent) == 2 and latent[0].shape == scene.shape
    assert calls == [(32, 36, 2)] * 3  # both gradient components at once, every stage
    kernel, info = estimate_kernel(np.pad(blurred, 8, mode="reflect"), 5, image_step="gcm",
                                   iterations=2, gcm_iterations=2)
    assert kernel.shape == (5, 5) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert info.latent.shape == (48, 52)


def test_cli_deblur_gcm_uses_the_bundled_generator_and_checks_its_option(tmp_path, camera_small,
                                                                        capsys):
    from proxdeblur.cli import main

    blurred = Convolution(motion_kernel(5, seed=2), "valid").forward(camera_small[:48, :48])
    io.write_image(tmp_path / "in.png", blurred)
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "5", "--image-step", "gcm", "--quiet"]) == 0
    assert io.read_image(tmp_path / "out.png").shape == blurred.shape
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "model.png"),
                 "--kernel-size", "5", "--image-step", "gcm", "--generator", "l0", "--quiet"]) == 0
    assert io.read_image(tmp_path / "model.png").shape == blurred.shape
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "l0.png"),
                 "--kernel-size", "5", "--generator", "gcm_generator", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--generator" in err
    assert not (tmp_path / "l0.png").exists()


def test_gcm_latent_steps_start_from_the_observation_unless_told(monkeypatch):
    import proxdeblur.solvers.blind as blind

    starts = []
    real = blind.gcm_latent_step

    def spy(*args, start=None, **kwargs):
        starts.append(start is None)
        return real(*args, start=start, **kwargs)

    monkeypatch.setattr(blind, "gcm_latent_step", spy)
    blurred = np.pad(Convolution(motion_kernel(5, seed=1), "circular").forward(_scene(4, (32, 36))),
                     8, mode="reflect")
    options = {"image_step": "gcm", "iterations": 2, "gcm_iterations": 1, "settle": 0}
    estimate_kernel(blurred, 5, **options)
    assert starts and all(starts)  # Algorithm 1's u⁰ = ∇y at every latent step
    starts.clear()
    estimate_kernel(blurred, 5, gcm_start="previous", **options)
    assert starts.count(True) == len(starts) // 2  # one fresh start per level
    with pytest.raises(InvalidArgumentError, match="gcm_start"):
        estimate_kernel(blurred, 5, gcm_start="zero", **options)


def test_classical_generator_alone_is_the_classical_latent_step(camera_small):
    blurred = Convolution(motion_kernel(7, seed=3), "valid").forward(camera_small[:64, :64])
    options = {"iterations": 2, "settle": 0}
    classical, _ = estimate_kernel(blurred, 7, **options)
    proposed, _ = estimate_kernel(blurred, 7, image_step="gcm", generator="l0",
                                  gcm_corrector=False, gcm_iterations=2, **options)
    np.testing.assert_allclose(proposed, classical, atol=1e-10)
    corrected, info = estimate_kernel(blurred, 7, image_step="gcm", generator="l0", p=0.0,
                                      gcm_iterations=2, **options)
    assert np.isclose(corrected.sum(), 1) and not np.allclose(corrected, classical, atol=1e-4)
    with pytest.raises(InvalidArgumentError, match="generator"):
        estimate_kernel(blurred, 7, image_step="gcm", generator="dncnn", **options)


def test_lambda_floor_rises_with_the_estimated_noise(monkeypatch):
    from skimage import data

    import proxdeblur.solvers.blind as blind

    weights = []
    real = blind.latent_step

    def spy(blurred, kernel, lam, *args, **kwargs):
        weights.append(lam)
        return real(blurred, kernel, lam, *args, **kwargs)

    monkeypatch.setattr(blind, "latent_step", spy)
    sharp = data.camera()[100:260, 150:310] / 255.0
    blurred = Convolution(motion_kernel(9, seed=3), "valid").forward(sharp)
    noisy = blurred + 0.02 * np.random.default_rng(0).standard_normal(blurred.shape)
    _, info = estimate_kernel(noisy, 11)
    assert info.noise_sigma == pytest.approx(0.02, rel=0.15)
    assert info.lam_floor == pytest.approx(blind.NOISE_FLOOR * info.noise_sigma ** 2)
    assert min(weights) == pytest.approx(info.lam_floor) and info.lam_floor > 1e-3
    weights.clear()
    _, info = estimate_kernel(noisy, 11, noise_floor=0)
    assert info.lam_floor == 1e-4
    assert min(weights) < 0.5 * blind.NOISE_FLOOR * 0.02 ** 2  # the decay goes on below it
    _, info = estimate_kernel(blurred, 11, noise=0.004)  # given, not estimated: 3·0.004² < 1e-4
    assert info.noise_sigma == 0.004 and info.lam_floor == 1e-4
    for name in ("noise_floor", "noise"):
        with pytest.raises(InvalidArgumentError, match=name):
            estimate_kernel(blurred, 11, **{name: -1.0})


def test_lambda_floor_keeps_the_noise_out_of_the_kernel():
    from skimage import data

    sharp = data.camera()[60:316, 120:376] / 255.0
    truth = motion_kernel(13, seed=5)
    blurred = Convolution(truth, "valid").forward(sharp)
    noisy = blurred + 0.02 * np.random.default_rng(1).standard_normal(blurred.shape)
    floored, _ = estimate_kernel(noisy, 15)
    plain, _ = estimate_kernel(noisy, 15, noise_floor=0)
    assert kernel_similarity(floored, truth) > kernel_similarity(plain, truth) + 0.05
