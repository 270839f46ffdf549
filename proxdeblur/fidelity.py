"""The weighted data term of a photograph: which observed pixels count, and how.

A photograph's pixels are not equally trustworthy: a clipped highlight's value
is not the blur of the scene (Cho, Wang & Lee, "Handling outliers in non-blind
image deconvolution", ICCV 2011), and a caller may know other outliers. The
data term becomes ``½ Σᵢ wᵢ((Au)ᵢ − yᵢ)²``: :func:`data_weights` builds ``w``,
:class:`Weighted` folds ``W^{1/2}`` into the forward operator (so that every
solver of ``½‖Bu − b‖²`` solves it), and :func:`filled` gives the solver a start
that does not carry the left-out values into the latent image.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_unit_weights
from .camera import CLIP_LEVEL, clipped_pixels
from .errors import InvalidArgumentError
from .operators import LinearOperator, _cast_like

__all__ = ["Weighted", "data_weights", "filled"]


class Weighted(LinearOperator):
    """An operator whose residual is weighted pixelwise: ``B = W^{1/2} A``, so that
    ``½‖Bu − W^{1/2}y‖² = ½ Σᵢ wᵢ ((Au)ᵢ − yᵢ)²`` — the data term of an observation whose
    pixels are not equally trustworthy (clipped highlights, outliers: weight 0 leaves a
    pixel out, the prior fills in what it alone saw).

    Parameters
    ----------
    operator : LinearOperator
        A, e.g. a :class:`Convolution`.
    weights : ndarray
        ``wᵢ`` in [0, 1] on A's output: ``(H, W)`` (every channel) or its full shape.

    ``BᵀB = AᵀWA`` is not circulant; A's circulant approximation (weights at most 1: an
    upper bound) preconditions its conjugate gradients. :meth:`observation` turns ``y``
    into ``W^{1/2}y``; a solver should start from A's estimate of the raw ``y``
    (``operator.initial_estimate(y)``): the weighted one is 0 where a pixel is left out.
    """

    def __init__(self, operator: LinearOperator, weights):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim not in (2, 3) or weights.size == 0:
            raise InvalidArgumentError("weights", "a non-empty 2-D or 3-D array", weights.shape)
        self.operator = operator
        self.weights = check_unit_weights(weights, "weights")
        self._root = np.sqrt(weights)

    def __repr__(self) -> str:
        return f"Weighted({self.operator!r}, {np.mean(self.weights == 0):.1%} left out)"

    def _scale(self, y: np.ndarray, factor: np.ndarray) -> np.ndarray:
        if y.shape[:2] != factor.shape[:2]:
            raise InvalidArgumentError("weights", f"the observation's shape {y.shape[:2]}",
                                       factor.shape)
        if factor.ndim == 2 and y.ndim == 3:
            factor = factor[..., None]
        return _cast_like(factor * y, y)

    def observation(self, y) -> np.ndarray:
        """``W^{1/2} y``, the observation of ``B``."""
        return self._scale(np.asarray(y), self._root)

    def forward(self, x):
        return self._scale(self.operator.forward(x), self._root)

    def adjoint(self, y):
        return self.operator.adjoint(self._scale(np.asarray(y), self._root))

    def gram(self, x):
        return self.operator.adjoint(self._scale(self.operator.forward(x), self.weights))

    def output_shape(self, input_shape) -> tuple:
        return self.operator.output_shape(input_shape)

    def input_shape(self, output_shape) -> tuple:
        return self.operator.input_shape(output_shape)

    def lipschitz(self, shape=None) -> float:
        return self.operator.lipschitz(shape) * float(self.weights.max())

    def fourier_gram_approx(self, shape):
        return self.operator.fourier_gram_approx(shape)


def data_weights(image, saturation: float | None = CLIP_LEVEL, weights=None):
    """The data term's pixel weights for ``image`` (``(H, W)``, in [0, 1]), or None when
    every pixel counts fully.

    ``weights`` (the caller's, ``(H, W)`` in [0, 1]) times 0 on the pixels that
    clipping may have decided (:func:`~proxdeblur.camera.clipped_pixels` at level
    ``saturation``; None: no saturation handling). A clipped pixel's value is not the
    blur of the scene (Cho, Wang & Lee, ICCV 2011): fitting it pulls the highlight's
    surroundings towards the clip level and rings; left out, its latent pixels are
    constrained by their unclipped neighbours' observations and the prior.
    """
    y = np.asarray(image)
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != y.shape[:2]:
            raise InvalidArgumentError("weights", f"an array of the image's shape {y.shape[:2]}",
                                       w.shape)
        check_unit_weights(w, "weights")
    if saturation is not None:
        clipped = clipped_pixels(y, saturation)
        if clipped.any():
            w = np.where(clipped, 0.0, 1.0 if w is None else w)
    return None if w is None or np.all(w == 1) else w


def filled(y: np.ndarray, weights, width: float) -> np.ndarray:
    """``y`` with the pixels the caller gave weight 0 replaced by the weighted Gaussian
    average of their neighbours (normalized convolution, σ = ``width``): the starting
    point of the solver, which otherwise keeps an outlier's value where only the prior
    constrains the latent image."""
    from scipy.ndimage import gaussian_filter

    if weights is None or not np.any(weights == 0):
        return y
    w = np.asarray(weights, dtype=np.float64)
    w = w[..., None] if y.ndim == 3 else w
    spread = lambda a: gaussian_filter(a, (width, width) + (0,) * (a.ndim - 2))  # noqa: E731
    mass = spread(np.broadcast_to(w, y.shape).astype(np.float64))
    average = spread(w * y) / np.maximum(mass, 1e-12)
    fallback = np.sum(w * y, axis=(0, 1)) / max(float(np.sum(w[..., 0] if w.ndim == 3 else w)),
                                                 1e-12)
    average = np.where(mass > 1e-6, average, fallback)
    return np.where(w == 0, average, y)
