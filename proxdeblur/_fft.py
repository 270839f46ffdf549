"""Shared FFT helpers: real 2-D transforms over the spatial axes, fast lengths, threads.

One place for what the operators, the quadratic solvers and the blind kernel
estimate all need, so that none of them imports another for it.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.fft as sfft

__all__ = ["rfft2", "irfft2", "broadcast", "fast_len", "workers", "set_workers"]

_WORKERS = os.cpu_count() or 1
#: Below this many pixels a transform is faster on one thread than on several.
PARALLEL_FFT_SIZE = 1 << 18


def set_workers(n: int) -> None:
    """Use at most ``n`` threads per transform (a process among several on one machine)."""
    global _WORKERS
    _WORKERS = max(1, int(n))


def workers(shape) -> int:
    """FFT workers for a transform over spatial ``shape`` (only large grids go parallel)."""
    return _WORKERS if shape[0] * shape[1] >= PARALLEL_FFT_SIZE else 1


def spatial(shape) -> tuple[int, int]:
    """The two spatial sides of a shape, as ints."""
    return int(shape[0]), int(shape[1])


def fast_len(n: int) -> int:
    """The smallest length ≥ ``n`` that a real FFT handles fast (scipy's 5-smooth sizes)."""
    return sfft.next_fast_len(int(n), real=True)


def rfft2(x: np.ndarray, shape=None) -> np.ndarray:
    """Real 2-D FFT over the two spatial axes (batched over channels)."""
    return sfft.rfft2(x, s=None if shape is None else spatial(shape), axes=(0, 1),
                      workers=workers(x.shape))


def irfft2(X: np.ndarray, shape, overwrite: bool = False) -> np.ndarray:
    """Inverse of :func:`rfft2` for a spatial ``shape`` (``overwrite``: ``X`` is a temporary
    the transform may use as its scratch space, saving a copy)."""
    return sfft.irfft2(X, s=spatial(shape), axes=(0, 1), workers=workers(X.shape),
                       overwrite_x=overwrite)


def broadcast(transfer: np.ndarray, ndim: int) -> np.ndarray:
    """Give a ``(H, W')`` Fourier multiplier a trailing channel axis if needed."""
    return transfer if ndim == 2 else transfer[..., None]
