"""Half-quadratic splitting (HQS) for ``min_u ½‖Au − y‖² + φ(u)``.

Two splittings, chosen by the prior:

* **analysis prior** φ(u) = ψ(Du) (gradient, TV, wavelet priors): introduce
  z = Du and minimize the penalized objective

  .. math:: L_\\rho(u, z) = \\tfrac12\\|Au - y\\|^2 + \\psi(z) + \\tfrac{\\rho}{2}\\|Du - z\\|^2

  alternately: the z-step ``z = prox_{ψ/ρ}(Du)`` is exact elementwise
  shrinkage; the u-step solves ``(AᵀA + ρDᵀD)u = Aᵀy + ρDᵀz`` (Krishnan &
  Fergus, NIPS 2009) — by FFT when both Gram matrices are circulant, else by
  preconditioned CG warm-started at the current u;
* **prox prior** (elementwise penalties, and later learned denoisers):
  z = u, the z-step is ``prior.prox(u, 1/ρ)`` and the u-step solves
  ``(AᵀA + ρI)u = Aᵀy + ρz``.

With a fixed ρ each step minimizes L_ρ exactly in its block (or, for CG, from
a warm start, which never increases it), so ``L_ρ`` is non-increasing.
``rho_growth > 1`` multiplies ρ after every iteration up to ``rho_max``
(continuation), driving Du − z → 0 so that the u iterates approach a
minimizer of the original objective.

``x_step="gradient"`` replaces the u-step by the single gradient step of
Wang et al., "Stacking Networks Dynamically for Image Restoration Based on
the Plug-and-Play Framework", eq. (6):
``u ← u − δ[Aᵀ(Au − y) + ρDᵀ(Du − z)]``, with δ = 1/(‖A‖² + ρ‖D‖²) by default
so that the step still cannot increase L_ρ (descent lemma).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .._validation import as_image, check_int, check_positive
from ..errors import InvalidArgumentError
from ..linsolve import QuadraticSystem
from ..operators import Identity, LinearOperator
from ..priors.base import Denoiser, DenoiserProx, ExplicitPrior, ProximalPrior
from ..priors.classical import AnalysisPrior
from .proximal_gradient import data_fidelity
from .result import IterationState, SolverResult, relative_change, run

__all__ = ["hqs", "hqs_iter", "split_prior", "Split"]


@dataclass
class Split:
    """The HQS split of a prior: ``z = Du`` with ``z``-step ``prox_{τψ}``.

    Attributes
    ----------
    analysis : LinearOperator
        D (the identity for priors used through their own prox).
    prox : callable
        ``prox(v, tau)`` of ψ, applied to ``v = Du``.
    value : callable or None
        ψ, if the prior has an explicit value.
    shrink_adjoint : callable
        ``shrink_adjoint(u, tau, alpha, base) = base + alpha · Dᵀ prox(Du, tau)``,
        the z-step and the u-step's right-hand side, fused where the prior can.
    """

    analysis: LinearOperator
    prox: Callable
    value: Callable | None
    shrink_adjoint: Callable


def split_prior(prior, shape) -> Split:
    """The HQS split of ``prior`` on images of ``shape``.

    Analysis priors give their D and elementwise penalty ψ; any other
    :class:`~proxdeblur.priors.base.ProximalPrior` gives ``D = I`` and its own prox;
    a :class:`~proxdeblur.priors.base.Denoiser` without one is used as
    ``prox(x, τ) = D(x, √τ)`` (:class:`~proxdeblur.priors.base.DenoiserProx`).
    """
    if isinstance(prior, AnalysisPrior):
        prior = prior.bind(shape)
        return Split(prior.analysis, prior.penalty.prox, prior.penalty.value,
                     prior.shrink_adjoint)
    if not isinstance(prior, ProximalPrior):
        if not isinstance(prior, Denoiser):
            raise InvalidArgumentError("prior", "an analysis prior, an object with prox(x, tau) "
                                       "or a denoiser", type(prior).__name__)
        prior = DenoiserProx(prior)

    def shrink_adjoint(u, tau, alpha, base):
        return base + alpha * prior.prox(u, tau)

    value = prior.value if isinstance(prior, ExplicitPrior) else None
    return Split(Identity(), prior.prox, value, shrink_adjoint)


def hqs_iter(operator: LinearOperator, y, prior, *, rho: float = 1.0, rho_growth: float = 1.0,
             rho_max: float | None = None, max_iter: int = 50, x_step: str = "exact",
             step: float | None = None, x0=None, cg_tol: float = 1e-6,
             cg_max_iter: int = 100, cg_precision: str = "double",
             track_objective: bool = True) -> Iterator[IterationState]:
    """Generator form of :func:`hqs`: yields the state after each iteration."""
    if cg_precision not in ("single", "double"):
        raise InvalidArgumentError("cg_precision", "'single' or 'double'", repr(cg_precision))
    y = as_image(y, "y", min_side=1)
    rho = check_positive(rho, "rho")
    rho_growth = check_positive(rho_growth, "rho_growth")
    if rho_growth < 1:
        raise InvalidArgumentError("rho_growth", "a factor >= 1", rho_growth)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    if rho_max is None:
        rho_max = rho * rho_growth ** max(max_iter - 1, 0)
    rho_max = max(check_positive(rho_max, "rho_max"), rho)
    if x_step not in ("exact", "gradient"):
        raise InvalidArgumentError("x_step", "'exact' or 'gradient'", repr(x_step))
    x = operator.initial_estimate(y) if x0 is None else as_image(x0, "x0", min_side=1).copy()
    x = x.astype(np.float64)
    split = split_prior(prior, x.shape)
    D, penalty_value = split.analysis, split.value
    track = track_objective and penalty_value is not None
    keep_du = track or x_step == "gradient"  # else the fused z-step never forms Du
    aty = operator.adjoint(y)
    lipschitz_a = operator.lipschitz(x.shape) if x_step == "gradient" else None
    step = None if step is None else check_positive(step, "step")

    def objectives(u, du, z, r):
        if not track:
            return None, None
        fidelity = data_fidelity(operator, u, y)
        penalized = fidelity + penalty_value(z) + 0.5 * r * float(np.sum((du - z) ** 2))
        return fidelity + penalty_value(du), penalized

    clock = time.perf_counter()
    du = D.forward(x) if keep_du else None
    objective, _ = objectives(x, du, du, rho)
    elapsed = time.perf_counter() - clock
    yield IterationState(0, x, objective, float("inf"), elapsed, stoppable=False,
                         extra={"rho": rho})
    system, system_rho, grams = None, None, None
    for k in range(1, max_iter + 1):
        clock = time.perf_counter()
        if x_step == "exact":
            if system_rho != rho:  # AᵀAu is carried from one u-step to the next (track)
                system = QuadraticSystem([(1.0, operator), (rho, D)], 0.0, x.shape,
                                         tol=cg_tol, max_iter=cg_max_iter,
                                         single=cg_precision == "single", track=(0,))
                system_rho = rho
            if du is None:  # z is not needed afterwards: never store it
                z, rhs = None, split.shrink_adjoint(x, 1.0 / rho, rho, aty)
            else:
                z = split.prox(du, 1.0 / rho)
                rhs = D.adjoint_axpy(z, rho, aty)
            solution = system.solve(rhs, x0=x, grams0=grams)
            x_new, grams = solution.x, solution.grams or None
            del solution
        else:
            z = split.prox(du, 1.0 / rho)
            delta = step if step is not None else 1.0 / (lipschitz_a + rho * D.lipschitz(x.shape))
            gradient = operator.adjoint(operator.forward(x)) - aty + rho * D.adjoint(du - z)
            x_new = x - delta * gradient
        du = D.forward(x_new) if keep_du else None
        objective, penalized = objectives(x_new, du, z, rho)
        change = relative_change(x_new, x)
        x = x_new
        extra = {"rho": rho}
        if penalized is not None:
            extra["penalized"] = penalized
        stoppable = rho >= rho_max
        rho = min(rho * rho_growth, rho_max) if rho_growth > 1 else rho
        elapsed += time.perf_counter() - clock
        yield IterationState(k, x, objective, change, elapsed, stoppable=stoppable, extra=extra)


def hqs(operator: LinearOperator, y, prior, rho: float = 1.0, rho_growth: float = 1.0,
        max_iter: int = 50, tol: float = 1e-5,
        callback: Callable[[IterationState], object] | None = None, reference=None, *,
        rho_max: float | None = None, x_step: str = "exact", step: float | None = None,
        x0=None, cg_tol: float = 1e-6, cg_max_iter: int = 100, cg_precision: str = "double",
        track_objective: bool = True, progress: bool = False) -> SolverResult:
    """Minimize ``½‖Au − y‖² + φ(u)`` by half-quadratic splitting.

    Parameters
    ----------
    operator : LinearOperator
        The forward operator A.
    y : ndarray
        The observation.
    prior : Prior
        An analysis prior (split z = Du, exact shrinkage) or any prior with
        ``prox(x, tau)`` (split z = u).
    rho : float
        Initial penalty ρ of the split.
    rho_growth : float
        Factor (≥ 1) applied to ρ after every iteration, up to ``rho_max``.
    max_iter : int
        Number of iterations (each one z-step and one u-step).
    tol : float
        Stop when the relative change of u falls below ``tol`` once ρ has
        reached ``rho_max``.
    callback : callable, optional
        ``callback(state)``; return True to stop.
    reference : ndarray, optional
        Ground truth for a ``"psnr"`` history (centre window for ``"valid"`` blur).
    rho_max : float, optional
        Cap of the continuation (default: the value reached after ``max_iter``).
    x_step : {"exact", "gradient"}
        Exact u-step, or one gradient step (Wang et al., eq. 6).
    step : float, optional
        δ of the gradient u-step.
    x0 : ndarray, optional
        Starting point (default ``operator.initial_estimate(y)``).
    cg_tol, cg_max_iter : float, int
        Conjugate-gradient settings when the u-step is not closed-form.
    cg_precision : str
        ``"double"``, or ``"single"``: the conjugate gradients in float32, about twice
        as fast on large images (:mod:`proxdeblur.linsolve`).
    track_objective : bool
        Record ``"objective"`` and ``"penalized"`` (costs a forward blur and two
        penalty evaluations per iteration); False for the fastest iterations.
    progress : bool
        Show a progress bar.

    Returns
    -------
    SolverResult
        ``history`` has ``"objective"`` (``½‖Au−y‖² + φ(u)``), ``"penalized"``
        (L_ρ at the new (u, z)), ``"rho"``, ``"step_norm"`` and ``"seconds"``.
    """
    states = hqs_iter(operator, y, prior, rho=rho, rho_growth=rho_growth, rho_max=rho_max,
                      max_iter=max_iter, x_step=x_step, step=step, x0=x0, cg_tol=cg_tol,
                      cg_max_iter=cg_max_iter, cg_precision=cg_precision,
                      track_objective=track_objective)
    return run(states, tol=tol, callback=callback, reference=reference, progress=progress,
               description="HQS", total=max_iter)
