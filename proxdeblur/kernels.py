"""Blur-kernel utilities: validation, centring, transfer functions and a motion-trajectory
generator."""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy import ndimage

from ._validation import as_kernel, check_int, check_positive
from .errors import InvalidArgumentError

__all__ = ["motion_kernel", "centre_kernel", "heaviest_window", "validate_kernel", "delta_kernel",
           "project_simplex", "transfer_function", "kernel_extent", "clean_kernel", "soften_kernel",
           "place_kernel"]


def validate_kernel(kernel, name: str = "kernel", normalize: bool = True) -> np.ndarray:
    """Return ``kernel`` as a validated float64 kernel summing to 1 (see the contract)."""
    return as_kernel(kernel, name, normalize=normalize)


def project_simplex(v) -> np.ndarray:
    """Euclidean projection onto the unit simplex ``Δ = {k ≥ 0, Σk = 1}``.

    The sort-based algorithm of Duchi, Shalev-Shwartz, Singer, Chandra,
    "Efficient projections onto the ℓ1-ball for learning in high dimensions",
    ICML 2008 (also Condat 2016, Algorithm 1): with ``u`` the entries sorted in
    decreasing order, ``ρ = max{j : u_j − (Σ_{i≤j} u_i − 1)/j > 0}`` and
    ``θ = (Σ_{i≤ρ} u_i − 1)/ρ``, the projection is ``max(v − θ, 0)``. Exact, in
    O(n log n); works on an array of any shape (the simplex of all its entries).
    """
    v = np.asarray(v, dtype=np.float64)
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise InvalidArgumentError("v", "a non-empty finite array", v.shape)
    flat = v.reshape(-1)
    u = np.sort(flat)[::-1]
    cumulative = np.cumsum(u) - 1.0
    index = np.arange(1, u.size + 1)
    rho = np.nonzero(u - cumulative / index > 0)[0][-1] + 1
    theta = cumulative[rho - 1] / rho
    return np.maximum(v - theta, 0.0)


