"""The latent of the kernel estimate: a sharp image, or only its gradient field.

The kernel step needs the latent's gradients ``(∂_v u, ∂_h u)`` (circular forward
differences on the periodic arrays). A latent step that works on the image (ℓ0,
ℓp, a restorer) gives the image; one that works in the gradient domain (GCM on
the gradient images, Liu et al. 2018, section 4.1) gives only the gradients.
:class:`Latent` holds either, so every consumer asks it for what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import ndimage

from ..errors import InvalidArgumentError
from ..operators import FiniteDifference

__all__ = ["Latent", "gradients", "select_edges"]

_CIRCULAR = FiniteDifference("circular")


def gradients(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences ``(∂_v x, ∂_h x)`` of a periodic image."""
    field = _CIRCULAR.forward(x)
    return field[0], field[1]


@dataclass(frozen=True, eq=False)
class Latent:
    """A latent image on the periodic grid, or its gradient field alone.

    Make one with :meth:`from_image` or :meth:`from_gradients`.

    Attributes
    ----------
    image : ndarray or None
        The periodic latent image, when the step produced one.
    gradients : (ndarray, ndarray)
        ``(∂_v u, ∂_h u)``, circular forward differences (of an image: computed when
        first asked for, as a softened copy often replaces the latent before).
    """

    image: np.ndarray | None
    given_gradients: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_image(cls, image) -> Latent:
        image = np.asarray(image, dtype=np.float64)
        if image.ndim != 2:
            raise InvalidArgumentError("latent", "an (H, W) image", image.shape)
        return cls(image)

    @classmethod
    def from_gradients(cls, vertical, horizontal) -> Latent:
        vertical, horizontal = (np.asarray(g, dtype=np.float64) for g in (vertical, horizontal))
        if vertical.ndim != 2 or vertical.shape != horizontal.shape:
            raise InvalidArgumentError("latent", "two (H, W) gradient images of one shape",
                                       (vertical.shape, horizontal.shape))
        return cls(None, (vertical, horizontal))

    @cached_property
    def gradients(self) -> tuple[np.ndarray, np.ndarray]:
        return self.given_gradients if self.image is None else gradients(self.image)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.image if self.image is not None else self.given_gradients[0]).shape

    def softened(self, sigma: float) -> Latent:
        """``g_σ ∗ u`` (periodic Gaussian filter) of the image, or of each gradient image."""
        if sigma <= 0:
            return self
        if self.image is not None:
            return Latent.from_image(ndimage.gaussian_filter(self.image, sigma, mode="wrap"))
        return Latent.from_gradients(*(ndimage.gaussian_filter(g, sigma, mode="wrap")
                                       for g in self.gradients))

    def picture(self, shape=None) -> np.ndarray:
        """The image, or the gradient magnitude when there is none; cropped to ``shape``."""
        out = self.image if self.image is not None else np.hypot(*self.gradients)
        return out if shape is None else out[: shape[0], : shape[1]]


def select_edges(latent: Latent, kernel_pixels: int, ratio: float = 2.0) -> Latent:
    """The latent's gradients with all but the strongest set to zero.

    The selection of Cho & Lee, "Fast motion deblurring", SIGGRAPH Asia 2009:
    gradient directions fall into four bins (0°, 45°, 90°, 135°, modulo 180°);
    the magnitude threshold is the largest that keeps at least
    ``ratio · kernel_pixels`` pixels in every bin.
    """
    gv, gh = latent.gradients
    magnitude = np.hypot(gv, gh)
    angle = np.mod(np.arctan2(gv, gh), np.pi)
    bins = np.floor((angle + np.pi / 8) / (np.pi / 4)).astype(int) % 4
    keep = int(ratio * kernel_pixels)
    threshold = np.inf
    for b in range(4):
        values = magnitude[(bins == b) & (magnitude > 0)]
        if values.size:
            threshold = min(threshold, np.sort(values)[::-1][min(keep, values.size) - 1])
    mask = magnitude >= threshold
    return Latent.from_gradients(gv * mask, gh * mask)
