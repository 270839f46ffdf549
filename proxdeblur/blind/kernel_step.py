"""The kernel step on the probability simplex (Liu et al., ACM MM 2018, eq. 6).

.. math:: \\min_{k \\in \\Delta} \\tfrac12 \\sum_{d\\in\\{h,v\\}} \\|\\partial_d u \\ast k
          - \\partial_d y\\|^2 + \\tfrac{\\eta}{2}\\|k\\|^2,
          \\qquad \\Delta = \\{k \\ge 0, \\textstyle\\sum k = 1\\}

(the ½ factors are ours; they only rescale η). With a ``target`` ``t`` (a light
streak, :mod:`proxdeblur.blind.streaks`) the objective gains ``½α‖k − t‖²``: α is
added to the Hessian's diagonal and ``αt`` to the linear term. On periodic arrays
the objective is an ``n``-dimensional quadratic (``n`` kernel pixels) whose Hessian entries are
the autocorrelation of the latent gradients and whose linear term is their
cross-correlation with the blurred gradients, both computed once by FFT; it is
solved in the small space by accelerated projected gradient with the exact
Euclidean projection onto Δ (:func:`~proxdeblur.kernels.project_simplex`),
warm-started, with a monotone safeguard so that the objective never increases.
With ``observed=`` the data term counts the observed interior only
(:mod:`proxdeblur.blind.observed`).
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft

from .._validation import check_positive
from ..errors import InvalidArgumentError
from ..kernels import project_simplex
from .latent import Latent, gradients
from .observed import observed_kernel_step
from .simplex import KernelStepResult, simplex_quadratic, toeplitz_quadratic

__all__ = ["kernel_step", "KernelStepResult", "as_latent"]


def as_latent(latent) -> Latent:
    """A :class:`Latent` as given, or one made from a periodic latent image."""
    return latent if isinstance(latent, Latent) else Latent.from_image(latent)


def _correlations(latent: Latent, blurred: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Autocorrelation of ∇u, cross-correlation of ∇u with ∇y (circular), and
    ``max_ω Σ_d|F∂_d u|²``, a bound on the largest eigenvalue of the Hessian."""
    power = 0.0
    cross = 0.0
    for gu, gy in zip(latent.gradients, gradients(blurred), strict=True):
        U = sfft.rfft2(gu)
        power = power + np.abs(U) ** 2
        cross = cross + np.conj(U) * sfft.rfft2(gy)
    shape = blurred.shape
    return sfft.irfft2(power, s=shape), sfft.irfft2(cross, s=shape), float(power.max())


def _target(target, target_weight, shape) -> tuple[np.ndarray, float]:
    """The validated target term: ``(target, weight)``, zeros when there is none."""
    target_weight = check_positive(target_weight, "target_weight", allow_zero=True)
    if target is None or target_weight == 0:
        return np.zeros(shape), 0.0
    target = np.asarray(target, dtype=np.float64)
    if target.shape != tuple(shape) or not np.all(np.isfinite(target)):
        raise InvalidArgumentError("target", f"a finite kernel of the support's shape {shape}",
                                   target.shape)
    return target, target_weight


def kernel_step(latent, blurred: np.ndarray, kernel0: np.ndarray, eta: float = 0.01,
                max_iter: int = 100, tol: float = 1e-5, *,
                weight: float | None = None, observed=None, valid=None, target=None,
                target_weight: float = 0.0) -> KernelStepResult:
    """Solve the kernel step on the simplex (module docstring), warm-started at ``kernel0``.

    Parameters
    ----------
    latent : Latent or ndarray (H, W)
        The periodic latent (an image, or a :class:`~proxdeblur.blind.latent.Latent`).
    blurred : ndarray (H, W)
        The periodic blurred image, of the latent's shape.
    kernel0 : ndarray (kh, kw)
        Starting kernel; its shape is the support searched. Projected onto Δ
        first if it is not on it.
    eta : float
        Relative weight of ``½η‖k‖²`` (``η = eta · Σ_d‖∂_d u‖²``, over the
        observed image when ``observed`` is given).
    max_iter, tol : int, float
        At most ``max_iter`` accelerated projected-gradient steps (majorize–minimize
        steps with ``observed``); stop when the relative change of ``k`` is below ``tol``.
    weight : float, optional
        The absolute ``η``; when given, ``eta`` is ignored.
    observed : (int, int), optional
        The shape of the observed image in the top-left corner of the periodic
        arrays: the data term then counts only its interior
        (:func:`~proxdeblur.blind.observed.observed_kernel_step`).
    valid : ndarray of bool, optional
        With ``observed``: the observed pixels to trust (False: clipped, left out).
    target, target_weight : ndarray of ``kernel0``'s shape, float
        The kernel the term ``½·target_weight·‖k − target‖²`` pulls towards (absolute
        weight, like ``weight``); None or 0: no such term.

    Returns
    -------
    KernelStepResult
        The kernel, its objective at the start and after each iteration (never
        increasing), and the iterations run.
    """
    latent = as_latent(latent)
    target, target_weight = _target(target, target_weight, kernel0.shape)
    if observed is not None:
        return observed_kernel_step(latent, blurred, kernel0, observed, max_iter, tol,
                                    eta=eta, weight=weight, valid=valid, target=target,
                                    target_weight=target_weight)
    if valid is not None:
        raise InvalidArgumentError("valid", "None unless observed is given (the periodic step "
                                   "fits every pixel)", "a map")
    autocorrelation, crosscorrelation, bound = _correlations(latent, blurred)
    if weight is None:
        weight = eta * autocorrelation[0, 0]
    weight = check_positive(weight, "weight", allow_zero=True)
    hessian, linear = toeplitz_quadratic(autocorrelation, crosscorrelation, kernel0.shape,
                                         weight + target_weight)
    linear = linear + target_weight * target.ravel()
    step = 1.0 / (bound + weight + target_weight + 1e-300)
    k, values = simplex_quadratic(hessian, linear, project_simplex(kernel0.ravel()), step,
                                  max_iter, tol)
    return KernelStepResult(k.reshape(kernel0.shape), np.asarray(values), len(values) - 1)


