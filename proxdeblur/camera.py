"""What a camera does to light after the blur: the tone curve and clipping.

Blur happens in linear light — the sensor integrates the scene's radiance over
the exposure — but a photograph's file holds values through the camera's tone
curve (sRGB, roughly a 1/2.2 power) and clipped at full scale. Deconvolving the
encoded values fits a linear model to a nonlinear observation: edges between a
dark and a bright region are blurred asymmetrically, and a clipped highlight is
not the kernel times the scene. This module holds the two pieces the data terms
need: the tone curve (to work in linear light where the curve is known) and the
map of pixels whose value the clipping decided (to leave out of the fit; Cho,
Wang & Lee, "Handling outliers in non-blind image deconvolution", ICCV 2011;
Whyte, Sivic & Zisserman, "Deblurring shaken and partially saturated images",
IJCV 2014).
"""

from __future__ import annotations

import io as _bytes_io
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .errors import InvalidArgumentError

__all__ = ["LUMINANCE", "TONE_CURVES", "check_clip_level", "check_tone_curve", "to_linear",
           "from_linear", "clipped_pixels", "CLIP_LEVEL", "CLIP_MARGIN", "Capture", "capture",
           "contrast_gain", "jpeg"]

#: Rec. 709 luminance weights: a colour image's kernel is estimated on its luminance, and
#: colour training images are taken to gray with them.
LUMINANCE = np.array([0.2125, 0.7154, 0.0721])

#: Tone curves by name: ``"srgb"`` (IEC 61966-2-1, the curve of JPEG photographs),
#: ``"gamma2.2"`` (a pure power) and ``"linear"`` (the identity: raw or linear data).
TONE_CURVES = ("srgb", "gamma2.2", "linear")

#: Encoded value from which a pixel counts as clipped: 8-bit files store full scale as
#: 255, and JPEG's ringing pulls a clipped plateau a few levels below it (250/255).
CLIP_LEVEL = 0.98
#: Pixels around a clipped one also left out (radius): JPEG's 8×8 blocks and the
#: camera's sharpening smear the plateau's edge by a pixel or two.
CLIP_MARGIN = 1


def _curve(name) -> str:
    if name not in TONE_CURVES:
        raise InvalidArgumentError("tone_curve", f"one of {TONE_CURVES}", repr(name))
    return name


def check_tone_curve(name, argument: str = "tone_curve"):
    """``name`` if it is one of :data:`TONE_CURVES` or None, else an error naming ``argument``."""
    if name is not None and name not in TONE_CURVES:
        raise InvalidArgumentError(argument, f"one of {TONE_CURVES} or None", repr(name))
    return name


def check_clip_level(level, argument: str = "saturation"):
    """``level`` as a float if it is a clip level in (0, 1], None if None, else an error
    naming ``argument``."""
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, (int, float, np.number)) \
            or not 0 < level <= 1:
        raise InvalidArgumentError(argument, "a clip level in (0, 1] or None", level)
    return float(level)


def _odd_curve(values, curve: str, srgb, power: float) -> np.ndarray:
    """``values`` through a tone curve on their magnitude with their sign kept (the odd
    extension), ``srgb`` or ``|v|^power`` by name; the identity for ``"linear"``."""
    curve = _curve(curve)
    v = np.asarray(values, dtype=np.float64)
    if curve == "linear":
        return v.copy()
    a = np.abs(v)
    return np.copysign(a ** power if curve == "gamma2.2" else srgb(a), v)


#: sRGB's breakpoint in encoded values (IEC 61966-2-1) and the same point in linear light.
#: The standard rounds the latter to 0.0031308; between that and 0.04045/12.92 the two
#: pieces disagree by 3e-8, so the linear breakpoint is taken as the encoded one's image
#: and the pair of curves inverts each other exactly.
SRGB_KNEE = 0.04045
SRGB_LINEAR_KNEE = SRGB_KNEE / 12.92


