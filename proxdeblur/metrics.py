"""Image-quality and kernel metrics, including the shift-aligned protocol for blind results.

PSNR and SSIM are scikit-image's (peak 1, images nominally in [0, 1]).

The *aligned* metrics implement the evaluation protocol used for the Levin et
al. 2009 benchmark throughout proxdeblur: both images are clipped to [0, 1];
``border`` (15) pixels are cropped from every side of the ground truth; the
restoration's window of the same size is moved by every integer shift
``(dy, dx)`` with ``|dy|, |dx| ≤ max_shift`` (15) and the shift with the
smallest sum of squared differences (SSD) to the cropped truth is kept; PSNR
(peak 1) and SSIM (Gaussian 11×11 window, σ = 1.5, population covariance, as
Wang et al. 2004) are computed on that window. Blind methods recover the image
only up to a translation, which this removes before scoring.

``subpixel=s`` (every function that aligns) searches shifts in steps of
``1/s`` pixel instead, the restoration resampled by bilinear interpolation at
each fractional shift. ``subpixel=LEVIN_SUBPIXEL`` (4) is the protocol of Levin
et al.'s own evaluation code (``comp_upto_shift.m``: shifts of a quarter pixel,
bilinear ``interp2``, 15-pixel border), which every published table on this
set uses, except that it searches ±5 pixels and we keep ``max_shift``. A
blind method recovers the image up to a *real* translation: its kernel may sit
a fraction of a pixel away from the true kernel (by its centre of mass), and
the integer protocol charges that offset as restoration error. On Levin et
al. 2009 with proxdeblur's defaults the quarter-pixel protocol reads
1.5 dB higher for the blind results and 0.6 dB higher for the known-kernel
ones (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import correlate, fftconvolve
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ._validation import as_image, check_int
from .errors import InvalidArgumentError

__all__ = [
    "psnr",
    "ssim",
    "Alignment",
    "align",
    "aligned_psnr",
    "aligned_ssim",
    "error_ratio",
    "kernel_similarity",
    "LEVIN_SUBPIXEL",
]

#: ``subpixel`` of Levin et al.'s ``comp_upto_shift.m``: quarter-pixel shifts.
LEVIN_SUBPIXEL = 4


def _pair(estimate, reference) -> tuple[np.ndarray, np.ndarray]:
    estimate = as_image(estimate, "estimate", min_side=1)
    reference = as_image(reference, "reference", min_side=1)
    if estimate.shape != reference.shape:
        raise InvalidArgumentError("estimate", f"the reference's shape {reference.shape}",
                                   estimate.shape)
    return estimate.astype(np.float64), reference.astype(np.float64)


def psnr(estimate, reference, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB (``inf`` for identical images)."""
    estimate, reference = _pair(estimate, reference)
    if np.array_equal(estimate, reference):
        return float("inf")
    return float(peak_signal_noise_ratio(reference, estimate, data_range=data_range))


def ssim(estimate, reference, data_range: float = 1.0) -> float:
    """SSIM with a Gaussian window (σ = 1.5, 11×11), colour averaged over channels."""
    estimate, reference = _pair(estimate, reference)
    return float(structural_similarity(
        reference, estimate, data_range=data_range, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, channel_axis=2 if reference.ndim == 3 else None))


@dataclass
class Alignment:
    """Result of :func:`align`.

    Attributes
    ----------
    window : ndarray
        The restoration's window (clipped to [0, 1], resampled at a fractional
        shift) that best matches ``truth``.
    truth : ndarray
        The cropped ground truth (clipped to [0, 1]).
    shift : tuple of int or float
        ``(dy, dx)``: the window starts at ``(border + dy, border + dx)``;
        whole pixels (int) unless ``subpixel > 1``.
    ssd : float
        Sum of squared differences between ``window`` and ``truth``.
    """

    window: np.ndarray
    truth: np.ndarray
    shift: tuple
    ssd: float


