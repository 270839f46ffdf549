"""Compiled forward differences and their adjoint (private; see FiniteDifference).

One pass over the image instead of the two shifted copies ``np.roll`` makes:
these run at every HQS iteration on the whole image.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, parallel=True)
def _forward(x, out, neumann):
    h, w, c = x.shape
    for i in numba.prange(h):
        down = i + 1 if i + 1 < h else 0
        for j in range(w):
            right = j + 1 if j + 1 < w else 0
            for k in range(c):
                v = x[i, j, k]
                out[0, i, j, k] = 0.0 if (neumann and i + 1 == h) else x[down, j, k] - v
                out[1, i, j, k] = 0.0 if (neumann and j + 1 == w) else x[i, right, k] - v


@numba.njit(cache=True, parallel=True)
def _adjoint(g, out, neumann):
    _, h, w, c = g.shape
    for i in numba.prange(h):
        up = i - 1 if i > 0 else h - 1
        for j in range(w):
            left = j - 1 if j > 0 else w - 1
            for k in range(c):
                gv = 0.0 if (neumann and i + 1 == h) else g[0, i, j, k]
                gv_up = 0.0 if (neumann and up + 1 == h) else g[0, up, j, k]
                gh = 0.0 if (neumann and j + 1 == w) else g[1, i, j, k]
                gh_left = 0.0 if (neumann and left + 1 == w) else g[1, i, left, k]
                out[i, j, k] = (gv_up - gv) + (gh_left - gh)


def _as_3d(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x if x.ndim == 3 else x[..., None])


def forward_differences(x: np.ndarray, neumann: bool) -> np.ndarray:
    """``(2, *x.shape)`` vertical and horizontal forward differences (circular or Neumann)."""
    x3 = _as_3d(x)
    out = np.empty((2, *x3.shape), dtype=x3.dtype)
    _forward(x3, out, neumann)
    return out.reshape((2, *x.shape))


def adjoint_differences(g: np.ndarray, neumann: bool) -> np.ndarray:
    """The adjoint (negative divergence) of :func:`forward_differences`."""
    g4 = np.ascontiguousarray(g if g.ndim == 4 else g[..., None])
    out = np.empty(g4.shape[1:], dtype=g4.dtype)
    _adjoint(g4, out, neumann)
    return out.reshape(g.shape[1:])
