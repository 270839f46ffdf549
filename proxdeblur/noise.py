"""The noise level of an image: one estimate for every function that adapts to it.

Donoho's wavelet estimator (the median absolute deviation of the finest diagonal
wavelet coefficients, scikit-image's ``estimate_sigma``), with the channel axis
always stated, so that a gray image three pixels wide is not taken for colour and
no warning reaches the user; colour channels averaged.
"""

from __future__ import annotations

import warnings

import numpy as np
from skimage.restoration import estimate_sigma

__all__ = ["estimate_noise"]


def estimate_noise(image: np.ndarray) -> float:
    """σ̂ of ``(H, W)`` or ``(H, W, C)`` ``image`` (0 for a constant image; NaN where
    the image is too small for the estimator)."""
    if np.ptp(image) == 0:  # a constant image has no noise to estimate
        return 0.0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "image is size", UserWarning)  # the axis is given
        return float(estimate_sigma(image, channel_axis=2 if image.ndim == 3 else None,
                                    average_sigmas=True))
