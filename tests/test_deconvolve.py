import numpy as np
import pytest

from proxdeblur import Convolution, InvalidArgumentError, deconvolve, psnr
from proxdeblur.kernels import delta_kernel, motion_kernel


@pytest.fixture(scope="module")
def valid_blur(camera_small):
    kernel = motion_kernel(9, seed=5)
    blurred = Convolution(kernel, "valid").forward(camera_small)
    blurred = blurred + 0.005 * np.random.default_rng(0).standard_normal(blurred.shape)
    return blurred, kernel, camera_small[4:-4, 4:-4]


def test_returns_input_shape_and_restores(valid_blur):
    blurred, kernel, truth = valid_blur
    restored = deconvolve(blurred, kernel)
    assert restored.shape == blurred.shape and restored.dtype == np.float64
    assert psnr(restored, truth) > psnr(blurred, truth) + 3


def test_unknown_boundary_beats_circular_at_the_border(valid_blur):
    """A real capture is not periodic: the 'valid' model avoids ringing from the border."""
    blurred, kernel, truth = valid_blur
    valid = deconvolve(blurred, kernel, boundary="valid")
    circular = deconvolve(blurred, kernel, boundary="circular")
    assert psnr(valid, truth) > psnr(circular, truth) + 1.0


def test_colour_is_channelwise_and_float32_kept(valid_blur):
    blurred, kernel, _ = valid_blur
    colour = np.stack([blurred, blurred[::-1], blurred.T], axis=2).astype(np.float32)
    # the same weight for all (the default estimates one noise level per image)
    restored = deconvolve(colour, kernel, max_iter=4, lam=5e-4)
    assert restored.dtype == np.float32 and restored.shape == colour.shape
    single = deconvolve(colour[..., 1], kernel, max_iter=4, lam=5e-4)
    np.testing.assert_allclose(restored[..., 1], single, atol=1e-5)


def test_colour_channels_one_by_one_equal_the_batched_solve(valid_blur):
    """Without a history the channels are solved one after the other; with one, together."""
    blurred, kernel, _ = valid_blur
    colour = np.stack([blurred, blurred[::-1] ** 2, 1 - blurred.T], axis=2)
    one_by_one = deconvolve(colour, kernel, max_iter=5)
    batched, result = deconvolve(colour, kernel, max_iter=5, return_result=True)
    assert result.x.ndim == 3 and len(result.history["objective"]) > 0
    np.testing.assert_allclose(one_by_one, batched, rtol=0, atol=1e-10)


def test_delta_kernel_leaves_a_sharp_image_nearly_unchanged(camera_small):
    restored = deconvolve(camera_small, delta_kernel(3))
    assert psnr(restored, camera_small) > 35


@pytest.mark.parametrize("prior", ["tv", "l0-gradient", "wavelet"])
def test_other_named_priors(valid_blur, prior):
    blurred, kernel, truth = valid_blur
    assert psnr(deconvolve(blurred, kernel, prior=prior), truth) > psnr(blurred, truth) + 1


def test_history_with_reference(valid_blur):
    blurred, kernel, truth = valid_blur
    _, result = deconvolve(blurred, kernel, reference=truth, return_result=True)
    assert result.history["psnr"][-1] > result.history["psnr"][0]


@pytest.mark.parametrize("image, kernel, argument", [
    (np.full((20, 20), np.nan), np.ones((3, 3)), "image"),
    (np.zeros(20), np.ones((3, 3)), "image"),
    (np.zeros((0, 5)), np.ones((3, 3)), "image"),
    (np.zeros((20, 20)), -np.ones((3, 3)), "kernel"),
    (np.zeros((20, 20)), np.zeros((3, 3)), "kernel"),
    (np.zeros((20, 20)), np.ones((4, 3)), "kernel"),
    (np.zeros((10, 10)), np.ones((11, 11)), "kernel"),
])
def test_bad_input(image, kernel, argument):
    with pytest.raises(InvalidArgumentError, match=f"^{argument}:"):
        deconvolve(image, kernel)


@pytest.mark.parametrize("kwargs, argument", [
    ({"prior": "magic"}, "prior"),
    ({"p": 1.5}, "p"),
    ({"lam": -1.0}, "lam"),
    ({"boundary": "zero"}, "boundary"),
    ({"max_iter": 0}, "max_iter"),
])
def test_bad_options(kwargs, argument):
    with pytest.raises(InvalidArgumentError, match=f"^{argument}:"):
        deconvolve(np.zeros((20, 20)), np.ones((3, 3)), **kwargs)


def test_default_weight_grows_with_noise(camera_small):
    from proxdeblur.deconvolution import noise_scale

    rng = np.random.default_rng(1)
    assert noise_scale(camera_small) == 1.0
    assert noise_scale(camera_small + 0.02 * rng.standard_normal(camera_small.shape)) > 3.0


def test_noise_adaptive_default_helps_on_noisy_input(camera_small):
    kernel = motion_kernel(9, seed=5)
    blurred = Convolution(kernel, "valid").forward(camera_small)
    noisy = blurred + 0.02 * np.random.default_rng(2).standard_normal(blurred.shape)
    truth = camera_small[4:-4, 4:-4]
    assert psnr(deconvolve(noisy, kernel), truth) > psnr(deconvolve(noisy, kernel, lam=3e-4), truth)


def test_given_noise_level_replaces_the_estimate(camera_small):
    from scipy.signal import fftconvolve

    from proxdeblur.noise import estimate_noise

    kernel = motion_kernel(7)
    noisy = fftconvolve(camera_small, kernel, mode="same") + 0.02 * np.random.default_rng(
        3).standard_normal(camera_small.shape)
    estimated = deconvolve(noisy, kernel, max_iter=3)
    same = deconvolve(noisy, kernel, max_iter=3, noise=estimate_noise(noisy))
    np.testing.assert_array_equal(estimated, same)
    quiet = deconvolve(noisy, kernel, max_iter=3, noise=0.0)  # the low-noise weight: sharper
    assert np.abs(np.diff(quiet, axis=1)).mean() > np.abs(np.diff(estimated, axis=1)).mean()
    with pytest.raises(InvalidArgumentError, match="noise"):
        deconvolve(noisy, kernel, noise=-1.0)
