"""The Golf optimizer: an aggressive first shot, then a learned prior gradient, recurrently.

"A Deep Optimization Approach for Image Deconvolution" (the Golf optimizer, seed 001,
sections 3–4): a restorer N1 takes the blurred image close to the optimum in one step,
``x₁ = N1(y)``; a residual network N2 then corrects it recurrently,
``x_{t+1} = N2(x_t) = x_t + R(x_t)``, where the residual branch R is the learned descent
direction −∇φ of the prior (eq. 11). N2 is trained through its T-fold composition (eq. 4)
and N1 with N2 fixed so that N1's outputs are where N2 learned to correct (eq. 6) —
:mod:`proxdeblur.training.golf`. :class:`GolfRestorer` is the pair as one restorer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from .._validation import as_image, check_int
from ..errors import InvalidArgumentError
from ..priors.base import PriorGradient, Restorer
from .result import IterationState, SolverResult, relative_change, run

__all__ = ["golf", "golf_iter", "GolfRestorer", "STEPS"]

#: Corrections after N1 by default: the paper tests with 3 ("converges after 2–4 steps").
STEPS = 3


def _corrector(n2) -> Callable[[np.ndarray], np.ndarray]:
    """``x ↦ x + R(x)`` from N2 as a prior gradient (``gradient(x) = R(x)``) or as the
    whole residual network (``restore(x) = x + R(x)``)."""
    if isinstance(n2, PriorGradient):
        return lambda x: x + np.asarray(n2.gradient(x))
    if isinstance(n2, Restorer):
        return lambda x: np.asarray(n2.restore(x))
    raise InvalidArgumentError("n2", "a prior gradient (gradient(x)) or a restorer (restore(x))",
                               type(n2).__name__)


def golf_iter(image, n1, n2, *, steps: int = STEPS) -> Iterator[IterationState]:
    """Generator form of :func:`golf`: the state after N1 (iteration 0), then after each
    of N2's ``steps`` corrections."""
    y = as_image(image, "image", min_side=8)
    if not isinstance(n1, Restorer):
        raise InvalidArgumentError("n1", "a restorer (restore(x))", type(n1).__name__)
    correct = _corrector(n2)
    steps = check_int(steps, "steps", minimum=0)
    clock = time.perf_counter()
    x = np.asarray(n1.restore(y))
    elapsed = time.perf_counter() - clock
    yield IterationState(0, x, None, float("inf"), elapsed)
    for t in range(1, steps + 1):
        clock = time.perf_counter()
        x_new = correct(x)
        change = relative_change(x_new, x)
        x = x_new
        elapsed += time.perf_counter() - clock
        yield IterationState(t, x, None, change, elapsed)


def golf(image, n1, n2, steps: int = STEPS, tol: float | None = None,
         callback: Callable[[IterationState], object] | None = None, reference=None,
         progress: bool = False) -> SolverResult:
    """Restore ``image`` by the Golf optimizer (module docstring).

    Parameters
    ----------
    image : ndarray
        The blurred image, ``(H, W)`` or ``(H, W, C)`` on [0, 1].
    n1 : Restorer
        The first shot, ``x₁ = N1(y)``.
    n2 : PriorGradient or Restorer
        The corrector: its ``gradient(x)`` is R(x) (the learned −∇φ), or its
        ``restore(x)`` is the whole step ``x + R(x)``.
    steps : int
        Corrections after N1 (the paper's T; it reports convergence in 2–4).
    tol : float, optional
        Stop earlier once a correction changes x by less than ``tol`` relatively
        (``‖x_{t+1} − x_t‖ / ‖x_t‖``, the ``step_norm`` of every solver here).
    callback, reference, progress
        As for every solver (:func:`~proxdeblur.solvers.result.run`).

    Returns
    -------
    SolverResult
        ``x`` the last estimate; the history has one entry for N1 and one per correction.
    """
    if tol is not None and not (np.isfinite(tol) and tol >= 0):
        raise InvalidArgumentError("tol", "a finite number >= 0 (or None)", tol)
    return run(golf_iter(image, n1, n2, steps=steps), tol=tol or 0.0, callback=callback,
               reference=reference, progress=progress, description="Golf", total=steps + 1)


class GolfRestorer:
    """The whole Golf optimizer as one :class:`~proxdeblur.priors.base.Restorer`:
    ``restore(y) = N2^steps(N1(y))`` (what ``proxdeblur restore --model golf`` runs)."""

    def __init__(self, n1, n2, steps: int = STEPS):
        if not isinstance(n1, Restorer):
            raise InvalidArgumentError("n1", "a restorer (restore(x))", type(n1).__name__)
        _corrector(n2)
        self.n1, self.n2 = n1, n2
        self.steps = check_int(steps, "steps", minimum=0)

    def __repr__(self) -> str:
        return f"GolfRestorer(n1={self.n1!r}, n2={self.n2!r}, steps={self.steps})"

    def restore(self, x: np.ndarray) -> np.ndarray:
        return golf(x, self.n1, self.n2, steps=self.steps).x