def to_linear(image, curve: str = "srgb") -> np.ndarray:
    """Encoded values on [0, 1] to linear light: the inverse of :func:`from_linear`.

    sRGB: ``v/12.92`` up to 0.04045, else ``((v + 0.055)/1.055)^2.4``. Values outside
    [0, 1] (a restoration's overshoot) are mapped by the curve's odd extension, so that
    the round trip is exact everywhere.
    """
    return _odd_curve(image, curve, lambda a: np.where(
        a <= SRGB_KNEE, a / 12.92, ((a + 0.055) / 1.055) ** 2.4), 2.2)


def from_linear(image, curve: str = "srgb") -> np.ndarray:
    """Linear light to encoded values: sRGB ``12.92 x`` up to 0.04045/12.92 (the standard's
    0.0031308, ``SRGB_LINEAR_KNEE``), else ``1.055 x^(1/2.4) − 0.055`` (odd extension
    outside [0, 1], see :func:`to_linear`)."""
    return _odd_curve(image, curve, lambda a: np.where(
        a <= SRGB_LINEAR_KNEE, 12.92 * a, 1.055 * a ** (1 / 2.4) - 0.055), 1 / 2.2)


def clipped_pixels(image, level: float = CLIP_LEVEL, margin: int = CLIP_MARGIN) -> np.ndarray:
    """Boolean ``(H, W)`` map of the pixels whose value clipping may have decided: any
    channel at ``level`` or above, grown by ``margin`` pixels (a square neighbourhood).

    Parameters
    ----------
    image : ndarray (H, W) or (H, W, C)
        Encoded values on [0, 1].
    level : float
        Clip threshold in (0, 1] (``CLIP_LEVEL``).
    margin : int
        Radius of the dilation (``CLIP_MARGIN``); 0: the clipped pixels alone.
    """
    y = np.asarray(image)
    if y.ndim not in (2, 3):
        raise InvalidArgumentError("image", "a gray (H, W) or colour (H, W, C) image",
                                   f"shape {y.shape}")
    if check_clip_level(level) is None:
        raise InvalidArgumentError("saturation", "a clip level in (0, 1]", level)
    if int(margin) != margin or margin < 0:
        raise InvalidArgumentError("margin", "a whole number of pixels >= 0", margin)
    clipped = y >= level
    if clipped.ndim == 3:
        clipped = clipped.any(axis=2)
    if margin and clipped.any():
        clipped = ndimage.binary_dilation(clipped, np.ones((2 * margin + 1,) * 2, dtype=bool))
    return clipped


def contrast_gain(encoded, linear) -> float:
    """Gain that brings the gradients of ``linear`` (an image taken to linear light) to
    the root-mean-square gradient of ``encoded`` (the same image as stored), never
    below 1.

    ``g = max(1, ‖∇e‖₂ / ‖∇l‖₂)`` over horizontal and vertical forward differences.
    Weights set for encoded images then see the contrast they were set for: a dark
    photograph's linear-light gradients are 2–4 times weaker than its encoded ones
    (Lai et al.'s night and indoor scenes), while a well-exposed one's are about as
    strong (0.6–1.0 on the realistic benchmark's images), which is why the gain only
    amplifies. Both images are gray ``(H, W)`` arrays of one shape; a flat ``linear``
    image gets 1.
    """
    e, lin = np.asarray(encoded, dtype=float), np.asarray(linear, dtype=float)
    if e.shape != lin.shape or e.ndim != 2:
        raise InvalidArgumentError("linear", f"a gray image of the encoded one's shape {e.shape}",
                                   f"shape {lin.shape}")

    def energy(a):
        return float(np.sum(np.diff(a, axis=0) ** 2) + np.sum(np.diff(a, axis=1) ** 2))

    strength = energy(lin)
    return 1.0 if strength == 0 else max(1.0, float(np.sqrt(energy(e) / strength)))


def jpeg(image, quality: int) -> np.ndarray:
    """``image`` on [0, 1] (gray or RGB) stored as an 8-bit JPEG of ``quality`` (Pillow,
    4:2:0 chroma subsampling as cameras do) and decoded again."""
    from PIL import Image

    if int(quality) != quality or not 1 <= quality <= 95:
        raise InvalidArgumentError("quality", "a JPEG quality from 1 to 95", quality)
    buffer = _bytes_io.BytesIO()
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(buffer, "JPEG", quality=int(quality))
    return np.asarray(Image.open(buffer), dtype=np.float64) / 255


