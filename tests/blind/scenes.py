"""Small synthetic scenes and a state collector shared by the blind-estimation tests."""

import numpy as np

from proxdeblur import Convolution
from proxdeblur.blind import estimate_kernel_iter, observed_interior
from proxdeblur.kernels import motion_kernel


def make_scene(seed: int, shape=(40, 44)) -> np.ndarray:
    """Piecewise-constant rectangles: a scene with sparse gradients."""
    rng = np.random.default_rng(seed)
    image = np.full(shape, 0.3)
    for _ in range(6):
        y0, x0 = rng.integers(0, shape[0] - 8), rng.integers(0, shape[1] - 8)
        image[y0:y0 + rng.integers(4, 16), x0:x0 + rng.integers(4, 16)] = rng.random()
    return image


def observed_problem(seed, ksize, shape=(40, 44), band=(9, 7)):
    """A periodic latent/blurred pair whose top-left ``shape`` is an exact "valid" blur of
    the latent (the scene extends beyond the frame) and whose band is unrelated noise."""
    from scipy.signal import convolve2d

    rng = np.random.default_rng(seed)
    full = (shape[0] + band[0], shape[1] + band[1])
    latent = make_scene(seed, full)
    truth = rng.random(ksize) ** 3 + 1e-3
    truth /= truth.sum()
    kh, kw = ksize
    blurred = rng.random(full)
    # observed pixel p = Σ_o k(o) u(p − o), o centred: a "valid" convolution of the latent
    # (extended periodically, as the arrays are) over the observed window
    ext = np.pad(latent, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="wrap")
    blurred[: shape[0], : shape[1]] = convolve2d(ext, truth, mode="valid")[: shape[0], : shape[1]]
    return latent, blurred, truth


def observed_objective(latent, blurred, kernel, shape, weight, trusted=None):
    """F(k) of kernel_step(observed=shape), evaluated directly (scipy's convolve2d);
    ``trusted``: the pixels (of ``shape``) whose residual counts, besides the interior."""
    from scipy.signal import convolve2d

    kh, kw = kernel.shape
    rows, cols = observed_interior(shape, kernel.shape)
    grad = lambda x: (np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x)  # noqa: E731
    total = 0.5 * weight * np.sum(kernel**2)
    for gu, gy in zip(grad(latent), grad(blurred), strict=True):
        ext = np.pad(gu, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="wrap")
        model = convolve2d(ext, kernel, mode="valid")
        residual = model[rows, cols] - gy[rows, cols]
        if trusted is not None:
            residual = residual * trusted[rows, cols]
        total += 0.5 * np.sum(residual ** 2)
    return total


def alternation_states(image, kernel_size, **options):
    """Every alternation's state of the estimate (the iterator, no monkeypatching)."""
    states = list(estimate_kernel_iter(image, kernel_size, **options))
    assert states[-1].stage == "final"
    return states[:-1], states[-1].estimate


def camera_blurred_by_motion():
    from skimage import data

    sharp = data.camera()[100:260, 150:310] / 255.0
    truth = motion_kernel(9, seed=3)
    blurred = Convolution(truth, "valid").forward(sharp)
    return blurred + 0.003 * np.random.default_rng(0).standard_normal(blurred.shape), truth
