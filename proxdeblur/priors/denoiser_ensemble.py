"""Several denoisers used as one: averaged per call, or one per call in turn.

:class:`DenoiserEnsemble` holds denoiser-role priors (usually
:class:`~proxdeblur.priors.learned.LearnedPrior` networks) and is itself a
denoiser, usable wherever one is (:func:`proxdeblur.denoise`, the z-step of
plug-and-play HQS through :meth:`DenoiserEnsemble.prox`):

* ``cycle=False`` — ``D(x, σ) = (1/m) Σ_j D_j(x, σ)``, a model ensemble, at
  the cost of every member per call;
* ``cycle=True`` — call ``t`` (counted from construction or
  :meth:`~DenoiserEnsemble.reset_cycle`) runs member ``t mod m`` alone. In
  an iterative solver the iterations then alternate the denoisers, at the cost
  of one member per call. This is the cycle of symmetries of
  :class:`~proxdeblur.priors.learned.LearnedPrior` (after Terris et al.,
  "Equivariant plug-and-play image reconstruction", CVPR 2024, who draw a
  random transform per iteration) applied to the denoisers themselves: the
  iterations average what one call of the averaged ensemble would.

Why it exists: two denoisers trained here fail on different images. In
plug-and-play deconvolution of Levin et al. 2009 the bundled U-Net is ahead
of the bundled DnCNN on most images but 0.5 dB behind on the largest kernel,
whose ringing the DnCNN removes better; alternating the two beats either
(``benchmarks/RESULTS.md``, issue 4's section).
"""

from __future__ import annotations

import copy

import numpy as np

from .._validation import check_positive
from ..errors import InvalidArgumentError
from .base import Cyclic, Denoiser, denoiser_prox

__all__ = ["DenoiserEnsemble"]


class DenoiserEnsemble:
    """Denoisers averaged per call or alternated over calls (module docstring).

    Parameters
    ----------
    members : sequence
        Two or more :class:`~proxdeblur.priors.base.Denoiser` objects (a
        ``denoise(image, sigma)`` method) (e.g. ``LearnedPrior`` networks).
    cycle : bool
        Alternate the members over calls instead of averaging them per call.
    weight : float
        The prior's weight λ in :meth:`prox` (as for ``LearnedPrior``).
    """

    role = "denoiser"

    def __init__(self, members, *, cycle: bool = False, weight: float = 1.0):
        members = list(members)
        if len(members) < 2:
            raise InvalidArgumentError("members", "at least two denoisers", len(members))
        for index, member in enumerate(members):
            if not isinstance(member, Denoiser):
                raise InvalidArgumentError(f"members[{index}]", "a denoiser (an object with a "
                                           "denoise(image, sigma) method)",
                                           type(member).__name__)
        self.members = members
        self.cycle = bool(cycle)
        self.weight = check_positive(weight, "weight")
        self._calls = 0

    def __repr__(self) -> str:
        inner = ", ".join(repr(member) for member in self.members)
        return f"DenoiserEnsemble([{inner}], cycle={self.cycle})"

    def __copy__(self):
        # members carry their own cycle of symmetries: a copy must not advance the original's
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.members = [copy.copy(member) for member in self.members]
        return clone

    def reset_cycle(self) -> None:
        """Start again from the first member, and each member's own cycle from its start."""
        self._calls = 0
        for member in self.members:
            if isinstance(member, Cyclic):
                member.reset_cycle()

    def denoise(self, image, sigma: float) -> np.ndarray:
        """The mean of the members' outputs, or (``cycle``) the next member's output."""
        sigma = check_positive(sigma, "sigma", allow_zero=True)
        if self.cycle:
            member = self.members[self._calls % len(self.members)]
            self._calls += 1
            return member.denoise(image, sigma)
        outputs = [member.denoise(image, sigma) for member in self.members]
        return (sum(outputs[1:], outputs[0]) / len(outputs)).astype(outputs[0].dtype)

    def __call__(self, image, sigma: float | None = None) -> np.ndarray:
        if sigma is None:
            raise InvalidArgumentError("sigma", "the noise level of a denoiser call")
        return self.denoise(image, sigma)

    def prox(self, x, tau: float) -> np.ndarray:
        """Plug-and-play proximal step ``D(x, sqrt(weight · tau))``
        (:func:`~proxdeblur.priors.base.denoiser_prox`)."""
        return denoiser_prox(self, x, tau, self.weight)
