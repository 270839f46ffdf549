"""The plug-in roles: one small protocol per way a prior enters a solver.

A solver asks for a role, never for a class of ours: any object with the
role's method plugs in, whether it derives from a proxdeblur class or not
(``typing.Protocol``, checked structurally with ``isinstance``).

* :class:`ProximalPrior` — ``prox(x, tau) = argmin_z φ(z) + ‖z − x‖²/(2τ)``
  (the pyproximal/pyxu sense), optionally ``value(x) = φ(x)``: the z-step of HQS,
  the proximal step of proximal gradient and GCM. Classical priors, and a
  denoiser through :class:`DenoiserProx`;
* :class:`Denoiser` — ``denoise(x, sigma)``, sigma on the [0, 1] scale (as deepinv):
  the z-step of plug-and-play HQS, at ``sigma = sqrt(weight · tau)``;
* :class:`Restorer` — ``restore(x)``: maps a degraded estimate to a better one of
  the same shape (the GCM generator, DMPHN, Bi-Skip, Golf's N1);
* :class:`PriorGradient` — ``gradient(x) ≈ −∇φ(x)`` (Golf's N2 residual).

A torch module takes a role through :class:`~proxdeblur.priors.learned.LearnedPrior`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .._validation import check_positive
from ..errors import InvalidArgumentError

__all__ = ["Cyclic", "ProximalPrior", "ExplicitPrior", "Denoiser", "Restorer", "PriorGradient",
           "DenoiserProx", "denoiser_prox", "as_restorer_function"]


@runtime_checkable
class Cyclic(Protocol):
    """An operator whose successive calls walk through a cycle (of symmetries, of
    members) that :meth:`reset_cycle` restarts: a solver resets it for a reproducible run."""

    def reset_cycle(self) -> None: ...


@runtime_checkable
class ProximalPrior(Protocol):
    """A regularizer φ known through its proximal operator."""

    def prox(self, x: np.ndarray, tau: float) -> np.ndarray:
        """``argmin_z φ(z) + ‖z − x‖²/(2τ)``."""


@runtime_checkable
class ExplicitPrior(ProximalPrior, Protocol):
    """A proximal prior whose value φ(x) is explicit (objectives can be tracked)."""

    def value(self, x: np.ndarray) -> float:
        """φ(x)."""


@runtime_checkable
class Denoiser(Protocol):
    """A Gaussian denoiser ``D(x, sigma)``, sigma on the [0, 1] scale."""

    def denoise(self, x: np.ndarray, sigma: float) -> np.ndarray:
        """The denoised image, of ``x``'s shape."""


@runtime_checkable
class Restorer(Protocol):
    """A restorer/generator ``N(x)``: a degraded estimate in, a better one of its shape out."""

    def restore(self, x: np.ndarray) -> np.ndarray:
        """The restored image, of ``x``'s shape."""


@runtime_checkable
class PriorGradient(Protocol):
    """A learned prior gradient ``g(x) ≈ −∇φ(x)``."""

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """``−∇φ(x)``, of ``x``'s shape."""


class DenoiserProx:
    """A denoiser as the proximal step of plug-and-play HQS.

    ``prox(x, tau) = D(x, sqrt(weight · tau))``: a Gaussian denoiser at noise level
    σ approximates the prox of an implicit prior with step σ², so ``prox_{τλφ}``
    is denoising at ``σ = sqrt(λτ)``; in HQS with penalty ρ, ``σ = sqrt(λ/ρ)``
    (Zhang et al., DPIR, TPAMI 2021). There is no explicit φ, hence no ``value``.
    """

    def __init__(self, denoiser: Denoiser, weight: float = 1.0):
        if not isinstance(denoiser, Denoiser):
            raise InvalidArgumentError("denoiser", "an object with denoise(x, sigma)",
                                       type(denoiser).__name__)
        self.denoiser = denoiser
        self.weight = check_positive(weight, "weight")

    def __repr__(self) -> str:
        return f"DenoiserProx({self.denoiser!r}, weight={self.weight:g})"

    def prox(self, x: np.ndarray, tau: float) -> np.ndarray:
        return denoiser_prox(self.denoiser, x, tau, self.weight)


def denoiser_prox(denoiser: Denoiser, x: np.ndarray, tau: float, weight: float) -> np.ndarray:
    """``prox_{τλφ}(x) = D(x, sqrt(λτ))`` for a denoiser ``D`` of weight ``λ`` (see
    :class:`DenoiserProx`): the one plug-and-play proximal step of every denoiser."""
    tau = check_positive(tau, "tau")
    return denoiser.denoise(x, float(np.sqrt(weight * tau)))


def as_restorer_function(restorer, name: str = "generator"):
    """The function ``x ↦ N(x)`` of a :class:`Restorer` or of a plain callable.

    A denoiser or prior gradient is refused (it is callable, but not a restorer).
    """
    if isinstance(restorer, Restorer):
        return restorer.restore
    if isinstance(restorer, (Denoiser, PriorGradient)) or not callable(restorer):
        raise InvalidArgumentError(name, "a restorer (an object with restore(x)) or a function "
                                   "of an image", type(restorer).__name__)
    return restorer
