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
    LightStreak,
    estimate_kernel,
    find_light_streak,
    informative_region,
    kernel_support,
    largest_support,
    region_side,
)
from .blind.estimate import luminance as kernel_luminance
from .camera import CLIP_LEVEL
from .deconvolution import check_arguments, deconvolve
from .errors import InvalidArgumentError
from .safeguard import (
    AGREEMENT_LIMIT,
    AGREEMENT_MARGIN,
    AGREEMENT_OPTIONS,
    HarmCheck,
    check_restoration,
)

__all__ = ["deblur", "DeblurInfo", "BlindDeblurWarning", "source_kernel_options",
           "source_deconvolve_options", "source_tone_curve", "tone_curve_for"]

JPEG_SUFFIXES = (".jpg", ".jpeg")
#: The noise floor of the safeguard's first fallback: a prior weight about five times a
#: JPEG's (``JPEG_NOISE``), which trades sharpness for ringing where the kernel is off.
FALLBACK_NOISE = 0.03
#: ``deblur``'s ``safeguard`` modes.
SAFEGUARD_MODES = ("report", "fallback", "off")


def _is_jpeg(path) -> bool:
    return Path(path).suffix.lower() in JPEG_SUFFIXES


def source_kernel_options(path) -> dict:
    """:func:`estimate_kernel` options for an image read from ``path``.

    A JPEG gets ``min_noise=JPEG_NOISE`` (0.01): a photograph's compression
    and in-camera processing act as noise that the wavelet estimate does not
    see, and with the λ floor of a clean image the kernel takes them up
    (lattices of dots, branches along the scene's edges). Other formats get no
    options.
    """
    return {"min_noise": JPEG_NOISE} if _is_jpeg(path) else {}


def source_deconvolve_options(path) -> dict:
    """:func:`deconvolve` options for an image read from ``path``: a JPEG gets the same
    error floor as its kernel estimate, ``min_noise=JPEG_NOISE`` (the prior weight of a
    clean image lets the restoration amplify the compression's blocks and ringing; on the
    tuning split of ``benchmarks/realistic.py`` floors of 0, 0.005, 0.01 and 0.02 gave
    +2.12, +2.25, +2.70 and +2.52 dB over the blurred input). Other formats get none."""
    return source_kernel_options(path)


def source_tone_curve(path) -> str:
    """The tone curve ``--tone-curve auto`` assumes for an image read from ``path``:
    ``"srgb"`` for a JPEG (a camera's file: its values went through the sRGB curve after
    the blur), ``"linear"`` (the values as stored) otherwise — a PNG or TIFF may hold
    linear data. Not the command line's default: with a kernel estimated on the stored
    values, deconvolving in linear light gained only 0.17 dB on the tuning split of
    ``benchmarks/realistic.py`` and rang around the light streaks of Lai et al.'s night
    photographs (``docs/real_photographs.md``)."""
    return "srgb" if _is_jpeg(path) else "linear"


