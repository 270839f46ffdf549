"""The weighted data term: the Weighted operator, and deconvolve's saturation, weights and
tone curve."""

import numpy as np
import pytest
from hypothesis import given, settings

from proxdeblur import Convolution, deconvolve
from proxdeblur.camera import from_linear, to_linear
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.fidelity import Weighted
from proxdeblur.kernels import motion_kernel
from proxdeblur.linsolve import solve_quadratic
from proxdeblur.metrics import psnr
from proxdeblur.operators import FiniteDifference

from .strategies import seeds


def _dense(operator, shape):
    columns = []
    for i in range(int(np.prod(shape))):
        e = np.zeros(int(np.prod(shape)))
        e[i] = 1.0
        columns.append(operator.forward(e.reshape(shape)).ravel())
    return np.array(columns).T


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_weighted_operator_is_w_root_a_with_its_exact_adjoint(seed):
    rng = np.random.default_rng(seed)
    kernel = rng.random((3, 5)) + 0.1
    blur = Convolution(kernel, "valid", normalize=True)
    weights = rng.random((6, 5)) * (rng.random((6, 5)) > 0.3)
    op = Weighted(blur, weights)
    x, y = rng.standard_normal((8, 9)), rng.standard_normal((6, 5))
    np.testing.assert_allclose(op.forward(x), np.sqrt(weights) * blur.forward(x), atol=1e-12)
    assert np.vdot(op.forward(x), y) == pytest.approx(np.vdot(x, op.adjoint(y)), rel=1e-10)
    np.testing.assert_allclose(op.gram(x), op.adjoint(op.forward(x)), atol=1e-12)


def test_weighted_normal_equations_against_a_dense_solve():
    """The u-step of the weighted HQS, (AᵀWA + ρDᵀD)u = AᵀWy + ρDᵀz, solved by the
    library's PCG equals the dense solve on a tiny image."""
    rng = np.random.default_rng(3)
    blur = Convolution(motion_kernel(5, seed=1), "valid")
    weights = (rng.random((10, 12)) > 0.25).astype(float)
    op = Weighted(blur, weights)
    shape = (14, 16)
    y = rng.random((10, 12))
    z = rng.standard_normal((2, *shape))
    rho = 0.05
    D = FiniteDifference("circular")
    rhs = op.adjoint(op.observation(y)) + rho * D.adjoint(z)
    solution = solve_quadratic(rhs, [(1.0, op), (rho, D)], tol=1e-12, max_iter=2000).x
    A, Dm = _dense(blur, shape), _dense(D, shape)
    dense = np.linalg.solve(A.T @ np.diag(weights.ravel()) @ A + rho * Dm.T @ Dm,
                            A.T @ (weights.ravel() * y.ravel()) + rho * Dm.T @ z.ravel())
    np.testing.assert_allclose(solution.ravel(), dense, atol=1e-8)


def _lamp_scene():
    """Camera in linear light with three lamps far brighter than full scale, blurred in
    linear light, noisy, clipped and encoded: a clipped highlight is not k ∗ u."""
    from skimage import data, transform

    x = transform.resize(data.camera() / 255.0, (160, 160), anti_aliasing=True)
    linear = to_linear(x, "srgb") * 0.8
    for cy, cx in ((40, 40), (110, 120), (70, 100)):
        linear[cy - 2: cy + 3, cx - 2: cx + 3] = 8.0
    kernel = motion_kernel(13, seed=3)
    blurred = Convolution(kernel, "valid").forward(linear)
    rng = np.random.default_rng(0)
    observed = from_linear(np.clip(blurred + 0.003 * rng.standard_normal(blurred.shape), 0, 1))
    truth = from_linear(np.clip(linear, 0, 1))[6:-6, 6:-6]
    return observed, kernel, truth


def test_saturation_handling_restores_a_clipped_photograph_better():
    observed, kernel, truth = _lamp_scene()
    assert (observed >= 0.98).mean() > 0.005
    plain = psnr(np.clip(deconvolve(observed, kernel, saturation=None), 0, 1), truth)
    handled = psnr(np.clip(deconvolve(observed, kernel), 0, 1), truth)
    linear = psnr(np.clip(deconvolve(observed, kernel, tone_curve="srgb"), 0, 1), truth)
    assert handled > plain + 1.0  # measured 17.80 -> 19.51 dB
    assert linear > handled + 0.5  # -> 20.45 dB in linear light


def test_without_clipped_pixels_saturation_changes_nothing():
    from skimage import data

    image = data.camera()[:96, :96] / 255.0 * 0.9
    kernel = motion_kernel(9, seed=2)
    blurred = Convolution(kernel, "valid").forward(image)
    np.testing.assert_array_equal(deconvolve(blurred, kernel),
                                  deconvolve(blurred, kernel, saturation=None))
    np.testing.assert_array_equal(deconvolve(blurred, kernel),
                                  deconvolve(blurred, kernel, weights=np.ones(blurred.shape)))
    np.testing.assert_array_equal(deconvolve(blurred, kernel),
                                  deconvolve(blurred, kernel, tone_curve="linear"))


def test_weights_leave_pixels_out_and_colour_shares_them():
    """A corrupted block with weight 0 does not reach the restoration (neither through the
    data term nor through the solver's start); the (H, W) map weights every channel."""
    from skimage import data

    image = data.astronaut()[100:196, 200:296] / 255.0 * 0.9
    kernel = motion_kernel(7, seed=4)
    blurred = Convolution(kernel, "valid").forward(image)
    corrupted = blurred.copy()
    corrupted[40:50, 40:50] = 0.0
    weights = np.ones(blurred.shape[:2])
    weights[40:50, 40:50] = 0.0
    truth = image[3:-3, 3:-3]
    clean = psnr(np.clip(deconvolve(blurred, kernel, weights=weights, noise=0.0), 0, 1), truth)
    ignored = psnr(np.clip(deconvolve(corrupted, kernel, weights=weights, noise=0.0), 0, 1),
                   truth)
    fitted = psnr(np.clip(deconvolve(corrupted, kernel, noise=0.0), 0, 1), truth)
    assert ignored == pytest.approx(clean, abs=1e-6)
    assert fitted < ignored - 1.0


def test_pnp_uses_the_same_weights():
    observed, kernel, truth = _lamp_scene()
    restored = deconvolve(observed[:64, :64], kernel, prior="dncnn", max_iter=4)
    assert restored.shape == (64, 64) and np.isfinite(restored).all()


@pytest.mark.parametrize("options, name", [
    ({"saturation": 0.0}, "saturation"), ({"saturation": "yes"}, "saturation"),
    ({"weights": np.ones((5, 5))}, "weights"), ({"weights": np.full((20, 20), 2.0)}, "weights"),
    ({"tone_curve": "rec709"}, "tone_curve")])
def test_bad_fidelity_options_are_named(options, name):
    with pytest.raises(InvalidArgumentError, match=f"^{name}:"):
        deconvolve(np.random.default_rng(0).random((20, 20)), np.ones((3, 3)) / 9, **options)
