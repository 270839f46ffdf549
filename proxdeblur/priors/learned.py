"""Torch networks as prior operators: denoiser, restorer or prior gradient.

:class:`LearnedPrior` turns a ``torch.nn.Module`` into an operator on numpy
images in the library's conventions, in one of three roles:

* ``"denoiser"`` — ``D(x, sigma)``, sigma on the [0, 1] scale (as deepinv);
  its :meth:`~LearnedPrior.prox` makes it the z-step of plug-and-play HQS;
* ``"restorer"`` — ``N(x)``, maps a degraded estimate to a better one (the
  GCM generator, Bi-Skip, DMPHN, Golf's N1);
* ``"gradient"`` — ``g(x) ≈ −∇φ(x)`` (Golf's N2 residual).

The wrapper converts ``(H, W)`` / ``(H, W, C)`` float arrays to float32 NCHW
tensors on its device (CUDA when available, else CPU, overridable; the module
is moved there once, its convolution weights stored channels-last), runs in
inference mode, and converts back to the input's dtype. A one-channel network
processes the channels of a colour image as a batch; a colour network needs a
colour image. Images larger than ``tile_size`` are processed in overlapping
tiles whose outputs are blended with smooth weights: across each overlap a
tile's weight is 0 on the quarter nearest its edge and rises as a raised
cosine over the middle half. Where the network's receptive-field radius is
at most a quarter of the overlap, tiled and untiled outputs are equal up to
float rounding; beyond, they agree closely. Optionally the network is
averaged over symmetries of the square (``ensemble``, ``cycle``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import as_image, check_int, check_positive
from ..errors import InvalidArgumentError
from .base import denoiser_prox

__all__ = ["LearnedPrior", "LearnedDenoiser", "LearnedRestorer", "LearnedGradient", "ROLES",
           "ENSEMBLE_SIZES", "bf16_is_native", "default_device"]

ROLES = ("denoiser", "restorer", "gradient")
PRECISIONS = ("fp32", "bf16", "auto")
#: Sizes of the geometric self-ensemble: how many of the eight symmetries of
#: the square (see :data:`_SYMMETRIES`) are averaged.
ENSEMBLE_SIZES = (1, 2, 4, 8)


def _flip_both(a):
    return a[..., ::-1, ::-1]


def _flip_rows(a):
    return a[..., ::-1, :]


def _flip_columns(a):
    return a[..., :, ::-1]


def _transpose(a):
    return np.swapaxes(a, -1, -2)


def _anti_transpose(a):
    return _flip_both(np.swapaxes(a, -1, -2))


def _rotate_left(a):
    return np.rot90(a, 1, axes=(-2, -1))


def _rotate_right(a):
    return np.rot90(a, -1, axes=(-2, -1))


def _identity(a):
    return a


#: (transform, inverse) pairs over the last two axes, in ensemble order.
_SYMMETRIES = (
    (_identity, _identity),
    (_flip_both, _flip_both),
    (_flip_rows, _flip_rows),
    (_flip_columns, _flip_columns),
    (_transpose, _transpose),
    (_anti_transpose, _anti_transpose),
    (_rotate_left, _rotate_right),
    (_rotate_right, _rotate_left),
)


def bf16_is_native(device) -> bool:
    """Whether bfloat16 arithmetic is native on ``device`` (CUDA with BF16
    support, or a CPU with AVX-512 BF16 or AMX), i.e. whether ``"bf16"`` pays."""
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type != "cpu":
        return False
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def default_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, tile - overlap))
    return starts + [length - tile]


def _ramp(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    """Blending weights along one side of a tile.

    At an inner edge: 0 over the first quarter of the overlap (pixels whose
    receptive field reaches past the tile), a raised-cosine rise over its
    middle half, then 1; the neighbour's weights mirror these, so the two sum
    to 1 across the overlap. At an image border: 1.
    """
    weights = np.ones(length)
    margin, rise_length = overlap // 4, overlap - 2 * (overlap // 4)
    if rise_length > 0:
        rise = np.zeros(overlap)
        rise[margin : margin + rise_length] = 0.5 - 0.5 * np.cos(
            np.pi * (np.arange(rise_length) + 0.5) / rise_length)
        rise[margin + rise_length :] = 1.0
        if not at_start:
            weights[:overlap] = rise
        if not at_end:
            weights[-overlap:] = np.minimum(weights[-overlap:], rise[::-1])
    return weights


class LearnedPrior:
    """A torch module used as a prior operator (see the module docstring).

    Parameters
    ----------
    module : torch.nn.Module
        The network. Denoisers are called ``module(x, sigma)`` with ``sigma`` a
        ``(N,)`` tensor; restorers and gradient networks ``module(x)``.
    role : {"denoiser", "restorer", "gradient"}
        What the network computes.
    channels : int, optional
        Channels the network expects (default: ``module.channels`` or 1).
    device : str or torch.device, optional
        Where to run (default: CUDA when available, else CPU).
    tile_size : int
        Largest side processed in one piece; larger images are tiled.
    tile_overlap : int
        Overlap of neighbouring tiles, in pixels (< ``tile_size / 2``); exact
        tiling needs ``tile_overlap / 4`` ≥ the receptive-field radius.
    weight : float
        Denoiser role: the prior's weight λ in ``prox_{τλφ}``, whose noise
        level is ``sqrt(λτ)`` (see :meth:`prox`).
    precision : {"fp32", "bf16", "auto"}
        ``"bf16"`` runs the network under bfloat16 autocast (about twice as
        fast on CPUs with AVX-512 BF16 or on recent GPUs; the output keeps a
        relative precision of about 0.4 %); the default is float32;
        ``"auto"`` is ``"bf16"`` where :func:`bf16_is_native` on the device,
        else ``"fp32"`` (emulated bfloat16 is slower than float32).
    ensemble : {1, 2, 4, 8}
        Geometric self-ensemble (Timofte et al., "Seven ways to improve
        example-based single image super resolution", CVPR 2016; used by DPIR
        with 8): the output is the mean of ``T⁻¹(net(T x))`` over the first
        ``ensemble`` symmetries of the square — identity, half-turn, the two
        flips, transpose, anti-transpose, quarter-turns. It costs ``ensemble``
        network passes. For a network that is exactly equivariant it changes
        nothing; a trained network is only approximately so, and averaging
        its members removes part of its error (bundled DnCNN, σ = 25/255 on a
        96² crop of ``camera``: +0.15 dB with 2 members, +0.24 dB with 8).
    cycle : bool
        Let successive calls walk through the eight symmetries: call ``t``
        (counted from construction or :meth:`reset_cycle`) averages symmetries
        ``t·n, …, t·n + n − 1`` (mod 8) with ``n = ensemble``. In an iterative
        solver every iteration then sees the network under other symmetries,
        and the iterations average them at the cost of ``n`` passes per call —
        the equivariant plug-and-play of Terris et al. (CVPR 2024), with a
        deterministic cycle in place of their random draws, so that a run is
        reproducible. Off by default (each call the same first ``n``).
    """

    def __new__(cls, *args, **kwargs):
        # LearnedPrior(module, role) makes the role's class, which has that role's method
        # only, so that the role protocols (proxdeblur.priors.base) tell them apart
        if cls is LearnedPrior:
            role = kwargs.get("role", args[1] if len(args) > 1 else None)
            if role not in ROLES:
                raise InvalidArgumentError("role", f"one of {ROLES}", repr(role))
            cls = _ROLE_CLASSES[role]
        return super().__new__(cls)

    def __init__(self, module: nn.Module, role: str | None = None, *, channels: int | None = None,
                 device=None, tile_size: int = 512, tile_overlap: int = 96,
                 weight: float = 1.0, precision: str = "fp32", ensemble: int = 1,
                 cycle: bool = False):
        if not isinstance(module, nn.Module):
            raise InvalidArgumentError("module", "a torch.nn.Module", type(module).__name__)
        if role is not None and role != self.role:
            raise InvalidArgumentError("role", f"{self.role!r} for {type(self).__name__}",
                                       repr(role))
        self.device = torch.device(device) if device is not None else default_device()
        # channels-last (NHWC) weights: oneDNN's and cuDNN's fastest convolution layout
        # (1.3× in float32, 1.6× under bfloat16 for the bundled DnCNN on this CPU)
        self.module = module.to(self.device, memory_format=torch.channels_last).eval()
        self.channels = check_int(channels if channels is not None else
                                  getattr(module, "channels", 1), "channels")
        self.tile_size = check_int(tile_size, "tile_size", minimum=8)
        self.tile_overlap = check_int(tile_overlap, "tile_overlap", minimum=0)
        if 2 * self.tile_overlap >= self.tile_size:
            raise InvalidArgumentError("tile_overlap", f"less than tile_size / 2 = "
                                       f"{self.tile_size / 2:g}", tile_overlap)
        self.weight = check_positive(weight, "weight")
        if precision not in PRECISIONS:
            raise InvalidArgumentError("precision", f"one of {PRECISIONS}", repr(precision))
        if precision == "auto":
            precision = "bf16" if bf16_is_native(self.device) else "fp32"
        self.precision = precision
        if ensemble not in ENSEMBLE_SIZES:
            raise InvalidArgumentError("ensemble", f"one of {ENSEMBLE_SIZES}", repr(ensemble))
        self.ensemble = ensemble
        self.cycle = bool(cycle)
        self._calls = 0

    def __repr__(self) -> str:
        return (f"LearnedPrior({type(self.module).__name__}, role={self.role!r}, "
                f"device={str(self.device)!r}, precision={self.precision!r}, "
                f"ensemble={self.ensemble}, cycle={self.cycle})")

    def reset_cycle(self) -> None:
        """Start the cycle of symmetries (``cycle=True``) again from the identity."""
        self._calls = 0

    # -- numpy <-> torch, channels, tiles ----------------------------------------------
    def _apply(self, image, sigma: float | None) -> np.ndarray:
        array = as_image(image, "image", min_side=1)
        dtype = array.dtype
        planes = array if array.ndim == 3 else array[..., None]
        c = planes.shape[2]
        if self.channels == 1:
            batch = np.moveaxis(planes, 2, 0)[:, None]  # channels as a batch of gray images
        elif self.channels == c:
            batch = np.moveaxis(planes, 2, 0)[None]
        else:
            raise InvalidArgumentError("image", f"{self.channels} channels for this network",
                                       f"{c} channels")
        batch = batch.astype(np.float32)
        out = 0.0
        first = (self._calls * self.ensemble) % len(_SYMMETRIES) if self.cycle else 0
        self._calls += 1
        members = [_SYMMETRIES[(first + j) % len(_SYMMETRIES)] for j in range(self.ensemble)]
        for transform, inverse in members:
            out = out + inverse(self._tiled(np.ascontiguousarray(transform(batch)), sigma))
        out = out / self.ensemble if self.ensemble > 1 else out
        out = out[:, 0] if self.channels == 1 else out[0]
        out = np.moveaxis(out, 0, 2)
        return (out if array.ndim == 3 else out[..., 0]).astype(dtype)

    def _run(self, batch: np.ndarray, sigma: float | None) -> np.ndarray:
        with torch.inference_mode():
            tensor = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)
            with torch.autocast(self.device.type, dtype=torch.bfloat16,
                                enabled=self.precision == "bf16"):
                if self.role == "denoiser":
                    noise = torch.full((tensor.shape[0],), float(sigma), device=self.device)
                    result = self.module(tensor, noise)
                else:
                    result = self.module(tensor)
            return result.float().cpu().numpy()

    def _tiled(self, batch: np.ndarray, sigma: float | None) -> np.ndarray:
        h, w = batch.shape[-2:]
        tile, overlap = self.tile_size, self.tile_overlap
        if h <= tile and w <= tile:
            return self._run(batch, sigma)
        out = np.zeros(batch.shape, dtype=np.float64)
        total = np.zeros((h, w))
        rows, cols = _tile_starts(h, tile, overlap), _tile_starts(w, tile, overlap)
        for top in rows:
            th = min(tile, h)
            wy = _ramp(th, overlap, top == 0, top + th == h)
            for left in cols:
                tw = min(tile, w)
                wx = _ramp(tw, overlap, left == 0, left + tw == w)
                weights = np.outer(wy, wx)
                piece = self._run(batch[..., top : top + th, left : left + tw], sigma)
                out[..., top : top + th, left : left + tw] += piece * weights
                total[top : top + th, left : left + tw] += weights
        return out / total


class LearnedDenoiser(LearnedPrior):
    """A network in the denoiser role: ``denoise(x, sigma)``, and ``prox`` for PnP."""

    role = "denoiser"

    def denoise(self, image, sigma: float) -> np.ndarray:
        """``D(image, sigma)``; sigma ≥ 0 on the [0, 1] scale."""
        sigma = check_positive(sigma, "sigma", allow_zero=True)
        return self._apply(image, sigma)

    def __call__(self, image, sigma: float | None = None) -> np.ndarray:
        if sigma is None:
            raise InvalidArgumentError("sigma", "the noise level of a denoiser call")
        return self.denoise(image, sigma)

    def prox(self, x, tau: float) -> np.ndarray:
        """Plug-and-play proximal step ``D(x, sqrt(weight · tau))``
        (:func:`~proxdeblur.priors.base.denoiser_prox`)."""
        return denoiser_prox(self, x, tau, self.weight)


class LearnedRestorer(LearnedPrior):
    """A network in the restorer role: ``restore(x)`` (also ``self(x)``)."""

    role = "restorer"

    def restore(self, image) -> np.ndarray:
        """``N(image)`` of a restorer/generator."""
        return self._apply(image, None)

    def __call__(self, image) -> np.ndarray:
        return self.restore(image)


class LearnedGradient(LearnedPrior):
    """A network in the prior-gradient role: ``gradient(x) ≈ −∇φ(x)`` (also ``self(x)``)."""

    role = "gradient"

    def gradient(self, image) -> np.ndarray:
        """``g(image) ≈ −∇φ(image)`` of a prior-gradient network."""
        return self._apply(image, None)

    def __call__(self, image) -> np.ndarray:
        return self.gradient(image)


_ROLE_CLASSES = {"denoiser": LearnedDenoiser, "restorer": LearnedRestorer,
                 "gradient": LearnedGradient}
