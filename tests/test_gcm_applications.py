"""GCM beyond deblurring (section 4.2): interpolation and edge-preserving smoothing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError, psnr
from proxdeblur.gcm_applications import (
    MaskedSynthesis,
    gradient_field,
    integrate_gradients,
    interpolate,
    smooth,
)
from proxdeblur.shrinkage import prox_group

from .strategies import seeds


def _smooth_scene(shape=(32, 40), seed=0):
    """A piecewise-smooth test image: two discs on a ramp, with faint texture."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    image = 0.2 + 0.3 * cols / shape[1]
    image += 0.4 * ((rows - shape[0] / 3) ** 2 + (cols - shape[1] / 3) ** 2 < (shape[0] / 5) ** 2)
    image -= 0.15 * ((rows - 2 * shape[0] / 3) ** 2 + (cols - 2 * shape[1] / 3) ** 2
                     < (shape[0] / 6) ** 2)
    return image + 0.01 * rng.standard_normal(shape)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, levels=st.integers(1, 3), colour=st.booleans(),
       fraction=st.floats(0.0, 1.0))
def test_masked_synthesis_is_adjoint_and_solves_its_normal_equations(seed, levels, colour,
                                                                     fraction):
    rng = np.random.default_rng(seed)
    block = 2**levels
    shape = (block * int(rng.integers(2, 5)), block * int(rng.integers(2, 5)))
    mask = rng.random(shape) < fraction
    operator = MaskedSynthesis(mask, "db2", levels)
    full = shape + ((3,) if colour else ())
    c, r = rng.standard_normal(full), rng.standard_normal(full)
    assert np.vdot(operator.forward(c), r) == pytest.approx(np.vdot(c, operator.adjoint(r)),
                                                            rel=1e-9, abs=1e-9)
    rho = float(rng.uniform(0.01, 2.0))
    x = operator.solve_normal(r, rho)
    np.testing.assert_allclose(operator.gram(x) + rho * x, r, atol=1e-9)


def test_masked_synthesis_refuses_sizes_that_are_not_multiples_of_the_block():
    with pytest.raises(InvalidArgumentError, match="mask"):
        MaskedSynthesis(np.ones((12, 10)), "db2", 3)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, colour=st.booleans(), beta=st.floats(1e-4, 10.0))
def test_integrating_an_images_own_gradients_returns_the_image(seed, colour, beta):
    rng = np.random.default_rng(seed)
    image = rng.random((9, 14, 3) if colour else (9, 14))
    np.testing.assert_allclose(integrate_gradients(gradient_field(image), image, beta), image,
                               atol=1e-10)


def _noise_generator(seed):
    rng = np.random.default_rng(seed)
    return lambda u: u + 0.3 * rng.standard_normal(u.shape)


@settings(max_examples=10, deadline=None)
@given(seed=seeds, lam=st.floats(1e-4, 1e-1), p=st.floats(0.1, 1.0))
def test_interpolation_objective_never_increases_for_any_generator(seed, lam, p):
    rng = np.random.default_rng(seed)
    image = _smooth_scene((20, 28), seed)  # not multiples of 8: exercises the padding
    mask = rng.random(image.shape) < 0.5
    _, result = interpolate(image * mask, mask, generator=_noise_generator(seed), lam=lam, p=p,
                            max_iter=6)
    psi = result.history["objective"]
    assert np.all(np.diff(psi) <= 1e-10 * (1 + abs(psi[0])))
    assert np.all(result.history["objective"][1:] <= result.history["objective_v"][1:] + 1e-10)


@pytest.mark.parametrize("colour", [False, True])
def test_interpolation_fills_holes_and_keeps_the_input_shape(colour):
    image = _smooth_scene((30, 37))
    mask = np.random.default_rng(1).random(image.shape) < 0.4
    if colour:
        image = np.stack([image, 0.8 * image, 1 - image], axis=-1)
    observed = image * (mask[..., None] if colour else mask)
    restored, result = interpolate(observed, mask, generator=None, lam=1e-4, max_iter=10,
                                   reference=image)
    assert restored.shape == image.shape
    assert psnr(np.clip(restored, 0, 1), image) > psnr(observed, image) + 10
    assert result.history["psnr"].shape == result.history["objective"].shape


def test_interpolation_with_the_bundled_denoiser_keeps_theorem_2():
    image = _smooth_scene((32, 32))
    mask = np.random.default_rng(2).random(image.shape) < 0.4
    restored, result = interpolate(image * mask, mask, max_iter=4, reference=image)
    psi = result.history["objective"]
    assert np.all(np.diff(psi) <= 1e-10 * (1 + psi[0]))
    accepted = result.history["accepted"][1:]
    assert np.all((accepted == 0) | (accepted == 1))
    assert np.isfinite(restored).all()


@pytest.mark.parametrize("bad, match", [
    ({"mask": np.ones((5, 5))}, "mask"),
    ({"mask": np.zeros((16, 16))}, "mask"),
    ({"mask": np.full((16, 16), 0.5)}, "mask"),
    ({"start": "zeros"}, "start"),
    ({"p": 1.5}, "p"),
])
def test_interpolation_bad_input_names_the_argument(bad, match):
    arguments = {"image": np.ones((16, 16)), "mask": np.ones((16, 16), bool), "generator": None,
                 **bad}
    with pytest.raises(InvalidArgumentError, match=match):
        interpolate(**arguments)


@settings(max_examples=15, deadline=None)
@given(seed=seeds, lam=st.floats(1e-4, 0.1), colour=st.booleans(), step=st.floats(0.05, 0.99))
def test_smoothing_corrector_step_is_the_exact_group_hard_threshold(seed, lam, colour, step):
    """From g⁰ = ∇y the first proximal step is prox_{μλ‖·‖₀}(∇y): the global minimizer
    of the separable Ψ, which later stages (and any generator) cannot improve on."""
    rng = np.random.default_rng(seed)
    image = rng.random((10, 12, 3) if colour else (10, 12))
    smoothed, result = smooth(image, lam, generator=None, max_iter=3, step=step)
    expected = prox_group(gradient_field(image), lam * step, 0.0, axis=2)
    np.testing.assert_allclose(result.x, expected, atol=1e-12)
    assert smoothed.shape == image.shape


def test_smoothing_with_a_generator_is_monotone_and_flattens_texture():
    image = _smooth_scene((32, 32))
    smoothed, result = smooth(image, 0.002, generator=_noise_generator(0), max_iter=5)
    psi = result.history["objective"]
    assert np.all(np.diff(psi) <= 1e-10 * (1 + psi[0]))
    kept = np.mean(np.linalg.norm(result.x, axis=2) > 0)
    assert kept < 0.5  # the faint texture's gradients are removed, the discs' edges stay
    assert psnr(np.clip(smoothed, 0, 1), np.clip(image, 0, 1)) > 25
