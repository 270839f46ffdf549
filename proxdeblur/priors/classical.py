"""Classical priors φ: elementwise sparsity penalties and analysis priors φ(Du).

Every prior offers ``value(x)`` (φ(x)) and ``prox(x, tau)``

.. math:: \\operatorname{prox}_{\\tau\\varphi}(x) = \\arg\\min_z \\varphi(z) + \\|z - x\\|^2 / (2\\tau)

**Elementwise penalties** (:class:`L1`, :class:`L0`, :class:`Lp`) have an exact
prox through the shrinkage kernels of :mod:`proxdeblur.shrinkage`. With
``group_axis`` set, the penalty applies to the Euclidean norm of each vector
along that axis (isotropic penalties of gradient fields).

**Analysis priors** φ(u) = ψ(Du) (:class:`LpGradient`, :class:`L0Gradient`,
:class:`TV`, :class:`Wavelet`) expose ``analysis`` (the operator D) and
``penalty`` (the elementwise ψ), so that half-quadratic splitting can set
z = Du and solve its z-step exactly by shrinkage (Krishnan & Fergus, "Fast
image deconvolution using hyper-Laplacian priors", NIPS 2009). Their own
``prox`` is iterative — ADMM on the split z = Du — except for an orthogonal
wavelet transform, where it is exact: see :meth:`AnalysisPrior.prox`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pywt

from .. import shrinkage
from .._differences import shrink_adjoint_differences, shrink_differences
from .._validation import check_int, check_positive
from ..errors import InvalidArgumentError
from ..linsolve import solve_quadratic
from ..operators import FiniteDifference, LinearOperator

__all__ = [
    "Prior",
    "ElementwisePenalty",
    "L1",
    "L0",
    "Lp",
    "AnalysisPrior",
    "LpGradient",
    "L0Gradient",
    "TV",
    "Wavelet",
    "WaveletTransform",
    "MaskedPenalty",
]


def _check_tau(tau) -> float:
    return check_positive(tau, "tau")


class Prior:
    """Base class: a regularizer φ with ``value`` and ``prox``."""

    def value(self, x: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def prox(self, x: np.ndarray, tau: float) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class ElementwisePenalty(Prior):
    """``φ(x) = lam · Σᵢ |xᵢ|ᵖ`` (``|x|⁰`` counts non-zeros), exact prox by shrinkage.

    Parameters
    ----------
    lam : float
        Weight λ ≥ 0.
    p : float
        Exponent: 0 (ℓ0), 0 < p < 1 (hyper-Laplacian, GISA), 1 (ℓ1).
    group_axis : int, optional
        If given, ``xᵢ`` are the vectors along this axis and ``|xᵢ|`` their
        Euclidean norm (isotropic penalty).
    """

    def __init__(self, lam: float, p: float, group_axis: int | None = None):
        self.lam = check_positive(lam, "lam", allow_zero=True)
        self.p = float(p)
        self.group_axis = group_axis

    def __repr__(self) -> str:
        group = "" if self.group_axis is None else f", group_axis={self.group_axis}"
        return f"{type(self).__name__}(lam={self.lam:g}, p={self.p:g}{group})"

    def value(self, x: np.ndarray) -> float:
        return self.lam * shrinkage.penalty_sum(x, self.p, self.group_axis)

    def prox(self, x: np.ndarray, tau: float) -> np.ndarray:
        tau = _check_tau(tau)
        if self.group_axis is not None:
            return shrinkage.prox_group(x, self.lam * tau, self.p, axis=self.group_axis)
        if self.p == 0:
            return shrinkage.prox_l0(x, self.lam * tau)
        return shrinkage.prox_lp(x, self.lam * tau, self.p)


class L1(ElementwisePenalty):
    """``lam · ‖x‖₁``; prox = soft thresholding at ``lam τ``."""

    def __init__(self, lam: float, group_axis: int | None = None):
        super().__init__(lam, 1.0, group_axis)

    def __repr__(self) -> str:
        return f"L1(lam={self.lam:g})"


class L0(ElementwisePenalty):
    """``lam · ‖x‖₀``; prox = exact hard threshold at ``√(2 lam τ)``."""

    def __init__(self, lam: float, group_axis: int | None = None):
        super().__init__(lam, 0.0, group_axis)

    def __repr__(self) -> str:
        return f"L0(lam={self.lam:g})"


class Lp(ElementwisePenalty):
    """``lam · Σ|xᵢ|ᵖ`` for ``0 < p ≤ 1``; prox by GISA (Zuo et al. 2013), exact."""

    def __init__(self, lam: float, p: float = 0.8, group_axis: int | None = None):
        shrinkage._check_p(p)
        super().__init__(lam, p, group_axis)


class MaskedPenalty(ElementwisePenalty):
    """A penalty applied only where ``mask`` is true (other entries are free)."""

    def __init__(self, penalty: ElementwisePenalty, mask: np.ndarray):
        super().__init__(penalty.lam, penalty.p, penalty.group_axis)
        self.penalty = penalty
        self.mask = mask

    def value(self, x):
        x = np.asarray(x)
        scale = float(np.max(np.abs(x))) if x.size else 0.0
        return self.lam * shrinkage.penalty_sum(x[self.mask], self.p, None, scale=scale)

    def prox(self, x, tau):
        out = self.penalty.prox(x, tau)
        out[~self.mask] = np.asarray(x)[~self.mask]
        return out


class AnalysisPrior(Prior):
    """φ(u) = ψ(Du) for a linear analysis operator D and an elementwise penalty ψ.

    Parameters
    ----------
    analysis : LinearOperator
        D (e.g. :class:`~proxdeblur.operators.FiniteDifference`).
    penalty : ElementwisePenalty
        ψ, applied to Du.
    prox_tol, prox_max_iter : float, int
        Stopping rule of the iterative :meth:`prox`.
    """

    exact_prox = False

    def __init__(self, analysis: LinearOperator, penalty: ElementwisePenalty,
                 prox_tol: float = 1e-5, prox_max_iter: int = 300):
        self.analysis = analysis
        self.penalty = penalty
        self.prox_tol = check_positive(prox_tol, "prox_tol")
        self.prox_max_iter = check_int(prox_max_iter, "prox_max_iter")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(analysis={self.analysis!r}, penalty={self.penalty!r})"

    def bind(self, shape) -> AnalysisPrior:
        """The analysis prior for images of ``shape``: itself (a prior whose D depends
        on the image's shape, as :class:`Wavelet`, builds it here)."""
        return self

    def value(self, x: np.ndarray) -> float:
        return self.penalty.value(self.analysis.forward(x))

    def shrink_analysis(self, x: np.ndarray, tau: float) -> np.ndarray:
        """``prox_{τψ}(Dx)``: the z-step of half-quadratic splitting."""
        return self.penalty.prox(self.analysis.forward(x), tau)

    def shrink_adjoint(self, x: np.ndarray, tau: float, alpha: float,
                       base: np.ndarray) -> np.ndarray:
        """``base + alpha · Dᵀ prox_{τψ}(Dx)``: the HQS z-step folded into the
        right-hand side of the u-step (fused where the prior can)."""
        return self.analysis.adjoint_axpy(self.shrink_analysis(x, tau), alpha, base)

    def prox(self, x: np.ndarray, tau: float) -> np.ndarray:
        """``argmin_z ψ(Dz) + ‖z − x‖²/(2τ)`` by ADMM on the split ``w = Dz``.

        Iterates ``z ← (I/τ + βDᵀD)⁻¹(x/τ + βDᵀ(w − d))``,
        ``w ← prox_{ψ/β}(Dz + d)``, ``d ← d + Dz − w`` with ``β = 1/τ``, until
        the primal and dual residuals fall below ``prox_tol`` relative to
        ``‖x‖`` (or ``prox_max_iter`` iterations). For a convex ψ (TV, ℓ1
        wavelets) this converges to the exact prox; for a non-convex ψ (ℓp,
        ℓ0) it returns a stationary point of a problem with no closed form.
        """
        tau = _check_tau(tau)
        x = np.asarray(x, dtype=np.float64)
        D = self.analysis
        beta = 1.0 / tau
        z = x.copy()
        w = D.forward(z)
        d = np.zeros_like(w)
        scale = max(np.linalg.norm(x), 1e-12)
        for _ in range(self.prox_max_iter):
            rhs = x / tau + beta * D.adjoint(w - d)
            z = solve_quadratic(rhs, [(beta, D)], rho=1.0 / tau, x0=z, tol=1e-10).x
            Dz = D.forward(z)
            w_new = self.penalty.prox(Dz + d, 1.0 / beta)
            d += Dz - w_new
            primal = np.linalg.norm(Dz - w_new)
            dual = np.linalg.norm(D.adjoint(w_new - w))
            w = w_new
            if primal <= self.prox_tol * scale and dual <= self.prox_tol * scale:
                break
        return z


class _GradientPrior(AnalysisPrior):
    """ψ(∇u) with ψ elementwise (or isotropic over the two components)."""

    def __init__(self, penalty: ElementwisePenalty, boundary: str):
        super().__init__(FiniteDifference(boundary), penalty)

    @property
    def isotropic(self) -> bool:
        """Whether ψ acts on the gradient's magnitude (True) or on each component."""
        return self.penalty.group_axis is not None

    def shrink_analysis(self, x, tau):
        """``prox_{τψ}(∇x)`` in one compiled pass (the gradient is never stored)."""
        tau = _check_tau(tau)
        return shrink_differences(x, self.penalty.lam * tau, self.penalty.p, self.isotropic,
                                  self.analysis.boundary == "neumann")

    def shrink_adjoint(self, x, tau, alpha, base):
        """``base + alpha · ∇ᵀ prox_{τψ}(∇x)`` in one compiled pass (neither the
        gradient nor its shrinkage is stored)."""
        tau = _check_tau(tau)
        return shrink_adjoint_differences(x, self.penalty.lam * tau, self.penalty.p,
                                          self.isotropic, self.analysis.boundary == "neumann",
                                          alpha, base)


class LpGradient(_GradientPrior):
    """Hyper-Laplacian gradient prior ``lam · Σ |∇u|ᵖ`` (Krishnan & Fergus 2009).

    Parameters
    ----------
    lam : float
        Weight λ ≥ 0.
    p : float
        Exponent in (0, 1]; natural images have gradient statistics near
        p ≈ 0.5–0.8.
    isotropic : bool
        Penalize the gradient magnitude ``‖(∂ᵥu, ∂ₕu)‖₂ᵖ`` (True) or each
        component separately (False, anisotropic).
    boundary : {"circular", "neumann"}
        Boundary of the finite differences.
    """

    def __init__(self, lam: float, p: float = 0.8, isotropic: bool = True,
                 boundary: str = "circular"):
        super().__init__(Lp(lam, p, group_axis=0 if isotropic else None), boundary)


class L0Gradient(_GradientPrior):
    """``lam · #{pixels with non-zero gradient}`` (Xu et al. 2011), exact ℓ0 shrinkage in HQS.

    ``isotropic=True`` counts pixels where the gradient vector is non-zero;
    ``False`` counts non-zero components.
    """

    def __init__(self, lam: float, isotropic: bool = True, boundary: str = "circular"):
        super().__init__(L0(lam, group_axis=0 if isotropic else None), boundary)


class TV(_GradientPrior):
    """Total variation ``lam · Σ ‖∇u‖₂`` (isotropic) or ``lam · Σ |∂u|`` (anisotropic).

    Convex: its ADMM prox converges to the exact prox.
    """

    def __init__(self, lam: float, isotropic: bool = True, boundary: str = "circular"):
        super().__init__(L1(lam, group_axis=0 if isotropic else None), boundary)


class WaveletTransform(LinearOperator):
    """Orthogonal discrete wavelet transform (pywavelets, periodization).

    The image is zero-padded to a multiple of ``2**levels`` in each spatial
    dimension (padding P, adjoint: crop), then transformed by the orthogonal
    W; the output is the coefficient array of the padded size. Hence
    ``DᵀD = PᵀWᵀWP = I`` exactly, and when no padding is needed D is
    orthogonal (``DDᵀ = I`` too). Requires an orthogonal wavelet (Haar,
    Daubechies, Symlets, Coiflets).
    """

    def __init__(self, wavelet: str = "db2", levels: int = 3):
        try:
            self.wavelet = pywt.Wavelet(wavelet)
        except ValueError as exc:
            raise InvalidArgumentError("wavelet", "a pywavelets wavelet name", repr(wavelet)) from exc
        if not self.wavelet.orthogonal:
            raise InvalidArgumentError("wavelet", "an orthogonal wavelet (haar, dbN, symN, coifN)",
                                       repr(wavelet))
        self.levels = check_int(levels, "levels")
        self._slices: dict[tuple, list] = {}

    def __repr__(self) -> str:
        return f"WaveletTransform({self.wavelet.name!r}, levels={self.levels})"

    def padded_shape(self, shape) -> tuple:
        block = 2**self.levels
        return tuple(-(-int(n) // block) * block for n in shape[:2]) + tuple(shape[2:])

    def output_shape(self, input_shape) -> tuple:
        return self.padded_shape(input_shape)

    def is_orthogonal_on(self, shape) -> bool:
        """True when no padding is needed, so that D is square and orthogonal."""
        return tuple(self.padded_shape(shape)) == tuple(shape)

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        padded = np.zeros(self.padded_shape(x.shape))
        padded[: x.shape[0], : x.shape[1]] = x
        with warnings.catch_warnings():
            # pywavelets warns when the filter outgrows a level; with periodization
            # the transform stays orthogonal, which is all we rely on.
            warnings.filterwarnings("ignore", "Level value of", UserWarning)
            coeffs = pywt.wavedec2(padded, self.wavelet, mode="periodization",
                                   level=self.levels, axes=(0, 1))
        array, slices = pywt.coeffs_to_array(coeffs, axes=(0, 1))
        self._slices[array.shape] = slices
        return array

    def _slices_for(self, shape) -> list:
        if shape not in self._slices:
            self.forward(np.zeros(shape))
        return self._slices[shape]

    def adjoint(self, y):
        y = np.asarray(y, dtype=np.float64)
        coeffs = pywt.array_to_coeffs(y, self._slices_for(y.shape), output_format="wavedec2")
        image = pywt.waverec2(coeffs, self.wavelet, mode="periodization", axes=(0, 1))
        return image

    def crop(self, padded: np.ndarray, shape) -> np.ndarray:
        return padded[: shape[0], : shape[1]]

    def lipschitz(self, shape=None) -> float:
        return 1.0

    def fourier_gram(self, shape):
        h, w = int(shape[0]), int(shape[1])
        return np.ones((h, w // 2 + 1))

    def diagonal_gram(self, shape):
        return np.ones(())

    def approximation_mask(self, shape) -> np.ndarray:
        """Boolean array over the coefficients: True on the coarse approximation band."""
        coeff_shape = self.padded_shape(shape)
        mask = np.zeros(coeff_shape, dtype=bool)
        approx = self._slices_for(coeff_shape)[0]
        mask[approx] = True
        return mask


class _CroppedWavelet(WaveletTransform):
    """Wavelet analysis of an image of fixed shape: adjoint crops the padding."""

    def __init__(self, wavelet, levels, shape):
        super().__init__(wavelet, levels)
        self.shape = tuple(shape)

    def adjoint(self, y):
        return self.crop(super().adjoint(y), self.shape)


class Wavelet(AnalysisPrior):
    """Sparsity of orthogonal wavelet detail coefficients: ``lam · Σ |(Wu)ᵢ|ᵖ``.

    The coarse approximation band is not penalized. For images whose sides
    are multiples of ``2**levels`` the prox is exact,
    ``Wᵀ shrink(Wx)``; other sizes are zero-padded (see
    :class:`WaveletTransform`) and the prox falls back to ADMM.

    Parameters
    ----------
    lam : float
        Weight λ ≥ 0.
    wavelet : str
        An orthogonal pywavelets wavelet.
    levels : int
        Decomposition levels.
    p : float
        0 (ℓ0), (0, 1) (ℓp), or 1 (ℓ1, the default).
    """

    def __init__(self, lam: float, wavelet: str = "db2", levels: int = 3, p: float = 1.0):
        self.lam = check_positive(lam, "lam", allow_zero=True)
        self.p = shrinkage._check_p(p, allow_zero=True)
        self.wavelet = wavelet
        self.levels = check_int(levels, "levels")
        WaveletTransform(wavelet, levels)  # validate the wavelet now
        self._bound: dict[tuple, AnalysisPrior] = {}

    def __repr__(self) -> str:
        return f"Wavelet(lam={self.lam:g}, wavelet={self.wavelet!r}, levels={self.levels}, p={self.p:g})"

    def bind(self, shape) -> AnalysisPrior:
        """The analysis prior (D, ψ) for images of ``shape``."""
        shape = tuple(shape)
        if shape not in self._bound:
            transform = _CroppedWavelet(self.wavelet, self.levels, shape)
            penalty = MaskedPenalty(ElementwisePenalty(self.lam, self.p),
                                     ~transform.approximation_mask(shape))
            self._bound[shape] = AnalysisPrior(transform, penalty)
        return self._bound[shape]

    def value(self, x):
        return self.bind(np.shape(x)).value(x)

    def prox(self, x, tau):
        tau = _check_tau(tau)
        bound = self.bind(np.shape(x))
        if bound.analysis.is_orthogonal_on(np.shape(x)):
            D = bound.analysis
            return D.adjoint(bound.penalty.prox(D.forward(x), tau))
        return bound.prox(x, tau)
