"""Proximal gradient for ``min_u F(u) = ½‖Au − y‖² + φ(u)``: ISTA, FISTA, monotone APG.

* ``acceleration=None`` — forward–backward splitting
  ``uₖ₊₁ = prox_{sφ}(uₖ − s Aᵀ(Auₖ − y))``. For ``s < 1/L`` (L = ‖A‖²) and an
  exact prox, ``F(uₖ₊₁) ≤ F(uₖ) − (1/(2s) − L/2)‖uₖ₊₁ − uₖ‖²`` also for a
  non-convex φ (ℓp, ℓ0): the objective never increases.
* ``"fista"`` — Beck & Teboulle (2009): extrapolation
  ``vₖ = uₖ + ((tₖ₋₁ − 1)/tₖ)(uₖ − uₖ₋₁)``; O(1/k²) for convex φ, not monotone.
* ``"monotone"`` — monotone APG of Li & Lin, "Accelerated Proximal Gradient
  Methods for Nonconvex Programming", NIPS 2015, Algorithm 1:

  .. math::
     v_k &= u_k + \\tfrac{t_{k-1}}{t_k}(z_k - u_k) + \\tfrac{t_{k-1}-1}{t_k}(u_k - u_{k-1})\\\\
     z_{k+1} &= \\operatorname{prox}_{s\\varphi}(v_k - s\\nabla f(v_k)),\\quad
     w_{k+1} = \\operatorname{prox}_{s\\varphi}(u_k - s\\nabla f(u_k))\\\\
     u_{k+1} &= z_{k+1} \\text{ if } F(z_{k+1}) \\le F(w_{k+1}) \\text{ else } w_{k+1}

  keeping FISTA's speed where extrapolation helps and the monotone decrease
  of the plain step for non-convex φ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from .._validation import as_image, check_int, check_positive
from ..errors import InvalidArgumentError
from ..operators import LinearOperator
from .result import IterationState, SolverResult, relative_change, run

__all__ = ["proximal_gradient", "proximal_gradient_iter", "data_fidelity"]

_ACCELERATIONS = (None, "fista", "monotone")


def data_fidelity(operator: LinearOperator, x: np.ndarray, y: np.ndarray) -> float:
    """``½‖Ax − y‖²``."""
    r = operator.forward(x) - y
    return 0.5 * float(np.vdot(r, r))


def proximal_gradient_iter(operator: LinearOperator, y, prior, *, x0=None, step=None,
                           acceleration: str | None = None,
                           max_iter: int = 100) -> Iterator[IterationState]:
    """Generator form of :func:`proximal_gradient`: yields the state after each iteration."""
    y = as_image(y, "y", min_side=1)
    if acceleration not in _ACCELERATIONS:
        raise InvalidArgumentError("acceleration", "None, 'fista' or 'monotone'", repr(acceleration))
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    x = operator.initial_estimate(y) if x0 is None else as_image(x0, "x0", min_side=1).copy()
    x = x.astype(np.float64)
    if step is None:
        step = 0.99 / operator.lipschitz(x.shape)
    step = check_positive(step, "step")
    aty = operator.adjoint(y)

    # Every point carries its image A·u: the objective of u_new and the gradient at the
    # next point share it, and an extrapolated point's image is the same combination of
    # known images (A is linear), so one iteration costs one A and one Aᵀ.
    def objective(u):
        au = operator.forward(u)
        residual = au - y
        return 0.5 * float(np.vdot(residual, residual)) + prior.value(u), au

    def forward_backward(u, au):
        return prior.prox(u - step * (operator.adjoint(au) - aty), step)

    clock = time.perf_counter()
    elapsed = 0.0
    f_x, ax = objective(x)
    elapsed += time.perf_counter() - clock
    yield IterationState(0, x, f_x, float("inf"), elapsed, extra={"step": step})
    x_prev, ax_prev = x, ax
    z, az = x, ax
    t_prev, t = 0.0, 1.0
    for k in range(1, max_iter + 1):
        clock = time.perf_counter()
        extra = {"step": step}
        if acceleration is None:
            x_new = forward_backward(x, ax)
            f_new, ax_new = objective(x_new)
        elif acceleration == "fista":
            beta = (t_prev - 1.0) / t if k > 1 else 0.0
            v, av = x + beta * (x - x_prev), ax + beta * (ax - ax_prev)
            x_new = forward_backward(v, av)
            f_new, ax_new = objective(x_new)
        else:
            a, b = t_prev / t, (t_prev - 1.0) / t
            v = x + a * (z - x) + b * (x - x_prev)
            av = ax + a * (az - ax) + b * (ax - ax_prev)
            z = forward_backward(v, av)
            w = forward_backward(x, ax)
            (f_z, az), (f_w, aw) = objective(z), objective(w)
            accepted = f_z <= f_w
            x_new, f_new, ax_new = (z, f_z, az) if accepted else (w, f_w, aw)
            extra["accepted_extrapolation"] = float(accepted)
        t_prev, t = t, (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        change = relative_change(x_new, x)
        x_prev, x = x, x_new
        ax_prev, ax = ax, ax_new
        elapsed += time.perf_counter() - clock
        yield IterationState(k, x, f_new, change, elapsed, extra=extra)


def proximal_gradient(operator: LinearOperator, y, prior, step: float | None = None,
                      acceleration: str | None = None, max_iter: int = 100, tol: float = 1e-6,
                      callback: Callable[[IterationState], object] | None = None,
                      reference=None, x0=None, progress: bool = False) -> SolverResult:
    """Minimize ``½‖Au − y‖² + φ(u)`` by proximal gradient.

    Parameters
    ----------
    operator : LinearOperator
        The forward operator A.
    y : ndarray
        The observation.
    prior : Prior
        φ, with ``value(x)`` and an (ideally exact) ``prox(x, tau)``.
    step : float, optional
        Step size s; default ``0.99 / L`` with ``L = operator.lipschitz()``.
        Monotone decrease needs ``s < 1/L``.
    acceleration : {None, "fista", "monotone"}
        See the module docstring.
    max_iter : int
        Maximum iterations.
    tol : float
        Stop when the relative change ``‖uₖ − uₖ₋₁‖/‖uₖ₋₁‖ < tol``.
    callback : callable, optional
        ``callback(state)``; return True to stop.
    reference : ndarray, optional
        Ground truth for a ``"psnr"`` history.
    x0 : ndarray, optional
        Starting point (default ``operator.initial_estimate(y)``).
    progress : bool
        Show a progress bar.

    Returns
    -------
    SolverResult
        ``history`` has ``"objective"`` (F), ``"step_norm"``, ``"seconds"``,
        ``"step"`` and, for ``"monotone"``, ``"accepted_extrapolation"``.
    """
    states = proximal_gradient_iter(operator, y, prior, x0=x0, step=step,
                                    acceleration=acceleration, max_iter=max_iter)
    return run(states, tol=tol, callback=callback, reference=reference, progress=progress,
               description="proximal gradient", total=max_iter)
