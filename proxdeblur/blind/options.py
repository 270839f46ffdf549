"""The blind kernel estimate's settings: three small frozen, validated dataclasses.

:class:`PyramidOptions` (the coarse-to-fine loop and its support),
:class:`ScheduleOptions` (the latent step's weight λ and its noise-aware floor)
and :class:`KernelOptions` (the kernel step on the simplex and its clean-up).
Every field is validated when the object is made; the error names the field,
which is also the keyword :func:`~proxdeblur.blind.estimate_kernel` takes for it.
:func:`resolve_options` routes such keywords to the dataclass that holds them.
Why each default is what it is: the field's comment here, the measurements in
``docs/blind.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .._validation import check_in_range, check_int, check_positive
from ..camera import CLIP_LEVEL, check_clip_level, check_tone_curve
from ..errors import InvalidArgumentError

__all__ = ["PyramidOptions", "ScheduleOptions", "KernelOptions", "EstimateOptions",
           "resolve_options", "JPEG_NOISE", "EDGE_SOFTNESS"]

#: Error level assumed for JPEG photographs (``min_noise``): their departure from the
#: model (compression, in-camera processing) is structured, and the wavelet noise
#: estimate sees almost none of it.
JPEG_NOISE = 0.01
#: Standard deviation (pixels of the input) of the Gaussian through which the sparse
#: latent's step edges are seen, the softness of a photograph's edges.
EDGE_SOFTNESS = 0.5


def _fraction(value, name: str) -> float:
    return check_in_range(value, name, 0.0, 1.0, low_open=False)


@dataclass(frozen=True)
class PyramidOptions:
    """The coarse-to-fine loop (factor √2 per level).

    Attributes
    ----------
    max_iter : int
        Latent/kernel alternations per level (5, as in Pan et al.'s code).
    settle_max_iter : int
        At the finest level, up to this many more alternations while the kernel
        still changes by ``settled_change`` or more per alternation; 12 settles all
        but 3 of Lai et al.'s 30 real photographs and leaves Levin unchanged.
    settled_change : float
        Relative change of the kernel in one alternation below which it has settled.
    coarsest : int
        Kernel side at the coarsest level (about).
    min_level_side : int
        No level's image is smaller than this on its smaller side (32: smaller
        images hold no usable edges); 0 disables.
    support_margin : float
        From the second level on the support is at most ``ratio · extent ·
        (1 + support_margin) + 2`` pixels (``extent`` the previous level's
        :func:`~proxdeblur.kernels.kernel_extent`); 0 keeps the full support.
    support_room : int
        Search a support this many pixels wider on every side and cut the final
        kernel back by its heaviest window; 0 (off: not confirmed held out).
    edge_softness : float
        :data:`EDGE_SOFTNESS` (0.5 px): the latent's edges are modelled as steps seen
        through a Gaussian of this width; 0 fits the kernel to the steps themselves.
    """

    max_iter: int = 5
    settle_max_iter: int = 12
    settled_change: float = 0.05
    coarsest: int = 3
    min_level_side: int = 32
    support_margin: float = 0.25
    support_room: int = 0
    edge_softness: float = EDGE_SOFTNESS

    def __post_init__(self):
        check_int(self.max_iter, "max_iter")
        check_int(self.settle_max_iter, "settle_max_iter", minimum=0)
        check_positive(self.settled_change, "settled_change")
        check_int(self.coarsest, "coarsest", minimum=1)
        check_int(self.min_level_side, "min_level_side", minimum=0)
        check_positive(self.support_margin, "support_margin", allow_zero=True)
        check_int(self.support_room, "support_room", minimum=0)
        check_positive(self.edge_softness, "edge_softness", allow_zero=True)


@dataclass(frozen=True)
class ScheduleOptions:
    """The latent step's weights: ``λ`` (gradient) and ``λ_i`` (intensity).

    After every alternation both are divided by ``lam_decay`` (carried across
    levels), down to the floor ``max(lam_min, noise_floor · σ²)``, σ the noise
    level (``noise``, or estimated; at least ``min_noise``). The defaults are the
    schedule of Pan et al.'s code in our ½ convention (their 4e-3 is our 2e-3,
    ÷1.1 per alternation, floor 1e-4) with no intensity term; the noise floor 3σ²
    matched the best fixed floor at σ = 0.01 and 0.02 held out.
    """

    lam: float = 2e-3
    lam_intensity: float = 0.0
    lam_decay: float = 1.1
    lam_min: float = 1e-4
    noise_floor: float = 3.0
    noise: float | None = None
    min_noise: float = 0.0

    def __post_init__(self):
        check_positive(self.lam, "lam")
        check_positive(self.lam_intensity, "lam_intensity", allow_zero=True)
        check_positive(self.lam_decay, "lam_decay")
        check_positive(self.lam_min, "lam_min", allow_zero=True)
        check_positive(self.noise_floor, "noise_floor", allow_zero=True)
        if self.noise is not None:
            check_positive(self.noise, "noise", allow_zero=True)
        check_positive(self.min_noise, "min_noise", allow_zero=True)


@dataclass(frozen=True)
class KernelOptions:
    """The kernel step on the simplex (Liu et al. 2018, eq. 6) and the kernel's clean-up.

    Attributes
    ----------
    eta : float
        Weight of ``½η‖k‖²`` per input pixel (``η = eta · H·W`` at every level, so
        the coarse levels keep a spread kernel).
    max_iter : int
        Accelerated projected-gradient iterations per kernel step where it fits
        every pixel of the periodic arrays.
    observed_min_scale : float
        From this scale on (0.5: the finer half of the pyramid) the kernel is
        fitted to the observed interior only; 0: every level; above 1: none.
    observed_max_iter : int
        Majorize–minimize steps per kernel step on the observed interior.
    threshold, prune : float
        Clean-up after every kernel step (:func:`~proxdeblur.kernels.clean_kernel`);
        off: at the coarse levels a shake's faint tails are separate weak components.
    final_threshold, final_prune : float
        Clean-up of the final kernel (2 % of the maximum and of the mass): removes
        the speckle a generous support collects.
    centre : bool
        Shift the kernel by whole pixels so that its centre of mass is at its centre.
    edge_ratio : float
        When > 0 the kernel step sees only the strongest latent gradients
        (:func:`~proxdeblur.blind.latent.select_edges`); off.
    refine : int
        Kernel steps after the pyramid whose latent is a restoration of the whole
        image (``restore`` of :func:`~proxdeblur.blind.estimate_kernel`); off.
    refine_lam : float
        Weight of the default refinement restorer's hyper-Laplacian prior.
    saturation : float or None
        Clip level of the input (any channel, :func:`~proxdeblur.camera.clipped_pixels`):
        the levels fitted on the observed interior leave those pixels out
        (:func:`~proxdeblur.blind.observed.observed_kernel_step`), and where at least
        ``CLIPPED_SHARE`` of them clip every level whose interior fits is fitted so;
        None: every pixel counts. An image without clipped pixels is unaffected.
    tone_curve : str or None
        The input's tone curve (``"srgb"``, ``"gamma2.2"``): the kernel is estimated on
        the image taken to linear light, where the blur happened (:mod:`proxdeblur.camera`;
        on a gamma-encoded synthetic blur the kernel's similarity to the truth falls from
        0.92 to 0.57 without it, ``docs/real_photographs.md``) at the ``linear_levels``
        finest levels. None: as stored.
    match_contrast : bool
        With ``tone_curve``, scale the linear-light luminance so that its gradients'
        root mean square is at least the stored image's
        (:func:`~proxdeblur.camera.contrast_gain`): the estimate's weights are set for
        encoded images, and a dark photograph's linear-light gradients are several
        times weaker, so that fixed weights would erase its content. Never a gain
        below 1: a bright image keeps its linear-light scale.
    linear_levels : int or None
        With ``tone_curve``, how many of the finest pyramid levels are fitted in linear
        light; the coarser ones are fitted on the stored values, and the first level in
        linear light starts the latent's weight ``lam`` afresh, as the coarsest level does
        (carried on, the tuning split's mean similarity is 0.677 instead of 0.711). None:
        every level. 2, because real photographs favour the stored values and synthetic
        ones linear light: the coarse levels find the kernel's path, which on Lai et al.'s
        photographs every level in linear light fragments (median similarity to the
        published kernels 0.74, against 0.82 on the stored values and 0.82 with two), and
        the finest levels fit its shape where the blur happened (tuning split of
        ``benchmarks/realistic.py``: similarity to the truth 0.666 on the stored values,
        0.711 with two, 0.733 with every level).
    streak_weight : float
        With a light streak (``streak`` of :func:`~proxdeblur.blind.estimate_kernel`),
        the weight of ``½α‖k − t‖²`` per input pixel (``α = streak_weight · H·W``, as
        ``eta``): 0.3, where the kernel's similarity to the truth stops rising on the
        tuning split of ``benchmarks/night.py`` (0.31 without the streak, 0.65 at 0.1,
        0.658 at 0.3, 0.659 at 1).
    """

    eta: float = 1.5e-4
    max_iter: int = 100
    observed_min_scale: float = 0.5
    observed_max_iter: int = 6
    threshold: float = 0.0
    prune: float = 0.0
    final_threshold: float = 0.02
    final_prune: float = 0.02
    centre: bool = True
    edge_ratio: float = 0.0
    refine: int = 0
    refine_lam: float = 3e-4
    saturation: float | None = CLIP_LEVEL
    tone_curve: str | None = None
    match_contrast: bool = True
    streak_weight: float = 0.3
    linear_levels: int | None = 2

    def __post_init__(self):
        check_positive(self.eta, "eta", allow_zero=True)
        check_int(self.max_iter, "kernel_max_iter")
        check_positive(self.observed_min_scale, "observed_min_scale", allow_zero=True)
        check_int(self.observed_max_iter, "observed_max_iter")
        for name in ("threshold", "prune", "final_threshold", "final_prune"):
            _fraction(getattr(self, name), name)
        check_positive(self.edge_ratio, "edge_ratio", allow_zero=True)
        check_int(self.refine, "refine", minimum=0)
        check_positive(self.refine_lam, "refine_lam")
        check_clip_level(self.saturation)
        check_tone_curve(self.tone_curve)
        check_positive(self.streak_weight, "streak_weight", allow_zero=True)
        if self.linear_levels is not None:
            check_int(self.linear_levels, "linear_levels", minimum=1)


@dataclass(frozen=True)
class EstimateOptions:
    """All settings of :func:`~proxdeblur.blind.estimate_kernel`, by group."""

    pyramid: PyramidOptions = PyramidOptions()
    schedule: ScheduleOptions = ScheduleOptions()
    kernel: KernelOptions = KernelOptions()


#: Keywords whose name differs from their field (two groups have a ``max_iter``).
_RENAMED = {"kernel_max_iter": ("kernel", "max_iter")}


def _keyword_map() -> dict[str, tuple[str, str]]:
    groups = {"pyramid": PyramidOptions, "schedule": ScheduleOptions, "kernel": KernelOptions}
    names = dict(_RENAMED)
    for group, cls in groups.items():
        for field in dataclasses.fields(cls):
            if (group, field.name) not in _RENAMED.values():
                names[field.name] = (group, field.name)
    return names


def resolve_options(options: EstimateOptions | None = None, **keywords) -> EstimateOptions:
    """``options`` (default: all defaults) with some fields replaced by keyword.

    Every field of the three groups can be given by its name (``kernel_max_iter``
    for :attr:`KernelOptions.max_iter`); an unknown name is refused, naming it.
    """
    if options is None:
        options = EstimateOptions()
    elif not isinstance(options, EstimateOptions):
        raise InvalidArgumentError("options", "an EstimateOptions", type(options).__name__)
    names = _keyword_map()
    changes: dict[str, dict] = {}
    for keyword, value in keywords.items():
        if keyword not in names:
            raise InvalidArgumentError(keyword, "an option of estimate_kernel (a field of "
                                       "PyramidOptions, ScheduleOptions or KernelOptions)",
                                       "an unknown option")
        group, field = names[keyword]
        changes.setdefault(group, {})[field] = value
    return dataclasses.replace(options, **{
        group: dataclasses.replace(getattr(options, group), **fields)
        for group, fields in changes.items()})
