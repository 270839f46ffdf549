"""Where to estimate a kernel in a large photograph: :func:`informative_region`.

A uniform blur is the same everywhere, so a large photograph holds the same
evidence many times over; the estimate needs a window with enough strong edges
in enough orientations, not 12 megapixels (users' tools ask for such a
window; Hu & Yang, "Good regions to deblur", ECCV 2012, choose it
automatically). We score every window of the given side (square, or as
large as the image where it is narrower) by the smaller
eigenvalue of its summed gradient structure tensor — large only where edges of
at least two orientations are strong, since a kernel is observable only across
an edge — on the luminance smoothed by a Gaussian (σ = 1 px, so that noise does
not score) and reduced by an integer factor (the score is a sum over the window,
which a coarser grid approximates well). Windows that hold clipped pixels
(within 2/255 of 0 or 1) beyond 1 % are skipped (where every window has more, those
with the least): a saturated streak is not the kernel times the scene. Integral
images give every window's sums at once.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["informative_region", "region_side", "REGION_FACTOR", "REGION_MIN_SIDE"]

#: A window side of at least this many kernel sides ...
REGION_FACTOR = 40
#: ... and at least this many pixels. On a 4 MP photograph blurred by a 25-px kernel
#: the kernel's similarity to the truth was 0.69 / 0.66 / 0.76 / 0.81 from windows of
#: 400 / 600 / 800 / 1024 px and 0.80 from the whole image, in 10 s against 42 s
#: (``benchmarks/RESULTS.md``): about a megapixel holds the evidence.
REGION_MIN_SIDE = 1024
#: Clipped pixels (within this of 0 or 1), at most CLIPPED_FRACTION of a window.
CLIPPED_MARGIN = 2 / 255
CLIPPED_FRACTION = 0.01


def region_side(kernel_shape) -> int:
    """The default window side for a kernel of ``kernel_shape`` (the constants above)."""
    return max(REGION_MIN_SIDE, REGION_FACTOR * max(kernel_shape))


def _window_sums(values: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Sum of ``values`` over every ``rows × cols`` window (valid positions)."""
    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    table[1:, 1:] = values.cumsum(0).cumsum(1)
    return (table[rows:, cols:] - table[:-rows, cols:] - table[rows:, :-cols]
            + table[:-rows, :-cols])


def informative_region(image, side: int) -> tuple[slice, slice] | None:
    """The window of at most ``side × side`` of a gray ``image`` with the most kernel
    evidence (module docstring), as ``(rows, columns)`` slices; None when the image is
    no larger than the window (then the whole image is the region)."""
    y = np.asarray(image, dtype=np.float32)
    if y.shape[0] <= side and y.shape[1] <= side:
        return None
    window = (min(side, y.shape[0]), min(side, y.shape[1]))
    factor = max(1, min(window) // 128)  # ~128 score cells along the shorter window side
    h, w = (y.shape[0] // factor) * factor, (y.shape[1] // factor) * factor

    def reduce(a):
        return a[:h, :w].reshape(h // factor, factor, w // factor, factor).sum(
            axis=(1, 3), dtype=np.float64)

    smooth = ndimage.gaussian_filter(y, 1.0)
    gy, gx = np.gradient(smooth)
    del smooth
    cells = (window[0] // factor, window[1] // factor)
    sxx, syy, sxy = (_window_sums(reduce(g), *cells) for g in (gx * gx, gy * gy, gx * gy))
    del gx, gy
    clipped = ((y <= CLIPPED_MARGIN) | (y >= 1 - CLIPPED_MARGIN)).astype(np.float32)
    clip = _window_sums(reduce(clipped), *cells) / (cells[0] * cells[1] * factor**2)
    half_trace, half_gap = (sxx + syy) / 2, np.hypot((sxx - syy) / 2, sxy)
    allowed = max(CLIPPED_FRACTION, float(clip.min()))
    score = np.where(clip <= allowed, half_trace - half_gap, -np.inf)
    top, left = (int(i) * factor for i in np.unravel_index(np.argmax(score), score.shape))
    return slice(top, top + window[0]), slice(left, left + window[1])
