import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.ndimage import convolve
from scipy.signal import convolve2d

from proxdeblur import InvalidArgumentError
from proxdeblur.linsolve import solve_quadratic
from proxdeblur.operators import BOUNDARY_MODES, Convolution, FiniteDifference, Identity, Mask
from tests.strategies import images, kernels, seeds


def _adjoint_gap(op, x, seed):
    y = np.random.default_rng(seed).standard_normal(op.forward(x).shape)
    lhs = np.vdot(op.forward(x), y)
    rhs = np.vdot(x, op.adjoint(y))
    return abs(lhs - rhs) / max(1.0, abs(lhs))


@given(x=images(), k=kernels(), boundary=st.sampled_from(BOUNDARY_MODES), seed=seeds)
def test_convolution_adjoint(x, k, boundary, seed):
    assert _adjoint_gap(Convolution(k, boundary), x, seed) < 1e-12


@given(x=images(), seed=seeds, boundary=st.sampled_from(["circular", "neumann"]))
def test_finite_difference_adjoint(x, seed, boundary):
    assert _adjoint_gap(FiniteDifference(boundary), x, seed) < 1e-12


@given(x=images(), seed=seeds)
def test_mask_and_identity_adjoint(x, seed):
    mask = np.random.default_rng(seed).random(x.shape[:2])
    assert _adjoint_gap(Mask(mask), x, seed) < 1e-12
    assert _adjoint_gap(Identity(), x, seed) < 1e-12


@given(x=images(channels=(None,)), k=kernels())
def test_convolution_matches_scipy(x, k):
    """The centre convention: a true convolution with the centre at (kh//2, kw//2)."""
    ph, pw = k.shape[0] // 2, k.shape[1] // 2
    valid = Convolution(k, "valid").forward(x)
    np.testing.assert_allclose(valid, convolve2d(x, k, mode="valid"), atol=1e-12)
    circular = Convolution(k, "circular").forward(x)
    np.testing.assert_allclose(circular, convolve(x, k, mode="wrap"), atol=1e-12)
    symmetric = Convolution(k, "symmetric").forward(x)
    np.testing.assert_allclose(symmetric, convolve2d(np.pad(x, ((ph, ph), (pw, pw)), "symmetric"),
                                                     k, mode="valid"), atol=1e-12)
    replicate = Convolution(k, "replicate").forward(x)
    np.testing.assert_allclose(replicate, convolve(x, k, mode="nearest"), atol=1e-12)


@given(x=images(channels=(3,)), k=kernels(), boundary=st.sampled_from(BOUNDARY_MODES))
def test_colour_is_channelwise(x, k, boundary):
    op = Convolution(k, boundary)
    y = op.forward(x)
    for c in range(3):
        np.testing.assert_allclose(y[..., c], op.forward(x[..., c]), atol=1e-12)
        np.testing.assert_allclose(op.adjoint(y)[..., c], op.adjoint(y[..., c]), atol=1e-12)


def test_valid_shapes():
    op = Convolution(np.ones((5, 3)) / 15, "valid")
    assert op.forward(np.zeros((20, 30))).shape == (16, 28)
    assert op.adjoint(np.zeros((16, 28))).shape == (20, 30)
    assert op.input_shape((16, 28, 3)) == (20, 30, 3)
    assert op.initial_estimate(np.zeros((16, 28))).shape == (20, 30)


def test_float32_is_kept():
    x = np.random.default_rng(0).random((16, 16)).astype(np.float32)
    for boundary in BOUNDARY_MODES:
        op = Convolution(np.ones((3, 3)) / 9, boundary)
        assert op.forward(x).dtype == np.float32
        assert op.adjoint(op.forward(x)).dtype == np.float32


@given(x=images(), k=kernels(), boundary=st.sampled_from(BOUNDARY_MODES),
       rho=st.floats(1e-3, 10.0))
def test_solve_normal_solves_its_system(x, k, boundary, rho):
    op = Convolution(k, boundary)
    rhs = op.adjoint(op.forward(x))
    sol = op.solve_normal(rhs, rho, tol=1e-10)
    residual = op.gram(sol) + rho * sol - rhs
    assert np.linalg.norm(residual) <= 1e-8 * max(np.linalg.norm(rhs), 1e-12)


