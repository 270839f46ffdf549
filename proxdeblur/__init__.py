"""proxdeblur: image deblurring by model-based optimization with pluggable priors.

The curated public API. Submodules: :mod:`proxdeblur.operators`,
:mod:`proxdeblur.shrinkage`, :mod:`proxdeblur.priors`,
:mod:`proxdeblur.solvers`, :mod:`proxdeblur.metrics`, :mod:`proxdeblur.io`,
:mod:`proxdeblur.kernels`, :mod:`proxdeblur.camera` (tone curves, clipping, a simulated
capture), :mod:`proxdeblur.fidelity` (weighted data terms), :mod:`proxdeblur.safeguard`
(the do-no-harm check).
"""

from importlib import metadata as _metadata

from . import (
    batch,
    blind,
    camera,
    fidelity,
    io,
    kernels,
    metrics,
    operators,
    priors,
    safeguard,
    shrinkage,
    solvers,
)
from .blind import estimate_kernel
from .deblurring import deblur
from .deconvolution import deconvolve
from .denoising import denoise, get_denoiser
from .errors import ImageFileError, InvalidArgumentError, ProxdeblurError
from .metrics import aligned_psnr, aligned_ssim, error_ratio, kernel_similarity, psnr, ssim
from .operators import Convolution, FiniteDifference, Identity, Mask
from .priors import L0, L1, TV, L0Gradient, Lp, LpGradient, Wavelet
from .restoration import get_restorer, restore
from .solvers import SolverResult, hqs, proximal_gradient

try:  # the version is written once, in pyproject.toml
    __version__ = _metadata.version("proxdeblur")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ProxdeblurError",
    "InvalidArgumentError",
    "ImageFileError",
    "deconvolve",
    "deblur",
    "estimate_kernel",
    "denoise",
    "restore",
    "get_denoiser",
    "get_restorer",
    "Convolution",
    "Mask",
    "Identity",
    "FiniteDifference",
    "L1",
    "L0",
    "Lp",
    "LpGradient",
    "L0Gradient",
    "TV",
    "Wavelet",
    "hqs",
    "proximal_gradient",
    "SolverResult",
    "psnr",
    "ssim",
    "aligned_psnr",
    "aligned_ssim",
    "error_ratio",
    "kernel_similarity",
    "batch",
    "blind",
    "camera",
    "fidelity",
    "io",
    "kernels",
    "metrics",
    "operators",
    "priors",
    "safeguard",
    "shrinkage",
    "solvers",
]
