"""Blurred/sharp training pairs made on the fly, as a real capture would make them.

A sharp crop from an image folder, flipped or rotated, is blurred by a random
kernel with the ``"valid"`` model (the crop is larger than the result by the
kernel's size minus one: the scene extends beyond the frame), then gets Gaussian
noise of a random level and, optionally, JPEG compression. The target is the
sharp crop's centre, aligned pixel for pixel with the blurred one. Everything
is drawn from one seeded generator (its state is saved with the trainer's
checkpoints), so a seed gives the same pairs.

The kernels come from a bank drawn once per sampler: camera-shake trajectories
(:func:`proxdeblur.kernels.motion_kernel`: random length and smoothness, odd sizes
from 7 to 35 px, straight streaks to tangles, as the Lai et al. and KAIR motion
sets) and a fifth Gaussian blurs (isotropic or elongated and rotated, the
defocus-like KAIR kernels), each flipped or rotated at random when used.
"""

from __future__ import annotations

import io as bytes_io

import numpy as np
from scipy.signal import fftconvolve

from ..kernels import motion_kernel

__all__ = ["BlurPairSampler", "kernel_bank", "KERNEL_SIZES", "NOISE_MAX"]

#: Smallest and largest kernel side (odd).
KERNEL_SIZES = (7, 35)
#: Largest noise standard deviation ([0, 1] scale); levels are uniform below it.
NOISE_MAX = 0.02
#: Fraction of the bank that is Gaussian rather than camera shake.
GAUSSIAN_FRACTION = 0.2


def _gaussian_kernel(size: int, rng: np.random.Generator) -> np.ndarray:
    sigma_major = rng.uniform(0.6, size / 5)
    sigma_minor = sigma_major * (1.0 if rng.random() < 0.5 else rng.uniform(0.25, 1.0))
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[: size, : size] - size // 2
    u = xx * np.cos(angle) + yy * np.sin(angle)
    v = -xx * np.sin(angle) + yy * np.cos(angle)
    kernel = np.exp(-0.5 * ((u / sigma_major) ** 2 + (v / sigma_minor) ** 2))
    return kernel / kernel.sum()


def kernel_bank(count: int, seed: int = 0, sizes=KERNEL_SIZES) -> list[np.ndarray]:
    """``count`` random kernels (module docstring), deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    bank = []
    for _ in range(count):
        size = int(rng.integers(sizes[0] // 2, sizes[1] // 2 + 1)) * 2 + 1
        if rng.random() < GAUSSIAN_FRACTION:
            bank.append(_gaussian_kernel(size, rng))
        else:
            length = rng.uniform(0.3, 1.0) * (size - 1)
            bank.append(motion_kernel(size, length=length, seed=int(rng.integers(2**31)),
                                      smoothness=rng.uniform(0.3, 0.95), steps=800))
    return bank


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    import imageio.v3 as iio

    buffer = bytes_io.BytesIO()
    iio.imwrite(buffer, np.round(np.clip(image, 0, 1) * 255).astype(np.uint8),
                extension=".jpg", quality=int(quality))
    return iio.imread(buffer.getvalue(), extension=".jpg").astype(np.float32) / 255.0


class BlurPairSampler:
    """Random ``(blurred, sharp)`` patch pairs (module docstring).

    Parameters
    ----------
    images : list of ndarray
        Sharp gray training images ``(H, W)`` on [0, 1].
    patch : int
        Side of the pairs.
    seed : int
        Seed of the generator and of the kernel bank.
    bank : int
        Kernels in the bank.
    noise_max : float
        Noise levels are uniform on ``[0, noise_max]``.
    jpeg : float
        Probability that a blurred patch is JPEG-compressed (quality 60–95).
    sizes : (int, int)
        Smallest and largest kernel side.
    """

    def __init__(self, images, patch: int, seed: int = 0, *, bank: int = 1024,
                 noise_max: float = NOISE_MAX, jpeg: float = 0.0, sizes=KERNEL_SIZES):
        self.kernels = kernel_bank(bank, seed, sizes)
        largest = max(k.shape[0] for k in self.kernels)
        self.images = [im for im in images if min(im.shape[:2]) >= patch + largest - 1]
        if not self.images:
            raise ValueError(f"patch: expected images of at least {patch + largest - 1} px "
                             f"(the patch plus the largest kernel)")
        self.patch, self.noise_max, self.jpeg = patch, noise_max, jpeg
        self.rng = np.random.default_rng(seed)

    def pair(self) -> tuple[np.ndarray, np.ndarray]:
        """One ``(blurred, sharp)`` pair of ``patch × patch`` float32 images."""
        rng = self.rng
        kernel = np.rot90(self.kernels[rng.integers(len(self.kernels))], rng.integers(4))
        kernel = kernel[:, ::-1] if rng.integers(2) else kernel
        kh, kw = kernel.shape
        image = self.images[rng.integers(len(self.images))]
        side = (self.patch + kh - 1, self.patch + kw - 1)
        top = rng.integers(image.shape[0] - side[0] + 1)
        left = rng.integers(image.shape[1] - side[1] + 1)
        crop = image[top: top + side[0], left: left + side[1]]
        crop = np.rot90(crop, rng.integers(4))  # square: the kernels are
        crop = crop[:, ::-1] if rng.integers(2) else crop
        blurred = fftconvolve(crop, kernel, mode="valid")
        blurred = blurred + rng.uniform(0, self.noise_max) * rng.standard_normal(blurred.shape)
        if self.jpeg > 0 and rng.random() < self.jpeg:
            blurred = _jpeg(blurred, rng.integers(60, 96))
        sharp = crop[kh // 2: kh // 2 + self.patch, kw // 2: kw // 2 + self.patch]
        return blurred.astype(np.float32), np.ascontiguousarray(sharp, dtype=np.float32)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``(size, patch, patch)`` blurred and sharp arrays."""
        pairs = [self.pair() for _ in range(size)]
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
