"""One scale policy for every public function that takes a photograph: integer arrays are
pixel codes (divided by their dtype's range), floats must be on the [0, 1] scale."""

import numpy as np
import pytest

from proxdeblur import Convolution, InvalidArgumentError, deblur, deconvolve, denoise, hqs, io
from proxdeblur.blind import estimate_kernel
from proxdeblur.gcm_applications import smooth
from proxdeblur.kernels import motion_kernel
from proxdeblur.priors import TV


@pytest.fixture
def blurred(camera_small):
    y = Convolution(motion_kernel(5, seed=2), "valid").forward(camera_small[:60, :60])
    return np.clip(y, 0, 1)


def _functions():
    kernel = motion_kernel(5, seed=2)
    return {
        "deconvolve": lambda y: deconvolve(y, kernel, max_iter=3),
        "deblur": lambda y: deblur(y, 5, kernel_options={"max_iter": 1, "settle_max_iter": 0},
                                   deconvolve_options={"max_iter": 2}, warn=False)[0],
        "estimate_kernel": lambda y: estimate_kernel(y, 5, max_iter=1, settle_max_iter=0)[0],
        "denoise": lambda y: denoise(y, 10 / 255, denoiser="dncnn", ensemble=1),
        "smooth": lambda y: smooth(y, 0.01, generator=None, max_iter=2)[0],
    }


@pytest.mark.parametrize("name", list(_functions()))
def test_integer_images_are_pixel_codes(blurred, name):
    run = _functions()[name]
    codes = np.round(blurred * 255).astype(np.uint8)
    np.testing.assert_allclose(run(codes), run(codes / 255.0), atol=1e-12)
    codes16 = np.round(blurred * 65535).astype(np.uint16)
    np.testing.assert_allclose(run(codes16), run(codes16 / 65535.0), atol=1e-12)


@pytest.mark.parametrize("name", list(_functions()))
def test_float_images_on_the_255_scale_are_refused(blurred, name):
    with pytest.raises(InvalidArgumentError, match=r"^image: expected values on the \[0, 1\]"):
        _functions()[name](blurred * 255)


def test_noisy_images_and_overshoots_are_on_scale(blurred):
    rng = np.random.default_rng(0)
    noisy = blurred + 50 / 255 * rng.standard_normal(blurred.shape)  # the largest noise taken
    assert denoise(noisy, 50 / 255, denoiser="dncnn", ensemble=1).shape == blurred.shape
    deconvolve(blurred * 1.8 - 0.4, motion_kernel(5, seed=2), max_iter=2)  # a strong overshoot


def test_writing_a_255_scale_float_image_is_refused_not_whitened(tmp_path, blurred):
    with pytest.raises(InvalidArgumentError, match="^image:"):
        io.write_image(tmp_path / "white.png", blurred * 255)
    assert not (tmp_path / "white.png").exists()
    io.write_image(tmp_path / "codes.png", np.round(blurred * 255).astype(np.uint8))
    np.testing.assert_allclose(io.read_image(tmp_path / "codes.png"), blurred, atol=0.5 / 255)


def test_solvers_take_any_scale(blurred):
    """The solvers are mathematics on arrays: a radiance map or a gradient field in
    any unit is fine (only integer arrays are read as pixel codes)."""
    result = hqs(Convolution(motion_kernel(5, seed=2), "circular"), blurred * 1000, TV(0.3),
                 rho=1.0, max_iter=3)
    assert np.all(np.isfinite(result.x)) and result.x.max() > 100