def tone_curve_for(name: str | None, path) -> str | None:
    """The ``tone_curve`` keyword that a requested curve means for the file ``path``:
    ``"auto"`` is :func:`source_tone_curve`, ``"linear"`` (the values as stored) None."""
    curve = source_tone_curve(path) if name == "auto" else name
    return None if curve == "linear" else curve


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
    check : HarmCheck or None
        The do-no-harm check of the restoration (:mod:`proxdeblur.safeguard`; None: off).
    fallback : str or None
        What the check made :func:`deblur` do instead: ``"stronger-prior"`` (deconvolved
        again with the prior weight of noise level ``FALLBACK_NOISE``) or ``"input"`` (the input
        returned unchanged); None: the restoration stands.
    streak : LightStreak or None
        The light streak the estimate followed (``light_streaks``; None: none used).
    kernel_seconds, deconvolution_seconds, seconds : float
    """

    estimate: KernelEstimate
    warnings: list = field(default_factory=list)
    region: tuple | None = None
    check: HarmCheck | None = None
    fallback: str | None = None
    streak: LightStreak | None = None
    kernel_seconds: float = 0.0
    deconvolution_seconds: float = 0.0
    seconds: float = 0.0


def _check(y, restored, kernel, options, window, second=None) -> HarmCheck:
    """:func:`check_restoration` of ``restored`` on ``window``, its re-blur in linear light
    when the deconvolution worked there (``second``: the wider search's kernel)."""
    return check_restoration(y[window], restored[window], kernel,
                             saturation=options.get("saturation"), second_kernel=second,
                             tone_curve=options.get("tone_curve"))


def _safeguarded(y, restored, kernel, prior, options, info: DeblurInfo, fallback: bool,
                 second=None):
    """The do-no-harm check and its fallbacks (see :func:`deblur`'s ``safeguard``)."""
    window = info.region if info.region is not None else (slice(None), slice(None))
    info.check = _check(y, restored, kernel, options, window, second)
    if not info.check.suspicious:
        return restored
    reasons = "; ".join(info.check.reasons)
    if not fallback:
        info.warnings.append(f"the restoration may be worse than the input ({reasons}); "
                             "safeguard='fallback' (CLI --safeguard fallback) restores again "
                             "conservatively")
        return restored
    if info.check.agreement < AGREEMENT_LIMIT:  # a stronger prior cannot mend the kernel
        info.fallback = "input"
        info.warnings.append(f"the restoration looked worse than the input ({reasons}): the "
                             "input is returned unchanged")
        return np.array(y, copy=True)
    floor = max(FALLBACK_NOISE, options.get("min_noise", 0.0))
    restored = deconvolve(y, kernel, prior=prior, **{**options, "min_noise": floor})
    info.fallback = "stronger-prior"
    if _check(y, restored, kernel, options, window).suspicious:
        info.fallback = "input"
        info.warnings.append(f"the restoration looked worse than the input ({reasons}), also "
                             "with a stronger prior: the input is returned unchanged")
        return np.array(y, copy=True)
    info.warnings.append(f"the restoration looked harmful ({reasons}): restored again with "
                         f"the prior weight of noise level {floor:g}")
    return restored


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
           kernel_region="auto", tone_curve: str | None = None,
           saturation: float | None = CLIP_LEVEL, safeguard: str = "report",
           light_streaks: bool = True, progress: bool = False, warn: bool = True):
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
    tone_curve : str, optional
        The file's tone curve (``"srgb"`` for a camera's JPEG): the deconvolution then
        works in linear light, where the blur happened (:mod:`proxdeblur.camera`); None:
        on the values as stored. The kernel estimate keeps the stored values unless
        ``kernel_options={"tone_curve": ...}`` says otherwise: in linear light it gains on
        synthetic sRGB photographs but on Lai et al.'s real ones it produced flat or
        fragmented kernels where the stored values gave clean strokes
        (``docs/real_photographs.md``).
    saturation : float or None
        Clip level: pixels at or above it in any channel are left out of the kernel fit
        and of the deconvolution's data term (``CLIP_LEVEL``; None: every pixel counts).
    safeguard : {"report", "fallback", "off"}
        The do-no-harm check of the restoration (:func:`~proxdeblur.safeguard.check_restoration`,
        on the kernel's window, on the stored values, its re-blur in linear light with
        ``tone_curve``), in ``info.check``;
        when it fires a warning says why. ``"fallback"`` also estimates the kernel a
        second time with a support ``AGREEMENT_MARGIN`` pixels wider (``AGREEMENT_OPTIONS``)
        and counts a disagreement of the two as a symptom (about the estimate's time
        again), and
        when the check fires falls back: where the kernels disagree, return the input
        unchanged (a stronger prior cannot mend the kernel); otherwise deconvolve again
        with the prior weight of a noisier image (``FALLBACK_NOISE``), and if that too
        looks harmful return the input unchanged (``info.fallback``). ``"report"`` is
        the default because the guard costs time and is not yet sure: on the held-out
        realistic benchmark ``"fallback"`` took the restorations worse than their input
        from 6 of 32 to 3 (caught by the kernels' disagreement), returned the input for
        two good restorations, left the mean gain where it was (+1.10 → +1.07 dB) and
        took 2.2 times as long (``docs/real_photographs.md``).
    light_streaks : bool
        Look for light streaks — point lights the shake drew as the kernel, agreeing
        with each other (:func:`~proxdeblur.blind.find_light_streak`, on the whole
        image) — and, where found, start the kernel estimate from the streak and pull
        it towards it (``streak_weight``; ``info.streak``). On by default: an image
        without three agreeing streaks is restored exactly as with False; on synthetic
        night scenes the kernel's similarity to the truth rose from 0.34 to 0.93 where
        streaks were found (``benchmarks/night.py``). With ``safeguard="fallback"`` the
        wider search follows the same streak, so the two kernels' agreement says little
        about it (the streaks' own agreement is the check there).
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
    if safeguard not in SAFEGUARD_MODES:
        raise InvalidArgumentError("safeguard", f"one of {SAFEGUARD_MODES}", repr(safeguard))
    if not isinstance(light_streaks, bool):
        raise InvalidArgumentError("light_streaks", "True or False", repr(light_streaks))
    kernel_options = {"saturation": saturation, **(kernel_options or {})}
    deconvolve_options = {"tone_curve": tone_curve, "saturation": saturation,
                          **(deconvolve_options or {})}
    check_arguments(prior, **deconvolve_options)  # before the kernel's long estimate
    side = _region_side(kernel_region, kernel_support(kernel_size, y.shape))
    source = y[..., 0] if y.ndim == 3 and y.shape[2] == 1 else y
    luminance = kernel_luminance(source)
    region = None if side is None else informative_region(luminance, side)
    # the colour window: the estimate finds clipped pixels in any channel
    evidence = source if region is None else source[region]
    streak = None
    if light_streaks:  # measured in linear light: a photograph's file is sRGB unless told
        streak = find_light_streak(luminance, kernel_size,
                                   tone_curve=kernel_options.get("tone_curve") or "srgb")
    streak_kernel = None if streak is None else streak.kernel
    kernel, estimate = estimate_kernel(evidence, kernel_size, image_step=image_step,
                                       progress=progress, streak=streak_kernel,
                                       **kernel_options)
    second = None
    if safeguard == "fallback":  # the agreement of a wider search (proxdeblur.safeguard)
        wider = tuple(min(s + AGREEMENT_MARGIN, largest_support(evidence.shape))
                      for s in kernel_support(kernel_size, evidence.shape))
        second, _ = estimate_kernel(evidence, wider, image_step=image_step,
                                    streak=streak_kernel,
                                    **{**kernel_options, **AGREEMENT_OPTIONS})
    kernel_seconds = time.perf_counter() - start
    del luminance, evidence  # a photograph's luminance is not needed by the deconvolution
    restored = deconvolve(y, kernel, prior=prior, progress=progress, **deconvolve_options)
    info = DeblurInfo(estimate=estimate, warnings=list(estimate.warnings), region=region,
                      kernel_seconds=kernel_seconds, streak=streak)
    if safeguard != "off":
        restored = _safeguarded(y, restored, kernel, prior, deconvolve_options, info,
                                fallback=safeguard == "fallback", second=second)
    info.seconds = time.perf_counter() - start
    info.deconvolution_seconds = info.seconds - kernel_seconds
    if warn:
        for message in info.warnings:
            warnings.warn(message, BlindDeblurWarning, stacklevel=2)
    return np.asarray(restored), kernel, info
