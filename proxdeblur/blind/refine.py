"""The default restorer of the optional refinement kernel steps.

After the pyramid, ``refine`` more kernel steps may take as their latent a
restoration of the whole image with the current kernel instead of the sparse
edge image (:class:`~proxdeblur.blind.options.KernelOptions`). Such a latent
does not thicken the kernel as the ℓ0 one does but drifts towards the no-blur
solution instead, so refinement is off by default (``docs/blind.md``). Any
``restore(image, kernel) -> image`` can be passed; this is the default.
"""

from __future__ import annotations

import numpy as np

from ..operators import Convolution
from ..priors.classical import LpGradient
from ..solvers.hqs import hqs
from ..solvers.result import centre_crop

__all__ = ["hyper_laplacian_restore"]


def hyper_laplacian_restore(image: np.ndarray, kernel: np.ndarray, lam: float = 3e-4, *,
                            max_iter: int = 10) -> np.ndarray:
    """``min_u ½‖k ∗ u − y‖²_valid + λ‖∇u‖_0.8^0.8`` by HQS (ρ from 1e-3 to 10 over
    ``max_iter`` iterations, 4 warm-started CG steps per u-step: the settings of
    :func:`proxdeblur.deconvolve` with a given weight), cropped to the image's size."""
    growth = (10.0 / 1e-3) ** (1.0 / max(max_iter - 1, 1))
    result = hqs(Convolution(kernel, "valid"), image.astype(np.float64), LpGradient(lam, 0.8),
                 rho=1e-3, rho_growth=growth, rho_max=10.0, max_iter=max_iter, tol=0.0,
                 cg_tol=1e-6, cg_max_iter=4, track_objective=False)
    return centre_crop(result.x, image.shape).astype(image.dtype, copy=True)
