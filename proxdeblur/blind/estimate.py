"""The coarse-to-fine estimate loop: :func:`estimate_kernel_iter` and :func:`estimate_kernel`.

At each level of the pyramid (:mod:`~proxdeblur.blind.pyramid`) the latent step
(:mod:`~proxdeblur.blind.latent_steps`) and the kernel step on the simplex
(:mod:`~proxdeblur.blind.kernel_step`) alternate on the image extended
periodically (:func:`~proxdeblur.padding.periodic_extension`). The latent model
sees the photograph's edges as steps through a Gaussian of ``edge_softness · s``
pixels at scale ``s``: the latent step deconvolves ``k ∗ g_σ`` and the kernel
step fits ``k`` to ``g_σ ∗ u``, so the kernel does not absorb the softness. The
latent's weight λ decays per alternation to a floor that rises with the noise.
The finest level adds alternations until the kernel settles; the final kernel
is cleaned of speckle, centred and returned on the requested support. A light
streak (:mod:`~proxdeblur.blind.streaks`), when given, starts the coarsest level
and pulls every kernel step towards itself at that level's scale. With a tone
curve, the ``linear_levels`` finest levels work in linear light and the coarser
ones on the stored values; λ starts afresh at the first level in linear light.
Measurements behind every default: ``docs/blind.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .._fft import fast_len
from .._validation import as_image
from ..camera import LUMINANCE, clipped_pixels, contrast_gain, to_linear
from ..errors import InvalidArgumentError
from ..kernels import centre_kernel, clean_kernel, heaviest_window, place_kernel, soften_kernel
from ..noise import estimate_noise
from ..padding import periodic_extension
from .diagnostics import KernelEstimate, LevelRecord, diagnose_kernel
from .kernel_step import as_latent, kernel_step
from .latent import Latent, select_edges
from .latent_steps import make_latent_step
from .observed import fits_inside, trusted_differences
from .options import EstimateOptions, KernelOptions, resolve_options
from .pyramid import (
    downscale,
    initial_kernel,
    kernel_support,
    largest_support,
    next_level_kernel,
    pyramid_levels,
    resize_kernel,
)
from .refine import hyper_laplacian_restore

__all__ = ["AlternationState", "estimate_kernel_iter", "estimate_kernel", "luminance",
           "LUMINANCE"]

#: From this share of clipped pixels (grown by a pixel) on, every level whose interior fits
#: fits the kernel on the observed interior without them, not only the finer half: on the
#: tuning split of ``benchmarks/realistic.py`` (1-6 % clipped) the mean gain over the input
#: was +2.70 dB with, +2.68 without, with 2 cases worse than their input against 3; a few
#: clipped pixels do not bias the kernel, and on Lai et al.'s ``lyndsey`` (0.01 % clipped)
#: the coarse levels' periodic fit keeps the similarity to the published kernel at 0.59
#: (0.41 when the observed fit is forced).
CLIPPED_SHARE = 0.005
#: A level whose clipped-pixel map (grown by the pyramid's downscaling) would leave less
#: than this share of its pixels in the kernel fit is fitted on every pixel instead.
MIN_TRUSTED = 0.5


@dataclass(frozen=True)
class AlternationState:
    """The estimate after one alternation (``stage`` ``"level"`` or ``"refine"``), or
    at the end (``"final"``, with ``estimate`` set and ``kernel`` the returned kernel).

    ``edge_softness`` is the Gaussian's width at this level (pixels of the level),
    ``observed`` the observed image's shape when the kernel step fitted its interior
    only, ``kernel_weight`` the step's ``η``, ``change`` the kernel's relative change.
    """

    stage: str
    level: int
    alternation: int
    scale: float
    kernel: np.ndarray
    latent: Latent | None
    lam: float = float("nan")
    lam_intensity: float = float("nan")
    edge_softness: float = 0.0
    observed: tuple[int, int] | None = None
    kernel_weight: float = float("nan")
    kernel_objective: tuple[float, float] = (float("nan"), float("nan"))
    change: float = float("nan")
    estimate: KernelEstimate | None = None


def luminance(image) -> np.ndarray:
    """The gray image the kernel is estimated on: ``image`` validated, colour reduced by
    :data:`LUMINANCE`, a constant image refused."""
    y = as_image(image, "image", min_side=16, unit=True)
    if y.ndim == 3:
        if y.shape[2] != 3:
            raise InvalidArgumentError("image", "a gray (H, W) or colour (H, W, 3) image",
                                       f"shape {y.shape}")
        y = y @ LUMINANCE
    if np.ptp(y) < 1e-6:
        raise InvalidArgumentError("image", "an image with some contrast", "a constant image")
    return y


def _noise_floor(y: np.ndarray, schedule) -> tuple[float, float]:
    """The noise level the estimate assumes for ``y`` and the floor of the latent's weight
    it sets (``max(lam_min, noise_floor · σ²)``)."""
    noise = schedule.noise
    if noise is None:
        noise = estimate_noise(y) if schedule.noise_floor > 0 else 0.0
    noise = max(noise, schedule.min_noise)
    return noise, max(schedule.lam_min, schedule.noise_floor * noise ** 2)


def _settle(candidate: np.ndarray, kernel: np.ndarray, options: KernelOptions):
    """The kernel step's result cleaned and centred, and its relative change from ``kernel``."""
    new = clean_kernel(candidate, options.threshold, options.prune)
    if options.centre:
        new = centre_kernel(new)
    return new, float(np.linalg.norm(new - kernel) / np.linalg.norm(kernel))


