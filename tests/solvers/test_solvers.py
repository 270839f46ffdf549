import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import L0, L1, TV, Convolution, Identity, InvalidArgumentError, Lp, LpGradient, Mask
from proxdeblur.priors import Wavelet
from proxdeblur.solvers import hqs, hqs_iter, proximal_gradient, proximal_gradient_iter
from tests.strategies import kernels, seeds


def _problem(seed, boundary="circular", size=16):
    rng = np.random.default_rng(seed)
    k = rng.random((5, 5)) ** 2
    op = Convolution(k / k.sum(), boundary)
    x = rng.random((size, size))
    y = op.forward(x) + 0.02 * rng.standard_normal(op.output_shape(x.shape))
    return op, y, x


priors = st.sampled_from([L1(0.02), Lp(0.02, 0.5), Lp(0.05, 0.8), L0(0.01)])


@given(seed=seeds, prior=priors, boundary=st.sampled_from(["circular", "valid", "symmetric"]),
       fraction=st.floats(0.1, 0.99))
def test_proximal_gradient_is_monotone_below_one_over_L(seed, prior, boundary, fraction):
    op, y, _ = _problem(seed, boundary)
    step = fraction / op.lipschitz(op.input_shape(y.shape))
    result = proximal_gradient(op, y, prior, step=step, max_iter=25, tol=0)
    objective = result.history["objective"]
    assert np.all(np.diff(objective) <= 1e-10 * np.abs(objective[:-1]))


@given(seed=seeds, prior=priors)
def test_monotone_apg_is_monotone(seed, prior):
    op, y, _ = _problem(seed)
    objective = proximal_gradient(op, y, prior, acceleration="monotone", max_iter=25,
                                  tol=0).history["objective"]
    assert np.all(np.diff(objective) <= 1e-10 * np.abs(objective[:-1]))


@settings(max_examples=8)
@given(seed=seeds)
def test_fista_and_ista_reach_the_same_convex_minimizer(seed):
    rng = np.random.default_rng(seed)
    k = rng.random((3, 3))
    k[1, 1] += k.sum()  # well-conditioned blur: the problem is strongly convex
    op = Convolution(k / k.sum(), "circular")
    y = op.forward(rng.random((12, 12))) + 0.02 * rng.standard_normal((12, 12))
    prior = L1(0.02)
    slow = proximal_gradient(op, y, prior, max_iter=3000, tol=1e-12)
    fast = proximal_gradient(op, y, prior, acceleration="fista", max_iter=3000, tol=1e-12)
    apg = proximal_gradient(op, y, prior, acceleration="monotone", max_iter=3000, tol=1e-12)
    np.testing.assert_allclose(fast.x, slow.x, atol=1e-7)
    np.testing.assert_allclose(apg.x, slow.x, atol=1e-7)
    # acceleration: after 10 iterations FISTA is at least as close in objective
    early = 10
    assert fast.history["objective"][early] <= slow.history["objective"][early] + 1e-12


def test_step_beyond_two_over_L_breaks_monotonicity():
    """The descent guarantee needs s < 1/L (and s < 2/L for convex f): at s = 2.5/L
    the iteration oscillates with growing amplitude and the objective increases."""
    op, y, _ = _problem(3)
    step = 2.5 / op.lipschitz(y.shape)
    objective = proximal_gradient(op, y, L1(1e-3), step=step, max_iter=20,
                                  tol=0).history["objective"]
    assert np.any(np.diff(objective) > 0)
    assert objective[-1] > objective[0]


analysis_priors = st.sampled_from([LpGradient(0.01, 0.8), TV(0.01), LpGradient(0.02, 0.5),
                                   Wavelet(0.01, levels=2)])


@given(seed=seeds, prior=analysis_priors, boundary=st.sampled_from(["circular", "valid"]),
       rho=st.floats(0.01, 10.0), x_step=st.sampled_from(["exact", "gradient"]))
def test_hqs_with_fixed_rho_decreases_its_penalized_objective(seed, prior, boundary, rho, x_step):
    op, y, _ = _problem(seed, boundary)
    result = hqs(op, y, prior, rho=rho, max_iter=15, tol=0, x_step=x_step, cg_max_iter=3)
    penalized = result.history["penalized"][1:]
    assert np.all(np.diff(penalized) <= 1e-10 * np.abs(penalized[:-1]))


@given(seed=seeds, rho=st.floats(0.01, 10.0), prior=priors)
def test_hqs_prox_split_decreases_its_penalized_objective(seed, rho, prior):
    op, y, _ = _problem(seed)
    penalized = hqs(op, y, prior, rho=rho, max_iter=15, tol=0).history["penalized"][1:]
    assert np.all(np.diff(penalized) <= 1e-10 * np.abs(penalized[:-1]))


