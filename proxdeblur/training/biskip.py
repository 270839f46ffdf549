"""Train the Bi-Skip generator by the schemes of Table 1 (seed 000, sections 4.2–4.3, 6.1).

``proxdeblur train restorer --architecture biskip --scheme SA1P --data ... --out ...``
(or ``python -m proxdeblur.training.biskip``). A scheme is a name made of Table 1's
letters, in this order: ``S`` self-paced weights (:mod:`.self_paced`), ``A`` the
adversarial WGAN-GP term (:mod:`.adversarial`, critic : generator updates 2 : 1), ``1`` or
``2`` the L1 or L2 pixel loss, ``P`` the perceptual loss — ``SA1P`` (the paper's), ``A1P``,
``A2P``, ``A2``, ``1``, ``2``, … A scheme needs a content term (1, 2 or P); ``S`` weighs
samples by their content loss.

The content loss is the bi-level loss of eq. (4), per sample
``lᵢ = γ₁·‖xᵢ − x̃ᵢ‖₁/(c·w·h) + γ₂·‖F(xᵢ) − F(x̃ᵢ)‖²/(c₂·w₂·h₂)`` (squared pixel errors for
``2``), γ₁ = 100 and γ₂ = 0.1 as in section 6.1, and the generator minimises
``−E_v[D(G(y))] + (1/n)·Σ vᵢ lᵢ`` (eq. 13). F is pluggable (:mod:`.perceptual`; the bundled
DnCNN's first convolutions by default, ``--perceptual PATH`` a local VGG19 file). The
pairs and validation are the restorer trainer's (:mod:`.restorer`). Self-paced rounds:
``--rounds`` equal spans of ``--iterations`` (Algorithm 1's T).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import InvalidArgumentError
from ..priors.nets.biskip import DEPTH, BiSkip
from .adversarial import Critic, critic_loss, generator_adversarial_loss
from .data import load_split
from .loop import train_network
from .pairs import KERNEL_SIZES, BlurPairSampler
from .perceptual import PerceptualLoss, feature_extractor
from .restorer_task import VALIDATION_PAIRS, pair_task, validation_pairs, validation_psnr
from .self_paced import SelfPacedSchedule

__all__ = ["Scheme", "parse_scheme", "BiLevelLoss", "train_biskip", "PIXEL_WEIGHT",
           "PERCEPTUAL_WEIGHT", "CRITIC_STEPS", "ROUNDS"]

#: γ₁ and γ₂ of eq. (4) (section 6.1).
PIXEL_WEIGHT = 100.0
PERCEPTUAL_WEIGHT = 0.1
#: Critic updates per generator update (section 6.1: "the ratio of D to G is 2 : 1").
CRITIC_STEPS = 2
#: Self-paced rounds T over a run (the paper's count is not given; ten spans let the
#: exponent of eq. 11 sweep its range).
ROUNDS = 10
_SCHEME = re.compile(r"^(S?)(A?)([12]?)(P?)$")


@dataclass(frozen=True)
class Scheme:
    """A training scheme of Table 1 (module docstring)."""

    name: str
    self_paced: bool
    adversarial: bool
    pixel: str | None  # "l1", "l2" or None
    perceptual: bool


def parse_scheme(name: str) -> Scheme:
    """``"SA1P"`` → Scheme(...); an unknown name is an error naming ``--scheme``."""
    match = _SCHEME.match(str(name))
    if not match or not (match.group(3) or match.group(4)):
        raise InvalidArgumentError("--scheme", "Table 1's letters in the order S, A, 1 or 2, "
                                   "P, with a content term (1, 2 or P), e.g. SA1P, A1P, A2, 1",
                                   repr(name))
    s, a, pixel, p = match.groups()
    return Scheme(str(name), bool(s), bool(a), {"1": "l1", "2": "l2", "": None}[pixel], bool(p))


class BiLevelLoss(torch.nn.Module):
    """Per-sample content losses ``lᵢ`` of eq. (4) for a scheme (module docstring);
    ``perceptual`` the feature term's :class:`~.perceptual.PerceptualLoss`."""

    def __init__(self, scheme: Scheme, perceptual: PerceptualLoss | None = None,
                 pixel_weight: float = PIXEL_WEIGHT,
                 perceptual_weight: float = PERCEPTUAL_WEIGHT):
        super().__init__()
        if scheme.perceptual and perceptual is None:
            raise ValueError("perceptual: the scheme has a perceptual term")
        self.scheme, self.perceptual = scheme, perceptual
        self.pixel_weight, self.perceptual_weight = pixel_weight, perceptual_weight

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        losses = outputs.new_zeros(outputs.shape[0])
        if self.scheme.pixel is not None:
            error = outputs - targets
            error = error.abs() if self.scheme.pixel == "l1" else error ** 2
            losses = losses + self.pixel_weight * error.flatten(1).mean(1)
        if self.scheme.perceptual:
            losses = losses + self.perceptual_weight * self.perceptual.per_sample(outputs,
                                                                                  targets)
        return losses


