"""The plug-in roles: a user's own class (no proxdeblur base) and a bare torch module through
LearnedPrior plug into hqs, gcm and the blind latent step by their protocol alone."""

import numpy as np
import pytest
from torch import nn

from proxdeblur import Convolution, InvalidArgumentError, Lp, deconvolve, hqs
from proxdeblur.blind import GCMLatentStep, RestorerLatentStep, estimate_kernel, make_latent_step
from proxdeblur.kernels import motion_kernel
from proxdeblur.priors import LpGradient
from proxdeblur.priors.base import (
    Denoiser,
    DenoiserProx,
    ExplicitPrior,
    PriorGradient,
    ProximalPrior,
    Restorer,
)
from proxdeblur.priors.learned import LearnedPrior
from proxdeblur.solvers import gcm


class SoftThreshold:
    """A user's prior: φ = λ‖x‖₁, written from scratch."""

    def __init__(self, lam):
        self.lam = lam

    def prox(self, x, tau):
        return np.sign(x) * np.maximum(np.abs(x) - self.lam * tau, 0.0)

    def value(self, x):
        return self.lam * float(np.abs(x).sum())


class Halve:
    """A user's restorer: moves halfway to the local mean."""

    def __init__(self):
        self.calls = 0

    def restore(self, x):
        self.calls += 1
        return 0.5 * x + 0.5 * float(np.mean(x))


class Smooth:
    """A user's denoiser: a 3-tap average whose strength grows with sigma."""

    def __init__(self):
        self.sigmas = []

    def denoise(self, x, sigma):
        self.sigmas.append(sigma)
        mix = min(1.0, 5 * sigma)
        return (1 - mix) * x + mix * (np.roll(x, 1, 0) + x + np.roll(x, -1, 0)) / 3


class Average3(nn.Module):
    """A bare torch module: a 3×3 average, channels kept."""

    def forward(self, x):
        return nn.functional.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    sharp = np.zeros((48, 48))
    sharp[10:30, 12:40] = 1.0
    kernel = motion_kernel(5, seed=1)
    blurred = Convolution(kernel, "circular").forward(sharp) + 0.01 * rng.standard_normal(sharp.shape)
    return sharp, kernel, blurred


def test_roles_are_told_apart_by_structure():
    assert isinstance(SoftThreshold(1.0), ExplicitPrior)
    assert isinstance(Halve(), Restorer) and not isinstance(Halve(), Denoiser)
    assert isinstance(Smooth(), Denoiser) and not isinstance(Smooth(), ProximalPrior)
    assert isinstance(LpGradient(1e-3), ProximalPrior)
    gradient = LearnedPrior(Average3(), "gradient", device="cpu")
    assert isinstance(gradient, PriorGradient) and not isinstance(gradient, Restorer)
    denoiser = LearnedPrior(Average3(), "restorer", device="cpu")
    assert isinstance(denoiser, Restorer) and not isinstance(denoiser, ProximalPrior)


def test_a_users_prior_and_denoiser_plug_into_hqs(problem):
    _, kernel, blurred = problem
    own = hqs(Convolution(kernel, "circular"), blurred, SoftThreshold(1e-3), rho=0.1,
              max_iter=5, tol=0)
    reference = hqs(Convolution(kernel, "circular"), blurred, Lp(1e-3, p=1.0), rho=0.1,
                    max_iter=5, tol=0)
    np.testing.assert_allclose(own.x, reference.x, atol=1e-10)  # the same ℓ1 prox
    assert np.all(np.isfinite(own.history["objective"]))
    smooth = Smooth()
    result = hqs(Convolution(kernel, "circular"), blurred, smooth, rho=0.25, max_iter=3, tol=0)
    assert result.x.shape == blurred.shape and smooth.sigmas == pytest.approx([2.0] * 3)
    restored = deconvolve(blurred, kernel, prior=Smooth(), max_iter=3)  # plug-and-play HQS
    assert restored.shape == blurred.shape


def test_denoiser_prox_is_denoising_at_the_root_of_weight_times_tau():
    smooth = Smooth()
    DenoiserProx(smooth, weight=0.5).prox(np.ones((4, 4)), 0.02)
    assert smooth.sigmas == [pytest.approx(0.1)]
    with pytest.raises(InvalidArgumentError, match="^denoiser:"):
        DenoiserProx(Halve())


def test_a_users_restorer_and_a_torch_module_plug_into_gcm(problem):
    _, kernel, blurred = problem
    for generator in (Halve(), LearnedPrior(Average3(), "restorer", device="cpu")):
        result = gcm(Convolution(kernel, "circular"), blurred, Lp(1e-3, p=0.8), generator,
                     gamma=0.02, max_iter=4)
        assert np.all(np.diff(result.history["objective"]) <= 1e-12)  # Theorem 2 holds
    with pytest.raises(InvalidArgumentError, match="^generator:"):
        gcm(Convolution(kernel, "circular"), blurred, Lp(1e-3), Smooth(), max_iter=1)


def test_a_users_restorer_and_a_torch_module_plug_into_the_blind_latent_step(problem):
    sharp, kernel, _ = problem
    blurred = Convolution(kernel, "valid").forward(np.pad(sharp, 8, mode="reflect"))
    halve = Halve()
    estimated, info = estimate_kernel(blurred, 5, image_step=GCMLatentStep(halve, max_iter=2),
                                      max_iter=1, settle_max_iter=0)
    assert halve.calls == 2 * len(info.levels) and np.isclose(estimated.sum(), 1)
    network = LearnedPrior(Average3(), "restorer", device="cpu")
    assert isinstance(make_latent_step(network), RestorerLatentStep)
    estimated, info = estimate_kernel(blurred, 5, image_step=network, max_iter=1,
                                      settle_max_iter=0)
    assert estimated.shape == (5, 5) and estimated.min() >= 0 and np.isclose(estimated.sum(), 1)

    def own_step(blurred, kernel, lam, *, lam_intensity=0.0, previous=None):
        return blurred  # a plain function returning an image is a latent step too

    estimated, _ = estimate_kernel(blurred, 5, image_step=own_step, max_iter=1, settle_max_iter=0)
    assert np.isclose(estimated.sum(), 1)
    for bad in (Smooth(), 3):
        with pytest.raises(InvalidArgumentError, match="image_step|restorer"):
            estimate_kernel(blurred, 5, image_step=bad)