def delta_kernel(size: int = 1) -> np.ndarray:
    """The identity blur: a ``size × size`` array with a 1 at the centre (odd ``size``)."""
    size = check_int(size, "size")
    if size % 2 == 0:
        raise InvalidArgumentError("size", "an odd integer", size)
    k = np.zeros((size, size))
    k[size // 2, size // 2] = 1.0
    return k


def centre_kernel(kernel) -> np.ndarray:
    """Shift a kernel by an integer amount so that its centre of mass is nearest its centre.

    Content shifted out of the support is dropped (then the kernel is
    re-normalized); integer shifts only, so no interpolation blur is added.
    """
    k = as_kernel(kernel, "kernel", normalize=True)
    cy, cx = ndimage.center_of_mass(k)
    dy = int(round(k.shape[0] // 2 - cy))
    dx = int(round(k.shape[1] // 2 - cx))
    out = ndimage.shift(k, (dy, dx), order=0, mode="constant")
    return out / out.sum()


def heaviest_window(kernel, size) -> np.ndarray:
    """The window of odd ``size`` (h, w) of a kernel that holds the most mass, renormalized.

    Where several windows hold the same mass (a kernel whose extent is smaller
    than ``size``), the one whose centre is nearest the kernel's centre of mass
    is taken, so a compact kernel comes back whole and as centred as the window
    allows. ``size`` at most the kernel's shape.
    """
    k = as_kernel(kernel, "kernel", normalize=True)
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise InvalidArgumentError("size", "an (h, w) pair of odd ints", repr(size)) from None
    if h % 2 == 0 or w % 2 == 0 or h < 1 or w < 1 or h > k.shape[0] or w > k.shape[1]:
        raise InvalidArgumentError("size", f"odd sides at most the kernel's shape {k.shape}",
                                   repr(size))
    # mass of every window, indexed by its top-left corner, from the summed-area table
    table = np.zeros((k.shape[0] + 1, k.shape[1] + 1))
    table[1:, 1:] = k.cumsum(axis=0).cumsum(axis=1)
    mass = table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]
    cy, cx = ndimage.center_of_mass(k)
    top, left = np.indices(mass.shape)
    distance = (top + h // 2 - cy) ** 2 + (left + w // 2 - cx) ** 2
    heaviest = mass >= mass.max() - 1e-12
    index = np.unravel_index(np.argmin(np.where(heaviest, distance, np.inf)), mass.shape)
    out = k[index[0]: index[0] + h, index[1]: index[1] + w]
    return out / out.sum()


def transfer_function(kernel: np.ndarray, shape, workers: int | None = None) -> np.ndarray:
    """The real-FFT transfer function (MATLAB's ``psf2otf``) of a kernel centred at
    ``(kh//2, kw//2)`` on a periodic grid of ``shape``: the kernel zero-padded to
    ``shape``, rolled so that its centre sits at the origin, then ``rfft2``."""
    kh, kw = kernel.shape
    padded = np.zeros(shape)
    rows = (np.arange(kh) - kh // 2) % shape[0]  # the roll, without moving the whole grid
    cols = (np.arange(kw) - kw // 2) % shape[1]
    padded[np.ix_(rows, cols)] = kernel
    return sfft.rfft2(padded, workers=workers)


def motion_kernel(size: int = 15, *, length: float | None = None, seed: int | None = 0,
                  smoothness: float = 0.6, steps: int = 2000) -> np.ndarray:
    """A random camera-shake kernel from a smooth random trajectory.

    A 2-D point moves with inertia (velocity kept with weight ``smoothness``,
    plus a random unit impulse), its path is rescaled to span about ``length``
    pixels (default ``0.8 · size``) and rasterized into a ``size × size``
    support by bilinear splatting, then centred and normalized. Deterministic
    for a given ``seed``.

    Parameters
    ----------
    size : int
        Odd side of the kernel support.
    length : float, optional
        Extent of the trajectory in pixels.
    seed : int or None
        Random seed.
    smoothness : float
        Inertia in [0, 1): higher gives straighter paths.
    steps : int
        Number of trajectory samples.
    """
    size = check_int(size, "size", minimum=3)
    if size % 2 == 0:
        raise InvalidArgumentError("size", "an odd integer >= 3", size)
    if not 0 <= smoothness < 1:
        raise InvalidArgumentError("smoothness", "a number in [0, 1)", smoothness)
    length = 0.8 * size if length is None else check_positive(length, "length")
    if length > size - 1:
        raise InvalidArgumentError("length", f"at most size - 1 = {size - 1}", length)
    rng = np.random.default_rng(seed)
    velocity = rng.standard_normal(2)
    points = np.zeros((steps, 2))
    for i in range(1, steps):
        impulse = rng.standard_normal(2)
        velocity = smoothness * velocity + (1 - smoothness) * impulse
        points[i] = points[i - 1] + velocity
    points -= points.mean(axis=0)
    extent = np.max(np.ptp(points, axis=0))
    points *= length / max(extent, 1e-12)
    points += size // 2
    kernel = np.zeros((size, size))
    y0 = np.floor(points[:, 0]).astype(int)
    x0 = np.floor(points[:, 1]).astype(int)
    fy, fx = points[:, 0] - y0, points[:, 1] - x0
    for dy, dx, w in ((0, 0, (1 - fy) * (1 - fx)), (1, 0, fy * (1 - fx)),
                      (0, 1, (1 - fy) * fx), (1, 1, fy * fx)):
        yy, xx = np.clip(y0 + dy, 0, size - 1), np.clip(x0 + dx, 0, size - 1)
        np.add.at(kernel, (yy, xx), w)
    return centre_kernel(kernel / kernel.sum())


#: Fraction of the maximum above which a kernel entry counts for :func:`kernel_extent`.
EXTENT_THRESHOLD = 0.05


def kernel_extent(kernel: np.ndarray, threshold: float = EXTENT_THRESHOLD) -> int:
    """Side of the bounding box of the entries ``≥ threshold · max(k)`` (the larger side)."""
    above = kernel >= threshold * kernel.max()
    rows, cols = np.flatnonzero(above.any(axis=1)), np.flatnonzero(above.any(axis=0))
    return int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)


def clean_kernel(kernel: np.ndarray, threshold: float = 0.05, prune: float = 0.1) -> np.ndarray:
    """Zero entries below ``threshold · max(k)`` and remove 8-connected components
    holding less than ``prune`` of the total mass; renormalize to sum 1.

    Either step is skipped when its parameter is 0. The strongest component is
    always kept.
    """
    k = np.where(kernel >= threshold * kernel.max(), kernel, 0.0) if threshold > 0 else kernel.copy()
    if prune > 0:
        labels, count = ndimage.label(k > 0, structure=np.ones((3, 3)))
        if count > 1:
            mass = ndimage.sum(k, labels, index=np.arange(1, count + 1))
            keep = mass >= prune * mass.sum()
            keep[np.argmax(mass)] = True
            k = np.where(keep[np.maximum(labels - 1, 0)] & (labels > 0), k, 0.0)
    return k / k.sum()


def soften_kernel(kernel: np.ndarray, sigma: float) -> np.ndarray:
    """``k ∗ g_σ`` (Gaussian of standard deviation ``sigma`` pixels) on a support grown by
    the Gaussian's radius on every side, summing to 1; ``sigma = 0`` returns ``kernel``."""
    if sigma <= 0:
        return kernel
    radius = int(4.0 * sigma + 0.5)  # gaussian_filter's own truncation at 4σ
    softened = ndimage.gaussian_filter(np.pad(kernel, radius), sigma, mode="constant")
    return softened / softened.sum()


def place_kernel(kernel: np.ndarray, size) -> np.ndarray:
    """``kernel`` centred in an array of ``size``, cropped where it is larger; sums to 1."""
    out = np.zeros(size)
    h, w = min(size[0], kernel.shape[0]), min(size[1], kernel.shape[1])
    ky, kx = (kernel.shape[0] - h) // 2, (kernel.shape[1] - w) // 2
    oy, ox = (size[0] - h) // 2, (size[1] - w) // 2
    out[oy: oy + h, ox: ox + w] = kernel[ky: ky + h, kx: kx + w]
    return out / out.sum()