class _GeneratorLoss:
    """The generator's loss of a scheme, with the critic's updates before it (eqs. 12–13)."""

    def __init__(self, scheme: Scheme, content: BiLevelLoss, critic: Critic | None,
                 schedule: SelfPacedSchedule | None, critic_lr: float):
        self.scheme, self.content, self.critic, self.schedule = scheme, content, critic, schedule
        self.optimizer = (torch.optim.Adam(critic.parameters(), lr=critic_lr, betas=(0.5, 0.999))
                          if critic is not None else None)
        self.calls = 0

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        losses = self.content(outputs, targets)
        weights = (self.schedule.weights(losses, self.calls) if self.schedule is not None
                   else None)
        self.calls += 1
        total = (losses if weights is None else weights * losses).mean()
        if self.critic is not None:
            for _ in range(CRITIC_STEPS):
                self.optimizer.zero_grad()
                critic_loss(self.critic, targets, outputs.detach(), weights).backward()
                self.optimizer.step()
            for parameter in self.critic.parameters():
                parameter.requires_grad_(False)
            total = total + generator_adversarial_loss(self.critic, outputs, weights)
            for parameter in self.critic.parameters():
                parameter.requires_grad_(True)
        return total

    def state(self) -> dict:
        return {"calls": self.calls,
                "critic": None if self.critic is None else self.critic.state_dict(),
                "critic_optimizer": None if self.optimizer is None
                else self.optimizer.state_dict(),
                "schedule": None if self.schedule is None else self.schedule.state_dict()}

    def load_state(self, saved: dict) -> None:
        self.calls = saved["calls"]
        if self.critic is not None:
            self.critic.load_state_dict(saved["critic"])
            self.optimizer.load_state_dict(saved["critic_optimizer"])
        if self.schedule is not None:
            self.schedule.load_state_dict(saved["schedule"])


def train_biskip(data, out, *, scheme: str = "SA1P", variant: str = "BS", depth: int = DEPTH,
                 widths=None, skip_widths=None, batch: int = 8, patch: int = 128, perceptual: str = "dncnn",
                 rounds: int = ROUNDS, critic_width: int = 32, critic_lr: float | None = None,
                 iterations: int = 20000, max_minutes: float = 120.0, lr: float = 1e-4,
                 seed: int = 0, holdout: int = 8, validate_every: int = 250,
                 checkpoint_every: int = 100, checkpoint: Path | None = None,
                 progress: bool = True, precision: str = "bf16", clip: float = 0.0,
                 init: Path | None = None, command: str | None = None, bank: int = 1024,
                 kernel_sizes=KERNEL_SIZES) -> dict:
    """Train a Bi-Skip generator by ``scheme`` (module docstring); return its model card.

    ``widths``/``skip_widths`` default to the paper's (:class:`~..priors.nets.biskip.BiSkip`).
    """
    plan = parse_scheme(scheme)
    torch.manual_seed(seed)
    train, held_out = load_split(data, holdout)
    sampler = BlurPairSampler(train, patch, seed=seed, bank=bank, sizes=tuple(kernel_sizes))
    pairs = validation_pairs(held_out, seed, patch, bank=bank)
    model = BiSkip(channels=1, depth=depth, variant=variant, widths=widths,
                   skip_widths=skip_widths)
    content = BiLevelLoss(plan, PerceptualLoss(feature_extractor(perceptual))
                          if plan.perceptual else None)
    critic = Critic(1, critic_width) if plan.adversarial else None
    schedule = SelfPacedSchedule(rounds, iterations) if plan.self_paced else None
    loss = _GeneratorLoss(plan, content, critic, schedule, critic_lr or lr)

    task = pair_task(model, "BiSkip", sampler, batch, lambda net: validation_psnr(net, pairs),
                     loss=loss, state=loss.state, load_state=loss.load_state)
    meta = {
        "architecture": f"Bi-Skip {variant}, depth {depth}", "scheme": plan.name,
        "command": command, "data": str(data), "training_images": len(train),
        "holdout_images": holdout, "batch": batch, "patch": patch, "bank": bank,
        "pairs": f"gray {patch}x{patch} crops, 'valid' blur by random kernels of "
                 f"{kernel_sizes[0]}-{kernel_sizes[1]} px, noise sigma uniform in [0, 0.02]",
        "loss": f"bi-level (gamma1 {PIXEL_WEIGHT}, gamma2 {PERCEPTUAL_WEIGHT}, features "
                f"{perceptual if plan.perceptual else 'none'})"
                + (f", WGAN-GP critic width {critic_width}, {CRITIC_STEPS}:1" if critic else "")
                + (f", self-paced over {rounds} rounds" if schedule else ""),
        "validation": f"mean PSNR of {VALIDATION_PAIRS} fixed pairs of the held-out images",
    }
    return train_network(task, out, iterations=iterations, max_minutes=max_minutes, lr=lr,
                         clip=clip, precision=precision, seed=seed,
                         validate_every=validate_every, checkpoint_every=checkpoint_every,
                         checkpoint=checkpoint, progress=progress, meta=meta,
                         description=f"train biskip {plan.name}", init=init)
