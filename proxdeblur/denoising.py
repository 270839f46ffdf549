"""Gaussian denoising with a learned prior: :func:`denoise`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._validation import as_image, check_positive
from .errors import InvalidArgumentError
from .priors.bundled import check_network_name

if TYPE_CHECKING:  # torch loads on first use, not on `import proxdeblur`
    from .priors.learned import LearnedPrior

__all__ = ["denoise", "get_denoiser", "DEFAULT_DENOISER", "DENOISE_ENSEMBLE", "DENOISE_PRECISION"]

#: The bundled denoiser used when none is named: the small U-Net, 0.4–0.6 dB above
#: BM3D on Set12 where the bundled DnCNN is 0.5 dB below it (``benchmarks/RESULTS.md``).
DEFAULT_DENOISER = "drunet"
#: :func:`denoise`'s arithmetic and self-ensemble: on this project's CPU (AVX-512
#: BF16) two bfloat16 passes cost what one float32 pass does and gain 0.1 dB on Set12.
DENOISE_PRECISION = "auto"
DENOISE_ENSEMBLE = 2


@functools.lru_cache(maxsize=8)
def _cached(name: str, device: str | None, precision: str, ensemble: int,
            cycle: bool) -> LearnedPrior:
    from .priors.zoo import load_prior

    return load_prior(name, "denoiser", device=device, precision=precision, ensemble=ensemble,
                      cycle=cycle)


def get_denoiser(denoiser=DEFAULT_DENOISER, device=None, precision: str = "fp32",
                 ensemble: int = 1, cycle: bool = False):
    """A denoiser prior: a :class:`LearnedPrior` or ``DenoiserEnsemble`` as given
    (its own device, precision, ensemble and cycle kept), or a bundled name /
    weights path loaded once per process and setting (see :class:`LearnedPrior`
    for the meaning of ``precision``, ``ensemble`` and ``cycle``).

    Names joined by ``+`` (e.g. ``"dncnn+drunet"``) give a
    :class:`~proxdeblur.priors.denoiser_ensemble.DenoiserEnsemble` of those
    denoisers, each loaded with these settings; ``cycle`` then also makes the
    ensemble alternate its members over calls instead of averaging them.
    """
    from .priors.base import Denoiser, PriorGradient, Restorer
    from .priors.denoiser_ensemble import DenoiserEnsemble

    if isinstance(denoiser, Denoiser):
        return denoiser
    if isinstance(denoiser, (Restorer, PriorGradient)):
        raise InvalidArgumentError("denoiser", "a denoiser (an object with denoise(x, sigma))",
                                   type(denoiser).__name__)
    key = (None if device is None else str(device), precision, ensemble, bool(cycle))
    name = check_network_name(denoiser, "denoiser", "denoiser", joined=True)
    if "+" in name and not Path(name).exists():  # the CLI passes names as paths
        return DenoiserEnsemble([_cached(part, *key) for part in name.split("+")],
                                cycle=bool(cycle))
    return _cached(name, *key)


def denoise(image, sigma: float, *, denoiser=DEFAULT_DENOISER, device=None,
            precision: str = DENOISE_PRECISION, ensemble: int = DENOISE_ENSEMBLE) -> np.ndarray:
    """Remove additive white Gaussian noise of standard deviation ``sigma``.

    Parameters
    ----------
    image : array_like (H, W) or (H, W, C)
        Noisy image on the [0, 1] scale; colour channels are denoised one by
        one by the gray network.
    sigma : float
        Noise standard deviation on the [0, 1] scale (σ/255 for 8-bit
        levels), in [0, 50/255] — the range the bundled network was trained on.
    denoiser : str, Path, LearnedPrior or DenoiserEnsemble
        A bundled network (``"drunet"``, the default, or ``"dncnn"``), a
        weights file, names joined by ``+`` (``"dncnn+drunet"``: the mean of
        both networks' outputs, see :func:`get_denoiser`), or a loaded denoiser.
    device : optional
        Where to run (default: CUDA when available, else CPU).
    precision : {"fp32", "bf16", "auto"}
        Network arithmetic (see :class:`~proxdeblur.priors.learned.LearnedPrior`);
        default ``"auto"``: bfloat16 where the hardware has it natively.
    ensemble : {1, 2, 4, 8}
        Geometric self-ensemble size (same reference); costs that many passes.
        Default 2. Ignored, like ``precision``, for a loaded ``LearnedPrior``.

    Returns
    -------
    ndarray
        The denoised image, same shape and float dtype as the input (not clipped).
    """
    array = as_image(image, "image", unit=True)
    sigma = check_positive(sigma, "sigma", allow_zero=True)
    if sigma > 50 / 255 + 1e-9:
        raise InvalidArgumentError("sigma", "a noise level in [0, 50/255] on the [0, 1] scale "
                                   "(the bundled network's training range)", sigma)
    return get_denoiser(denoiser, device, precision, ensemble).denoise(array, sigma)