def _box_sum(values: np.ndarray, shape) -> np.ndarray:
    """Sums of ``values`` over every window of ``shape`` (summed over channels)."""
    if values.ndim == 3:
        values = values.sum(axis=2)
    c = np.pad(values.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    h, w = shape
    return c[h:, w:] - c[:-h, w:] - c[h:, :-w] + c[:-h, :-w]


def _integer_ssd(region: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """SSD between ``gt`` and every window of ``region`` of its size (by FFT)."""
    flipped = gt[::-1, ::-1] if gt.ndim == 2 else gt[::-1, ::-1, ::-1]
    cross = fftconvolve(region, flipped, mode="valid")
    if gt.ndim == 3:
        cross = cross[..., 0]
    return _box_sum(region**2, gt.shape[:2]) - 2 * cross + np.sum(gt**2)


def _bilinear(image: np.ndarray, fy: float, fx: float) -> np.ndarray:
    """``image`` sampled at ``(i + fy, j + fx)`` for ``0 ≤ fy, fx < 1``, by bilinear
    interpolation (MATLAB's ``interp2``); one row and column shorter when shifted."""
    if fy > 0:
        image = (1 - fy) * image[:-1] + fy * image[1:]
    if fx > 0:
        image = (1 - fx) * image[:, :-1] + fx * image[:, 1:]
    return image


def align(restored, truth, border: int = 15, max_shift: int = 15,
          subpixel: int = 1) -> Alignment:
    """Find the shift that best registers ``restored`` to ``truth``.

    Both images have the same shape; see the module docstring for the protocol.
    Shifts are whole pixels with ``subpixel=1`` (the default, the protocol of
    every proxdeblur benchmark), multiples of ``1/subpixel`` pixel otherwise
    (bilinear resampling; :data:`LEVIN_SUBPIXEL` for Levin et al.'s code), all
    within ``±max_shift``.
    """
    restored, truth = _pair(restored, truth)
    border = check_int(border, "border", minimum=0)
    max_shift = check_int(max_shift, "max_shift", minimum=0)
    subpixel = check_int(subpixel, "subpixel", minimum=1)
    if max_shift > border:
        raise InvalidArgumentError("max_shift", f"at most border={border}", max_shift)
    h, w = truth.shape[0] - 2 * border, truth.shape[1] - 2 * border
    if h < 1 or w < 1:
        raise InvalidArgumentError("truth", f"sides larger than 2 * border = {2 * border}",
                                   truth.shape)
    restored = np.clip(restored, 0, 1)
    gt = np.clip(truth, 0, 1)[border : border + h, border : border + w]
    lo = border - max_shift
    region = restored[lo : border + max_shift + h, lo : border + max_shift + w]
    best = None
    for fy in np.arange(subpixel) / subpixel:
        for fx in np.arange(subpixel) / subpixel:
            if max_shift == 0 and (fy > 0 or fx > 0):
                continue
            # a fractional shift keeps dy + fy ≤ max_shift: one row (column) fewer
            ssd = _integer_ssd(_bilinear(region, fy, fx), gt)
            index = np.unravel_index(int(np.argmin(ssd)), ssd.shape)
            if best is None or ssd[index] < best[0]:
                best = (float(ssd[index]), int(index[0]), int(index[1]), fy, fx)
    _, iy, ix, fy, fx = best
    window = _bilinear(region[iy : iy + h + 1, ix : ix + w + 1], fy, fx)[:h, :w]
    exact = float(np.sum((window - gt) ** 2))
    if subpixel == 1:
        shift = (iy - max_shift, ix - max_shift)
    else:
        shift = (iy - max_shift + float(fy), ix - max_shift + float(fx))
    return Alignment(window, gt, shift, exact)


def aligned_psnr(restored, truth, border: int = 15, max_shift: int = 15,
                 subpixel: int = 1) -> float:
    """PSNR (peak 1) after :func:`align`."""
    a = align(restored, truth, border, max_shift, subpixel)
    return psnr(a.window, a.truth)


def aligned_ssim(restored, truth, border: int = 15, max_shift: int = 15,
                 subpixel: int = 1) -> float:
    """SSIM (Gaussian σ = 1.5) after :func:`align`."""
    a = align(restored, truth, border, max_shift, subpixel)
    return ssim(a.window, a.truth)


def error_ratio(restored, restored_known_kernel, truth, border: int = 15,
                max_shift: int = 15, subpixel: int = 1) -> float:
    """Levin et al. (2009) error ratio.

    ``SSD(restored) / SSD(restored_known_kernel)``, each aligned to ``truth`` on
    its own by :func:`align`; ``restored_known_kernel`` is the same non-blind
    method's output with the true kernel. 1 means "as good as knowing the
    kernel"; Levin et al. count results with ratio ≤ 3 as visually plausible.
    """
    ours = align(restored, truth, border, max_shift, subpixel).ssd
    known = align(restored_known_kernel, truth, border, max_shift, subpixel).ssd
    if known == 0:
        return 1.0 if ours == 0 else float("inf")
    return ours / known


def kernel_similarity(estimate, truth, *, method: str = "direct") -> float:
    """Maximum normalized cross-correlation of two kernels over all shifts (Hu & Yang 2012).

    ``max_s ⟨k₁, shift_s(k₂)⟩ / (‖k₁‖ ‖k₂‖)``; 1 for kernels equal up to a
    translation. The kernels may differ in size. ``method`` is
    :func:`scipy.signal.correlate`'s: ``"direct"`` (exact, the benchmarks' figures) or
    ``"fft"`` (equal to rounding, some 200 times faster on 35×35 kernels: for comparing
    many, as :func:`~proxdeblur.blind.find_light_streak` does).
    """
    a = np.asarray(estimate, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    for name, k in (("estimate", a), ("truth", b)):
        if k.ndim != 2 or k.size == 0 or not np.all(np.isfinite(k)):
            raise InvalidArgumentError(name, "a finite non-empty 2-D kernel", k.shape)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise InvalidArgumentError("estimate" if na == 0 else "truth", "a non-zero kernel")
    if method not in ("direct", "fft"):
        raise InvalidArgumentError("method", "'direct' or 'fft'", repr(method))
    return float(correlate(a, b, mode="full", method=method).max() / (na * nb))
