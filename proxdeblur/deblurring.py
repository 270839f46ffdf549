"""Blind deblurring of photographs: :func:`deblur`.

The kernel is estimated on the image's luminance by
:func:`proxdeblur.blind.estimate_kernel` (coarse-to-fine, kernel on the
probability simplex) — in a large photograph on its most informative window
(:func:`proxdeblur.blind.informative_region`), since a uniform blur is the same
everywhere — then the whole image is restored by :func:`deconvolve` with
that kernel — by default with ``deconvolve``'s own defaults, so that a
comparison with the restoration from the true kernel (the error ratio of Levin
et al. 2009) compares like with like.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._validation import as_image
from .blind import (
    JPEG_NOISE,
    KernelEstimate,
    estimate_kernel,
    informative_region,
    kernel_support,
    region_side,
)
from .blind.estimate import luminance as kernel_luminance
from .deconvolution import check_arguments, deconvolve
from .errors import InvalidArgumentError

__all__ = ["deblur", "DeblurInfo", "BlindDeblurWarning", "source_kernel_options"]

JPEG_SUFFIXES = (".jpg", ".jpeg")


def source_kernel_options(path) -> dict:
    """:func:`estimate_kernel` options for an image read from ``path``.

    A JPEG gets ``min_noise=JPEG_NOISE`` (0.01): a photograph's compression
    and in-camera processing act as noise that the wavelet estimate does not
    see, and with the λ floor of a clean image the kernel takes them up
    (lattices of dots, branches along the scene's edges). Other formats get no
    options.
    """
    return {"min_noise": JPEG_NOISE} if Path(path).suffix.lower() in JPEG_SUFFIXES else {}


class BlindDeblurWarning(UserWarning):
    """The kernel estimate is suspicious (collapsed to a delta, not converged)."""


@dataclass
class DeblurInfo:
    """What :func:`deblur` did.

    Attributes
    ----------
    estimate : KernelEstimate
        Per-level record of the kernel estimation.
    warnings : list of str
        The estimation's warnings (also issued as :class:`BlindDeblurWarning`).
    region : (slice, slice) or None
        The window the kernel was estimated on (None: the whole image).
    kernel_seconds, deconvolution_seconds, seconds : float
    """

    estimate: KernelEstimate
    warnings: list = field(default_factory=list)
    region: tuple | None = None
    kernel_seconds: float = 0.0
    deconvolution_seconds: float = 0.0
    seconds: float = 0.0


def _region_side(kernel_region, support) -> int | None:
    """The window side that ``kernel_region`` asks for (validated), or None: whole image."""
    if kernel_region is None:
        return None
    if isinstance(kernel_region, str) and kernel_region == "auto":
        return region_side(support)
    if (isinstance(kernel_region, (int, np.integer)) and not isinstance(kernel_region, bool)
            and kernel_region >= 3 * max(support)):
        return int(kernel_region)
    raise InvalidArgumentError("kernel_region", f"'auto', None or a side of at least three "
                               f"kernel sides ({3 * max(support)} px)", repr(kernel_region))


def deblur(image, kernel_size, *, prior="hyper-laplacian", image_step="l0",
           kernel_options: dict | None = None, deconvolve_options: dict | None = None,
           kernel_region="auto", progress: bool = False, warn: bool = True):
    """Remove an unknown blur from an image.

    Parameters
    ----------
    image : array_like (H, W) or (H, W, 3)
        Blurred image on [0, 1].
    kernel_size : int or (int, int)
        Odd support of the kernel to search (at most a third of the smaller
        image side). Too small a support truncates the blur; a generous one is
        safe: the estimate adapts its support to the kernel (on Levin et al.
        2009, 30.99 / 30.76 / 30.75 dB with the true, twice and three times the
        true support, 32.87 / 33.25 / 33.25 dB with quarter-pixel alignment;
        :func:`estimate_kernel`).
    prior : str or Prior
        Prior of the final non-blind step (see :func:`deconvolve`).
    image_step : str, LatentStep or Restorer
        The latent step of the kernel estimate: ``"l0"``, ``"lp"``, ``"gcm"``, a
        :class:`~proxdeblur.blind.GCMLatentStep` with a generator, a restorer network
        (its output is the latent) or any latent-step callable (:func:`estimate_kernel`).
    kernel_options : dict, optional
        Further keyword arguments of :func:`estimate_kernel` (any field of its option
        groups by name, e.g. ``{"noise": 0.02}``).
    deconvolve_options : dict, optional
        Further keyword arguments of :func:`deconvolve` (default: its defaults).
    kernel_region : "auto", int or None
        The side of the window the kernel is estimated on, chosen where the edges
        are strongest in two orientations and nothing is clipped
        (:func:`~proxdeblur.blind.informative_region`); ``"auto"``: 40 kernel sides
        and at least 1024 px (about a megapixel holds the evidence), so images up to
        that size — Levin et al.'s among them — are used whole; None: always the whole
        image.
    progress : bool
        Progress bars over the pyramid levels and the final iterations.
    warn : bool
        Issue the estimate's warnings as :class:`BlindDeblurWarning`.

    Returns
    -------
    restored : ndarray
        The restored image, of the input's shape.
    kernel : ndarray (kh, kw)
        The estimated kernel (non-negative, sums to 1, centred by its centre
        of mass).
    info : DeblurInfo
    """
    start = time.perf_counter()
    y = as_image(image, "image", min_side=16, unit=True)
    if y.ndim == 3 and y.shape[2] not in (1, 3):
        raise InvalidArgumentError("image", "a gray (H, W) or colour (H, W, 3) image",
                                   f"shape {y.shape}")
    check_arguments(prior, **(deconvolve_options or {}))  # before the kernel's long estimate
    side = _region_side(kernel_region, kernel_support(kernel_size, y.shape))
    luminance = kernel_luminance(y[..., 0] if y.ndim == 3 and y.shape[2] == 1 else y)
    region = None if side is None else informative_region(luminance, side)
    evidence = luminance if region is None else luminance[region]
    kernel, estimate = estimate_kernel(evidence, kernel_size, image_step=image_step,
                                       progress=progress, **(kernel_options or {}))
    kernel_seconds = time.perf_counter() - start
    del luminance, evidence  # a photograph's luminance is not needed by the deconvolution
    restored = deconvolve(y, kernel, prior=prior, progress=progress,
                          **(deconvolve_options or {}))
    info = DeblurInfo(estimate=estimate, warnings=list(estimate.warnings), region=region,
                      kernel_seconds=kernel_seconds)
    info.seconds = time.perf_counter() - start
    info.deconvolution_seconds = info.seconds - kernel_seconds
    if warn:
        for message in info.warnings:
            warnings.warn(message, BlindDeblurWarning, stacklevel=2)
    return np.asarray(restored), kernel, info
