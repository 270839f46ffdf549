"""Compiled forward differences and their adjoint (private; see FiniteDifference).

One pass over the image instead of the two shifted copies ``np.roll`` makes:
these run at every HQS iteration on the whole image. The fused kernels
(shrinkage of the differences, and ``base + α·Dᵀg``) serve the HQS hot path,
where storing the intermediate arrays costs as much as computing them.
"""

from __future__ import annotations

import numba
import numpy as np

from .shrinkage import _shrink_magnitude, gisa_threshold


def _as_3d(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x if x.ndim == 3 else x[..., None])


def forward_differences(x: np.ndarray, neumann: bool) -> np.ndarray:
    """``(2, *x.shape)`` vertical and horizontal forward differences (circular or Neumann)."""
    x3 = _as_3d(x)
    out = np.empty((2, *x3.shape), dtype=x3.dtype)
    # soft shrinkage by 0 (p = 1, λ = 0), component-wise, is the identity on each difference
    _shrink_forward(x3, 0.0, 1.0, 0.0, False, neumann, out)
    return out.reshape((2, *x.shape))


def _adjoint(g: np.ndarray, alpha: float, base: np.ndarray | None, neumann: bool,
             dtype) -> np.ndarray:
    """``base + alpha · Dᵀg`` in ``dtype`` (a zero base when ``base`` is None)."""
    g4 = np.ascontiguousarray(g if g.ndim == 4 else g[..., None], dtype=dtype)
    base3 = np.zeros(g4.shape[1:], dtype) if base is None else _as_3d(np.asarray(base, dtype))
    out = np.empty(g4.shape[1:], dtype)
    _adjoint_axpy(g4, float(alpha), base3, out, neumann)
    return out.reshape(g.shape[1:])


def adjoint_differences(g: np.ndarray, neumann: bool) -> np.ndarray:
    """The adjoint (negative divergence) of :func:`forward_differences`, in ``g``'s dtype."""
    return _adjoint(g, 1.0, None, neumann, g.dtype)


@numba.njit(cache=True, parallel=True)
def _shrink_forward(x, lam, p, threshold, isotropic, neumann, out):
    h, w, c = x.shape
    for i in numba.prange(h):
        down = i + 1 if i + 1 < h else 0
        for j in range(w):
            right = j + 1 if j + 1 < w else 0
            for k in range(c):
                v = x[i, j, k]
                gv = 0.0 if (neumann and i + 1 == h) else x[down, j, k] - v
                gh = 0.0 if (neumann and j + 1 == w) else x[i, right, k] - v
                if isotropic:
                    r = np.sqrt(gv * gv + gh * gh)
                    m = _shrink_magnitude(r, lam, p, threshold)
                    scale = m / r if r > 0 else 0.0
                    out[0, i, j, k] = gv * scale
                    out[1, i, j, k] = gh * scale
                else:
                    mv = _shrink_magnitude(abs(gv), lam, p, threshold)
                    mh = _shrink_magnitude(abs(gh), lam, p, threshold)
                    out[0, i, j, k] = mv if gv >= 0 else -mv
                    out[1, i, j, k] = mh if gh >= 0 else -mh


@numba.njit(cache=True, parallel=True)
def _adjoint_axpy(g, alpha, base, out, neumann):
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
                out[i, j, k] = base[i, j, k] + alpha * ((gv_up - gv) + (gh_left - gh))


def shrink_differences(x: np.ndarray, lam: float, p: float, isotropic: bool,
                       neumann: bool) -> np.ndarray:
    """``prox_group``/``prox_lp`` of the forward differences of ``x`` in one pass
    (the differences themselves are never stored)."""
    x3 = _as_3d(np.asarray(x, dtype=np.float64))
    out = np.empty((2, *x3.shape))
    _shrink_forward(x3, float(lam), float(p), float(gisa_threshold(lam, p)), isotropic, neumann,
                    out)
    return out.reshape((2, *np.shape(x)))


def adjoint_axpy(g: np.ndarray, alpha: float, base: np.ndarray, neumann: bool) -> np.ndarray:
    """``base + alpha · Dᵀg`` in one pass (float64)."""
    return _adjoint(g, alpha, base, neumann, np.float64)
