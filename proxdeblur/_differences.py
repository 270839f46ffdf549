"""Compiled forward differences and their adjoint (private; see FiniteDifference).

One pass over the image instead of the two shifted copies ``np.roll`` makes:
these run at every HQS iteration on the whole image. The fused kernels
(shrinkage of the differences, and ``base + α·Dᵀ prox(Dx)``) serve the HQS hot
path, where storing the intermediate arrays costs as much as computing them.

The kernels work on one 2-D channel and process the image a row at a time in
separate short passes (differences, magnitudes, shrinkage, scaling): with the
boundary cases peeled off, each pass is a branch-free loop over a contiguous
row that the compiler vectorizes — about twice as fast as one loop that does
everything per pixel. Colour images are processed channel by channel.
"""

from __future__ import annotations

import numba
import numpy as np

from .shrinkage import _rule, _shrink_magnitude


@numba.njit(cache=True, inline="always")
def _shrunk_row(x, i, lam, p, threshold, table, scale, offset, isotropic, neumann, zv, zh,
                work):
    """Row ``i`` of ``prox(Dx)`` into ``zv``, ``zh`` (length W; ``work`` is scratch).

    Under Neumann boundaries the last row's vertical and the last column's
    horizontal differences are zero, and stay zero after shrinkage.
    """
    h, w = x.shape
    down = i + 1 if i + 1 < h else 0
    for j in range(w - 1):
        zv[j] = x[down, j] - x[i, j]
        zh[j] = x[i, j + 1] - x[i, j]
    zv[w - 1] = x[down, w - 1] - x[i, w - 1]
    zh[w - 1] = 0.0 if neumann else x[i, 0] - x[i, w - 1]
    if neumann and i + 1 == h:
        zv[:] = 0.0
    if isotropic:
        for j in range(w):
            work[j] = np.sqrt(zv[j] * zv[j] + zh[j] * zh[j])
        for j in range(w):
            r = work[j]
            m = _shrink_magnitude(r, lam, p, threshold, table, scale, offset)
            work[j] = m / r if r > 0 else 0.0
        for j in range(w):
            zv[j] *= work[j]
            zh[j] *= work[j]
    else:
        for j in range(w):
            gv, gh = zv[j], zh[j]
            mv = _shrink_magnitude(abs(gv), lam, p, threshold, table, scale, offset)
            mh = _shrink_magnitude(abs(gh), lam, p, threshold, table, scale, offset)
            zv[j] = mv if gv >= 0 else -mv
            zh[j] = mh if gh >= 0 else -mh


