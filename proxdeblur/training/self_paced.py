"""Self-paced sample weights with the dynamic regularizer (seed 000, section 4.3, eqs. 9–11,
Algorithm 1).

Each training sample i gets a weight ``vᵢ ∈ [0, 1]`` from its loss ``lᵢ`` (the bi-level
loss), the age ``λ`` and the round's exponent ``q``; the minimiser of
``Σ vᵢ lᵢ + λ(‖v‖_q^q / q − Σ vᵢ)`` (the dynamic regularizer of Li et al. 2017, eq. 9) is

    vᵢ* = (1 − lᵢ/λ)^(1/(q − 1))  if lᵢ < λ,  else 0            (eq. 11)

Reading of the paper. As printed, ``q(t) = tan((1 − t/(T+1))·π/2)`` (eq. 10) falls below 1
after half of the T rounds, which makes the exponent ``1/(q − 1)`` negative and ``v > 1``,
against the paper's own requirement ``q > 1``. We read it as
``q(t) = 1 + tan((1 − t/(T+1))·π/2)``: greater than 1 and decreasing in t, as section 4.3
requires, with the printed curve's shape. The exponent ``1/(q − 1)`` then grows over the
rounds: the first rounds weight every sample below the age almost equally, the last ones
down-weight samples by how hard they are — the robustness to perturbing, complex blurs
the paper introduces the mechanism for. The age starts at ``λ₁ = ∞`` (every weight 1)
and becomes the largest loss seen in the previous round (Algorithm 1, line 10). Taking
the maximum over the *previous* round, not over the losses being weighted, is what keeps
the strict test ``lᵢ < λ`` from always dropping the hardest sample of a batch: a sample
is dropped only when it is harder than anything the last round saw.

Properties (tested): ``v ∈ [0, 1]``; non-increasing in ``l``; non-decreasing in ``λ``;
``v → 1`` as ``l → 0``, ``v = 0`` for ``l ≥ λ`` (so ``v → 0`` as ``l → ∞``), ``v → 1`` as
``λ → ∞`` and ``v → 0`` as ``λ → 0`` (section 2.1's three conditions).
"""

from __future__ import annotations

import math

import torch

__all__ = ["exponent_q", "self_paced_weights", "SelfPacedSchedule"]


def exponent_q(t: int, rounds: int) -> float:
    """``q(t) = 1 + tan((1 − t/(T+1))·π/2)`` for round ``t`` of ``T = rounds`` (module
    docstring): > 1 and decreasing in t."""
    if not 1 <= t <= rounds:
        raise ValueError(f"t: expected 1 to {rounds}, got {t}")
    return 1.0 + math.tan((1.0 - t / (rounds + 1)) * math.pi / 2)


def self_paced_weights(losses: torch.Tensor, age: float, q: float) -> torch.Tensor:
    """``v* = (1 − l/λ)^(1/(q − 1))`` for ``l < λ``, else 0 (eq. 11); no gradient flows."""
    if q <= 1:
        raise ValueError(f"q: expected > 1, got {q}")
    if not age > 0:
        raise ValueError(f"age: expected > 0, got {age}")
    losses = losses.detach()
    if math.isinf(age):
        return torch.ones_like(losses)
    ratio = torch.clamp(1.0 - losses / age, min=0.0)
    return torch.where(losses < age, ratio ** (1.0 / (q - 1.0)), torch.zeros_like(losses))


class SelfPacedSchedule:
    """Algorithm 1's rounds over a training run: ``rounds`` equal spans of ``iterations``.

    ``weights(losses, iteration)`` weighs a batch's per-sample losses at the round the
    iteration falls in and remembers the largest loss of that round, which becomes the
    next round's age. :meth:`state_dict` / :meth:`load_state_dict` go into checkpoints.
    """

    def __init__(self, rounds: int, iterations: int):
        if rounds < 1 or iterations < 1:
            raise ValueError(f"rounds, iterations: expected >= 1, got {rounds}, {iterations}")
        self.rounds, self.iterations = rounds, iterations
        self.round, self.age, self.largest = 1, math.inf, 0.0

    def round_of(self, iteration: int) -> int:
        """The round (1 … rounds) of a 0-based iteration."""
        return min(self.rounds, 1 + iteration * self.rounds // self.iterations)

    def weights(self, losses: torch.Tensor, iteration: int) -> torch.Tensor:
        current = self.round_of(iteration)
        while self.round < current:  # a new round: its age is the last round's largest loss
            self.age = self.largest if self.largest > 0 else self.age
            self.largest, self.round = 0.0, self.round + 1
        self.largest = max(self.largest, float(losses.detach().max()))
        return self_paced_weights(losses, self.age, exponent_q(self.round, self.rounds))

    def state_dict(self) -> dict:
        return {"round": self.round, "age": self.age, "largest": self.largest}

    def load_state_dict(self, state: dict) -> None:
        self.round, self.age, self.largest = state["round"], state["age"], state["largest"]
