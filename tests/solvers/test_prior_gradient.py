"""Gradient descent with a prior gradient: the guarantees its docstring states, checked
with analytic priors whose φ is known, and what it does with a learned one."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError
from proxdeblur.operators import Convolution
from proxdeblur.priors.learned import LearnedPrior
from proxdeblur.priors.nets.golf import GolfNet, GolfResidual
from proxdeblur.solvers import prior_gradient_descent


def _laplacian(x):
    """Periodic 5-point Laplacian Δx: −Δ = DᵀD, so −∇(½‖Dx‖²) = Δx."""
    return (np.roll(x, 1, 0) + np.roll(x, -1, 0) + np.roll(x, 1, 1) + np.roll(x, -1, 1)
            - 4 * x)


class _Smoothness:
    """φ(x) = c·½‖Dx‖² (periodic differences): convex, L_φ = 8c, g = −∇φ = cΔx."""

    def __init__(self, scale=1.0):
        self.scale = scale
        self.lipschitz = 8.0 * scale

    def gradient(self, x):
        return self.scale * _laplacian(x)

    def value(self, x):
        return 0.5 * self.scale * float(np.sum((np.roll(x, -1, 0) - x) ** 2
                                               + (np.roll(x, -1, 1) - x) ** 2))


def _closed_form(kernel, y, lam):
    """argmin ½‖k∗x − y‖² + λ½‖Dx‖² for circular convolution, by the FFT."""
    shape = y.shape
    pad = np.zeros(shape)
    pad[:kernel.shape[0], :kernel.shape[1]] = kernel
    pad = np.roll(pad, (-(kernel.shape[0] // 2), -(kernel.shape[1] // 2)), (0, 1))
    transfer = np.fft.fft2(pad)
    wy = 2 * np.pi * np.fft.fftfreq(shape[0])[:, None]
    wx = 2 * np.pi * np.fft.fftfreq(shape[1])[None, :]
    differences = (2 - 2 * np.cos(wy)) + (2 - 2 * np.cos(wx))
    spectrum = np.conj(transfer) * np.fft.fft2(y) / (np.abs(transfer) ** 2 + lam * differences)
    return np.real(np.fft.ifft2(spectrum))


def _problem(seed, side=24):
    rng = np.random.default_rng(seed)
    kernel = rng.random((5, 5)) ** 3
    kernel /= kernel.sum()
    x = rng.random((side, side + 3))
    operator = Convolution(kernel, "circular")
    y = operator.forward(x) + 0.01 * rng.standard_normal(x.shape)
    return operator, kernel, y


@pytest.mark.parametrize("acceleration", [None, "fista"])
def test_converges_to_the_minimiser_for_a_true_gradient(acceleration):
    operator, kernel, y = _problem(0)
    lam = 0.05
    prior = _Smoothness()
    result = prior_gradient_descent(operator, y, prior, lam, max_iter=3000, tol=1e-12,
                                    step=1.0 / (1.0 + lam * prior.lipschitz),
                                    acceleration=acceleration)
    np.testing.assert_allclose(result.x, _closed_form(kernel, y, lam), atol=2e-4)


@pytest.mark.parametrize("boundary", ["circular", "valid"])
def test_fixed_point_converges_to_the_minimiser_for_a_true_gradient(boundary):
    """RED's fixed point is forward–backward on φ + f/λ: with L_φ < 2 it reaches the
    minimiser (circular: the closed form; valid: the gradient method's limit)."""
    operator, kernel, y = _problem(4)
    prior, lam = _Smoothness(0.2), 0.25  # L_φ = 1.6, F = f + λφ
    if boundary == "valid":
        operator = Convolution(kernel, "valid")
        y = y[2:-2, 2:-2]
    fixed = prior_gradient_descent(operator, y, prior, lam, method="fixed-point",
                                   max_iter=400, tol=1e-11)
    assert fixed.iterations < 400
    if boundary == "circular":
        np.testing.assert_allclose(fixed.x, _closed_form(kernel, y, lam * 0.2), atol=1e-5)
    else:
        gradient = prior_gradient_descent(operator, y, prior, lam, max_iter=5000, tol=1e-13,
                                          acceleration="fista")
        np.testing.assert_allclose(fixed.x, gradient.x, atol=5e-4)  # slow corners


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), lam=st.floats(0.01, 1.0), scale=st.floats(0.01, 0.24))
def test_fixed_point_never_increases_the_objective_for_a_true_gradient(seed, lam, scale):
    operator, _, y = _problem(seed, side=16)
    prior = _Smoothness(scale)  # L_φ = 8·scale < 2
    objective = []
    prior_gradient_descent(
        operator, y, prior, lam, method="fixed-point", max_iter=20, tol=0.0,
        callback=lambda s: objective.append(s.extra["data"] + lam * prior.value(s.x)))
    assert np.all(np.diff(objective) <= 1e-9 * max(objective[0], 1.0))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), lam=st.floats(0.0, 0.5),
       fraction=st.floats(0.1, 0.99))