@dataclass
class Capture:
    """A simulated photograph of a scene: what :func:`capture` returns.

    Attributes
    ----------
    blurred : ndarray
        The file's values on [0, 1]: blurred in linear light, noisy, clipped, encoded,
        8-bit JPEG; the scene's centre, ``kernel − 1`` pixels smaller (``"valid"``).
    sharp : ndarray
        What the same exposure records without the shake (clipped and encoded, no noise,
        no compression), of ``blurred``'s shape: the truth to score against.
    gain : float
        The exposure: linear scene values were multiplied by it.
    clipped : float
        Fraction of ``blurred``'s pixels that clipped at full scale.
    """

    blurred: np.ndarray
    sharp: np.ndarray
    gain: float
    clipped: float


def capture(scene, kernel, *, rng, clip_fraction: float = 0.02, max_gain: float = 4.0,
            shot: float = 2e-4, read: float = 0.003, quality: int | None = 90,
            curve: str = "srgb", lights=None) -> Capture:
    """Photograph an encoded sharp ``scene`` through a shaking camera (a realistic test case).

    The scene (``(H, W)`` or ``(H, W, 3)`` on [0, 1], encoded by ``curve``) is taken to
    linear light and exposed by a gain chosen so that ``clip_fraction`` of the blurred
    pixels exceed full scale (at most ``max_gain``, at least 1); blurred by ``kernel``
    (the ``"valid"`` model: the frame sees the scene's centre); given Poisson–Gaussian
    noise of variance ``shot·x + read²`` (Foi et al. 2008's model of a raw sensor);
    clipped to [0, 1]; encoded by ``curve``; rounded to 8 bits; and, unless ``quality``
    is None, JPEG-compressed at that quality. ``rng`` (a ``numpy.random.Generator``)
    makes it reproducible. ``lights`` (the scene's ``(H, W)`` shape, linear light, may
    exceed 1) is added to the linear scene before the exposure: point lights, which a
    shake draws as light streaks.
    """
    from .operators import Convolution

    scene = np.asarray(scene, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if not 0 <= clip_fraction < 1:
        raise InvalidArgumentError("clip_fraction", "a fraction in [0, 1)", clip_fraction)
    if max_gain < 1:
        raise InvalidArgumentError("max_gain", "a gain >= 1", max_gain)
    linear = to_linear(np.clip(scene, 0, 1), curve)
    if lights is not None:
        lights = np.asarray(lights, dtype=np.float64)
        if lights.shape != scene.shape[:2] or lights.min() < 0 or not np.all(np.isfinite(lights)):
            raise InvalidArgumentError("lights", f"a non-negative map of the scene's shape "
                                       f"{scene.shape[:2]}", lights.shape)
        linear = linear + (lights if scene.ndim == 2 else lights[..., None])
    blur = Convolution(kernel, "valid", normalize=True)
    blurred = blur.forward(linear)
    level = float(np.quantile(blurred, 1 - clip_fraction)) if clip_fraction > 0 else 1.0
    gain = float(np.clip(1.0 / max(level, 1e-6), 1.0, max_gain))
    blurred = gain * blurred
    noisy = blurred + np.sqrt(shot * np.maximum(blurred, 0) + read**2) * rng.standard_normal(
        blurred.shape)
    clipped = float(np.mean(noisy >= 1))
    encoded = np.round(from_linear(np.clip(noisy, 0, 1), curve) * 255) / 255
    if quality is not None:
        encoded = jpeg(encoded, quality)
    kh, kw = kernel.shape
    sharp = np.clip(gain * linear, 0, 1)[kh // 2: kh // 2 + encoded.shape[0],
                                         kw // 2: kw // 2 + encoded.shape[1]]
    return Capture(encoded, from_linear(sharp, curve), gain, clipped)