def _streak_at(streak: np.ndarray, scale: float, shape) -> np.ndarray:
    """The light streak seen at ``scale``, centred on a kernel of ``shape``."""
    natural = tuple(max(3, int(np.ceil(n * scale)) | 1) for n in streak.shape)
    return centre_kernel(place_kernel(resize_kernel(streak, natural), shape))


def _check_streak(streak, ksize) -> np.ndarray | None:
    """``streak`` validated: a non-negative kernel no larger than the support ``ksize``."""
    if streak is None:
        return None
    streak = np.asarray(streak, dtype=np.float64)
    if (streak.ndim != 2 or any(n > s for n, s in zip(streak.shape, ksize, strict=True))
            or not np.all(np.isfinite(streak)) or streak.min() < 0 or streak.sum() <= 0):
        raise InvalidArgumentError("streak", f"a non-negative kernel no larger than the "
                                   f"support {ksize}", getattr(streak, "shape", streak))
    return streak


def estimate_kernel_iter(image, kernel_size, *, image_step="l0",
                         options: EstimateOptions | None = None,
                         restore: Callable | None = None, progress: bool = False,
                         streak=None, **settings) -> Iterator[AlternationState]:
    """Generator form of :func:`estimate_kernel`: yields the state after each
    alternation, then a ``"final"`` state whose ``estimate`` is the result."""
    start = time.perf_counter()
    opts = resolve_options(options, **settings)
    pyramid, schedule, kopts = opts.pyramid, opts.schedule, opts.kernel
    step = make_latent_step(image_step)
    encoded = as_image(image, "image", min_side=16, unit=True)
    clipped = None if kopts.saturation is None else clipped_pixels(encoded, kopts.saturation)
    if clipped is not None and not clipped.any():
        clipped = None
    widely_clipped = clipped is not None and clipped.mean() >= CLIPPED_SHARE
    stored = luminance(encoded)
    y, gain = stored, 1.0
    if kopts.tone_curve is not None:
        y = luminance(to_linear(encoded, kopts.tone_curve))
        gain = contrast_gain(stored, y) if kopts.match_contrast else 1.0
        y = y * gain if gain != 1.0 else y
    del encoded
    ksize = kernel_support(kernel_size, y.shape)
    streak = _check_streak(streak, ksize)
    noise, lam_floor = _noise_floor(y, schedule)
    # the levels coarser than the linear_levels finest are fitted on the stored values,
    # with the latent's weight floor of their own noise level
    coarse = (None if y is stored or kopts.linear_levels is None
              else (stored, _noise_floor(stored, schedule)[1]))
    del stored
    search = tuple(max(s, min(s + 2 * pyramid.support_room, largest_support(y.shape)))
                   for s in ksize)
    estimate = KernelEstimate(noise_sigma=noise, lam_floor=lam_floor)
    levels = pyramid_levels(search, coarsest=pyramid.coarsest,
                            min_scale=pyramid.min_level_side / min(y.shape))
    # the index of the first level in linear light, where the stored levels (if any) end
    first_linear = 0 if coarse is None else max(len(levels) - kopts.linear_levels, 0)
    if streak is not None:
        streak = place_kernel(streak, search)
    kernel = (initial_kernel(levels[0].support) if streak is None
              else _streak_at(streak, levels[0].scale, levels[0].support))
    weight = kopts.eta * y.size
    pull = 0.0 if streak is None else kopts.streak_weight * y.size
    target = None
    lam, lam_i = schedule.lam, schedule.lam_intensity
    change, latent, paused = 1.0, None, 0.0
    for index, level in enumerate(tqdm(levels, desc="kernel levels", disable=not progress,
                                       leave=False)):
        level_start, paused_before = time.perf_counter(), paused
        if index > 0:
            kernel = next_level_kernel(kernel, level.scale / levels[index - 1].scale,
                                       level.support, levels[index - 1].support,
                                       pyramid.support_margin)
        level_image, level_floor = coarse if index < first_linear else (y, lam_floor)
        if 0 < index == first_linear:
            latent = None  # the previous latent is in the other domain
            lam, lam_i = schedule.lam, schedule.lam_intensity
        small = downscale(level_image, level.scale)
        blurred = periodic_extension(small, (fast_len(small.shape[0] + kernel.shape[0]),
                                             fast_len(small.shape[1] + kernel.shape[1])))
        observed = (small.shape if (level.scale >= kopts.observed_min_scale or widely_clipped)
                    and fits_inside(small.shape, kernel.shape) else None)
        valid = (None if clipped is None or observed is None
                 else downscale(clipped.astype(float), level.scale) < 0.01)
        if valid is not None and trusted_differences(valid).mean() < MIN_TRUSTED:
            valid = None  # too little left to fit at this level: every pixel counts
        step_max_iter = kopts.observed_max_iter if observed is not None else kopts.max_iter
        if streak is not None:
            target = _streak_at(streak, level.scale, kernel.shape)
        record = LevelRecord(level.scale, small.shape, kernel.shape)
        softness = pyramid.edge_softness * level.scale
        extra = pyramid.settle_max_iter if index == len(levels) - 1 else 0
        for alternation in range(pyramid.max_iter + extra):
            if alternation >= pyramid.max_iter and change < pyramid.settled_change:
                break
            t0 = time.perf_counter()
            latent = as_latent(step(blurred, soften_kernel(kernel, softness), lam,
                                    lam_intensity=lam_i, previous=latent))
            t1 = time.perf_counter()
            edges = (select_edges(latent, kernel.size, kopts.edge_ratio)
                     if kopts.edge_ratio > 0 else latent)
            result = kernel_step(edges.softened(softness), blurred, kernel, max_iter=step_max_iter,
                                 weight=weight, observed=observed, valid=valid, target=target,
                                 target_weight=pull)
            kernel, change = _settle(result.kernel, kernel, kopts)
            record.kernel_seconds += time.perf_counter() - t1
            record.latent_seconds += t1 - t0
            objective = (float(result.objective[0]), float(result.objective[-1]))
            record.kernel_objective.append(objective)
            pause = time.perf_counter()
            yield AlternationState("level", index, alternation, level.scale, kernel, latent, lam,
                                   lam_i, softness, observed, weight, objective, change)
            paused += time.perf_counter() - pause
            lam = max(lam / schedule.lam_decay, level_floor)
            lam_i = max(lam_i / schedule.lam_decay, level_floor) if lam_i > 0 else 0.0
        record.kernel_change = change
        record.seconds = time.perf_counter() - level_start - (paused - paused_before)
        estimate.levels.append(record)
    restore = restore or (lambda image, k: hyper_laplacian_restore(image, k, kopts.refine_lam))
    for alternation in range(kopts.refine):
        t0 = time.perf_counter()
        latent = Latent.from_image(periodic_extension(restore(y, kernel), blurred.shape))
        t1 = time.perf_counter()
        result = kernel_step(latent, blurred, kernel, max_iter=step_max_iter, weight=weight,
                             observed=observed, valid=valid, target=target, target_weight=pull)
        kernel, change = _settle(result.kernel, kernel, kopts)
        record = estimate.levels[-1]
        record.latent_seconds += t1 - t0
        record.kernel_seconds += time.perf_counter() - t1
        objective = (float(result.objective[0]), float(result.objective[-1]))
        record.kernel_objective.append(objective)
        record.seconds += time.perf_counter() - t0
        pause = time.perf_counter()
        yield AlternationState("refine", len(levels) - 1, alternation, 1.0, kernel, latent,
                               observed=observed, kernel_weight=weight,
                               kernel_objective=objective, change=change)
        paused += time.perf_counter() - pause
    kernel = clean_kernel(kernel, kopts.final_threshold, kopts.final_prune)
    if kopts.centre:
        kernel = centre_kernel(kernel)
    if kernel.shape != search:
        kernel = place_kernel(kernel, search)
    if search != ksize:
        kernel = heaviest_window(kernel, ksize)
    estimate.kernel = kernel
    estimate.latent = latent.picture(y.shape) / gain
    estimate.collapsed, estimate.converged, estimate.warnings = diagnose_kernel(
        kernel, change, pyramid.settled_change)
    estimate.seconds = time.perf_counter() - start - paused
    yield AlternationState("final", len(levels) - 1, 0, 1.0, kernel, latent, change=change,
                           estimate=estimate)


