"""Linear forward operators: blur, mask, identity and finite differences.

Every operator ``A`` offers

* ``forward(x)`` and ``adjoint(y)`` — exact adjoints, ⟨Ax, y⟩ = ⟨x, Aᵀy⟩;
* ``lipschitz(shape)`` — an upper bound of ‖A‖² (the Lipschitz constant of the
  gradient of ½‖Ax − y‖²), exact where it is cheap;
* ``solve_normal(rhs, rho)`` — ``(AᵀA + ρI)⁻¹ rhs``, in closed form through
  the FFT where ``AᵀA`` is circulant, by preconditioned conjugate gradients
  otherwise (see :mod:`proxdeblur.linsolve`);
* ``input_shape(output_shape)`` / ``output_shape(input_shape)`` and
  ``initial_estimate(y)``, a sensible starting point in the input space.

Images are ``(H, W)`` or ``(H, W, C)``; colour is processed channel-wise (one
batched FFT over the two spatial axes). float32 input gives float32 output.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from ._differences import adjoint_axpy, adjoint_differences, forward_differences
from ._fft import broadcast as _broadcast
from ._fft import fast_len, irfft2, rfft2
from ._fft import spatial as _spatial
from ._fft import workers as _workers
from ._validation import as_kernel, check_positive, check_unit_weights
from .errors import InvalidArgumentError
from .kernels import transfer_function
from .linsolve import solve_quadratic

__all__ = [
    "LinearOperator",
    "Convolution",
    "Mask",
    "Identity",
    "FiniteDifference",
    "BOUNDARY_MODES",
]

BOUNDARY_MODES = ("circular", "symmetric", "replicate", "valid")


def _cast_like(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    return result.astype(like.dtype, copy=False) if like.dtype == np.float32 else result


class LinearOperator:
    """Base class of the forward operators.

    Subclasses implement :meth:`forward`, :meth:`adjoint` and the shape maps;
    the Fourier/diagonal Gram hooks let :func:`proxdeblur.linsolve.solve_quadratic`
    pick an exact solver or a good preconditioner.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def adjoint(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def gram(self, x: np.ndarray) -> np.ndarray:
        """``AᵀA x``."""
        return self.adjoint(self.forward(x))

    def adjoint_axpy(self, y: np.ndarray, alpha: float, base: np.ndarray) -> np.ndarray:
        """``base + alpha · Aᵀy`` (fused where an operator can do it in one pass)."""
        return base + alpha * self.adjoint(y)

    def output_shape(self, input_shape) -> tuple:
        """Shape of ``forward(x)`` for an ``x`` of ``input_shape``."""
        return tuple(input_shape)

    def input_shape(self, output_shape) -> tuple:
        """Shape of ``adjoint(y)`` for a ``y`` of ``output_shape``."""
        return tuple(output_shape)

    def initial_estimate(self, y: np.ndarray) -> np.ndarray:
        """A starting point in the input space (default: ``y`` itself)."""
        return np.array(y, copy=True)

    def lipschitz(self, shape=None) -> float:
        """Upper bound of ‖A‖² (power iteration on ``shape`` unless overridden)."""
        if shape is None:
            raise InvalidArgumentError("shape", "the input shape, to estimate ‖A‖² for this operator")
        return _power_iteration(self, tuple(shape))

    def fourier_gram(self, shape) -> np.ndarray | None:
        """Exact Fourier multiplier of ``AᵀA`` on a ``shape`` grid, or None if not circulant."""
        return None

    def fourier_gram_approx(self, shape) -> np.ndarray | None:
        """A circulant approximation of ``AᵀA`` for preconditioning (default: the exact one)."""
        return self.fourier_gram(shape)

    def diagonal_gram(self, shape) -> np.ndarray | None:
        """``AᵀA`` as a pixelwise multiplier if it is diagonal, else None."""
        return None

    def solve_normal(self, rhs: np.ndarray, rho: float, x0: np.ndarray | None = None,
                     tol: float = 1e-8, max_iter: int = 500) -> np.ndarray:
        """Solve ``(AᵀA + ρI) x = rhs``.

        Exact (FFT or pixelwise) where ``AᵀA`` is circulant or diagonal;
        otherwise preconditioned conjugate gradients to relative residual
        ``tol``, warm-started from ``x0``.
        """
        rho = check_positive(rho, "rho", allow_zero=True)
        return solve_quadratic(rhs, [(1.0, self)], rho=rho, x0=x0, tol=tol, max_iter=max_iter).x


def _power_iteration(op: LinearOperator, shape: tuple, iterations: int = 50,
                     margin: float = 1.02) -> float:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    x /= np.linalg.norm(x)
    value = 0.0
    for _ in range(iterations):
        g = op.gram(x)
        value = float(np.vdot(x, g))
        norm = np.linalg.norm(g)
        if norm == 0:
            return 0.0
        x = g / norm
    return value * margin


#: Transfer functions kept: a deconvolution reuses one or two (its grid, and the
#: preconditioner's); each is up to ~100 MB at 12 MP, so the cache is kept short
#: (32 entries held 1 GB on the blocks of a chunked deconvolution).
TRANSFER_CACHE = 8


@lru_cache(maxsize=TRANSFER_CACHE)
def _transfer(kernel_bytes: bytes, kshape: tuple, grid: tuple, single: bool,
              conjugate: bool = False) -> np.ndarray:
    if conjugate:  # the adjoint's multiplier, kept beside the forward one
        return _transfer(kernel_bytes, kshape, grid, single).conj()
    kernel = np.frombuffer(kernel_bytes, dtype=np.float64).reshape(kshape)
    transfer = transfer_function(kernel, grid, workers=_workers(grid))
    return transfer.astype(np.complex64) if single else transfer


@lru_cache(maxsize=4)
def _power_spectrum(kernel_bytes: bytes, kshape: tuple, grid: tuple) -> np.ndarray:
    """``|K̂|²`` on ``grid`` (read-only; the preconditioner of every u-step of a solve
    rebuilds its denominator from it), from the cached float64 transfer function — which
    every solve holds anyway: its ``Aᵀy`` is computed in float64."""
    power = np.abs(_transfer(kernel_bytes, kshape, grid, False)) ** 2
    power.setflags(write=False)
    return power


@lru_cache(maxsize=4)
def _difference_spectrum(grid: tuple) -> np.ndarray:
    """The Fourier multiplier of the circular ``DᵀD`` on ``grid`` (read-only)."""
    h, w = grid
    wy = 2 - 2 * np.cos(2 * np.pi * np.arange(h) / h)
    wx = 2 - 2 * np.cos(2 * np.pi * np.arange(w // 2 + 1) / w)
    spectrum = wy[:, None] + wx[None, :]
    spectrum.setflags(write=False)
    return spectrum


class Convolution(LinearOperator):
    """Blur by a kernel: a true convolution with the kernel's centre at ``(kh//2, kw//2)``.

    Parameters
    ----------
    kernel : (kh, kw) array
        Odd-sized, non-negative, summing to 1 (``normalize=True`` rescales).
    boundary : {"circular", "symmetric", "replicate", "valid"}
        How pixels beyond the border are modelled:

        * ``"circular"`` — periodic; ``AᵀA`` is diagonal in Fourier, so
          ``solve_normal`` is exact and costs two FFTs;
        * ``"symmetric"`` / ``"replicate"`` — the image is extended by
          half-sample reflection / edge replication, then blurred; output has
          the input's size;
        * ``"valid"`` — the observation is the part of the blur that sees only
          the latent image: for a latent ``(H, W)`` the output is
          ``(H − kh + 1, W − kw + 1)``, as in a real capture where the scene
          extends beyond the frame. ``solve_normal`` uses preconditioned CG.

        For the last three, ``AᵀA`` is not circulant; its circulant part
        ``|K̂|²`` serves as a preconditioner.
    normalize : bool
        Rescale ``kernel`` to sum to 1 instead of rejecting other sums.
    """

    def __init__(self, kernel, boundary: str = "circular", *, normalize: bool = False):
        self.kernel = as_kernel(kernel, "kernel", normalize=normalize)
        if boundary not in BOUNDARY_MODES:
            raise InvalidArgumentError("boundary", f"one of {BOUNDARY_MODES}", repr(boundary))
        self.boundary = boundary
        self._pad = (self.kernel.shape[0] // 2, self.kernel.shape[1] // 2)
        self._pad_matrices: dict[tuple, tuple] = {}

    def __repr__(self) -> str:
        return f"Convolution(kernel of shape {self.kernel.shape}, boundary={self.boundary!r})"

    # -- shapes -------------------------------------------------------------------
    def output_shape(self, input_shape) -> tuple:
        self._check_input(input_shape)
        if self.boundary != "valid":
            return tuple(input_shape)
        kh, kw = self.kernel.shape
        return (input_shape[0] - kh + 1, input_shape[1] - kw + 1, *input_shape[2:])

    def input_shape(self, output_shape) -> tuple:
        if self.boundary != "valid":
            return tuple(output_shape)
        kh, kw = self.kernel.shape
        return (output_shape[0] + kh - 1, output_shape[1] + kw - 1, *output_shape[2:])

    def _check_input(self, shape) -> None:
        kh, kw = self.kernel.shape
        if len(shape) not in (2, 3) or shape[0] < kh or shape[1] < kw:
            raise InvalidArgumentError(
                "x", f"an image at least as large as the kernel {self.kernel.shape}", tuple(shape)
            )

    def initial_estimate(self, y: np.ndarray) -> np.ndarray:
        """``y`` itself, or for ``"valid"`` ``y`` extended by edge replication."""
        if self.boundary != "valid":
            return np.array(y, copy=True)
        ph, pw = self._pad
        width = ((ph, ph), (pw, pw)) + ((0, 0),) * (y.ndim - 2)
        return np.pad(y, width, mode="edge")

    # -- Fourier helpers ----------------------------------------------------------
    def transfer_function(self, grid, single: bool = False, conjugate: bool = False) -> np.ndarray:
        """``rfft2`` of the kernel zero-padded to ``grid`` with its centre at the origin
        (complex64 with ``single``, for float32 images: their transforms stay single;
        its complex conjugate, the adjoint's, with ``conjugate``)."""
        grid = self._checked_grid(grid)
        return _transfer(self.kernel.tobytes(), self.kernel.shape, grid, bool(single),
                         bool(conjugate))

    def _checked_grid(self, grid) -> tuple[int, int]:
        """``grid``'s spatial sides, at least the kernel's."""
        grid = _spatial(grid)
        if grid[0] < self.kernel.shape[0] or grid[1] < self.kernel.shape[1]:
            raise InvalidArgumentError(
                "x", f"an image at least as large as the kernel {self.kernel.shape}", grid
            )
        return grid

    def _fft_grid(self, shape) -> tuple[int, int]:
        if self.boundary == "circular":
            return _spatial(shape)
        return fast_len(shape[0]), fast_len(shape[1])

    def _circular(self, x: np.ndarray, grid, conjugate: bool = False) -> np.ndarray:
        transfer = self.transfer_function(grid, single=x.dtype == np.float32, conjugate=conjugate)
        return irfft2(rfft2(x, grid) * _broadcast(transfer, x.ndim), grid)

    def _valid_forward(self, x: np.ndarray) -> np.ndarray:
        ph, pw = self._pad
        h, w = x.shape[0] - 2 * ph, x.shape[1] - 2 * pw
        full = self._circular(x, self._fft_grid(x.shape))
        return full[ph : ph + h, pw : pw + w]

    def _valid_adjoint(self, y: np.ndarray, latent_shape) -> np.ndarray:
        ph, pw = self._pad
        grid = self._fft_grid(latent_shape)
        padded = np.zeros(grid + y.shape[2:],
                          dtype=np.float32 if y.dtype == np.float32 else np.float64)
        padded[ph : ph + y.shape[0], pw : pw + y.shape[1]] = y
        full = self._circular(padded, grid, conjugate=True)
        return full[: latent_shape[0], : latent_shape[1]]

    # -- padding (symmetric / replicate) --------------------------------------------
    def _padding_matrices(self, shape) -> tuple:
        key = _spatial(shape)
        if key not in self._pad_matrices:
            mode = "symmetric" if self.boundary == "symmetric" else "edge"
            mats = []
            for n, p in zip(key, self._pad, strict=True):
                index = np.pad(np.arange(n), p, mode=mode)
                mats.append(sp.csr_matrix((np.ones(index.size), (np.arange(index.size), index)),
                                          shape=(index.size, n)))
            self._pad_matrices[key] = tuple(mats)
        return self._pad_matrices[key]

    def _pad_forward(self, x: np.ndarray) -> np.ndarray:
        mode = "symmetric" if self.boundary == "symmetric" else "edge"
        width = tuple((p, p) for p in self._pad) + ((0, 0),) * (x.ndim - 2)
        return np.pad(x, width, mode=mode)

    def _pad_adjoint(self, z: np.ndarray, shape) -> np.ndarray:
        rows, cols = self._padding_matrices(shape)
        tail = z.shape[2:]
        out = rows.T @ z.reshape(z.shape[0], -1)
        out = out.reshape((shape[0], z.shape[1]) + tail)
        out = np.moveaxis(out, 1, 0)
        out = (cols.T @ out.reshape(z.shape[1], -1)).reshape((shape[1], shape[0]) + tail)
        return np.moveaxis(out, 0, 1)

    # -- operator interface ---------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._check_input(x.shape)
        if self.boundary == "circular":
            out = self._circular(x, x.shape)
        elif self.boundary == "valid":
            out = self._valid_forward(x)
        else:
            out = self._valid_forward(self._pad_forward(x))
        return _cast_like(out, x)

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        if self.boundary == "circular":
            self._check_input(y.shape)
            out = self._circular(y, y.shape, conjugate=True)
        elif self.boundary == "valid":
            out = self._valid_adjoint(y, self.input_shape(y.shape))
        else:
            self._check_input(y.shape)
            padded_shape = (y.shape[0] + 2 * self._pad[0], y.shape[1] + 2 * self._pad[1])
            out = self._pad_adjoint(self._valid_adjoint(y, padded_shape + y.shape[2:]), y.shape)
        return _cast_like(np.ascontiguousarray(out), y)

    def gram(self, x: np.ndarray) -> np.ndarray:
        """``AᵀA x``; for ``"valid"`` in one pass over the FFT grid: the forward blur's
        full result with everything outside the observed window zeroed in place is the
        adjoint's zero-padded input (the same arithmetic as ``adjoint(forward(x))``,
        with five full-size temporaries instead of ten: the u-steps' conjugate
        gradients apply it once per step). May return a view of a larger array."""
        x = np.asarray(x)
        if self.boundary != "valid":
            return super().gram(x)
        self._check_input(x.shape)
        ph, pw = self._pad
        h, w = x.shape[0] - 2 * ph, x.shape[1] - 2 * pw
        grid = self._fft_grid(x.shape)
        single = x.dtype == np.float32
        spectrum = rfft2(x, grid)
        spectrum *= _broadcast(self.transfer_function(grid, single), x.ndim)
        full = irfft2(spectrum, grid, overwrite=True)
        del spectrum
        full[:ph] = 0
        full[ph + h:] = 0
        full[:, :pw] = 0
        full[:, pw + w:] = 0
        spectrum = rfft2(full)
        del full
        spectrum *= _broadcast(self.transfer_function(grid, single, conjugate=True), x.ndim)
        out = irfft2(spectrum, grid, overwrite=True)
        return _cast_like(out[: x.shape[0], : x.shape[1]], x)

    def lipschitz(self, shape=None) -> float:
        """‖A‖² ≤ (Σ|k|)² = 1 for circular and valid boundaries (exact for circular);
        power iteration (2% margin) on ``shape`` for the padded modes."""
        if self.boundary in ("circular", "valid"):
            return float(np.abs(self.kernel).sum() ** 2)
        return super().lipschitz(shape)

    def fourier_gram(self, shape):
        if self.boundary != "circular":
            return None
        return np.abs(self.transfer_function(shape)) ** 2

    def fourier_gram_approx(self, shape):
        return _power_spectrum(self.kernel.tobytes(), self.kernel.shape,
                               self._checked_grid(shape))


class Mask(LinearOperator):
    """Pixelwise mask (inpainting): ``(Ax)ᵢ = mᵢ xᵢ``.

    ``mask`` is ``(H, W)`` (applied to every channel) or matches the image;
    boolean or real weights in [0, 1].
    """

    def __init__(self, mask):
        mask = np.asarray(mask)
        if mask.ndim not in (2, 3) or mask.size == 0:
            raise InvalidArgumentError("mask", "a non-empty 2-D or 3-D array", mask.shape)
        self.mask = check_unit_weights(mask, "mask")

    def _weights(self, x: np.ndarray) -> np.ndarray:
        if x.shape[:2] != self.mask.shape[:2]:
            raise InvalidArgumentError("x", f"spatial shape {self.mask.shape[:2]}", x.shape)
        if self.mask.ndim == 2 and x.ndim == 3:
            return self.mask[..., None]
        return self.mask

    def forward(self, x):
        x = np.asarray(x)
        return _cast_like(self._weights(x) * x, x)

    adjoint = forward

    def lipschitz(self, shape=None) -> float:
        return float(self.mask.max() ** 2)

    def diagonal_gram(self, shape):
        weights = self.mask ** 2
        return weights if len(shape) == 2 or self.mask.ndim == 3 else weights[..., None]

    def fourier_gram_approx(self, shape):
        grid = _spatial(shape)
        return np.full((grid[0], grid[1] // 2 + 1), float(np.mean(self.mask ** 2)))


class Identity(LinearOperator):
    """The identity (denoising, or the ``u = z`` split)."""

    def forward(self, x):
        return np.array(x, copy=True)

    adjoint = forward

    def lipschitz(self, shape=None) -> float:
        return 1.0

    def fourier_gram(self, shape):
        grid = _spatial(shape)
        return np.ones((grid[0], grid[1] // 2 + 1))

    def diagonal_gram(self, shape):
        return np.ones(())


class FiniteDifference(LinearOperator):
    """Forward differences: ``x (H, W[, C]) -> (2, H, W[, C])``, vertical then horizontal.

    ``(Dx)[0, i, j] = x[i+1, j] − x[i, j]`` and ``(Dx)[1, i, j] = x[i, j+1] − x[i, j]``.

    Parameters
    ----------
    boundary : {"circular", "neumann"}
        ``"circular"`` wraps around (``DᵀD`` is diagonal in Fourier, the usual
        choice of FFT-based deconvolution); ``"neumann"`` sets the difference
        across the last row/column to zero.
    """

    def __init__(self, boundary: str = "circular"):
        if boundary not in ("circular", "neumann"):
            raise InvalidArgumentError("boundary", "'circular' or 'neumann'", repr(boundary))
        self.boundary = boundary

    def __repr__(self) -> str:
        return f"FiniteDifference(boundary={self.boundary!r})"

    def output_shape(self, input_shape) -> tuple:
        return (2, *input_shape)

    def input_shape(self, output_shape) -> tuple:
        return tuple(output_shape[1:])

    def forward(self, x):
        x = np.asarray(x)
        if x.ndim not in (2, 3):
            raise InvalidArgumentError("x", "an (H, W) or (H, W, C) image", x.shape)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        return forward_differences(x, self.boundary == "neumann")

    @staticmethod
    def _field(y) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim not in (3, 4) or y.shape[0] != 2:
            raise InvalidArgumentError("y", "a (2, H, W[, C]) gradient field", y.shape)
        return y if np.issubdtype(y.dtype, np.floating) else y.astype(np.float64)

    def adjoint(self, y):
        return adjoint_differences(self._field(y), self.boundary == "neumann")

    def adjoint_axpy(self, y, alpha, base):
        return adjoint_axpy(self._field(y), alpha, base, self.boundary == "neumann")

    def lipschitz(self, shape=None) -> float:
        return 8.0

    def fourier_gram(self, shape):
        if self.boundary != "circular":
            return None
        return self.fourier_gram_approx(shape)

    def fourier_gram_approx(self, shape):
        return _difference_spectrum(_spatial(shape))
