"""Light streaks: the blur kernel drawn by point lights in a night photograph.

A small bright light in a dark surround is, in linear light, a point source; the
shake draws it as the kernel itself — scaled, clipped where it saturates, on a
nearly constant background (Hu, Cho, Wang & Yang, "Deblurring low-light images
with light streaks", CVPR 2014). Where the gradient-based estimate has the least to
work with (dark, noisy, with clipped lamps), the streak shows the kernel's path
directly. :func:`find_light_streak` finds one:

1. **Candidates** — connected components (8-neighbours, across gaps of a pixel) of
   the luminance at or above ``bright`` whose bounding box fits the kernel support with
   room to spare and is at least ``MIN_LENGTH`` pixels long (a lamp that stays a dot says nothing about
   the shake) and at most ``MAX_THICKNESS`` thick on average (area over length: a
   shake draws a curve; a lit window or a sign is a plate), in a support-sized window
   whose surround — the window outside the component grown by ``SURROUND_GAP`` pixels —
   is dark (its 90th percentile at most ``dark``).
2. **The streak of a candidate** — the window in linear light minus its surround's
   median, negative values set to 0, restricted to the connected region above
   ``TAIL_LEVEL`` of its maximum that holds the component (the faint unclipped
   tails carry the kernel's ends), centred by its centre of mass, summing to 1.
3. **Consensus** — one kernel blurs every light of the photograph, while the
   false candidates (a lit window, a sign, a reflection) differ from each other.
   Each candidate counts the others whose streak has a similarity of at least
   ``agreement`` to its own (:func:`~proxdeblur.metrics.kernel_similarity`); a
   photograph has streaks when some candidate has at least ``min_partners``. Hu et al.
   rank candidates by how well each explains the image's power spectrum and then refine
   the kernel with several; agreement between lights is our sound reading of the same
   idea that needs no spectrum model, and it refuses a photograph with a single bright
   light rather than trusting it.
4. **The streak** — of the candidates so confirmed, the most concentrated (largest
   ``Σ s²``): a streak is the kernel blurred by the lamp's size and flattened where it
   clips, so the least clipped streak of the smallest lamp is the nearest to the kernel.
   (On the tuning split of ``benchmarks/night.py``, whose lights are single pixels,
   this and the candidate with the most partners are equally near the truth, 0.90; on a
   real night street, Lai et al.'s ``night5``, the candidate with the most partners is a
   large lamp's thick stroke and its restoration doubles every edge.)

The estimate starts from the streak and pulls every kernel step towards it
(:func:`~proxdeblur.blind.estimate_kernel`'s ``streak``). Pulling only the kernel's
support towards the streak's path and leaving its values to the image was tried: the
edge-based fit then collapses within the path (tuning split: similarity to the truth
0.40 against 0.90), so the streak's values are the target too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .._validation import as_image, check_in_range, check_int
from ..camera import LUMINANCE, check_tone_curve, to_linear
from ..kernels import centre_kernel
from ..metrics import kernel_similarity
from .pyramid import kernel_support

__all__ = ["LightStreak", "find_light_streak", "MIN_LENGTH", "MAX_THICKNESS", "MAX_CANDIDATES"]

#: A component shorter than this (pixels, its bounding box's longer side) is a dot.
MIN_LENGTH = 5
#: Largest mean thickness (area / longer bounding-box side, pixels) of a streak's core:
#: a lamp a few pixels wide drawn along a path, not a lit surface.
MAX_THICKNESS = 6.0
#: Pixels between a candidate and the surround whose darkness is tested.
SURROUND_GAP = 3
#: The streak keeps the connected region above this fraction of its maximum.
TAIL_LEVEL = 0.03
#: Only the largest candidates (by area) are compared: the brightest lights.
MAX_CANDIDATES = 32


@dataclass(frozen=True)
class LightStreak:
    """The light streak chosen by :func:`find_light_streak`.

    Attributes
    ----------
    kernel : ndarray
        The streak as a kernel on the search support (non-negative, sums to 1, centred).
    window : (slice, slice)
        Where in the image it was found.
    partners : int
        Other candidates whose streak agreed with it.
    candidates : int
        Candidates compared.
    agreement : float
        Mean similarity to its partners.
    """

    kernel: np.ndarray
    window: tuple
    partners: int
    candidates: int
    agreement: float

    @property
    def centre(self) -> tuple[int, int]:
        """The (row, column) of the window's centre in the image."""
        return ((self.window[0].start + self.window[0].stop) // 2,
                (self.window[1].start + self.window[1].stop) // 2)


def _similarities(streaks: list[np.ndarray]) -> np.ndarray:
    """Pairwise :func:`~proxdeblur.metrics.kernel_similarity` (by FFT: many pairs)."""
    table = np.eye(len(streaks))
    for i, j in zip(*np.triu_indices(len(streaks), k=1), strict=True):
        table[i, j] = table[j, i] = kernel_similarity(streaks[i], streaks[j], method="fft")
    return table


def _streak(linear: np.ndarray, component: np.ndarray, surround: np.ndarray) -> np.ndarray | None:
    """The streak of one candidate window (module docstring, step 2)."""
    excess = np.maximum(linear - np.median(linear[surround]), 0.0)
    if excess.max() <= 0:
        return None
    labels, _ = ndimage.label(excess > TAIL_LEVEL * excess.max(), structure=np.ones((3, 3)))
    keep = np.isin(labels, np.unique(labels[component & (labels > 0)]))
    streak = np.where(keep, excess, 0.0)
    total = streak.sum()
    return None if total <= 0 else centre_kernel(streak / total)


def find_light_streak(image, kernel_size, *, bright: float = 0.9, dark: float = 0.3,
                      agreement: float = 0.75, min_partners: int = 2,
                      tone_curve: str = "srgb") -> LightStreak | None:
    """The light streak of a photograph, or None (module docstring).

    Parameters
    ----------
    image : array_like (H, W) or (H, W, 3)
        The photograph on [0, 1] as stored (colour is reduced to its luminance).
    kernel_size : int or (int, int)
        The kernel support searched (as :func:`~proxdeblur.blind.estimate_kernel`);
        a streak's bounding box must be at least 4 pixels smaller.
    bright : float
        Luminance (stored) from which a pixel belongs to a light: 0.9, a lamp's core,
        which in a night photograph is clipped or nearly.
    dark : float
        Largest 90th percentile (stored) of a candidate's surround: 0.3, the dark side
        of a night scene (a light on a lit façade is not a point source on a
        constant background).
    agreement : float
        Similarity from which two candidates' streaks count as the same kernel: 0.75,
        above what two unrelated elongated blobs reach.
    min_partners : int
        Candidates that must agree with the chosen one: 2 (three lights in all), so
        that a single bright object is never taken for the kernel.
    tone_curve : str
        The file's tone curve (the streak is measured in linear light, where it is
        the kernel times the light's power); ``"linear"`` for linear data.
    """
    encoded = as_image(image, "image", min_side=16, unit=True)
    support = kernel_support(kernel_size, encoded.shape)
    check_in_range(bright, "bright", 0.0, 1.0)
    check_in_range(dark, "dark", 0.0, 1.0)
    check_in_range(agreement, "agreement", 0.0, 1.0)
    check_int(min_partners, "min_partners", minimum=1)
    check_tone_curve(tone_curve)
    luminance = encoded if encoded.ndim == 2 else encoded @ LUMINANCE
    core = luminance >= bright
    # a streak's core breaks where the shake moved fast: gaps of a pixel are bridged
    labels, _ = ndimage.label(ndimage.binary_dilation(core, structure=np.ones((3, 3))),
                              structure=np.ones((3, 3)))
    labels[~core] = 0
    (sh, sw), (hh, hw) = support, (support[0] // 2, support[1] // 2)
    found = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
        if max(height, width) < MIN_LENGTH or height > sh - 4 or width > sw - 4:
            continue
        area = int(np.count_nonzero(labels[box] == index))
        if area > MAX_THICKNESS * max(height, width):
            continue
        cy, cx = (box[0].start + box[0].stop) // 2, (box[1].start + box[1].stop) // 2
        if (cy < hh or cx < hw or cy + hh >= luminance.shape[0]
                or cx + hw >= luminance.shape[1]):
            continue
        window = (slice(cy - hh, cy + hh + 1), slice(cx - hw, cx + hw + 1))
        component = labels[window] == index
        surround = ~ndimage.binary_dilation(component, iterations=SURROUND_GAP)
        if not surround.any() or np.quantile(luminance[window][surround], 0.9) > dark:
            continue
        found.append((area, window, component, surround))
    found = sorted(found, key=lambda c: -c[0])[:MAX_CANDIDATES]
    streaks, windows = [], []
    for _, window, component, surround in found:
        streak = _streak(to_linear(luminance[window], tone_curve), component, surround)
        if streak is not None:  # the window is the support: the streak is a kernel on it
            streaks.append(streak)
            windows.append(window)
    if len(streaks) < min_partners + 1:
        return None
    table = _similarities(streaks)
    agrees = (table >= agreement) & ~np.eye(len(streaks), dtype=bool)
    partners = agrees.sum(axis=1)
    means = np.where(partners > 0, (table * agrees).sum(axis=1) / np.maximum(partners, 1), 0.0)
    if partners.max() < min_partners:
        return None
    # of the lights the others confirm, the most concentrated streak: the least clipped,
    # from the smallest lamp (a streak is the kernel blurred by the lamp's size)
    concentration = np.array([float(np.sum(s * s)) for s in streaks])
    best = int(np.argmax(np.where(partners >= min_partners, concentration, -1.0)))
    return LightStreak(streaks[best], windows[best], int(partners[best]), len(streaks),
                       float(means[best]))