@given(x=images(), k=kernels(), boundary=st.sampled_from(BOUNDARY_MODES),
       beta=st.floats(1e-3, 1.0))
def test_solve_quadratic_with_gradient_term(x, k, boundary, beta):
    op, D = Convolution(k, boundary), FiniteDifference()
    rhs = op.adjoint(op.forward(x)) + beta * D.adjoint(D.forward(x))
    solution = solve_quadratic(rhs, [(1.0, op), (beta, D)], rho=1e-6, tol=1e-10, max_iter=2000)
    sol = solution.x
    residual = op.gram(sol) + beta * D.gram(sol) + 1e-6 * sol - rhs
    assert np.linalg.norm(residual) <= 1e-9 * np.linalg.norm(rhs)
    assert solution.method == ("fourier" if boundary == "circular" else "pcg")


def test_pcg_warm_start_never_worse(rng):
    k = rng.random((7, 7))
    op = Convolution(k / k.sum(), "valid")
    x = rng.random((40, 40))
    rhs = op.adjoint(op.forward(x))
    exact = op.solve_normal(rhs, 0.01, tol=1e-12)

    def energy(u):
        return 0.5 * np.vdot(u, op.gram(u) + 0.01 * u) - np.vdot(rhs, u)

    start = x + 0.1 * rng.standard_normal(x.shape)
    one_step = op.solve_normal(rhs, 0.01, x0=start, max_iter=1)
    assert energy(one_step) <= energy(start)
    assert energy(exact) <= energy(one_step)


@given(x=images(), k=kernels(), boundary=st.sampled_from(BOUNDARY_MODES), seed=seeds)
def test_lipschitz_bounds_the_operator_norm(x, k, boundary, seed):
    op = Convolution(k, boundary)
    v = np.random.default_rng(seed).standard_normal(x.shape)
    ratio = np.sum(op.forward(v) ** 2) / np.sum(v**2)
    assert ratio <= op.lipschitz(x.shape) * (1 + 1e-9)


def test_mask_solve_normal_is_exact(rng):
    mask = rng.random((10, 12)) > 0.5
    op = Mask(mask)
    rhs = rng.random((10, 12, 3))
    sol = op.solve_normal(rhs, 0.5)
    np.testing.assert_allclose(op.gram(sol) + 0.5 * sol, rhs, atol=1e-12)


@pytest.mark.parametrize("kernel, message", [
    (-np.ones((3, 3)), "non-negative"),
    (np.zeros((3, 3)), "positive sum"),
    (np.ones((4, 3)) / 12, "odd"),
    (np.full((3, 3), np.nan), "finite"),
    (np.ones(3) / 3, "2-D"),
    (np.ones((3, 3)), "summing to 1"),
])
def test_bad_kernels_are_rejected(kernel, message):
    with pytest.raises(InvalidArgumentError, match=message) as info:
        Convolution(kernel)
    assert str(info.value).startswith("kernel:")


def test_kernel_larger_than_image_is_rejected():
    op = Convolution(np.ones((9, 9)) / 81, "circular")
    with pytest.raises(InvalidArgumentError, match="at least as large as the kernel"):
        op.forward(np.zeros((5, 20)))


def test_unknown_boundary_is_rejected():
    with pytest.raises(InvalidArgumentError, match="boundary"):
        Convolution(np.ones((3, 3)) / 9, "periodic")


@given(x=images(), boundary=st.sampled_from(["circular", "neumann"]))
def test_finite_differences_match_their_definition(x, boundary):
    g = FiniteDifference(boundary).forward(x)
    vertical = np.roll(x, -1, axis=0) - x
    horizontal = np.roll(x, -1, axis=1) - x
    if boundary == "neumann":
        vertical[-1] = 0
        horizontal[:, -1] = 0
    np.testing.assert_array_equal(g[0], vertical)
    np.testing.assert_array_equal(g[1], horizontal)


@given(x=images(), seed=seeds, alpha=st.floats(-3, 3),
       boundary=st.sampled_from(["circular", "neumann"]))
def test_fused_adjoint_axpy(x, seed, alpha, boundary):
    D = FiniteDifference(boundary)
    g = np.random.default_rng(seed).standard_normal((2, *x.shape))
    np.testing.assert_allclose(D.adjoint_axpy(g, alpha, x), x + alpha * D.adjoint(g), atol=1e-12)
