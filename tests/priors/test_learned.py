import numpy as np
import pytest
import torch
from torch import nn

from proxdeblur import Convolution, InvalidArgumentError
from proxdeblur.priors.base import Denoiser, PriorGradient, Restorer
from proxdeblur.priors.learned import LearnedPrior
from proxdeblur.priors.nets import DnCNN
from proxdeblur.solvers import hqs


class Blur3(nn.Module):
    """A fixed 3×3 box filter: a 'restorer' with a small receptive field."""

    channels = 1

    def forward(self, x):
        weight = torch.full((1, 1, 3, 3), 1 / 9, dtype=x.dtype, device=x.device)
        return nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), weight)


class ScaleBySigma(nn.Module):
    """A 'denoiser' that returns (1 - sigma) · x, to check the sigma convention."""

    channels = 1

    def forward(self, x, sigma):
        return x * (1 - sigma.reshape(-1, 1, 1, 1))


def test_roles_and_shapes(rng):
    prior = LearnedPrior(Blur3(), "restorer", device="cpu")
    gray = rng.random((20, 30))
    assert prior.restore(gray).shape == gray.shape
    colour = rng.random((20, 30, 3)).astype(np.float32)
    out = prior(colour)
    assert out.shape == colour.shape and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 1], prior.restore(colour[..., 1]), atol=1e-6)
    # the role decides which protocol the wrapper satisfies: a restorer has no denoise
    assert isinstance(prior, Restorer) and not isinstance(prior, (Denoiser, PriorGradient))
    assert not hasattr(prior, "denoise")
    with pytest.raises(InvalidArgumentError, match="^role:"):
        LearnedPrior(Blur3(), "critic")


def test_sigma_is_on_the_unit_scale(rng):
    prior = LearnedPrior(ScaleBySigma(), "denoiser", device="cpu")
    x = rng.random((8, 8))
    np.testing.assert_allclose(prior.denoise(x, 0.25), 0.75 * x, atol=1e-6)
    np.testing.assert_allclose(prior.prox(x, 0.04), 0.8 * x, atol=1e-6)  # sigma = sqrt(tau)
    with pytest.raises(InvalidArgumentError, match="^sigma:"):
        prior.denoise(x, -0.1)


def test_tiled_and_untiled_agree(rng):
    torch.manual_seed(0)
    net = DnCNN(depth=4, width=8)  # receptive-field radius 10 px (5 half-resolution 3×3 layers)
    torch.nn.init.normal_(net.body[-1].weight, std=0.3)  # not the identity it starts as
    x = rng.random((150, 130))
    whole = LearnedPrior(net, "denoiser", device="cpu", tile_size=256).denoise(x, 0.1)
    tiled = LearnedPrior(net, "denoiser", device="cpu", tile_size=96, tile_overlap=44)
    np.testing.assert_allclose(tiled.denoise(x, 0.1), whole, atol=1e-5)
    narrow = LearnedPrior(net, "denoiser", device="cpu", tile_size=96, tile_overlap=16)
    assert np.abs(narrow.denoise(x, 0.1) - whole).mean() < 0.02
    exact = LearnedPrior(Blur3(), "restorer", device="cpu", tile_size=32, tile_overlap=8)
    np.testing.assert_allclose(exact.restore(x), LearnedPrior(Blur3(), "restorer").restore(x),
                               atol=1e-6)


def test_colour_network_needs_colour(rng):
    net = DnCNN(channels=3, depth=3, width=8)
    prior = LearnedPrior(net, "denoiser", device="cpu")
    assert prior.denoise(rng.random((16, 16, 3)), 0.1).shape == (16, 16, 3)
    with pytest.raises(InvalidArgumentError, match="^image:.*3 channels"):
        prior.denoise(rng.random((16, 16)), 0.1)


def test_bad_arguments():
    with pytest.raises(InvalidArgumentError, match="^role:"):
        LearnedPrior(Blur3(), "oracle")
    with pytest.raises(InvalidArgumentError, match="^module:"):
        LearnedPrior(lambda x: x, "restorer")
    with pytest.raises(InvalidArgumentError, match="^tile_overlap:"):
        LearnedPrior(Blur3(), "restorer", tile_size=32, tile_overlap=16)


def test_pnp_hqs_with_identity_denoiser_is_least_squares(rng):
    class Identity(nn.Module):
        channels = 1

        def forward(self, x, sigma):
            return x

    k = np.zeros((3, 3))
    k[1, 1], k[1, 2] = 0.8, 0.2
    op = Convolution(k, "circular")
    y = rng.random((12, 12))
    prior = LearnedPrior(Identity(), "denoiser", device="cpu")
    result = hqs(op, y, prior, rho=0.5, max_iter=300, tol=0)
    np.testing.assert_allclose(result.x, op.solve_normal(op.adjoint(y), 0.0), atol=1e-5)


