"""The kernel step given a perfect latent image, shared by the blind benchmarks' ``--oracle``."""

from __future__ import annotations

import numpy as np


def kernel_from_sharp(sharp: np.ndarray, blurred: np.ndarray, support) -> np.ndarray:
    """One kernel step of :func:`proxdeblur.blind.estimate_kernel` whose latent is the
    *true sharp* image: from a uniform kernel of ``support`` (h, w), 500 iterations,
    both images extended periodically by the support plus one pixel, the estimator's
    default kernel weight (``KernelOptions().eta · H·W``). A bound on what the kernel step can
    do when the latent step is perfect."""
    from proxdeblur.blind import KernelOptions, kernel_step
    from proxdeblur.padding import periodic_extension

    support = tuple(support)
    shape = tuple(n + s + 1 for n, s in zip(blurred.shape, support, strict=True))
    return kernel_step(periodic_extension(sharp, shape), periodic_extension(blurred, shape),
                       np.full(support, 1.0 / np.prod(support)), max_iter=500,
                       weight=KernelOptions().eta * blurred.size).kernel