def test_objective_never_increases_for_a_true_gradient(seed, lam, fraction):
    """For g = −∇φ, φ convex and L_φ-smooth, and s < 1/(L + λL_φ), F decreases."""
    operator, _, y = _problem(seed, side=16)
    prior = _Smoothness()
    step = fraction / (1.0 + lam * prior.lipschitz)
    objective = []
    prior_gradient_descent(
        operator, y, prior, lam, step=step, max_iter=30, tol=0.0,
        callback=lambda s: objective.append(s.extra["data"] + lam * prior.value(s.x)))
    assert np.all(np.diff(objective) <= 1e-9 * max(objective[0], 1.0))


class _PulledResidual(torch.nn.Module):
    """``g(x) = −x + ε R(x)`` with R a random Golf residual: no function's gradient, but
    strongly monotone (−g's Jacobian ≈ I) like a trained R ≈ x* − x, so the iteration
    contracts."""

    def __init__(self, net, scale):
        super().__init__()
        self.residual, self.scale = GolfResidual(net), scale

    def forward(self, x):
        return -x + self.scale * self.residual(x)


@pytest.mark.parametrize("method", ["gradient", "fixed-point"])
def test_limit_balances_data_and_prior_for_a_learned_gradient(method):
    """A learned g has no objective; its limit satisfies Aᵀ(Ax − y) = λ g(x)."""
    torch.manual_seed(0)
    net = GolfNet(width=4, layers=1)
    with torch.no_grad():
        net.last.weight.normal_(0, 0.3)  # a residual far from zero
    prior = LearnedPrior(_PulledResidual(net, 0.1).eval(), "gradient", device="cpu",
                         precision="fp32")
    assert np.abs(prior.gradient(np.ones((8, 8))) + 1).max() > 1e-3  # not just −x
    operator, _, y = _problem(3, side=20)
    lam = 0.3
    options = {"acceleration": "fista"} if method == "gradient" else {"method": method}
    result = prior_gradient_descent(operator, y, prior, lam, max_iter=1000, tol=1e-7,
                                    **options)
    assert result.iterations < 1000 and "objective" not in result.history
    residual = operator.adjoint(operator.forward(result.x) - y) - lam * prior.gradient(result.x)
    assert np.linalg.norm(residual) < 1e-3 * np.linalg.norm(operator.adjoint(y))


def test_lam_zero_is_landweber_and_lowers_the_data_term():
    operator, _, y = _problem(1)
    result = prior_gradient_descent(operator, y, _Smoothness(), 0.0, max_iter=40, tol=0.0)
    assert np.all(np.diff(result.history["data"]) <= 1e-12)


@pytest.mark.parametrize("kwargs, argument", [
    ({"prior": object()}, "prior"), ({"lam": -1.0}, "lam"), ({"lam": float("nan")}, "lam"),
    ({"acceleration": "heavy-ball"}, "acceleration"), ({"step": 0.0}, "step"),
    ({"max_iter": -1}, "max_iter"), ({"method": "newton"}, "method"),
    ({"method": "fixed-point", "lam": 0.0}, "lam"),
    ({"method": "fixed-point", "acceleration": "fista"}, "acceleration"),
    ({"method": "fixed-point", "step": 0.5}, "step")])
def test_bad_arguments_name_themselves(kwargs, argument):
    operator, _, y = _problem(2, side=12)
    call = {"prior": _Smoothness(), "lam": 0.1} | kwargs
    with pytest.raises(InvalidArgumentError) as info:
        prior_gradient_descent(operator, y, **call)
    assert info.value.argument == argument
