"""The camera model: tone curves, the clipped-pixel map, and the simulated capture."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from proxdeblur.camera import (
    CLIP_LEVEL,
    TONE_CURVES,
    capture,
    check_clip_level,
    check_tone_curve,
    clipped_pixels,
    contrast_gain,
    from_linear,
    jpeg,
    to_linear,
)
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import motion_kernel

values = st.floats(min_value=-0.5, max_value=1.5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@example(value=0.04045, curve="srgb")  # the knee: found by hypothesis on a CI run
@given(value=values, curve=st.sampled_from(TONE_CURVES))
def test_tone_curves_round_trip_everywhere(value, curve):
    assert from_linear(to_linear(value, curve), curve) == pytest.approx(value, abs=1e-12)
    assert to_linear(from_linear(value, curve), curve) == pytest.approx(value, abs=1e-12)


def test_srgb_curve_known_values_and_monotone():
    # IEC 61966-2-1: mid-gray 0.5 encodes 21.4 % linear light; the segments meet at 0.04045
    assert to_linear(0.5) == pytest.approx(0.21404, abs=1e-5)
    assert to_linear(0.04045) == pytest.approx(0.04045 / 12.92)
    assert to_linear(1.0) == pytest.approx(1.0)
    grid = np.linspace(0, 1, 1001)
    for curve in TONE_CURVES:
        assert np.all(np.diff(to_linear(grid, curve)) > 0)


def test_unknown_tone_curve_is_named():
    with pytest.raises(InvalidArgumentError, match="^tone_curve:"):
        to_linear(0.5, "rec709")


def test_clipped_pixels_any_channel_and_margin():
    image = np.full((9, 9, 3), 0.5)
    image[4, 4, 1] = 1.0  # one channel of one pixel at full scale
    alone = clipped_pixels(image, margin=0)
    assert alone.sum() == 1 and alone[4, 4]
    grown = clipped_pixels(image)
    assert grown.sum() == 9 and grown[3:6, 3:6].all()
    assert not clipped_pixels(np.full((9, 9), CLIP_LEVEL - 1e-3)).any()
    with pytest.raises(InvalidArgumentError, match="^saturation:"):
        clipped_pixels(image, level=1.5)


def _scene():
    from skimage import data

    return data.camera()[100:260, 150:310] / 255.0


def test_capture_is_deterministic_and_exposes_as_asked():
    kernel = motion_kernel(11, seed=2)
    first = capture(_scene(), kernel, rng=np.random.default_rng(5), clip_fraction=0.03)
    again = capture(_scene(), kernel, rng=np.random.default_rng(5), clip_fraction=0.03)
    np.testing.assert_array_equal(first.blurred, again.blurred)
    assert first.blurred.shape == first.sharp.shape == (150, 150)
    assert first.clipped == pytest.approx(0.03, abs=0.01)
    assert 1.0 <= first.gain <= 4.0
    # 8-bit JPEG values
    np.testing.assert_allclose(first.blurred * 255, np.round(first.blurred * 255), atol=1e-9)
    other = capture(_scene(), kernel, rng=np.random.default_rng(6), clip_fraction=0.03)
    assert not np.array_equal(first.blurred, other.blurred)


def test_capture_without_noise_or_compression_is_the_encoded_blur_of_the_linear_scene():
    from proxdeblur import Convolution

    kernel = motion_kernel(7, seed=1)
    shot = capture(_scene(), kernel, rng=np.random.default_rng(0), clip_fraction=0.0,
                   shot=0.0, read=0.0, quality=None)
    expected = from_linear(np.clip(Convolution(kernel, "valid").forward(to_linear(_scene())),
                                   0, 1))
    np.testing.assert_allclose(shot.blurred, expected, atol=0.5 / 255 + 1e-12)
    assert shot.gain == 1.0


def test_jpeg_quality_is_checked():
    with pytest.raises(InvalidArgumentError, match="^quality:"):
        jpeg(np.zeros((8, 8)), 100)


def test_contrast_gain_restores_the_encoded_gradient_energy_and_never_attenuates():
    rng = np.random.default_rng(3)
    dark = 0.05 + 0.25 * rng.random((40, 50))  # a dim scene as stored
    linear = to_linear(dark, "srgb")
    gain = contrast_gain(dark, linear)
    assert gain > 2  # dark values lose most of their contrast in linear light
    energy = [np.sum(np.diff(a, axis=0) ** 2) + np.sum(np.diff(a, axis=1) ** 2)
              for a in (dark, gain * linear)]
    assert energy[1] == pytest.approx(energy[0], rel=1e-9)
    bright = 0.6 + 0.4 * rng.random((40, 50))
    assert contrast_gain(bright, to_linear(bright, "srgb")) == 1.0  # floor: no attenuation
    assert contrast_gain(dark, np.full_like(dark, 0.2)) == 1.0  # flat: nothing to match


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e3))
def test_contrast_gain_is_inverse_to_the_linear_image_scale(scale):
    rng = np.random.default_rng(4)
    encoded = 0.3 * rng.random((16, 16))
    linear = to_linear(encoded, "srgb")
    unscaled = contrast_gain(encoded, linear)  # > 1: a dark image
    assert contrast_gain(encoded, scale * linear) == pytest.approx(max(1.0, unscaled / scale))


def test_contrast_gain_needs_matching_gray_images():
    with pytest.raises(InvalidArgumentError, match="linear"):
        contrast_gain(np.zeros((8, 8)), np.zeros((8, 9)))


def test_clip_level_and_tone_curve_checks_name_the_argument():
    assert check_clip_level(np.float32(0.5)) == 0.5 and check_clip_level(None) is None
    for bad in (0, 1.5, True, "0.9", float("nan")):
        with pytest.raises(InvalidArgumentError, match="^kernel_saturation:"):
            check_clip_level(bad, "kernel_saturation")
    assert check_tone_curve("srgb") == "srgb" and check_tone_curve(None) is None
    with pytest.raises(InvalidArgumentError, match="^--tone-curve:.*rec709"):
        check_tone_curve("rec709", "--tone-curve")
