"""Deconvolution with a learned prior gradient ``g ≈ −∇φ``: gradient descent, or RED's
fixed-point iteration.

The non-blind use of a :class:`~proxdeblur.priors.base.PriorGradient` (Golf's N2 residual
R, seed 001 section 4) beside the data term ``f(x) = ½‖Ax − y‖²``, in the spirit of RED
(Romano, Elad & Milanfar 2017: regularisation by a denoiser's residual ``x − D(x)``).
Both methods look for the balance ``Aᵀ(Ax − y) = λ g(x)`` — the stationarity condition of
``F = f + λφ`` when ``g = −∇φ``:

* ``method="gradient"`` — ``xₖ₊₁ = xₖ − s(Aᵀ(Axₖ − y) − λ g(xₖ))``;
  ``acceleration="fista"`` adds Nesterov's extrapolation
  ``vₖ = xₖ + ((tₖ₋₁ − 1)/tₖ)(xₖ − xₖ₋₁)``. One network call per iteration, and as many
  iterations as the blur's conditioning asks of a first-order method (hundreds).
* ``method="fixed-point"`` — RED's fixed-point iteration,
  ``xₖ₊₁ = (AᵀA + λI)⁻¹(Aᵀy + λ(xₖ + g(xₖ)))``: the data term solved exactly (FFT or
  conjugate gradients, :meth:`~proxdeblur.operators.LinearOperator.solve_normal`) around
  the prior's step. It is forward–backward splitting on ``φ + f/λ`` with unit step, so
  it needs tens of iterations, not hundreds.

What is guaranteed, and what is not:

* If ``g = −∇φ`` exactly with φ convex and ``L_φ``-smooth: ``"gradient"`` is gradient
  descent on F — for ``s < 2/(L + λL_φ)`` (L = ‖A‖²) F decreases at every step and the
  iterates converge to its minimiser (``"fista"``: O(1/k²) in F, not monotone);
  ``"fixed-point"`` converges to the same minimiser and never increases F for
  ``L_φ < 2`` (forward–backward's descent lemma with a convex ``f/λ``:
  ``F(xₖ₊₁) ≤ F(xₖ) − λ(1 − L_φ/2)‖xₖ₊₁ − xₖ‖²``). The tests check both with analytic
  priors.
* A learned ``g`` is in general not the gradient of any function — its Jacobian is not
  symmetric (Reehorst & Schniter 2019 showed this for RED's denoisers) — so there is no
  objective to decrease and none is reported (the history has the data term
  ``½‖Ax − y‖²`` as ``"data"``). What remains: a limit point satisfies the balance above,
  and the iteration converges (linearly, to the unique such point) wherever its update
  map is a contraction — e.g. for ``"fixed-point"`` when ``x ↦ x + g(x)`` is, since
  ``(AᵀA + λI)⁻¹λ`` has norm ≤ 1. Golf's R is trained as a whole step to the sharp
  image, ``R(x) ≈ x* − x``, which makes ``x + R(x)`` nearly constant: close to that
  regime, but nothing proves it. The step norm is what to watch; ``tol`` stops on it.

The default gradient step ``1/(L + λ)`` assumes ``Lip(g) ≤ 1`` (``R(x) ≈ x* − x`` has a
Jacobian close to ``−I``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from .._validation import as_image, check_int, check_positive
from ..errors import InvalidArgumentError
from ..operators import LinearOperator
from ..priors.base import PriorGradient
from .result import IterationState, SolverResult, relative_change, run

__all__ = ["prior_gradient_descent", "prior_gradient_descent_iter", "METHODS"]

_ACCELERATIONS = (None, "fista")
METHODS = ("gradient", "fixed-point")
#: Relative residual of the fixed-point method's conjugate-gradient solves (warm-started
#: from the previous iterate; far below the changes between iterates that matter).
FIXED_POINT_TOL = 1e-6


def prior_gradient_descent_iter(operator: LinearOperator, y, prior, lam: float, *, x0=None,
                                method: str = "gradient", step=None,
                                acceleration: str | None = None,
                                max_iter: int = 100) -> Iterator[IterationState]:
    """Generator form of :func:`prior_gradient_descent`."""
    y = as_image(y, "y", min_side=1)
    if not isinstance(prior, PriorGradient):
        raise InvalidArgumentError("prior", "a prior gradient (gradient(x))", type(prior).__name__)
    if method not in METHODS:
        raise InvalidArgumentError("method", "'gradient' or 'fixed-point'", repr(method))
    if acceleration not in _ACCELERATIONS:
        raise InvalidArgumentError("acceleration", "None or 'fista'", repr(acceleration))
    if method == "fixed-point" and (acceleration is not None or step is not None):
        raise InvalidArgumentError("acceleration" if acceleration else "step",
                                   "None with method='fixed-point'", acceleration or step)
    lam = float(lam)
    if not (np.isfinite(lam) and (lam > 0 if method == "fixed-point" else lam >= 0)):
        raise InvalidArgumentError("lam", "a finite number > 0 (>= 0 for method='gradient')",
                                   lam)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    x = operator.initial_estimate(y) if x0 is None else as_image(x0, "x0", min_side=1).copy()
    x = x.astype(np.float64)
    if method == "gradient":
        if step is None:
            step = 1.0 / (operator.lipschitz(x.shape) + lam)
        step = check_positive(step, "step")
    aty = operator.adjoint(y)

    def data(au):
        residual = au - y
        return 0.5 * float(np.vdot(residual, residual))

    clock = time.perf_counter()
    ax = operator.forward(x)
    elapsed = time.perf_counter() - clock
    yield IterationState(0, x, None, float("inf"), elapsed, extra={"data": data(ax)})
    x_prev, ax_prev = x, ax
    t_prev, t = 0.0, 1.0
    for k in range(1, max_iter + 1):
        clock = time.perf_counter()
        if method == "fixed-point":
            target = x + np.asarray(prior.gradient(x), dtype=np.float64)
            x_new = operator.solve_normal(aty + lam * target, lam, x0=x, tol=FIXED_POINT_TOL)
        else:
            beta = (t_prev - 1.0) / t if acceleration == "fista" and k > 1 else 0.0
            # A is linear: the extrapolated point's image is the same combination of images
            v, av = (x + beta * (x - x_prev), ax + beta * (ax - ax_prev)) if beta else (x, ax)
            direction = operator.adjoint(av) - aty
            if lam:
                direction = direction - lam * np.asarray(prior.gradient(v), dtype=np.float64)
            x_new = v - step * direction
        ax_new = operator.forward(x_new)
        t_prev, t = t, (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        change = relative_change(x_new, x)
        x_prev, x, ax_prev, ax = x, x_new, ax, ax_new
        elapsed += time.perf_counter() - clock
        yield IterationState(k, x, None, change, elapsed, extra={"data": data(ax)})


def prior_gradient_descent(operator: LinearOperator, y, prior, lam: float,
                           method: str = "gradient", step: float | None = None,
                           acceleration: str | None = None,
                           max_iter: int = 100, tol: float = 1e-4,
                           callback: Callable[[IterationState], object] | None = None,
                           reference=None, x0=None, progress: bool = False) -> SolverResult:
    """Deconvolve with a learned prior gradient (module docstring).

    Parameters
    ----------
    operator : LinearOperator
        The forward operator A (e.g. :class:`~proxdeblur.operators.Convolution` with the
        known kernel).
    y : ndarray
        The observation.
    prior : PriorGradient
        ``g(x) ≈ −∇φ(x)`` (e.g. ``load_prior("golf_n2", "gradient")``).
    lam : float
        Weight λ of the prior against the data term.
    method : {"gradient", "fixed-point"}
        Gradient descent, or RED's fixed-point iteration (module docstring).
    step : float, optional
        Step s; default ``1 / (L + λ)`` (``L = operator.lipschitz()``, ``Lip(g) ≤ 1``).
    acceleration : {None, "fista"}
        Nesterov extrapolation of the gradient method (faster on the smooth data term; no
        guarantee with a learned ``g``).
    max_iter : int
        Maximum iterations.
    tol : float
        Stop when the relative change ``‖xₖ − xₖ₋₁‖/‖xₖ₋₁‖ < tol``.
    callback, reference, x0, progress
        As for :func:`~proxdeblur.solvers.proximal_gradient.proximal_gradient`.

    Returns
    -------
    SolverResult
        ``history`` has ``"data"`` (½‖Ax − y‖²), ``"step_norm"`` and ``"seconds"``.
    """
    states = prior_gradient_descent_iter(operator, y, prior, lam, x0=x0, method=method,
                                         step=step, acceleration=acceleration,
                                         max_iter=max_iter)
    return run(states, tol=tol, callback=callback, reference=reference, progress=progress,
               description="prior gradient descent", total=max_iter)
