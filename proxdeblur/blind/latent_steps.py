"""The latent step of the kernel estimate, a pluggable callable.

At every alternation the estimate asks for a sharp latent ``u`` of the periodic
blurred image ``y`` under the current kernel ``k``. Any callable with the
signature of :class:`LatentStep` plugs in; it returns a
:class:`~proxdeblur.blind.latent.Latent` (or a plain image). Three are built in:

* :class:`SparseLatentStep` — ``min_u ½‖k∗u − y‖² + λ_g ψ(∇u) + λ_i‖u‖₀`` with ψ
  the isotropic ℓ0 count of the gradient (Pan, Hu, Su, Yang, "Deblurring text
  images via L0-regularized intensity and gradient prior", CVPR 2014) or the
  hyper-Laplacian ``‖∇u‖_p^p``, by half-quadratic splitting with continuation of
  ρ (``2λ_g`` growing by ``rho_growth`` up to ``rho_max``, Pan et al.'s schedule
  in the ½ convention): exact shrinkage, then the circular normal equations
  ``(KᵀK + ρDᵀD + ρ[λ_i>0] I) u = Kᵀy + ρDᵀz_g + ρ z_i`` by FFT;
* :class:`GCMLatentStep` — GCM (Liu et al., ACM MM 2018, Algorithm 1) on the two
  gradient images, with any generator;
* :class:`RestorerLatentStep` — a restorer network's output ``N(y)`` (the
  kernel is not used: the network removes the blur itself).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .. import shrinkage
from .._fft import irfft2, rfft2
from .._validation import check_in_range, check_int, check_positive
from ..errors import InvalidArgumentError
from ..operators import Convolution, FiniteDifference
from ..priors.base import Restorer, as_restorer_function
from ..priors.classical import L0, Lp
from ..solvers.gcm import gcm
from .latent import Latent, gradients

__all__ = ["LatentStep", "SparseLatentStep", "GCMLatentStep", "RestorerLatentStep",
           "latent_step", "make_latent_step", "LATENT_STEP_NAMES", "GCM_STARTS",
           "CLASSICAL_GENERATOR", "GENERATOR_DOMAINS"]

LATENT_STEP_NAMES = ("l0", "lp", "gcm")
#: Where each GCM latent step starts (:class:`GCMLatentStep`'s ``start``).
GCM_STARTS = ("observation", "previous")
#: What a GCM generator maps: gradient fields (the paper's), or images whose gradients are
#: the proposal.
GENERATOR_DOMAINS = ("gradient", "image")
#: The model-based GCM generator: the classical ℓ0 latent step.
CLASSICAL_GENERATOR = "l0"


@runtime_checkable
class LatentStep(Protocol):
    """``step(blurred, kernel, lam, *, lam_intensity=0.0, previous=None) -> Latent``.

    ``blurred`` is the periodic blurred image of the level, ``kernel`` the current
    kernel as the latent model sees it (softened by the edge softness), ``lam``
    and ``lam_intensity`` the schedule's weights, ``previous`` the level's last
    latent (of this level, or of the previous one at a level's first alternation; None at
    the very first). A plain image may be returned.
    """

    def __call__(self, blurred: np.ndarray, kernel: np.ndarray, lam: float, *,
                 lam_intensity: float = 0.0, previous: Latent | None = None): ...


def latent_step(blurred: np.ndarray, kernel: np.ndarray, lam: float, lam_intensity: float = 0.0,
                *, prior: str = "l0", p: float = 0.8, rho_growth: float = 2.0,
                rho_max: float = 1e5) -> np.ndarray:
    """The sparse latent image on a periodic image (module docstring, first item).

    ``prior="l0"`` counts non-zero gradients, ``"lp"`` weighs ``|∇u|^p``. The
    normal equations are diagonal in Fourier: ``|K̂|²`` from the circular
    :class:`~proxdeblur.operators.Convolution`, ``|D̂|²`` from the
    :class:`~proxdeblur.operators.FiniteDifference` field of a unit impulse, and
    ``Kᵀy`` kept in Fourier, so each iteration costs one FFT pair.
    """
    shape = blurred.shape
    differences = FiniteDifference("circular")
    transfer = Convolution(kernel, "circular").transfer_function(shape)
    impulse = np.zeros(shape)
    impulse[0, 0] = 1.0
    gram_d = sum(np.abs(rfft2(g)) ** 2 for g in differences.forward(impulse))
    numerator_y = np.conj(transfer) * rfft2(blurred)
    gram_k = np.abs(transfer) ** 2
    u = blurred.copy()
    rho = 2.0 * lam
    exponent = 0.0 if prior == "l0" else p
    while rho < rho_max:
        grads = shrinkage.prox_group(differences.forward(u), lam / rho, exponent, axis=0)
        numerator = numerator_y + rho * rfft2(differences.adjoint(grads))
        denominator = gram_k + rho * gram_d
        if lam_intensity > 0:
            numerator = numerator + rho * rfft2(shrinkage.prox_l0(u, lam_intensity / rho))
            denominator = denominator + rho
        u = irfft2(numerator / denominator, shape)
        rho *= rho_growth
    return u


class SparseLatentStep:
    """ℓ0 (``prior="l0"``, the default) or hyper-Laplacian (``"lp"``, exponent ``p``)
    gradient latent by HQS with continuation (module docstring)."""

    def __init__(self, prior: str = "l0", *, p: float = 0.8, rho_growth: float = 2.0,
                 rho_max: float = 1e5):
        if prior not in ("l0", "lp"):
            raise InvalidArgumentError("prior", "'l0' or 'lp'", repr(prior))
        self.prior = prior
        self.p = check_in_range(p, "p", 0.0, 1.0)
        self.rho_growth = check_positive(rho_growth, "rho_growth")
        if self.rho_growth <= 1:
            raise InvalidArgumentError("rho_growth", "a factor > 1", rho_growth)
        self.rho_max = check_positive(rho_max, "rho_max")

    def __repr__(self) -> str:
        return f"SparseLatentStep({self.prior!r}, p={self.p:g})"

    def __call__(self, blurred, kernel, lam, *, lam_intensity=0.0, previous=None) -> Latent:
        return Latent.from_image(latent_step(blurred, kernel, lam, lam_intensity,
                                             prior=self.prior, p=self.p,
                                             rho_growth=self.rho_growth, rho_max=self.rho_max))


class GCMLatentStep:
    """The latent step by GCM in the gradient domain (Liu et al. 2018, section 4.1).

    Runs :func:`proxdeblur.solvers.gcm` on both gradient components of the
    periodic blurred image at once (as two channels) with
    ``Ψ(u) = ½‖k ∗ u − ∇y‖² + λ‖u‖_p^p`` (``p = 0``: the ℓ0 count), from ``∇y``
    (Algorithm 1's ``u⁰ = y``; ``start="observation"``) or from the level's previous
    latent gradients (``start="previous"``), for ``max_iter`` stages with warm-start
    weight ``gamma``.

    ``generator``: a :class:`~proxdeblur.priors.base.Restorer` or a function of the
    two-channel gradient image; None is the paper's "Corrector" variant (proximal
    gradient only) and ``corrector=False`` its "Generator" variant. ``"l0"``
    (:data:`CLASSICAL_GENERATOR`) proposes the gradients of the classical ℓ0 step
    whatever the warm start: with it "Generator only" is the classical step, and
    GCM shows what its corrector does to the classical latent.
    ``generator_domain="image"`` plugs in a restorer of *images* (DMPHN, Bi-Skip, Golf):
    the gradients of its output on the blurred image are the proposal at every stage,
    as the ℓ0 generator's are.
    """

    def __init__(self, generator=None, *, p: float = 0.8, gamma: float = 0.02,
                 max_iter: int = 5, corrector: bool = True, start: str = "observation",
                 generator_domain: str = "gradient"):
        if isinstance(generator, str):
            if generator != CLASSICAL_GENERATOR:
                raise InvalidArgumentError("generator", f"a callable, a restorer or "
                                           f"{CLASSICAL_GENERATOR!r}", repr(generator))
        elif generator is not None:
            as_restorer_function(generator)
        if not corrector and generator is None:
            raise InvalidArgumentError("generator", "a generator when corrector=False", None)
        self.generator = generator
        self.p = check_in_range(p, "p", 0.0, 1.0, low_open=False)
        self.gamma = check_positive(gamma, "gamma")
        self.max_iter = check_int(max_iter, "max_iter")
        self.corrector = bool(corrector)
        if start not in GCM_STARTS:
            raise InvalidArgumentError("start", f"one of {GCM_STARTS}", repr(start))
        self.start = start
        if generator_domain not in GENERATOR_DOMAINS:
            raise InvalidArgumentError("generator_domain", f"one of {GENERATOR_DOMAINS}",
                                       repr(generator_domain))
        if generator_domain == "image" and (generator is None or isinstance(generator, str)):
            raise InvalidArgumentError("generator", "a restorer of images with "
                                       "generator_domain='image'", repr(generator))
        self.generator_domain = generator_domain

    def __repr__(self) -> str:
        return (f"GCMLatentStep(generator={self.generator!r}, p={self.p:g}, "
                f"max_iter={self.max_iter}, start={self.start!r}, "
                f"generator_domain={self.generator_domain!r})")

    def __call__(self, blurred, kernel, lam, *, lam_intensity=0.0, previous=None) -> Latent:
        generator = self.generator
        if generator == CLASSICAL_GENERATOR or self.generator_domain == "image":
            image = (latent_step(blurred, kernel, lam) if generator == CLASSICAL_GENERATOR
                     else np.asarray(as_restorer_function(generator)(blurred)))
            proposal = np.stack(gradients(image), axis=-1)

            def generator(warm, proposal=proposal):
                return proposal

        elif generator is not None:
            generator = as_restorer_function(generator)
        observed = np.stack(gradients(blurred), axis=-1)
        start = observed
        if (self.start == "previous" and previous is not None and previous.image is None
                and previous.shape == blurred.shape):
            start = np.stack(previous.gradients, axis=-1)
        prior = L0(lam) if self.p == 0 else Lp(lam, self.p)
        result = gcm(Convolution(kernel, "circular"), observed, prior, generator,
                     gamma=self.gamma, max_iter=self.max_iter, x0=start,
                     corrector=self.corrector)
        return Latent.from_gradients(result.x[..., 0], result.x[..., 1])


class RestorerLatentStep:
    """The latent is a restorer's output on the periodic blurred image, ``N(y)``.

    For a network trained to remove blur end to end (DMPHN, Bi-Skip, Golf's N1):
    the kernel the loop carries is not used by the latent, only fitted to it.
    """

    def __init__(self, restorer):
        self.restore = as_restorer_function(restorer, "restorer")
        self.restorer = restorer

    def __repr__(self) -> str:
        return f"RestorerLatentStep({self.restorer!r})"

    def __call__(self, blurred, kernel, lam, *, lam_intensity=0.0, previous=None) -> Latent:
        restored = np.asarray(self.restore(blurred), dtype=np.float64)
        if restored.shape != blurred.shape:
            raise InvalidArgumentError("restorer", f"an output of the input's shape "
                                       f"{blurred.shape}", restored.shape)
        return Latent.from_image(restored)


def make_latent_step(image_step) -> LatentStep:
    """A latent step from a name (``"l0"``, ``"lp"``, ``"gcm"``: the built-in steps with
    their defaults), a :class:`~proxdeblur.priors.base.Restorer` (wrapped in
    :class:`RestorerLatentStep`) or any :class:`LatentStep` callable (as given)."""
    if isinstance(image_step, str):
        if image_step not in LATENT_STEP_NAMES:
            raise InvalidArgumentError("image_step", f"one of {LATENT_STEP_NAMES}, a restorer "
                                       "or a latent-step callable", repr(image_step))
        return GCMLatentStep() if image_step == "gcm" else SparseLatentStep(image_step)
    if isinstance(image_step, Restorer):
        return RestorerLatentStep(image_step)
    if not callable(image_step):
        raise InvalidArgumentError("image_step", f"one of {LATENT_STEP_NAMES}, a restorer or a "
                                   "latent-step callable", type(image_step).__name__)
    return image_step
