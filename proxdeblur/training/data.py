"""Training data: images from a folder, random augmented patches, synthetic noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..camera import LUMINANCE
from ..errors import InvalidArgumentError
from ..io import IMAGE_SUFFIXES, read_image

__all__ = ["load_folder", "load_split", "PatchSampler"]


def load_folder(folder, gray: bool = True) -> list[np.ndarray]:
    """Every image of ``folder`` (sorted by name) as float32 in [0, 1]; colour images
    taken to gray with the library's luminance weights (:data:`~proxdeblur.camera.LUMINANCE`)."""
    folder = Path(folder)
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise InvalidArgumentError("data", f"a folder with images ({', '.join(IMAGE_SUFFIXES)})",
                                   str(folder))
    images = []
    for path in paths:
        image = read_image(path)
        if gray and image.ndim == 3:
            image = image @ LUMINANCE
        images.append(image.astype(np.float32))
    return images


def load_split(folder, holdout: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`load_folder`, split into training images and the last ``holdout`` (by name)
    kept for validation."""
    images = load_folder(folder)
    if holdout >= len(images):
        raise ValueError(f"holdout: expected fewer than the {len(images)} images, got {holdout}")
    return images[: len(images) - holdout], images[len(images) - holdout :]


class PatchSampler:
    """Random ``patch × patch`` crops with the 8 flips/rotations of the square.

    Parameters
    ----------
    images : list of ndarray
        Training images ``(H, W)``, each at least ``patch`` on a side.
    patch : int
        Side of the square patches.
    seed : int
        Seed of the sampler's generator (its state is saved in checkpoints).
    """

    def __init__(self, images: list[np.ndarray], patch: int, seed: int = 0):
        self.images = [im for im in images if min(im.shape[:2]) >= patch]
        if not self.images:
            raise InvalidArgumentError("patch", "a size no larger than the training images", patch)
        self.patch = patch
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> np.ndarray:
        """``(size, patch, patch)`` float32 patches."""
        out = np.empty((size, self.patch, self.patch), dtype=np.float32)
        for i in range(size):
            image = self.images[self.rng.integers(len(self.images))]
            top = self.rng.integers(image.shape[0] - self.patch + 1)
            left = self.rng.integers(image.shape[1] - self.patch + 1)
            crop = image[top : top + self.patch, left : left + self.patch]
            crop = np.rot90(crop, self.rng.integers(4))
            out[i] = crop[:, ::-1] if self.rng.integers(2) else crop
        return out
