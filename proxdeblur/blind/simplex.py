"""Quadratics over the probability simplex: the kernel step's small problem.

``min_{k∈Δ} ½kᵀHk − bᵀk`` with ``H`` Toeplitz-structured (the autocorrelation of
the latent gradients over the support's offsets), applied as a matrix for small
supports and by FFT for large ones; solved by accelerated projected gradient
with the exact projection onto ``Δ = {k ≥ 0, Σk = 1}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft

from .._fft import fast_len
from ..kernels import project_simplex

__all__ = ["KernelStepResult", "toeplitz_quadratic", "simplex_quadratic", "DENSE_HESSIAN_MAX"]

#: Kernel supports (pixels) up to which the n×n Hessian is formed; larger ones apply
#: it by FFT (the matrix of a 99×99 support has 96 M entries).
DENSE_HESSIAN_MAX = 1024


@dataclass
class KernelStepResult:
    """The kernel, its objective at the start and after each iteration, the iterations run."""

    kernel: np.ndarray
    objective: np.ndarray
    iterations: int


def toeplitz_quadratic(autocorrelation: np.ndarray, crosscorrelation: np.ndarray, ksize,
                       weight: float, dense: bool | None = None) -> tuple[Callable, np.ndarray]:
    """The Hessian product ``k ↦ (M + weight·I) k`` and the linear term ``b`` of the
    kernel objective ``½kᵀ(M + weight·I)k − bᵀk`` (``k`` flattened).

    ``M[i, j] = A(o_i − o_j)`` for the autocorrelation ``A`` and the support
    offsets ``o``, so ``M k`` is the convolution of ``k`` with ``A`` restricted
    to offsets within ±(support − 1) — computed by FFT when the support has more
    than ``DENSE_HESSIAN_MAX`` pixels (or ``dense=False``), by the matrix otherwise.
    """
    kh, kw = ksize
    shape = autocorrelation.shape
    oy, ox = np.meshgrid(np.arange(kh) - kh // 2, np.arange(kw) - kw // 2, indexing="ij")
    linear = crosscorrelation[oy.ravel() % shape[0], ox.ravel() % shape[1]]
    if dense is None:
        dense = kh * kw <= DENSE_HESSIAN_MAX
    if dense:
        oy, ox = oy.ravel(), ox.ravel()
        hessian = autocorrelation[(oy[:, None] - oy[None, :]) % shape[0],
                                  (ox[:, None] - ox[None, :]) % shape[1]]
        hessian = hessian + weight * np.eye(kh * kw)
        return hessian.__matmul__, linear
    window = autocorrelation[np.ix_(np.arange(-(kh - 1), kh) % shape[0],
                                    np.arange(-(kw - 1), kw) % shape[1])]
    fshape = (fast_len(3 * kh - 2), fast_len(3 * kw - 2))
    window_spectrum = sfft.rfft2(window, s=fshape)

    def product(k: np.ndarray) -> np.ndarray:
        full = sfft.irfft2(window_spectrum * sfft.rfft2(k.reshape(kh, kw), s=fshape), s=fshape)
        return full[kh - 1: 2 * kh - 1, kw - 1: 2 * kw - 1].ravel() + weight * k

    return product, linear


def simplex_quadratic(hessian: Callable, linear: np.ndarray, k: np.ndarray, step: float,
                      max_iter: int, tol: float) -> tuple[np.ndarray, list]:
    """``min_{k∈Δ} ½kᵀHk − bᵀk`` from ``k`` (on Δ) by accelerated projected gradient
    (FISTA with step ``step`` ≤ 1/‖H‖) with a monotone safeguard: when the
    accelerated candidate would raise the objective, a plain projected-gradient
    step is taken and the momentum reset. Stops after ``max_iter`` or when the
    relative change of ``k`` is below ``tol``; returns ``k`` and the objective at
    the start and after every iteration (never increasing). ``H`` is applied once
    per iteration: H·(extrapolated point) comes from the last two products."""
    hk = hessian(k)
    value = 0.5 * k @ hk - linear @ k
    values = [value]
    previous, h_previous = k, hk
    t = 1.0
    for _ in range(max_iter):
        t_next = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        beta = (t - 1) / t_next
        extrapolated = k + beta * (k - previous)
        h_extrapolated = hk + beta * (hk - h_previous)
        candidate = project_simplex(extrapolated - step * (h_extrapolated - linear))
        h_candidate = hessian(candidate)
        candidate_value = 0.5 * candidate @ h_candidate - linear @ candidate
        if candidate_value > value:  # monotone safeguard: a plain projected-gradient step
            candidate = project_simplex(k - step * (hk - linear))
            h_candidate = hessian(candidate)
            candidate_value = 0.5 * candidate @ h_candidate - linear @ candidate
            t_next = 1.0
        change = np.linalg.norm(candidate - k) / max(np.linalg.norm(k), 1e-300)
        previous, h_previous = k, hk
        k, hk, t = candidate, h_candidate, t_next
        if candidate_value <= value:
            value = candidate_value
        values.append(value)
        if change < tol:
            break
    return k, values
