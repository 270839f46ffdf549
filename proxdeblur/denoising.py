"""Gaussian denoising with a learned prior: :func:`denoise`."""

from __future__ import annotations

import functools

import numpy as np

from ._validation import as_image, check_positive
from .errors import InvalidArgumentError
from .priors.learned import LearnedPrior

__all__ = ["denoise", "get_denoiser", "DEFAULT_DENOISER"]

#: The bundled denoiser used when none is named.
DEFAULT_DENOISER = "dncnn"


@functools.lru_cache(maxsize=4)
def _cached(name: str, device: str | None, precision: str) -> LearnedPrior:
    from .priors.zoo import load_prior

    return load_prior(name, "denoiser", device=device, precision=precision)


def get_denoiser(denoiser=DEFAULT_DENOISER, device=None, precision: str = "fp32") -> LearnedPrior:
    """A denoiser prior: a :class:`LearnedPrior` in the denoiser role as given, or a
    bundled name / weights path loaded once per process (device and precision)."""
    if isinstance(denoiser, LearnedPrior):
        if denoiser.role != "denoiser":
            raise InvalidArgumentError("denoiser", "a LearnedPrior in the 'denoiser' role",
                                       repr(denoiser.role))
        return denoiser
    return _cached(str(denoiser), None if device is None else str(device), precision)


def denoise(image, sigma: float, *, denoiser=DEFAULT_DENOISER, device=None,
            precision: str = "fp32") -> np.ndarray:
    """Remove additive white Gaussian noise of standard deviation ``sigma``.

    Parameters
    ----------
    image : array_like (H, W) or (H, W, C)
        Noisy image on the [0, 1] scale; colour channels are denoised one by
        one by the gray network.
    sigma : float
        Noise standard deviation on the [0, 1] scale (σ/255 for 8-bit
        levels), in [0, 50/255] — the range the bundled network was trained on.
    denoiser : str, Path or LearnedPrior
        ``"dncnn"`` (bundled, default), a weights file, or a loaded denoiser.
    device : optional
        Where to run (default: CUDA when available, else CPU).
    precision : {"fp32", "bf16"}
        Network arithmetic (see :class:`~proxdeblur.priors.learned.LearnedPrior`).

    Returns
    -------
    ndarray
        The denoised image, same shape and float dtype as the input (not clipped).
    """
    array = as_image(image, "image")
    sigma = check_positive(sigma, "sigma", allow_zero=True)
    if sigma > 50 / 255 + 1e-9:
        raise InvalidArgumentError("sigma", "a noise level in [0, 50/255] on the [0, 1] scale "
                                   "(the bundled network's training range)", sigma)
    return get_denoiser(denoiser, device, precision).denoise(array, sigma)
