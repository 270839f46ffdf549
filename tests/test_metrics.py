import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError
from proxdeblur.metrics import (
    LEVIN_SUBPIXEL,
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


def _sampled(image, dy, dx):
    """``image`` sampled at ``(i + dy, j + dx)`` by bilinear interpolation (scipy, an
    implementation independent of proxdeblur.metrics)."""
    from scipy.ndimage import map_coordinates

    yy, xx = np.mgrid[0:image.shape[0], 0:image.shape[1]].astype(float)
    return map_coordinates(image, [yy + dy, xx + dx], order=1, mode="nearest")


@given(seed=seeds, dy=st.integers(-16, 16), dx=st.integers(-16, 16))
def test_subpixel_alignment_recovers_a_quarter_pixel_shift(seed, dy, dx):
    restored = _scene(seed, (64, 64))
    shift = (dy / 4, dx / 4)
    truth = _sampled(restored, *shift)  # truth(p) = restored(p + shift)
    a = align(restored, truth, border=8, max_shift=5, subpixel=LEVIN_SUBPIXEL)
    assert a.shift == pytest.approx(shift)
    assert a.ssd == pytest.approx(0.0, abs=1e-18)
    if dy % 4 or dx % 4:  # the whole-pixel protocol cannot remove a fractional shift
        assert align(restored, truth, border=8, max_shift=5).ssd > 1e-6


@given(seed=seeds, subpixel=st.sampled_from([1, 2, 3, 4]))
def test_subpixel_alignment_matches_a_brute_force_search(seed, subpixel):
    rng = np.random.default_rng(seed)
    truth = _scene(seed, (40, 40))
    restored = _sampled(truth, *rng.uniform(-2, 2, 2)) + 0.01 * rng.standard_normal(truth.shape)
    border, max_shift = 6, 3
    a = align(restored, truth, border, max_shift, subpixel)
    gt = truth[border:-border, border:-border]
    steps = np.arange(-max_shift * subpixel, max_shift * subpixel + 1) / subpixel
    best = min(
        (float(np.sum((_sampled(np.clip(restored, 0, 1), sy + border, sx + border)[:28, :28]
                       - gt) ** 2)), sy, sx)
        for sy in steps for sx in steps)
    assert a.ssd == pytest.approx(best[0], rel=1e-9)
    assert a.shift == pytest.approx(best[1:])
    assert float(np.sum((a.window - a.truth) ** 2)) == pytest.approx(a.ssd)


@given(seed=seeds)
def test_finer_alignment_never_scores_worse(seed):
    rng = np.random.default_rng(seed)
    truth = _scene(seed, (48, 48))
    restored = _sampled(truth, *rng.uniform(-3, 3, 2)) + 0.02 * rng.standard_normal(truth.shape)
    ssd = [align(restored, truth, 8, 5, s).ssd for s in (1, 2, 4)]
    assert ssd[2] <= ssd[1] + 1e-12 and ssd[1] <= ssd[0] + 1e-12
    known = truth + 0.01 * rng.standard_normal(truth.shape)
    assert error_ratio(known, known, truth, 8, 5, subpixel=4) == pytest.approx(1.0)
    assert aligned_psnr(restored, truth, 8, 5, subpixel=4) >= aligned_psnr(restored, truth, 8, 5)


def test_whole_pixel_alignment_keeps_integer_shifts_and_bad_subpixel_is_rejected():
    truth = _scene(7, (60, 60))
    assert align(truth, truth, 8, 4).shift == (0, 0)
    assert all(isinstance(v, int) for v in align(truth, truth, 8, 4).shift)
    colour = np.stack([truth, truth[::-1], truth.T], axis=2)
    moved = np.stack([_sampled(c, 0.5, -0.25) for c in np.moveaxis(colour, 2, 0)], axis=2)
    assert align(colour, moved, 8, 4, subpixel=4).shift == pytest.approx((0.5, -0.25))
    for bad in (0, 1.5, "4"):
        with pytest.raises(InvalidArgumentError, match="^subpixel:"):
            align(truth, truth, 8, 4, subpixel=bad)


def test_kernel_similarity_by_fft_equals_the_direct_correlation():
    from proxdeblur.metrics import kernel_similarity

    rng = np.random.default_rng(3)
    for shape_a, shape_b in (((9, 9), (9, 9)), ((15, 11), (7, 13))):
        a, b = rng.random(shape_a) ** 4, rng.random(shape_b) ** 4
        assert kernel_similarity(a, b, method="fft") == pytest.approx(kernel_similarity(a, b),
                                                                      abs=1e-12)
    with pytest.raises(InvalidArgumentError, match="method"):
        kernel_similarity(a, b, method="auto")
