"""The float32 conjugate gradients of large deconvolutions, against float64."""

import numpy as np
import pytest

from proxdeblur import Convolution, InvalidArgumentError
from proxdeblur.kernels import motion_kernel
from proxdeblur.linsolve import QuadraticSystem
from proxdeblur.operators import FiniteDifference
from proxdeblur.priors.classical import LpGradient
from proxdeblur.solvers import hqs


@pytest.mark.parametrize("boundary", ["valid", "symmetric", "circular"])
def test_float32_blur_stays_float32_and_keeps_its_adjoint(boundary):
    rng = np.random.default_rng(0)
    blur = Convolution(motion_kernel(9, seed=2), boundary)
    x = rng.random((40, 52)).astype(np.float32)
    y = rng.random(blur.output_shape(x.shape)).astype(np.float32)
    ax, aty = blur.forward(x), blur.adjoint(y)
    assert ax.dtype == np.float32 and aty.dtype == np.float32
    lhs, rhs = float(np.vdot(ax.astype(float), y)), float(np.vdot(x.astype(float), aty))
    assert lhs == pytest.approx(rhs, rel=1e-5)
    np.testing.assert_allclose(ax, blur.forward(x.astype(float)), atol=1e-5)


def test_single_precision_pcg_matches_double_to_float32_accuracy():
    rng = np.random.default_rng(1)
    blur = Convolution(motion_kernel(11, seed=3), "valid")
    shape = (80, 96)
    terms = [(1.0, blur), (0.05, FiniteDifference())]
    rhs = blur.adjoint(rng.random(blur.output_shape(shape)))
    double = QuadraticSystem(terms, 0.0, shape, tol=1e-6, max_iter=200).solve(rhs)
    single = QuadraticSystem(terms, 0.0, shape, tol=1e-6, max_iter=200, single=True).solve(rhs)
    assert single.x.dtype == np.float64 and single.method == "pcg"
    assert single.residual <= 1e-6 and abs(single.iterations - double.iterations) <= 1
    error = np.linalg.norm(single.x - double.x) / np.linalg.norm(double.x)
    assert error < 1e-5  # float32 arithmetic does not limit a 1e-6 residual


def test_hqs_in_single_precision_restores_as_double_does(camera_small):
    blur = Convolution(motion_kernel(9, seed=4), "valid")
    y = blur.forward(camera_small)
    prior = LpGradient(3e-4, 0.8)
    runs = {precision: hqs(blur, y, prior, rho=1e-3, rho_growth=3.0, max_iter=6, tol=0.0,
                           cg_max_iter=4, cg_precision=precision, track_objective=False).x
            for precision in ("double", "single")}
    difference = runs["single"] - runs["double"]
    assert np.sqrt(np.mean(difference**2)) < 1e-4  # > 80 dB between the two
    with pytest.raises(InvalidArgumentError, match="cg_precision"):
        hqs(blur, y, prior, max_iter=1, cg_precision="half")


@pytest.mark.parametrize("shape,given,precision,iterations", [
    ((64, 64), None, "double", 4),        # Levin-sized: float64 and the measured default
    ((1024, 1024), None, "single", 1),    # a megapixel per channel: float32, one CG step
    ((1024, 1024), 6, "single", 6),       # the caller's count is kept
])
def test_deconvolve_picks_the_precision_and_cg_steps_by_size(monkeypatch, shape, given,
                                                             precision, iterations):
    import proxdeblur.deconvolution as deconvolution
    from proxdeblur.solvers.result import SolverResult

    seen = {}

    def recording_hqs(operator, y, prior, **options):
        seen.update(options)
        latent = np.zeros(operator.input_shape(y.shape))
        return SolverResult(latent, {}, 0, False)

    monkeypatch.setattr(deconvolution, "hqs", recording_hqs)
    deconvolution.deconvolve(np.full(shape, 0.5), motion_kernel(7, seed=0), cg_max_iter=given)
    assert seen["cg_precision"] == precision and seen["cg_max_iter"] == iterations


@pytest.mark.parametrize("single, tol", [(False, 1e-10), (True, 2e-4)])
def test_tracked_gram_follows_x_and_replaces_the_warm_start_application(camera_small, single,
                                                                         tol):
    """A sequence of u-steps (new weights, new right-hand side) given the previous
    solution's AᵀAx gets the solve it would get by applying A again."""
    rng = np.random.default_rng(0)
    blur = Convolution(motion_kernel(9), "valid")
    D = FiniteDifference()
    shape = (camera_small.shape[0] + 8, camera_small.shape[1] + 8)
    x = rng.random(shape)
    grams = None
    for rho in (0.01, 0.05, 0.3):
        rhs = blur.adjoint(camera_small) + rho * rng.random(shape)
        tracked = QuadraticSystem([(1.0, blur), (rho, D)], 0.0, shape, max_iter=3,
                                  single=single, track=(0,))
        plain = QuadraticSystem([(1.0, blur), (rho, D)], 0.0, shape, max_iter=3, single=single)
        solution = tracked.solve(rhs, x0=x, grams0=grams)
        reference = plain.solve(rhs, x0=x).x
        scale = np.abs(reference).max()
        assert np.abs(solution.x - reference).max() < tol * scale
        exact = blur.gram(solution.x)
        assert np.abs(solution.grams[0] - exact).max() < tol * np.abs(exact).max()
        x, grams = solution.x, solution.grams
    assert plain.solve(rhs, x0=x).grams == {}  # nothing tracked, nothing returned


def test_read_image_in_float32(tmp_path):
    from proxdeblur import io

    codes = np.arange(256, dtype=np.uint8).reshape(16, 16)
    io.write_image(tmp_path / "ramp.png", codes)
    single = io.read_image(tmp_path / "ramp.png", dtype=np.float32)
    double = io.read_image(tmp_path / "ramp.png")
    assert single.dtype == np.float32 and double.dtype == np.float64
    np.testing.assert_array_equal(double, codes / 255.0)
    np.testing.assert_allclose(single, double, rtol=1e-7)
    with pytest.raises(InvalidArgumentError, match="dtype"):
        io.read_image(tmp_path / "ramp.png", dtype=np.int32)


@pytest.mark.parametrize("image, kernel, steps", [
    ((255, 255), (7, 7), 4),      # below a quarter megapixel: the measured default, always
    ((600, 600), (7, 7), 1),      # 2 % of the latent image unobserved
    ((600, 600), (25, 25), 2),    # 8 %
    ((600, 600), (45, 45), 4),    # 15 %
    ((3000, 4000), (45, 45), 1),  # a photograph: 2.6 %
])
def test_cg_steps_follow_the_unobserved_band(image, kernel, steps):
    from proxdeblur.deconvolution import cg_iterations

    assert cg_iterations(image, kernel) == steps
