"""Solve the quadratic sub-problems of the splitting solvers.

:func:`solve_quadratic` solves

.. math:: \\Big(\\sum_i w_i A_i^\\top A_i + \\rho I\\Big) x = b

for operators from :mod:`proxdeblur.operators`:

* in closed form by one FFT pair when every ``AᵢᵀAᵢ`` is circulant on the
  grid of ``b`` (circular blur, circular finite differences, identity);
* pixelwise when every ``AᵢᵀAᵢ`` is diagonal (mask, identity);
* otherwise by conjugate gradients preconditioned with the circulant
  approximation ``Σ wᵢ |Âᵢ|² + ρ`` (for a ``"valid"`` blur ``|K̂|²``), evaluated
  on an FFT-friendly grid. The preconditioner is symmetric positive definite,
  so PCG keeps its guarantees: each iterate lowers the quadratic's energy and
  a warm start ``x0`` is never made worse.

``single=True`` runs PCG in float32 (transforms in complex64, inner products
accumulated in float64): about twice as fast on large images, to a relative
accuracy near 1e-6, which the stopping tolerances of the solvers do not ask to beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ._fft import broadcast as _broadcast
from ._fft import fast_len, irfft2, rfft2

if TYPE_CHECKING:  # operators import this module; the solver only calls their methods
    from .operators import LinearOperator

__all__ = ["QuadraticSolution", "QuadraticSystem", "solve_quadratic"]


@dataclass
class QuadraticSolution:
    """Result of :func:`solve_quadratic`.

    Attributes
    ----------
    x : ndarray
        The solution.
    iterations : int
        CG iterations (0 for a closed-form solve).
    residual : float
        Relative residual ``‖b − Mx‖ / ‖b‖`` (0 for a closed-form solve).
    method : str
        ``"fourier"``, ``"diagonal"`` or ``"pcg"``.
    grams : dict
        ``{i: AᵢᵀAᵢ x}`` (unweighted) at the solution for the terms the system
        tracks (PCG only; see :class:`QuadraticSystem`).
    """

    x: np.ndarray
    iterations: int
    residual: float
    method: str
    grams: dict = field(default_factory=dict)


def _fourier_denominator(terms, rho, shape, exact: bool):
    total = None
    for weight, op in terms:
        gram = op.fourier_gram(shape) if exact else op.fourier_gram_approx(shape)
        if gram is None:
            if exact:
                return None
            gram = np.full((shape[0], shape[1] // 2 + 1), op.lipschitz(shape))
        total = weight * gram if total is None else total + weight * gram
    total = total + rho
    return total


class QuadraticSystem:
    """The system ``(Σ wᵢ AᵢᵀAᵢ + ρI) x = b`` on images of one shape, ready to solve.

    Building it picks the method (Fourier, diagonal or PCG) and computes the
    Fourier denominator or the preconditioner once; :meth:`solve` then costs
    one FFT pair (Fourier), one division (diagonal) or a few PCG iterations.

    Parameters
    ----------
    terms : list of (weight, operator)
        Non-negative weights and operators.
    rho : float
        Multiple of the identity (≥ 0); the system must be positive definite.
    shape : tuple
        Shape of the unknown, ``(H, W)`` or ``(H, W, C)``.
    tol : float
        Relative residual at which CG stops.
    max_iter : int
        Maximum CG iterations.
    single : bool
        Run PCG in float32 (module docstring); the solution is returned in float64.
    track : tuple of int
        Terms whose unweighted ``AᵢᵀAᵢx`` PCG keeps up to date as ``x`` moves (one
        axpy per step) and returns in ``QuadraticSolution.grams``. A sequence of
        systems that differ in their weights and right-hand side — HQS's u-steps —
        passes them back as ``solve(..., grams0=...)``, and the warm start's residual
        ``b − Mx₀`` then needs no application of those terms: for the "valid" blur
        that saves four of the FFTs of each u-step.
    """

    def __init__(self, terms: list[tuple[float, LinearOperator]], rho: float, shape,
                 tol: float = 1e-8, max_iter: int = 500, single: bool = False,
                 track: tuple[int, ...] = ()):
        self.single = bool(single)
        self.track = tuple(track)
        self.terms = list(terms)
        self.rho = float(rho)
        self.shape = tuple(shape)
        self.tol = tol
        self.max_iter = max_iter
        spatial = self.shape[:2]
        ndim = len(self.shape)
        denominator = _fourier_denominator(self.terms, self.rho, spatial, exact=True)
        if denominator is not None:
            self.method = "fourier"
            self._inverse = _broadcast(1.0 / denominator, ndim)
            return
        diagonals = [op.diagonal_gram(self.shape) for _, op in self.terms]
        if all(d is not None for d in diagonals):
            self.method = "diagonal"
            self._inverse = 1.0 / (self.rho + sum(
                w * d for (w, _), d in zip(self.terms, diagonals, strict=True)))
            return
        self.method = "pcg"
        self._grid = (fast_len(spatial[0]), fast_len(spatial[1]))
        approx = _fourier_denominator(self.terms, self.rho, self._grid, exact=False)
        approx = np.maximum(approx, 1e-10 * approx.max())
        self._inverse = _broadcast(1.0 / approx, ndim)
        if self.single:
            self._inverse = self._inverse.astype(np.float32)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``(Σ wᵢ AᵢᵀAᵢ + ρI) x``."""
        return self._apply_tracked(x)[0]

    def _precondition(self, r: np.ndarray) -> np.ndarray:
        spatial = self.shape[:2]
        spectrum = rfft2(r, self._grid)
        spectrum *= self._inverse
        return irfft2(spectrum, self._grid, overwrite=True)[: spatial[0], : spatial[1]]

    def _apply_tracked(self, x: np.ndarray, known: dict | None = None):
        """``(Mx, {i: AᵢᵀAᵢx for the tracked terms})``, the terms in ``known`` (their
        grams at ``x``) not applied again."""
        out = self.rho * x if self.rho else None
        grams = {}
        for i, (weight, op) in enumerate(self.terms):
            gram = known[i] if known is not None and i in known else op.gram(x)
            gram = gram.astype(x.dtype, copy=False)
            if i in self.track:
                grams[i] = gram
            out = weight * gram if out is None else out + weight * gram
        return (np.zeros_like(x) if out is None else out), grams

    def solve(self, rhs: np.ndarray, x0: np.ndarray | None = None,
              grams0: dict | None = None) -> QuadraticSolution:
        """Solve for ``rhs`` (warm-starting CG from ``x0`` when iterative; ``grams0``:
        the tracked terms' ``AᵢᵀAᵢx₀``, e.g. the previous solution's ``grams``, which
        this solve then updates in place)."""
        rhs = np.asarray(rhs, dtype=np.float64)
        if self.method == "fourier":
            spectrum = rfft2(rhs)
            spectrum *= self._inverse
            x = irfft2(spectrum, rhs.shape)
            return QuadraticSolution(x, 0, 0.0, "fourier")
        if self.method == "diagonal":
            return QuadraticSolution(rhs * self._inverse, 0, 0.0, "diagonal")
        return self._pcg(rhs, x0, grams0)

    def _pcg(self, rhs: np.ndarray, x0: np.ndarray | None, grams0: dict | None) -> QuadraticSolution:
        """Preconditioned CG, run independently per channel (inner products over
        the two spatial axes), so a colour image gives exactly its channels' results."""
        dtype = np.float32 if self.single else np.float64
        rhs = rhs.astype(dtype, copy=False)
        norm_b = np.sqrt(_dot(rhs, rhs))
        safe_b = np.where(norm_b > 0, norm_b, 1.0)
        if x0 is None:
            x = np.zeros_like(rhs)
            r = rhs.copy()
            grams = {i: np.zeros_like(rhs) for i in self.track}
        else:
            x = np.array(x0, dtype=dtype)
            applied, grams = self._apply_tracked(x, grams0)
            r = rhs - applied
            del applied
        residual = float(np.max(np.sqrt(_dot(r, r)) / safe_b))
        iterations = 0
        if residual <= self.tol:
            return QuadraticSolution(x.astype(np.float64, copy=False), 0, residual, "pcg", grams)
        z = self._precondition(r)
        p = z.copy()
        rz = _dot(r, z)
        for iterations in range(1, self.max_iter + 1):  # noqa: B007 - the count is returned
            q, step_grams = self._apply_tracked(p)
            pq = _dot(p, q)
            alpha = np.divide(rz, pq, out=np.zeros_like(rz), where=pq > 0).astype(dtype)
            x += alpha * p
            r -= alpha * q
            for i, gram in step_grams.items():
                grams[i] += alpha * gram
            del step_grams
            residual = float(np.max(np.sqrt(_dot(r, r)) / safe_b))
            if residual <= self.tol or iterations == self.max_iter:
                break
            z = self._precondition(r)
            rz_new = _dot(r, z)
            beta = np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0).astype(dtype)
            p = z + beta * p
            rz = rz_new
        return QuadraticSolution(x.astype(np.float64, copy=False), iterations, residual, "pcg",
                                 grams)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Inner products over the spatial axes: a scalar, or one per channel (float64)."""
    if a.dtype == np.float32 and a.ndim == 2 and a.flags.c_contiguous and b.flags.c_contiguous:
        # row sums in float32 (short: accurate), their total in float64
        return np.asarray(np.einsum("ij,ij->i", a, b).sum(dtype=np.float64))
    return np.einsum("ij...,ij...->...", a, b)


def solve_quadratic(rhs: np.ndarray, terms: list[tuple[float, LinearOperator]], rho: float = 0.0,
                    x0: np.ndarray | None = None, tol: float = 1e-8,
                    max_iter: int = 500) -> QuadraticSolution:
    """Solve ``(Σ wᵢ AᵢᵀAᵢ + ρI) x = rhs`` once (see :class:`QuadraticSystem`)."""
    rhs = np.asarray(rhs, dtype=np.float64)
    return QuadraticSystem(terms, rho, rhs.shape, tol=tol, max_iter=max_iter).solve(rhs, x0)
