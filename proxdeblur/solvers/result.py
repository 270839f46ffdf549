"""What every solver returns, and the loop that drives a solver's generator.

Each solver ``foo`` has a generator form ``foo_iter`` that yields an
:class:`IterationState` per iteration (the starting point first), and a
function form that runs the generator through :func:`run`, which records the
history, calls the user's callback, applies the stopping rule and returns a
:class:`SolverResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numba
import numpy as np
from tqdm.auto import tqdm

from ..metrics import psnr

__all__ = ["IterationState", "SolverResult", "run", "centre_crop"]


@dataclass
class IterationState:
    """The state after ``iteration`` iterations of a solver.

    Attributes
    ----------
    iteration : int
        0 for the starting point, then 1, 2, …
    x : ndarray
        The current estimate (do not modify it in place).
    objective : float or None
        The solver's objective at ``x`` where it has one.
    step_norm : float
        Relative change ``‖xₖ − xₖ₋₁‖ / max(‖xₖ₋₁‖, 1e-12)`` (``inf`` at iteration 0).
    seconds : float
        Solver time since the start, excluding callbacks and metrics.
    stoppable : bool
        Whether the stopping rule may end the run here (False, e.g., while a
        penalty parameter is still growing).
    extra : dict
        Solver-specific scalars recorded in the history (e.g. ``"rho"``).
    arrays : dict
        Solver-specific arrays of this state besides ``x`` (e.g. dynamic stacking's
        ``"kernel"``); the result keeps the last state's.
    """

    iteration: int
    x: np.ndarray
    objective: float | None
    step_norm: float
    seconds: float
    stoppable: bool = True
    extra: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)


@dataclass
class SolverResult:
    """The outcome of a solver run.

    Attributes
    ----------
    x : ndarray
        The final estimate.
    history : dict of str to 1-D ndarray
        One entry per state, entry ``k`` after ``k`` iterations (entry 0 is the
        starting point): always ``"seconds"`` and ``"step_norm"``, ``"objective"``
        where the solver has one, ``"psnr"`` when a reference was given, plus
        solver-specific series.
    iterations : int
        Iterations performed.
    converged : bool
        True if the stopping rule (``step_norm < tol``) ended the run.
    arrays : dict of str to ndarray
        The last state's solver-specific arrays (:attr:`IterationState.arrays`).
    """

    x: np.ndarray
    history: dict[str, np.ndarray]
    iterations: int
    converged: bool
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@numba.njit(cache=True, parallel=True)
def _squared_distance_and_norm(new, old):
    distance = 0.0
    norm = 0.0
    for i in numba.prange(new.size):
        d = new[i] - old[i]
        distance += d * d
        norm += old[i] * old[i]
    return distance, norm


def relative_change(new: np.ndarray, old: np.ndarray) -> float:
    """``‖new − old‖ / max(‖old‖, 1e-12)``.

    Real arrays go through one compiled pass with no temporary: a BLAS norm
    here, between the numba and FFT thread pools of every solver iteration,
    cost more than the rest of the bookkeeping.
    """
    new, old = np.asarray(new), np.asarray(old)
    if np.iscomplexobj(new) or np.iscomplexobj(old) or new.shape != old.shape:
        return float(np.linalg.norm(new - old) / max(np.linalg.norm(old), 1e-12))
    distance, norm = _squared_distance_and_norm(
        np.ascontiguousarray(new, dtype=np.float64).reshape(-1),
        np.ascontiguousarray(old, dtype=np.float64).reshape(-1))
    return float(np.sqrt(distance) / max(np.sqrt(norm), 1e-12))


def centre_crop(x: np.ndarray, shape) -> np.ndarray:
    """The centred ``shape[:2]`` window of ``x`` (e.g. the observed part of a
    ``"valid"`` latent image)."""
    dh = (x.shape[0] - shape[0]) // 2
    dw = (x.shape[1] - shape[1]) // 2
    if dh < 0 or dw < 0:
        raise ValueError(f"cannot crop {x.shape} to {tuple(shape)}")
    return x[dh : dh + shape[0], dw : dw + shape[1]]


def run(states: Iterator[IterationState], *, tol: float = 0.0,
        callback: Callable[[IterationState], object] | None = None,
        reference: np.ndarray | None = None, progress: bool = False,
        description: str = "iterations", total: int | None = None) -> SolverResult:
    """Drive a solver generator to the end and collect its history.

    Parameters
    ----------
    states : iterator of IterationState
        A solver's ``*_iter`` generator.
    tol : float
        Stop when ``state.step_norm < tol`` at a stoppable state (0: never).
    callback : callable, optional
        Called with each state; a truthy return value stops the run.
    reference : ndarray, optional
        Ground truth; records ``"psnr"`` (peak 1). A reference smaller than
        the estimate (a ``"valid"`` model's latent image) is compared with the
        estimate's centred window of its size.
    progress : bool
        Show a tqdm progress bar.
    """
    history: dict[str, list] = {}
    state = None
    converged = False
    bar = tqdm(total=total, desc=description, disable=not progress, leave=False)
    try:
        for state in states:
            record = {"seconds": state.seconds, "step_norm": state.step_norm}
            if state.objective is not None:
                record["objective"] = state.objective
            record.update(state.extra)
            if reference is not None:
                record["psnr"] = psnr(centre_crop(state.x, reference.shape), reference)
            for key, value in record.items():
                history.setdefault(key, []).append(value)
            if state.iteration > 0:
                bar.update(1)
            if callback is not None and callback(state):
                break
            if state.iteration > 0 and state.stoppable and state.step_norm < tol:
                converged = True
                break
    finally:
        bar.close()
        if hasattr(states, "close"):
            states.close()
    if state is None:
        raise RuntimeError("the solver yielded no state")
    arrays = {key: np.asarray(values, dtype=float) for key, values in history.items()}
    return SolverResult(x=state.x, history=arrays, iterations=state.iteration,
                        converged=converged, arrays=dict(state.arrays))
