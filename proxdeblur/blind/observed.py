"""The kernel step fitted to the observed pixels only.

Both steps of the estimate work on the image extended periodically by a
harmonic band (:func:`~proxdeblur.padding.periodic_extension`), which the FFT
needs. The band is not data, and near the border the blur footprint of an
observed pixel reaches into it, so a kernel fitted to every pixel of the
periodic arrays also fits the band's made-up structure. Here the data term
counts only the observed pixels whose blur footprint and forward differences lie
inside the observed image — the model of a photograph whose scene extends beyond
its frame:

.. math:: F(k) = \\tfrac12 \\sum_d \\|m \\odot (\\partial_d u \\ast k - \\partial_d y)\\|^2
          + \\tfrac{\\eta}{2}\\|k\\|^2

with ``m`` the indicator of :func:`observed_interior` — times, when the caller
passes ``valid``, the indicator of pixels whose value and forward neighbours are
trusted (not clipped: a saturated highlight is not the kernel times the scene,
and fitted it drags the kernel towards the plateau's shape; Pan et al., "Robust
kernel estimation with outliers handling for image deblurring", CVPR 2016). ``F`` is not Toeplitz;
it is minimized by majorize–minimize steps whose surrogate is the Toeplitz
quadratic of the zero-padded observed gradients.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft

from .._fft import fast_len
from .._validation import check_positive
from ..errors import InvalidArgumentError
from ..kernels import project_simplex
from .latent import Latent, gradients
from .simplex import KernelStepResult, simplex_quadratic, toeplitz_quadratic

__all__ = ["observed_interior", "observed_kernel_step", "fits_inside", "trusted_differences"]

#: Iterations (and relative-change tolerance) of each majorized quadratic's solve.
MAJORIZED_MAX_ITER = 100
MAJORIZED_TOL = 1e-5


def observed_interior(observed, ksize) -> tuple[slice, slice]:
    """The pixels of an observed ``(H, W)`` image whose residual the kernel step
    counts with ``observed=``: those whose blur footprint (a ``ksize`` support
    centred on the pixel) and whose forward differences stay inside the image."""
    (h, w), (kh, kw) = observed, ksize
    return slice(kh // 2 + 1, h - kh // 2 - 1), slice(kw // 2 + 1, w - kw // 2 - 1)


def fits_inside(shape, ksize) -> bool:
    """Whether :func:`observed_interior` of ``shape`` for ``ksize`` keeps at least
    half of each side (else the level is too small to fit on its interior)."""
    rows, cols = observed_interior(shape, ksize)
    return rows.stop - rows.start >= shape[0] / 2 and cols.stop - cols.start >= shape[1] / 2


def trusted_differences(valid: np.ndarray) -> np.ndarray:
    """Pixels whose forward differences use trusted values only: ``valid`` at the pixel
    and at its lower and right neighbours (the last row and column count as their own)."""
    valid = np.asarray(valid, dtype=bool)
    trusted = valid.copy()
    trusted[:-1] &= valid[1:]
    trusted[:, :-1] &= valid[:, 1:]
    return trusted


def observed_kernel_step(latent: Latent, blurred, kernel0, observed, max_iter, tol, *, eta,
                         weight, valid=None, target=None,
                         target_weight: float = 0.0) -> KernelStepResult:
    """:func:`~proxdeblur.blind.kernel_step` with the data term on the observed interior.

    Every gradient ``F`` needs lies within the observed image, so ``m ⊙ (∂_d u ∗ k)``
    is computed from that image alone, by FFT (single precision) on a grid at least
    as large (no product wraps around). Its Hessian ``H_o = Σ_{p∈Ω} a_p a_pᵀ + ηI``
    (``a_p`` the footprint of pixel ``p`` in ``∂_d u``) is majorized by the Toeplitz
    ``H_c = Σ_p a_p a_pᵀ + ηI`` over *every* pixel of the zero-padded observed
    gradients (the footprints of ``Ω`` are the same, the other pixels only add
    positive semi-definite terms). Each of at most ``max_iter`` outer steps
    minimizes ``F(k_t) + ∇F(k_t)ᵀ(k − k_t) + ½(k − k_t)ᵀH_c(k − k_t)`` over Δ,
    warm-started at ``k_t``, which never increases ``F``; it stops when the
    relative change of ``k`` falls below ``tol``. ``valid`` (boolean, the observed
    shape) removes untrusted pixels from ``m`` (:func:`trusted_differences`); the
    majorizer stays valid (fewer footprints in ``H_o``). ``½·target_weight·‖k −
    target‖²`` (a light streak) adds to ``F``, exactly to both Hessians.
    """
    observed = tuple(int(n) for n in observed)
    ksize = kernel0.shape
    rows, cols = observed_interior(observed, ksize)
    if rows.stop - rows.start < 1 or cols.stop - cols.start < 1:
        raise InvalidArgumentError("observed", f"an image larger than the kernel {ksize} "
                                   "plus a pixel on every side", observed)
    if any(n > m for n, m in zip(observed, blurred.shape, strict=True)):
        raise InvalidArgumentError("observed", f"at most the arrays' shape {blurred.shape}",
                                   observed)
    kh, kw = ksize
    # the grid holds the zero-padded observed image and every lag of the support
    grid = (fast_len(observed[0] + kh), fast_len(observed[1] + kw))
    mask = np.zeros(grid, dtype=np.float32)
    mask[rows, cols] = 1.0
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != observed:
            raise InvalidArgumentError("valid", f"a map of the observed shape {observed}",
                                       valid.shape)
        mask[: observed[0], : observed[1]] *= trusted_differences(valid)
        if not mask.any():
            raise InvalidArgumentError("valid", "a map that trusts some interior pixels",
                                       "every interior pixel left out")
    crops = [g[: observed[0], : observed[1]] for g in latent.gradients]
    spectra = np.stack([sfft.rfft2(g.astype(np.float32), s=grid) for g in crops])
    targets = np.zeros((2, *grid), dtype=np.float32)
    for fitted, g in zip(targets, gradients(blurred), strict=True):
        fitted[rows, cols] = g[rows, cols]
        fitted *= mask
    power = np.sum(np.abs(spectra.astype(np.complex128)) ** 2, axis=0)
    if weight is None:
        weight = eta * sum(float(np.sum(g**2)) for g in crops)
    weight = check_positive(weight, "weight", allow_zero=True)
    pull = float(target_weight) if target is not None else 0.0
    target = np.zeros(kh * kw) if target is None else np.asarray(target, float).ravel()
    majorizer, _ = toeplitz_quadratic(sfft.irfft2(power, s=grid), np.zeros(grid), ksize,
                                      weight + pull)
    step = 1.0 / (float(power.max()) + weight + pull + 1e-300)
    oy, ox = np.meshgrid(np.arange(kh) - kh // 2, np.arange(kw) - kw // 2, indexing="ij")
    oy, ox = oy % grid[0], ox % grid[1]
    placed = np.zeros(grid, dtype=np.float32)

    def residual(k):
        placed[oy, ox] = k.reshape(ksize)
        blurred_latent = sfft.irfft2(spectra * sfft.rfft2(placed), s=grid, axes=(-2, -1))
        return mask * blurred_latent - targets

    def objective(k, r):
        miss = k - target
        return (0.5 * float(np.sum(r * r, dtype=np.float64)) + 0.5 * weight * float(k @ k)
                + 0.5 * pull * float(miss @ miss))

    def gradient(k, r):
        correlation = sfft.irfft2(np.sum(np.conj(spectra) * sfft.rfft2(r, axes=(-2, -1)), axis=0),
                                  s=grid)
        return (correlation[oy, ox].ravel().astype(np.float64) + weight * k
                + pull * (k - target))

    k = project_simplex(kernel0.ravel())
    r = residual(k)
    values = [objective(k, r)]
    for _ in range(max_iter):
        linear = majorizer(k) - gradient(k, r)
        candidate, _ = simplex_quadratic(majorizer, linear, k, step, MAJORIZED_MAX_ITER,
                                         MAJORIZED_TOL)
        r_candidate = residual(candidate)
        value = objective(candidate, r_candidate)
        if value > values[-1]:  # only by rounding (single-precision residual): stop
            break
        change = np.linalg.norm(candidate - k) / max(np.linalg.norm(k), 1e-300)
        k, r = candidate, r_candidate
        values.append(value)
        if change < tol:
            break
    return KernelStepResult(k.reshape(ksize), np.asarray(values), len(values) - 1)
