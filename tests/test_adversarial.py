"""WGAN-GP pieces: the gradient penalty against its definition by finite differences."""

import numpy as np
import torch

from proxdeblur.training import adversarial
from proxdeblur.training.adversarial import Critic, gradient_penalty


class _Toy(torch.nn.Module):
    """A small smooth critic: D(x) = Σ tanh(w ⊙ x) + (a·x)²."""

    def __init__(self, shape):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(shape, generator=generator, dtype=torch.float64))
        self.a = torch.nn.Parameter(torch.randn(shape, generator=generator, dtype=torch.float64))

    def forward(self, x):
        return torch.tanh(self.w * x).flatten(1).sum(1) + ((self.a * x).flatten(1).sum(1)) ** 2


def _finite_difference_norm(critic, x, step=1e-6):
    flat = x.flatten()
    grad = np.zeros(flat.numel())
    for j in range(flat.numel()):
        plus, minus = flat.clone(), flat.clone()
        plus[j] += step
        minus[j] -= step
        difference = critic(plus.reshape(1, *x.shape)) - critic(minus.reshape(1, *x.shape))
        grad[j] = float(difference[0]) / (2 * step)
    return np.linalg.norm(grad)


def test_penalty_equals_its_definition_by_finite_differences():
    shape = (1, 3, 4)
    critic = _Toy(shape)
    generator = torch.Generator().manual_seed(1)
    real = torch.rand(3, *shape, generator=generator, dtype=torch.float64)
    fake = torch.rand(3, *shape, generator=generator, dtype=torch.float64)
    alpha = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    weights = torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64)
    got = gradient_penalty(critic, real, fake, weights, beta=10.0, alpha=alpha)
    with torch.no_grad():
        terms = []
        for i in range(3):
            mixed = alpha[i] * real[i] + (1 - alpha[i]) * fake[i]
            terms.append(weights[i] * (_finite_difference_norm(critic, mixed) - 1) ** 2)
    expected = 10.0 * float(sum(terms)) / 3
    assert abs(float(got) - expected) < 1e-6 * max(1.0, expected)


def test_penalty_trains_the_critic_and_has_a_graph():
    critic = Critic(channels=1, width=8, layers=2)
    real, fake = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    loss = adversarial.critic_loss(critic, real, fake)
    loss.backward()
    assert all(p.grad is not None for p in critic.parameters())
    assert critic(real).shape == (2,)  # one score per sample, no sigmoid bound
    with torch.no_grad():
        critic.body[-1].bias.fill_(5.0)
    assert float(critic(real).min()) > 1.0


def test_zero_weights_silence_a_sample():
    critic = Critic(channels=1, width=8, layers=2)
    real = torch.rand(2, 1, 32, 32)
    fake = torch.rand(2, 1, 32, 32, requires_grad=True)
    adversarial.generator_adversarial_loss(critic, fake, torch.tensor([1.0, 0.0])).backward()
    assert fake.grad[0].abs().sum() > 0 and fake.grad[1].abs().sum() == 0
    assert float(gradient_penalty(critic, real, fake, torch.zeros(2))) == 0.0
