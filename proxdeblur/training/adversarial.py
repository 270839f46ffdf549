"""WGAN-GP with self-paced sample weights (seed 000, eqs. 5, 7, 12, 13).

* :class:`Critic` — a PatchGAN critic (DeblurGAN's, Kupyn et al. 2018): 4×4 convolutions,
  stride 2 then 1, LeakyReLU(0.2), instance normalisation (the gradient penalty is per
  sample, which batch normalisation would couple), **no sigmoid** — a Wasserstein critic
  scores, it does not classify (section 4.2). ``D(x)`` is the mean of its patch scores.
* :func:`gradient_penalty` — eq. (7): ``β · E_v[(‖∇_x̂ D(x̂)‖ − 1)²]`` at
  ``x̂ = αx + (1 − α)x̃``, α uniform per sample. The paper does not give β: WGAN-GP's 10
  (Gulrajani et al. 2017), which DeblurGAN also uses.
* :func:`critic_loss` (eq. 12, the critic minimises ``−L_adv + P``) and
  :func:`generator_adversarial_loss` (the adversarial half of eq. 13, ``−E_v[D(G(y))]``).

Self-paced weights ``v`` (:mod:`.self_paced`) enter every expectation as a weighted mean
``Σ vᵢ sᵢ / n`` — the paper writes ``D(x, v)`` without saying more; a sample the schedule
drops (``v = 0``) then moves neither network, and with every ``v = 1`` the terms are
WGAN-GP's own.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Critic", "gradient_penalty", "critic_loss", "generator_adversarial_loss",
           "PENALTY_WEIGHT"]

#: β of eq. (7): WGAN-GP's value (the paper gives none).
PENALTY_WEIGHT = 10.0


class Critic(nn.Module):
    """PatchGAN critic (module docstring): ``forward(x)`` is one score per sample."""

    def __init__(self, channels: int = 1, width: int = 64, layers: int = 3):
        super().__init__()
        self.config = {"channels": channels, "width": width, "layers": layers}
        modules: list[nn.Module] = [nn.Conv2d(channels, width, 4, stride=2, padding=1),
                                    nn.LeakyReLU(0.2, inplace=True)]
        c = width
        for i in range(1, layers + 1):
            out = width * min(2 ** i, 8)
            modules += [nn.Conv2d(c, out, 4, stride=2 if i < layers else 1, padding=1),
                        nn.InstanceNorm2d(out, affine=True), nn.LeakyReLU(0.2, inplace=True)]
            c = out
        modules.append(nn.Conv2d(c, 1, 4, stride=1, padding=1))
        self.body = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean(dim=(1, 2, 3))


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    return values.mean() if weights is None else (weights * values).mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     weights: torch.Tensor | None = None, beta: float = PENALTY_WEIGHT,
                     alpha: torch.Tensor | None = None) -> torch.Tensor:
    """``β · mean_i vᵢ (‖∇D(x̂ᵢ)‖₂ − 1)²`` (eq. 7); ``alpha`` (one per sample) drawn
    uniformly unless given."""
    if alpha is None:
        alpha = torch.rand(real.shape[0], device=real.device, dtype=real.dtype)
    alpha = alpha.reshape(-1, *([1] * (real.dim() - 1)))
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)
    return beta * _weighted_mean((norms - 1) ** 2, weights)


def critic_loss(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                weights: torch.Tensor | None = None, beta: float = PENALTY_WEIGHT
                ) -> torch.Tensor:
    """Eq. (12): ``E_v[D(x̃)] − E_v[D(x)] + P(v, x̂)`` (the critic's minimisation)."""
    fake = fake.detach()
    wasserstein = _weighted_mean(critic(fake) - critic(real), weights)
    return wasserstein + gradient_penalty(critic, real, fake, weights, beta)


def generator_adversarial_loss(critic: nn.Module, fake: torch.Tensor,
                               weights: torch.Tensor | None = None) -> torch.Tensor:
    """The adversarial term of eq. (13): ``−E_v[D(G(y))]``."""
    return -_weighted_mean(critic(fake), weights)
