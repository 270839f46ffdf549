import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError
from proxdeblur.metrics import (
    align,
    aligned_psnr,
    aligned_ssim,
    error_ratio,
    kernel_similarity,
    psnr,
    ssim,
)
from tests.strategies import seeds


def _scene(seed, shape=(80, 80)):
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    return np.clip(gaussian_filter(rng.random(shape), 2) * 3 - 1, 0, 1)


def test_psnr_of_identical_images_is_infinite():
    x = np.random.default_rng(0).random((16, 16))
    assert psnr(x, x) == float("inf")
    assert ssim(x, x) == pytest.approx(1.0)


def test_psnr_value():
    x = np.zeros((10, 10))
    assert psnr(x + 0.1, x) == pytest.approx(20.0)


@given(seed=seeds, dy=st.integers(-6, 6), dx=st.integers(-6, 6))
def test_aligned_psnr_recovers_a_known_shift(seed, dy, dx):
    big = _scene(seed, (100, 100))
    truth = big[10:90, 10:90]
    shifted = big[10 + dy : 90 + dy, 10 + dx : 90 + dx]  # the content moved by (-dy, -dx)
    a = align(shifted, truth, border=8, max_shift=8)
    assert a.shift == (-dy, -dx)
    assert a.ssd == pytest.approx(0.0, abs=1e-20)
    assert aligned_psnr(shifted, truth, border=8, max_shift=8) == float("inf")


def test_alignment_protocol_defaults_use_a_225_window():
    truth = _scene(1, (255, 255))
    a = align(truth, truth)
    assert a.window.shape == (225, 225) and a.shift == (0, 0)


def test_aligned_metrics_clip_to_unit_range():
    truth = _scene(2)
    assert aligned_psnr(truth + 5.0 * (truth == 1), truth) == float("inf")
    assert aligned_ssim(truth, truth) == pytest.approx(1.0)


def test_error_ratio_of_the_reference_is_one():
    truth = _scene(3, (64, 64))
    estimate = truth + 0.05 * np.random.default_rng(0).standard_normal(truth.shape)
    assert error_ratio(estimate, estimate, truth) == pytest.approx(1.0)
    worse = truth + 0.1 * np.random.default_rng(1).standard_normal(truth.shape)
    assert error_ratio(worse, estimate, truth) > 1.5


def test_kernel_similarity_is_shift_invariant_and_bounded():
    rng = np.random.default_rng(0)
    k = rng.random((7, 7))
    padded = np.zeros((11, 11))
    padded[3:10, 1:8] = k
    assert kernel_similarity(padded, k) == pytest.approx(1.0)
    assert 0 < kernel_similarity(rng.random((5, 5)), k) < 1


def test_colour_alignment_and_metrics():
    truth = np.stack([_scene(s) for s in (4, 5, 6)], axis=2)
    assert aligned_psnr(truth, truth) == float("inf")
    noisy = truth + 0.01
    assert 39 < aligned_psnr(noisy, truth) < 41


def test_shape_mismatch_is_rejected():
    with pytest.raises(InvalidArgumentError, match="^estimate:"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(InvalidArgumentError, match="^max_shift:"):
        align(np.zeros((50, 50)), np.zeros((50, 50)), border=5, max_shift=6)