def test_bf16_precision_agrees_with_fp32(rng):
    torch.manual_seed(1)
    net = DnCNN(depth=4, width=8)
    torch.nn.init.normal_(net.body[-1].weight, std=0.1)
    x = rng.random((40, 36))
    exact = LearnedPrior(net, "denoiser", device="cpu").denoise(x, 0.1)
    fast = LearnedPrior(net, "denoiser", device="cpu", precision="bf16").denoise(x, 0.1)
    assert fast.dtype == exact.dtype
    assert np.abs(fast - exact).max() < 0.02
    with pytest.raises(InvalidArgumentError, match="^precision:"):
        LearnedPrior(net, "denoiser", device="cpu", precision="fp16")


class Correlate(nn.Module):
    """A fixed 3×3 correlation with zero padding: equivariant to no symmetry of the square."""

    channels = 1

    def __init__(self, kernel):
        super().__init__()
        self.register_buffer("kernel", torch.as_tensor(kernel.copy(), dtype=torch.float32))

    def forward(self, x):
        return nn.functional.conv2d(x, self.kernel[None, None].to(x.dtype), padding=1)


def _correlate(x, kernel):
    padded = np.pad(x, 1)
    return sum(kernel[i, j] * padded[i : i + x.shape[0], j : j + x.shape[1]]
               for i in range(3) for j in range(3))


def test_self_ensemble_averages_the_transformed_networks(rng):
    # T⁻¹(k ⋆ T x) = T⁻¹(k) ⋆ x for a symmetry T of the square, so the ensemble of a
    # correlation is the correlation with the mean of the transformed kernels.
    kernel = rng.random((3, 3))
    x = rng.random((11, 14))  # not square: the transposes change the shape
    members = {
        1: [kernel],
        2: [kernel, kernel[::-1, ::-1]],
        4: [kernel, kernel[::-1, ::-1], kernel[::-1], kernel[:, ::-1]],
        8: [np.rot90(kernel, r) for r in range(4)] + [np.rot90(kernel.T, r) for r in range(4)],
    }
    for size, kernels in members.items():
        prior = LearnedPrior(Correlate(kernel), "restorer", device="cpu", ensemble=size)
        expected = _correlate(x, np.mean(kernels, axis=0))
        np.testing.assert_allclose(prior.restore(x), expected, atol=1e-5)
    assert np.abs(_correlate(x, np.mean(members[2], axis=0)) - _correlate(x, kernel)).max() > 0.01


def test_self_ensemble_keeps_an_equivariant_network_and_tiles(rng):
    x = rng.random((70, 50, 2))
    plain = LearnedPrior(Blur3(), "restorer", device="cpu").restore(x)
    ensembled = LearnedPrior(Blur3(), "restorer", device="cpu", ensemble=8, tile_size=32,
                             tile_overlap=8)
    np.testing.assert_allclose(ensembled.restore(x), plain, atol=1e-6)
    with pytest.raises(InvalidArgumentError, match="^ensemble:"):
        LearnedPrior(Blur3(), "restorer", ensemble=3)


def test_auto_precision_picks_a_supported_arithmetic():
    from proxdeblur.priors.learned import bf16_is_native

    prior = LearnedPrior(Blur3(), "restorer", device="cpu", precision="auto")
    assert prior.precision == ("bf16" if bf16_is_native("cpu") else "fp32")


def test_cycled_ensemble_walks_through_the_eight_symmetries(rng):
    # With cycle=True, call t uses symmetries t·n … t·n + n − 1 (mod 8): over 8/n calls a
    # correlation network is seen under all eight, and reset_cycle starts again.
    kernel = rng.random((3, 3))
    x = rng.random((9, 12))
    all_eight = [np.rot90(kernel, r) for r in range(4)] + [np.rot90(kernel.T, r) for r in range(4)]
    for size in (1, 2, 4):
        prior = LearnedPrior(Correlate(kernel), "restorer", device="cpu", ensemble=size,
                             cycle=True)
        outputs = [prior.restore(x) for _ in range(8 // size)]
        np.testing.assert_allclose(np.mean(outputs, axis=0),
                                   _correlate(x, np.mean(all_eight, axis=0)), atol=1e-5)
        prior.reset_cycle()
        np.testing.assert_allclose(prior.restore(x), outputs[0], atol=0)
    fixed = LearnedPrior(Correlate(kernel), "restorer", device="cpu", ensemble=2)
    np.testing.assert_allclose(fixed.restore(x), fixed.restore(x), atol=0)
    assert np.abs(outputs[0] - outputs[1]).max() > 0.01  # the calls do differ


def test_pnp_runs_are_reproducible_with_a_cycled_denoiser(camera_small):
    from proxdeblur import deconvolve
    from proxdeblur.denoising import get_denoiser
    from proxdeblur.kernels import motion_kernel

    kernel = motion_kernel(7, seed=1)
    blurred = Convolution(kernel, "valid").forward(camera_small[:40, :40])
    mine = get_denoiser("dncnn", ensemble=1, cycle=True)
    first = deconvolve(blurred, kernel, prior=mine, max_iter=3)
    mine.denoise(blurred, 0.1)  # moves the caller's cycle on: PnP must not depend on it
    np.testing.assert_array_equal(deconvolve(blurred, kernel, prior=mine, max_iter=3), first)