def estimate_kernel(image, kernel_size, *, image_step="l0", options: EstimateOptions | None = None,
                    restore: Callable | None = None, progress: bool = False,
                    callback: Callable | None = None, streak=None, **settings):
    """Estimate a blur kernel from a single blurred image (module docstring).

    Parameters
    ----------
    image : array_like (H, W) or (H, W, 3)
        The blurred image on [0, 1]; colour is reduced to its luminance.
    kernel_size : int or (int, int)
        Odd support to search, at most a third of the smaller image side; larger
        than the blur is safe (the support follows the kernel).
    image_step : str, LatentStep or Restorer
        The latent step: ``"l0"`` (ℓ0 of the gradient, Pan et al. 2014), ``"lp"``
        (hyper-Laplacian), ``"gcm"`` (GCM on the gradients, corrector only), an
        instance such as :class:`~proxdeblur.blind.GCMLatentStep` with a generator,
        any callable of the :class:`~proxdeblur.blind.LatentStep` signature, or a
        restorer (its output ``N(y)`` is the latent).
    options : EstimateOptions, optional
        Every setting, by group (:mod:`proxdeblur.blind.options`).
    restore : callable, optional
        ``restore(image, kernel)`` for the refinement steps (``refine > 0``); default
        a hyper-Laplacian HQS restoration of weight ``refine_lam``.
    progress : bool
        A progress bar over the pyramid levels.
    callback : callable, optional
        ``callback(state)`` with every :class:`AlternationState`.
    streak : ndarray, optional
        A light streak (:func:`~proxdeblur.blind.find_light_streak`'s ``kernel``, at
        most the support): the coarsest level starts from it and every kernel step
        adds ``½α‖k − t‖²``, ``t`` the streak at the level's scale, ``α =
        streak_weight · H·W``.
    **settings
        Any field of the option groups by name, e.g. ``noise=0.02``,
        ``edge_softness=0``, ``max_iter=3`` (alternations per level),
        ``kernel_max_iter=50``; replaces the field of ``options``.

    Returns
    -------
    kernel : ndarray (kh, kw)
        Non-negative, sums to 1.
    estimate : KernelEstimate
    """
    for state in estimate_kernel_iter(image, kernel_size, image_step=image_step, options=options,
                                      restore=restore, progress=progress, streak=streak,
                                      **settings):
        if callback is not None:
            callback(state)
    return state.kernel, state.estimate
