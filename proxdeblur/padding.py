"""Extend an image so that it is smooth across a periodic (circular) boundary.

FFT-based solvers assume the image is periodic. A photograph is not: its
opposite edges differ, and a circular blur model explains the jump as strong
edges that are not in the scene. :func:`periodic_extension` appends a band to
the bottom and right of the image whose values are the harmonic interpolation
(the solution of Laplace's equation) between the image's opposite edges on the
torus, in the spirit of Liu & Jia, "Reducing boundary artifacts in image
deconvolution", ICIP 2008. The observed pixels are unchanged.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg

from ._validation import as_image
from .errors import InvalidArgumentError

__all__ = ["periodic_extension"]


def periodic_extension(image, shape) -> np.ndarray:
    """Return an array of ``shape`` whose top-left corner is ``image`` and whose
    extra band is harmonic on the torus.

    Solves ``Δu = 0`` (5-point Laplacian, periodic neighbours) for the band
    pixels with the image pixels fixed, by a sparse direct solve; colour
    channels are solved together. The band must be at least one pixel wide in
    each direction.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C)
    shape : tuple of int
        ``(Hp, Wp)`` with ``Hp > H`` and ``Wp > W``.
    """
    image = as_image(image, "image")
    height, width = image.shape[:2]
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or shape[0] <= height or shape[1] <= width:
        raise InvalidArgumentError("shape", f"(Hp, Wp) larger than the image's {height}x{width}",
                                   shape)
    rows, cols = shape
    index = np.arange(rows * cols).reshape(rows, cols)
    known = np.zeros((rows, cols), dtype=bool)
    known[:height, :width] = True
    unknown = np.flatnonzero(~known.ravel())
    r, c = np.divmod(unknown, cols)
    neighbours = np.stack([index[(r + 1) % rows, c], index[(r - 1) % rows, c],
                           index[r, (c + 1) % cols], index[r, (c - 1) % cols]], axis=1)
    position = np.full(rows * cols, -1)
    position[unknown] = np.arange(unknown.size)
    # Laplacian rows of the unknowns: 4 u_p - Σ neighbours = 0, known neighbours to the right side
    is_unknown = position[neighbours] >= 0
    row_index = np.repeat(np.arange(unknown.size), 4)[is_unknown.ravel()]
    col_index = position[neighbours][is_unknown]
    matrix = sparse.csc_matrix(
        (np.concatenate([np.full(unknown.size, 4.0), -np.ones(row_index.size)]),
         (np.concatenate([np.arange(unknown.size), row_index]),
          np.concatenate([np.arange(unknown.size), col_index]))),
        shape=(unknown.size, unknown.size))
    values = image.reshape(height * width, -1)
    flat_known = np.zeros((rows * cols, values.shape[1]))
    flat_known[index[:height, :width].ravel()] = values
    rhs = np.zeros((unknown.size, values.shape[1]))
    for j in range(4):
        rhs += np.where(is_unknown[:, j:j + 1], 0.0, flat_known[neighbours[:, j]])
    solution = sparse_linalg.splu(matrix).solve(rhs)
    out = flat_known
    out[unknown] = solution
    out = out.reshape(rows, cols, -1)
    return out[..., 0] if image.ndim == 2 else out
