"""The Generator–Corrector iteration (GCM) of Liu, He, Cheng, Fan, Luo, "Learning
Collaborative Generation Correction Modules for Blind Image Deblurring and
Beyond", ACM MM 2018, Algorithm 1, for

.. math:: \\Psi(u) = f(u) + \\varphi(u), \\qquad f(u) = \\tfrac12\\|Au - y\\|^2.

Each stage ``t``:

1. warm start (eq. 4) ``u₀ = argmin_u f(u) + γ‖u − uᵗ‖²``, i.e.
   ``(AᵀA + 2γI) u₀ = Aᵀy + 2γuᵗ`` through the operator's ``solve_normal``;
2. generator ``ũ = Nᵗ(u₀)`` — any callable on images (a restorer
   :class:`~proxdeblur.priors.learned.LearnedPrior`, a function), one shared or
   one per stage;
3. corrector check: ``v = ũ`` if ``Ψ(ũ) ≤ Ψ(uᵗ)`` else ``v = uᵗ``;
4. proximal step (eq. 5) ``uᵗ⁺¹ = prox_{μφ}(v − μ∇f(v))`` with ``μ < 1/L``,
   ``L = ‖A‖²``.

Theorem 2 of the paper (its appendix) follows from step 3 and the descent
lemma: ``Ψ(uᵗ⁺¹) ≤ Ψ(vᵗ⁺¹) − (1/(2μ) − L/2)‖uᵗ⁺¹ − vᵗ⁺¹‖² ≤ Ψ(uᵗ)`` for *any*
generator — provided the prox is exact. Hence ``prior`` must be an elementwise
penalty with an exact prox (:class:`~proxdeblur.priors.L1`, ``L0``, ``Lp``: the
paper's ℓp, p = 0.8, on the gradient images in blind deblurring); analysis
priors, whose prox is iterative, are refused.

Our f carries a ½ (the paper writes ``‖u ⊗ k − y‖²`` in section 4.1); with it,
``L = ‖A‖²`` and the warm start's system is ``AᵀA + 2γI``. ``check=False``
drops step 3 (``v = ũ`` always), ``generator=None`` gives ``v = uᵗ``
(plain proximal gradient, the paper's "Corrector" variant) and
``corrector=False`` keeps the generator alone (``uᵗ⁺¹ = ũ``, the paper's
"Generator" variant); they exist to show what the guarantee needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .._validation import as_image, check_int, check_positive
from ..errors import InvalidArgumentError
from ..operators import LinearOperator
from ..priors.base import as_restorer_function
from ..priors.classical import ElementwisePenalty
from .result import IterationState, SolverResult, relative_change, run

__all__ = ["gcm", "gcm_iter"]


def _generator_at(generator, stage: int) -> Callable | None:
    if generator is None:
        return None
    if isinstance(generator, Sequence) and not isinstance(generator, (str, bytes)):
        if len(generator) == 0:
            raise InvalidArgumentError("generator", "a callable or a non-empty sequence", "[]")
        return as_restorer_function(generator[min(stage, len(generator) - 1)])
    return as_restorer_function(generator)


def gcm_iter(operator: LinearOperator, y, prior, generator=None, *, gamma: float = 1.0,
             step: float | None = None, max_iter: int = 50, x0=None, check: bool = True,
             corrector: bool = True, cg_tol: float = 1e-8,
             cg_max_iter: int = 200) -> Iterator[IterationState]:
    """Generator form of :func:`gcm`: yields the state after each stage."""
    if not isinstance(prior, ElementwisePenalty):
        raise InvalidArgumentError(
            "prior", "an elementwise penalty with an exact prox (L1, L0, Lp): GCM's guarantee "
            "needs an exact proximal step", type(prior).__name__)
    y = as_image(y, "y", min_side=1)
    gamma = check_positive(gamma, "gamma")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    if not corrector and generator is None:
        raise InvalidArgumentError("generator", "a generator when corrector=False", None)
    u = operator.initial_estimate(y) if x0 is None else as_image(x0, "x0", min_side=1).copy()
    u = u.astype(np.float64)
    lipschitz = operator.lipschitz(u.shape)
    mu = 0.99 / lipschitz if step is None else check_positive(step, "step")
    aty = operator.adjoint(y)

    def objective(x):
        """Ψ(x) and Ax (kept: the proximal step's gradient at v reuses it)."""
        ax = operator.forward(x)
        residual = ax - y
        return 0.5 * float(np.vdot(residual, residual)) + prior.value(x), ax

    clock = time.perf_counter()
    psi_u, au = objective(u)
    elapsed = time.perf_counter() - clock
    yield IterationState(0, u, psi_u, float("inf"), elapsed,
                         extra={"objective_v": psi_u, "accepted": np.nan, "step": mu,
                                "distance_uv": np.nan, "decrease_bound": np.nan})
    for t in range(max_iter):
        clock = time.perf_counter()
        network = _generator_at(generator, t)
        accepted = np.nan
        if network is None:
            v, psi_v, av = u, psi_u, au
        else:
            warm = operator.solve_normal(aty + 2.0 * gamma * u, 2.0 * gamma, x0=u, tol=cg_tol,
                                         max_iter=cg_max_iter)
            proposal = np.asarray(network(warm), dtype=np.float64)
            if proposal.shape != u.shape:
                raise InvalidArgumentError("generator", f"an output of shape {u.shape}",
                                           proposal.shape)
            psi_proposal, a_proposal = objective(proposal)
            if not corrector:  # the paper's "Generator" variant: uᵗ⁺¹ = ũ
                gap = float(np.sum((proposal - u) ** 2))
                change = relative_change(proposal, u)
                u, psi_u, au = proposal, psi_proposal, a_proposal
                elapsed += time.perf_counter() - clock
                yield IterationState(t + 1, u, psi_u, change, elapsed, extra={
                    "objective_v": psi_u, "accepted": 1.0, "step": mu,
                    "distance_uv": 0.0, "decrease_bound": np.nan})
                continue
            accepted = float(psi_proposal <= psi_u or not check)
            v, psi_v, av = (proposal, psi_proposal, a_proposal) if accepted else (u, psi_u, au)
        gradient = operator.adjoint(av) - aty
        u_new = prior.prox(v - mu * gradient, mu)
        psi_new, a_new = objective(u_new)
        gap = float(np.sum((u_new - v) ** 2))
        change = relative_change(u_new, u)
        u, psi_u, au = u_new, psi_new, a_new
        elapsed += time.perf_counter() - clock
        yield IterationState(t + 1, u, psi_u, change, elapsed, extra={
            "objective_v": psi_v, "accepted": accepted, "step": mu,
            "distance_uv": float(np.sqrt(gap)),
            # Theorem 2: Ψ(uᵗ⁺¹) ≤ Ψ(vᵗ⁺¹) − (1/(2μ) − L/2)‖uᵗ⁺¹ − vᵗ⁺¹‖²
            "decrease_bound": psi_v - (0.5 / mu - 0.5 * lipschitz) * gap})


def gcm(operator: LinearOperator, y, prior, generator=None, gamma: float = 1.0,
        step: float | None = None, max_iter: int = 50, tol: float = 0.0,
        callback: Callable[[IterationState], object] | None = None, reference=None, *,
        x0=None, check: bool = True, corrector: bool = True,
        progress: bool = False) -> SolverResult:
    """Minimize ``Ψ(u) = ½‖Au − y‖² + φ(u)`` by the GCM iteration (module docstring).

    Parameters
    ----------
    operator : LinearOperator
        A (its ``solve_normal`` gives the warm start).
    y : ndarray
        Observation.
    prior : ElementwisePenalty
        φ with an exact prox: ``L1``, ``L0`` or ``Lp`` (default in the paper:
        ``Lp(lam, p=0.8)``).
    generator : callable, LearnedPrior, sequence of them, or None
        ``Nᵗ``: maps the warm start to a proposal of the same shape. A
        sequence gives one per stage (the last is reused). ``None``: no
        generator (plain proximal gradient).
    gamma : float
        Weight γ of the warm start's proximity term ``γ‖u − uᵗ‖²``.
    step : float, optional
        μ; default ``0.99 / L``. Theorem 2 needs ``μ < 1/L``.
    max_iter, tol, callback, reference, progress
        As in :func:`~proxdeblur.solvers.proximal_gradient`.
    x0 : ndarray, optional
        ``u⁰`` (default: ``operator.initial_estimate(y)``, i.e. ``y`` for a
        square operator, as in Algorithm 1).
    check : bool
        The corrector's monotone check (step 3). ``False`` voids Theorem 2.
    corrector : bool
        ``False`` drops steps 3–4 altogether: ``uᵗ⁺¹ = ũ`` (the paper's
        "Generator" variant of Fig. 3, a naive cascade of generators; no
        guarantee). Needs a generator.

    Returns
    -------
    SolverResult
        ``history``: ``"objective"`` Ψ(uᵗ), ``"objective_v"`` Ψ(vᵗ),
        ``"accepted"`` (1 when the generator's proposal was kept, NaN at
        t = 0 or without a generator), ``"distance_uv"`` ‖uᵗ − vᵗ‖,
        ``"decrease_bound"`` (the right-hand side of Theorem 2's sufficient
        decrease), ``"step"``, ``"seconds"`` and ``"psnr"`` with a reference.
    """
    states = gcm_iter(operator, y, prior, generator, gamma=gamma, step=step, max_iter=max_iter,
                      x0=x0, check=check, corrector=corrector)
    return run(states, tol=tol, callback=callback, reference=reference, progress=progress,
               description="GCM", total=max_iter)