@numba.njit(cache=True, parallel=True)
def _shrink_forward(x, lam, p, threshold, table, scale, offset, isotropic, neumann, blocks,
                    out):
    """``out[0], out[1] = prox(Dx)`` (vertical, horizontal) for one channel."""
    h, w = x.shape
    for b in numba.prange(blocks):
        work = np.empty(w, dtype=out.dtype)
        for i in range(b * h // blocks, (b + 1) * h // blocks):
            _shrunk_row(x, i, lam, p, threshold, table, scale, offset, isotropic, neumann,
                        out[0, i], out[1, i], work)


@numba.njit(cache=True, inline="always")
def _adjoint_row(zv_above, zv, zh, base_row, alpha, out_row):
    """``out_row = base_row + alpha · (Dᵀz)_row`` from the row's and the above row's z."""
    w = zv.shape[0]
    out_row[0] = base_row[0] + alpha * ((zv_above[0] - zv[0]) + (zh[w - 1] - zh[0]))
    for j in range(1, w):
        out_row[j] = base_row[j] + alpha * ((zv_above[j] - zv[j]) + (zh[j - 1] - zh[j]))


@numba.njit(cache=True, parallel=True)
def _adjoint_axpy(g, alpha, base, blocks, out):
    """``out = base + alpha · Dᵀg`` for one channel (circular formula; a Neumann
    field has zeros where the circular one wraps around, so it serves both)."""
    _, h, w = g.shape
    for b in numba.prange(blocks):
        for i in range(b * h // blocks, (b + 1) * h // blocks):
            _adjoint_row(g[0, i - 1 if i > 0 else h - 1], g[0, i], g[1, i], base[i], alpha,
                         out[i])


@numba.njit(cache=True, parallel=True)
def _shrink_adjoint(x, lam, p, threshold, table, scale, offset, isotropic, neumann, alpha, base,
                    blocks, out):
    """``out = base + alpha · Dᵀ prox(Dx)`` for one channel, ``prox(Dx)`` never stored.

    Each block of rows keeps the shrunk differences of the row above it (the
    adjoint needs ``z_v`` of row ``i − 1``): one row per block is shrunk twice.
    """
    h, w = x.shape
    for b in numba.prange(blocks):
        start = b * h // blocks
        above_v = np.empty(w)
        above_h = np.empty(w)
        row_v = np.empty(w)
        row_h = np.empty(w)
        work = np.empty(w)
        _shrunk_row(x, start - 1 if start > 0 else h - 1, lam, p, threshold, table, scale,
                    offset, isotropic, neumann, above_v, above_h, work)
        for i in range(start, (b + 1) * h // blocks):
            _shrunk_row(x, i, lam, p, threshold, table, scale, offset, isotropic, neumann,
                        row_v, row_h, work)
            _adjoint_row(above_v, row_v, row_h, base[i], alpha, out[i])
            above_v, row_v = row_v, above_v


def _blocks(height: int) -> int:
    """Row blocks of a parallel kernel: a few per thread, for balance."""
    return max(1, min(height, 4 * numba.get_num_threads()))


def _channels(x: np.ndarray, dtype, gray_ndim: int = 2) -> list[np.ndarray]:
    """The channels of ``x`` along its last axis, contiguous in ``dtype``: an image
    ``(H, W[, C])`` (``gray_ndim`` 2) or a field ``(2, H, W[, C])`` (``gray_ndim`` 3);
    one channel when ``x`` has ``gray_ndim`` axes."""
    x = np.asarray(x)
    if x.ndim == gray_ndim:
        return [np.ascontiguousarray(x, dtype=dtype)]
    return [np.ascontiguousarray(x[..., k], dtype=dtype) for k in range(x.shape[-1])]


def _join(parts: list[np.ndarray], gray: bool) -> np.ndarray:
    """Undo :func:`_channels` on the per-channel results."""
    return parts[0] if gray else np.stack(parts, axis=-1)


def _working_dtype(x: np.ndarray):
    """float32 stays float32; everything else is computed in float64."""
    return np.float32 if np.asarray(x).dtype == np.float32 else np.float64


def _differences(x: np.ndarray, lam: float, p: float, isotropic: bool, neumann: bool,
                 dtype) -> np.ndarray:
    rule = _rule(lam, p)
    parts = []
    for channel in _channels(x, dtype):
        out = np.empty((2, *channel.shape), dtype=dtype)
        _shrink_forward(channel, *rule, isotropic, neumann, _blocks(channel.shape[0]), out)
        parts.append(out)
    return _join(parts, np.ndim(x) == 2)


def forward_differences(x: np.ndarray, neumann: bool) -> np.ndarray:
    """``(2, *x.shape)`` vertical and horizontal forward differences (circular or Neumann)."""
    # soft shrinkage by 0 (p = 1, λ = 0), component-wise, is the identity on each difference
    return _differences(x, 0.0, 1.0, False, neumann, _working_dtype(x))


def shrink_differences(x: np.ndarray, lam: float, p: float, isotropic: bool,
                       neumann: bool) -> np.ndarray:
    """``prox_group``/``prox_lp`` of the forward differences of ``x`` in one pass
    (the differences themselves are never stored)."""
    return _differences(x, float(lam), float(p), isotropic, neumann, np.float64)


def _adjoint(g: np.ndarray, alpha: float, base: np.ndarray | None, neumann: bool,
             dtype) -> np.ndarray:
    """``base + alpha · Dᵀg`` in ``dtype`` (a zero base when ``base`` is None).

    ``neumann`` needs no separate formula: a Neumann field is zero where the
    circular adjoint would wrap around (last row of ``g[0]``, last column of ``g[1]``).
    """
    fields = _channels(g, dtype, gray_ndim=3)
    shape = fields[0].shape[1:]
    bases = ([np.zeros(shape, dtype)] * len(fields) if base is None
             else _channels(np.reshape(base, np.shape(g)[1:]), dtype))
    parts = []
    for field, base_channel in zip(fields, bases, strict=True):
        if neumann:
            field = field.copy()
            field[0, -1, :] = 0.0
            field[1, :, -1] = 0.0
        out = np.empty(shape, dtype)
        _adjoint_axpy(field, float(alpha), base_channel, _blocks(shape[0]), out)
        parts.append(out)
    return _join(parts, np.ndim(g) == 3)


def adjoint_differences(g: np.ndarray, neumann: bool) -> np.ndarray:
    """The adjoint (negative divergence) of :func:`forward_differences`, in ``g``'s dtype."""
    return _adjoint(g, 1.0, None, neumann, _working_dtype(g))


def adjoint_axpy(g: np.ndarray, alpha: float, base: np.ndarray, neumann: bool) -> np.ndarray:
    """``base + alpha · Dᵀg`` in one pass (float64)."""
    return _adjoint(g, alpha, base, neumann, np.float64)


def shrink_adjoint_differences(x: np.ndarray, lam: float, p: float, isotropic: bool,
                               neumann: bool, alpha: float, base: np.ndarray) -> np.ndarray:
    """``base + alpha · Dᵀ prox(Dx)`` (float64) in one pass, the shrunk
    differences never stored: the whole analysis-prior z-step and the
    right-hand side of the HQS u-step."""
    if np.shape(base) != np.shape(x):
        raise ValueError(f"base has shape {np.shape(base)}, expected {np.shape(x)}")
    rule = _rule(lam, p)
    parts = []
    for channel, base_channel in zip(_channels(x, np.float64), _channels(base, np.float64),
                                     strict=True):
        out = np.empty_like(channel)
        _shrink_adjoint(channel, *rule, isotropic, neumann, float(alpha), base_channel,
                        _blocks(channel.shape[0]), out)
        parts.append(out)
    return _join(parts, np.ndim(x) == 2)
