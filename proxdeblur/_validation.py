"""Argument checks shared by the public functions (private module)."""

from __future__ import annotations

import numbers

import numpy as np

from .errors import InvalidArgumentError

__all__ = [
    "as_image",
    "check_unit_weights",
    "UNIT_RANGE",
    "as_kernel",
    "check_positive",
    "check_in_range",
    "check_int",
]


def _describe(array: np.ndarray) -> str:
    return f"array of shape {array.shape} and dtype {array.dtype}"


#: Float images whose values leave this band are on another scale (0–255, 0–65535):
#: the functions that take a photograph refuse them instead of restoring nonsense.
#: Noisy images and restorations overshoot [0, 1]: at the largest noise level the
#: denoisers take (σ = 50/255) a white pixel passes 2 with probability 2e-7.
UNIT_RANGE = (-1.0, 2.0)


def as_image(image, name: str = "image", *, min_side: int = 2, unit: bool = False) -> np.ndarray:
    """Validate an image and return it as a float array (the scale policy).

    Integer (and boolean) arrays are pixel codes: they are divided by their dtype's
    maximum (uint8 by 255, uint16 by 65535), as scikit-image's ``img_as_float``
    does, and returned as float64. float32 input stays float32, other floats become
    float64, values kept. With ``unit=True`` (the functions that take a photograph:
    ``deconvolve``, ``deblur``, ``estimate_kernel``, ``denoise``, the GCM
    applications, ``io.write_image``) float values must lie within
    :data:`UNIT_RANGE`: a float image on the 0–255 scale is refused with a message
    that says so. Accepted shapes are ``(H, W)`` and ``(H, W, C)``; all values must
    be finite.
    """
    array = np.asarray(image)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating)
        or np.issubdtype(array.dtype, np.integer)
        or array.dtype == bool
    ):
        raise InvalidArgumentError(name, "a real-valued array", _describe(array))
    if array.ndim not in (2, 3):
        raise InvalidArgumentError(name, "a 2-D (H, W) or 3-D (H, W, C) array", _describe(array))
    if array.shape[0] < min_side or array.shape[1] < min_side:
        raise InvalidArgumentError(
            name, f"height and width of at least {min_side} pixels", _describe(array)
        )
    if array.ndim == 3 and array.shape[2] == 0:
        raise InvalidArgumentError(name, "at least one channel", _describe(array))
    if array.dtype == bool:
        return array.astype(np.float64)
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float64) / np.iinfo(array.dtype).max
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    array = array.astype(dtype, copy=False)
    if not np.all(np.isfinite(array)):
        raise InvalidArgumentError(name, "finite values (no NaN or Inf)", "non-finite pixels")
    if unit:
        low, high = float(array.min()), float(array.max())
        if low < UNIT_RANGE[0] or high > UNIT_RANGE[1]:
            raise InvalidArgumentError(
                name, "values on the [0, 1] scale (floats between -1 and 2; divide 8-bit "
                "values by 255 and 16-bit ones by 65535, or pass the integer array itself)",
                f"values from {low:.4g} to {high:.4g}")
    return array


def as_kernel(kernel, name: str = "kernel", *, normalize: bool = False) -> np.ndarray:
    """Validate a blur kernel: 2-D, odd-sized, finite, non-negative, positive sum.

    Returns a float64 copy. With ``normalize=True`` it is scaled to sum to 1;
    otherwise a sum that differs from 1 by more than 1e-6 is an error.
    """
    array = np.asarray(kernel)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise InvalidArgumentError(name, "a real-valued 2-D array", _describe(array))
    if array.ndim != 2 or array.size == 0:
        raise InvalidArgumentError(name, "a non-empty 2-D array", _describe(array))
    if array.shape[0] % 2 == 0 or array.shape[1] % 2 == 0:
        raise InvalidArgumentError(
            name, "odd height and width (the centre is at (kh // 2, kw // 2))", array.shape
        )
    array = np.array(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise InvalidArgumentError(name, "finite values (no NaN or Inf)", "non-finite entries")
    if np.any(array < 0):
        raise InvalidArgumentError(name, "non-negative entries", f"minimum {array.min():.3g}")
    total = array.sum()
    if total <= 0:
        raise InvalidArgumentError(name, "a positive sum (not all zero)", f"sum {total:.3g}")
    if normalize:
        array /= total
    elif abs(total - 1.0) > 1e-6:
        raise InvalidArgumentError(
            name, "entries summing to 1 (pass normalize=True to rescale)", f"sum {total:.6g}"
        )
    return array


def check_unit_weights(weights, name: str) -> np.ndarray:
    """``weights`` as a float64 array, refused (naming ``name``) unless every entry is
    finite and in [0, 1]: a mask or a data term's pixel weights."""
    weights = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.max() > 1:
        raise InvalidArgumentError(name, "finite weights in [0, 1]")
    return weights


def check_positive(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is finite and > 0 (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(name, "a real number", repr(value))
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        raise InvalidArgumentError(name, "a finite number " + (">= 0" if allow_zero else "> 0"),
                                   value)
    return value


def check_in_range(value, name: str, low: float, high: float, *,
                   low_open: bool = True, high_open: bool = False) -> float:
    """Check ``low < value <= high`` (bounds' openness configurable)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(name, "a real number", repr(value))
    value = float(value)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (np.isfinite(value) and above and below):
        interval = ("(" if low_open else "[") + f"{low:g}, {high:g}" + (")" if high_open else "]")
        raise InvalidArgumentError(name, f"a number in {interval}", value)
    return value


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """Check an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(name, f"an integer >= {minimum}", repr(value))
    if value < minimum:
        raise InvalidArgumentError(name, f"an integer >= {minimum}", value)
    return int(value)
