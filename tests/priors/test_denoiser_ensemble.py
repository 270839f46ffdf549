"""DenoiserEnsemble: several denoisers averaged per call or alternated over calls."""

import copy

import numpy as np
import pytest
from torch import nn

from proxdeblur import Convolution, InvalidArgumentError, deconvolve
from proxdeblur.denoising import get_denoiser
from proxdeblur.priors.denoiser_ensemble import DenoiserEnsemble
from proxdeblur.priors.learned import LearnedPrior


class Shift(nn.Module):
    """A "denoiser" that adds a constant, so that each member's output is recognizable."""

    def __init__(self, offset):
        super().__init__()
        self.offset = offset

    def forward(self, x, sigma):
        return x + self.offset + 0 * sigma.view(-1, 1, 1, 1)


class Recorder:
    """A plain denoiser that records the sigmas it is called with."""

    role = "denoiser"

    def __init__(self, offset):
        self.offset, self.sigmas, self.resets = offset, [], 0

    def denoise(self, image, sigma):
        self.sigmas.append(sigma)
        return np.asarray(image, dtype=float) + self.offset

    def reset_cycle(self):
        self.resets += 1


def test_averaging_returns_the_mean_of_the_members():
    image = np.zeros((8, 8))
    ensemble = DenoiserEnsemble([Recorder(1.0), Recorder(2.0), Recorder(6.0)])
    np.testing.assert_allclose(ensemble.denoise(image, 0.1), 3.0)
    np.testing.assert_allclose(ensemble.denoise(image, 0.1), 3.0)  # no state between calls
    assert all(m.sigmas == [0.1, 0.1] for m in ensemble.members)


def test_cycle_alternates_the_members_and_restarts_on_reset():
    image = np.zeros((8, 8))
    ensemble = DenoiserEnsemble([Recorder(1.0), Recorder(2.0)], cycle=True)
    offsets = [float(ensemble.denoise(image, 0.1)[0, 0]) for _ in range(5)]
    assert offsets == [1.0, 2.0, 1.0, 2.0, 1.0]
    ensemble.reset_cycle()
    assert float(ensemble.denoise(image, 0.1)[0, 0]) == 1.0
    assert [m.resets for m in ensemble.members] == [1, 1]


def test_prox_denoises_at_the_level_of_its_weight():
    ensemble = DenoiserEnsemble([Recorder(0.0), Recorder(0.0)], weight=0.5)
    ensemble.prox(np.zeros((4, 4)), 0.02)
    assert ensemble.members[0].sigmas == [pytest.approx(0.1)]


def test_a_copy_keeps_its_own_cycles():
    members = [LearnedPrior(Shift(1.0), "denoiser", device="cpu", ensemble=2, cycle=True),
               LearnedPrior(Shift(2.0), "denoiser", device="cpu", ensemble=2, cycle=True)]
    original = DenoiserEnsemble(members, cycle=True)
    clone = copy.copy(original)
    for _ in range(3):
        clone.denoise(np.zeros((8, 8)), 0.1)
    assert original._calls == 0 and [m._calls for m in original.members] == [0, 0]
    assert [m._calls for m in clone.members] == [2, 1]


def test_bad_members_are_refused():
    with pytest.raises(InvalidArgumentError, match="^members:.*at least two"):
        DenoiserEnsemble([Recorder(0.0)])
    restorer = LearnedPrior(nn.Identity(), "restorer", device="cpu")
    with pytest.raises(InvalidArgumentError, match=r"^members\[1\]:"):
        DenoiserEnsemble([Recorder(0.0), restorer])
    with pytest.raises(InvalidArgumentError, match="^sigma:"):
        DenoiserEnsemble([Recorder(0.0), Recorder(0.0)])(np.zeros((4, 4)))


def test_joined_names_give_an_ensemble_of_the_bundled_networks():
    pair = get_denoiser("dncnn+drunet", precision="fp32", ensemble=1)
    assert isinstance(pair, DenoiserEnsemble) and not pair.cycle
    assert [type(m.module).__name__ for m in pair.members] == ["DnCNN", "UNetDenoiser"]
    assert get_denoiser("dncnn+drunet", cycle=True).cycle
    with pytest.raises(InvalidArgumentError, match="^denoiser:"):
        get_denoiser("dncnn+")


def test_deconvolve_accepts_any_join_of_bundled_names(camera_small):
    kernel = np.ones((3, 3)) / 9
    blurred = Convolution(kernel, "valid").forward(camera_small)
    restored = deconvolve(blurred, kernel, prior="drunet+dncnn", max_iter=2)
    assert restored.shape == blurred.shape
    with pytest.raises(InvalidArgumentError, match="^prior:"):
        deconvolve(blurred, kernel, prior="drunet+tv")


def test_alternating_pnp_uses_both_networks_and_is_reproducible(camera_small):
    calls = {"DnCNN": 0, "UNetDenoiser": 0}
    pair = get_denoiser("dncnn+drunet", precision="fp32", ensemble=1, cycle=True)

    def counter(name):
        def hook(*_):
            calls[name] += 1
        return hook

    # the modules are cached for the whole session: the hooks are removed after the test
    handles = [m.module.register_forward_hook(counter(type(m.module).__name__))
               for m in pair.members]
    try:
        kernel = np.ones((5, 5)) / 25
        blurred = Convolution(kernel, "valid").forward(camera_small)
        first = deconvolve(blurred, kernel, prior=pair, max_iter=4)
        assert calls == {"DnCNN": 2, "UNetDenoiser": 2}
        again = deconvolve(blurred, kernel, prior=pair, max_iter=4)
    finally:
        for handle in handles:
            handle.remove()
    np.testing.assert_array_equal(first, again)