@given(k=kernels(max_side=5), seed=seeds)
def test_hqs_with_identity_denoiser_is_least_squares(k, seed):
    """With prox = identity each HQS step is a proximal-point step on ½‖Au − y‖²,
    whose fixed point is the least-squares solution (well-conditioned blur here)."""
    rng = np.random.default_rng(seed)
    k = k.copy()
    k[k.shape[0] // 2, k.shape[1] // 2] += 2.0  # |K̂| >= 1/3 at every frequency
    op = Convolution(k / k.sum(), "circular")
    y = rng.random((12, 12))

    class Nothing:
        def prox(self, x, tau):
            return x

    result = hqs(op, y, Nothing(), rho=0.5, max_iter=300, tol=0)
    least_squares = op.solve_normal(op.adjoint(y), 0.0)
    np.testing.assert_allclose(result.x, least_squares, atol=1e-8)


def test_hqs_continuation_reaches_rho_max():
    op, y, _ = _problem(0)
    result = hqs(op, y, LpGradient(0.01), rho=0.1, rho_growth=2.0, rho_max=1.6, max_iter=10, tol=0)
    np.testing.assert_allclose(result.history["rho"][1:6], [0.1, 0.2, 0.4, 0.8, 1.6])
    assert np.all(result.history["rho"][5:] == 1.6)


def test_history_and_reference():
    op, y, x = _problem(1, "valid")
    result = hqs(op, y, LpGradient(0.01), rho=0.1, rho_growth=2, max_iter=6, tol=0,
                 reference=x[2:-2, 2:-2])
    assert result.iterations == 6 and not result.converged
    for key in ("objective", "penalized", "rho", "psnr", "seconds", "step_norm"):
        assert key in result.history
    assert len(result.history["objective"]) == 7
    assert np.all(np.diff(result.history["seconds"]) >= 0)
    assert result.history["psnr"][-1] > result.history["psnr"][0]


def test_tolerance_stops_and_reports_convergence():
    op, y, _ = _problem(2)
    result = proximal_gradient(op, y, L1(0.01), acceleration="fista", max_iter=5000, tol=1e-6)
    assert result.converged and result.iterations < 5000
    assert result.history["step_norm"][-1] < 1e-6


def test_callback_can_stop():
    op, y, _ = _problem(2)
    seen = []
    result = proximal_gradient(op, y, L1(0.01), max_iter=50,
                               callback=lambda s: seen.append(s.iteration) or s.iteration == 3)
    assert result.iterations == 3 and seen == [0, 1, 2, 3]


def test_generator_yields_every_iterate():
    op, y, _ = _problem(2)
    states = list(proximal_gradient_iter(op, y, L1(0.01), max_iter=4))
    assert [s.iteration for s in states] == [0, 1, 2, 3, 4]
    states = list(hqs_iter(op, y, TV(0.01), max_iter=3))
    assert [s.iteration for s in states] == [0, 1, 2, 3]


def test_inpainting_with_mask():
    rng = np.random.default_rng(0)
    x = np.outer(np.linspace(0, 1, 32), np.ones(32))
    mask = rng.random(x.shape) > 0.5
    result = hqs(Mask(mask), mask * x, TV(1e-3), rho=0.01, max_iter=40, tol=0)
    assert np.abs(result.x - x).mean() < 0.02


def test_colour_hqs_is_channelwise():
    op, _, _ = _problem(4)
    rng = np.random.default_rng(4)
    y = rng.random((16, 16, 3))
    colour = hqs(op, y, LpGradient(0.01), rho=0.1, max_iter=5, tol=0).x
    for c in range(3):
        single = hqs(op, y[..., c], LpGradient(0.01), rho=0.1, max_iter=5, tol=0).x
        np.testing.assert_allclose(colour[..., c], single, atol=1e-10)


@pytest.mark.parametrize("kwargs, name", [
    ({"acceleration": "nesterov"}, "acceleration"),
    ({"step": -1.0}, "step"),
    ({"max_iter": -1}, "max_iter"),
])
def test_proximal_gradient_bad_arguments(kwargs, name):
    op, y, _ = _problem(0)
    with pytest.raises(InvalidArgumentError, match=f"^{name}:"):
        proximal_gradient(op, y, L1(0.1), **kwargs)


def test_solvers_reject_nan_observations():
    y = np.ones((8, 8))
    y[2, 2] = np.nan
    with pytest.raises(InvalidArgumentError, match="^y:.*finite"):
        hqs(Identity(), y, TV(0.1))
    with pytest.raises(InvalidArgumentError, match="^rho:"):
        hqs(Identity(), np.ones((8, 8)), TV(0.1), rho=0)


@given(seed=seeds, prior=st.sampled_from([LpGradient(0.01, 0.8), TV(0.01),
                                          LpGradient(0.01, 0.5, isotropic=False, boundary="neumann"),
                                          Wavelet(0.01, "haar", 2), L1(0.01)]))
def test_tracking_the_objective_does_not_change_the_iterates(seed, prior):
    # untracked, the z-step is fused into the u-step's right-hand side (z never stored)
    op, y, _ = _problem(seed)
    tracked = hqs(op, y, prior, rho=0.05, rho_growth=2, max_iter=6, tol=0)
    fast = hqs(op, y, prior, rho=0.05, rho_growth=2, max_iter=6, tol=0, track_objective=False)
    np.testing.assert_allclose(fast.x, tracked.x, rtol=1e-12, atol=1e-13)
    assert "objective" not in fast.history and "objective" in tracked.history
