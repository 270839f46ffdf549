"""The estimate's pieces: supports, pyramid, kernel clean-up and softening, latent step."""


import numpy as np
import pytest

from proxdeblur import Convolution, deconvolve
from proxdeblur.blind import (
    diagnose_kernel,
    kernel_support,
    latent_step,
)
from proxdeblur.blind.pyramid import pyramid_levels
from proxdeblur.kernels import clean_kernel, delta_kernel, kernel_extent, motion_kernel, soften_kernel


def test_soften_kernel_is_a_gaussian_blur_on_a_grown_support():
    kernel = motion_kernel(7, seed=4)
    assert soften_kernel(kernel, 0.0) is kernel
    soft = soften_kernel(kernel, 0.5)  # radius int(4 · 0.5 + 0.5) = 2
    assert soft.shape == (11, 11) and soft.min() >= 0 and np.isclose(soft.sum(), 1)
    grid = np.indices(soft.shape) - 5
    centre = [float((grid[i] * soft).sum()) for i in (0, 1)]
    centre0 = [float(((np.indices(kernel.shape)[i] - 3) * kernel).sum()) for i in (0, 1)]
    np.testing.assert_allclose(centre, centre0, atol=1e-12)  # a symmetric blur keeps the centre
    delta = soften_kernel(delta_kernel(3), 1.0)
    profile = delta[delta.shape[0] // 2]
    assert profile[len(profile) // 2 + 1] / profile[len(profile) // 2] == pytest.approx(
        np.exp(-0.5), rel=1e-6)


def test_kernels_carried_to_a_finer_level_stay_on_the_simplex_and_centred():
    from proxdeblur.blind.pyramid import resize_kernel as _resize_kernel

    yy, xx = np.mgrid[-3:4, -3:4]
    gaussian = np.exp(-(yy ** 2 + xx ** 2) / 3.0)
    for kernel in (gaussian / gaussian.sum(), motion_kernel(7, seed=5)):
        larger = _resize_kernel(kernel, (11, 9))
        assert larger.shape == (11, 9)
        assert np.all(larger >= 0) and np.isclose(larger.sum(), 1.0)
    larger = _resize_kernel(gaussian / gaussian.sum(), (11, 11))
    np.testing.assert_allclose(larger, larger[::-1, ::-1], atol=1e-12)
    centre = [np.sum(larger * g) for g in np.mgrid[0:11, 0:11]]
    np.testing.assert_allclose(centre, [5, 5], atol=1e-9)


def test_latent_step_with_a_delta_kernel_keeps_a_piecewise_constant_image():
    scene = np.full((40, 44), 0.2)
    scene[5:20, 8:30] = 0.9
    scene[25:35, 20:40] = 0.5
    u = latent_step(scene, delta_kernel(3), lam=1e-4)
    assert np.abs(u - scene).max() < 1e-3


def test_delta_kernel_leaves_a_sharp_image_unchanged(camera_small):
    assert np.allclose(Convolution(delta_kernel(5), "valid").forward(camera_small), camera_small[2:-2, 2:-2])
    restored = deconvolve(camera_small, delta_kernel(5))
    assert restored.shape == camera_small.shape
    assert np.abs(restored - camera_small)[4:-4, 4:-4].mean() < 0.01


def test_clean_kernel_thresholds_and_prunes():
    k = np.zeros((9, 9))
    k[4, 2:7] = 1.0
    k[0, 0] = 0.2  # an isolated speck of 4% of the mass
    k[8, 8] = 0.01
    cleaned = clean_kernel(k / k.sum(), threshold=0.05, prune=0.1)
    assert cleaned[0, 0] == 0 and cleaned[8, 8] == 0
    assert np.isclose(cleaned.sum(), 1.0) and np.count_nonzero(cleaned) == 5
    assert np.allclose(clean_kernel(k / k.sum(), 0.0, 0.0), k / k.sum())


def test_pyramid_goes_from_about_3_to_the_requested_size():
    levels = pyramid_levels((27, 19))
    assert (levels[-1].scale, levels[-1].support) == (1.0, (27, 19))
    assert max(levels[0].support) <= 5
    scales = [level.scale for level in levels]
    assert np.allclose(np.diff(np.log(scales)), 0.5 * np.log(2))


def test_kernel_extent_is_the_larger_side_of_the_significant_entries():
    kernel = np.zeros((15, 15))
    kernel[7, 3:10] = 1.0  # a 7-pixel horizontal line
    kernel[0, 7] = 0.04  # below 5 % of the maximum: not counted
    assert kernel_extent(kernel) == 7
    assert kernel_extent(kernel, threshold=0.01) == 8  # rows 0..7 now count
    assert kernel_extent(delta_kernel(9)) == 1


def test_diagnose_kernel_flags_a_delta_and_a_moving_kernel():
    collapsed, converged, messages = diagnose_kernel(delta_kernel(9), change=0.2)
    assert collapsed and not converged and len(messages) == 2
    assert "0.20" in messages[1] and "--noise 0.02" in messages[1]  # says what to try
    collapsed, converged, messages = diagnose_kernel(motion_kernel(9, seed=1), change=0.01)
    assert not collapsed and converged and messages == []


def test_kernel_support_accepts_pairs():
    assert kernel_support((5, 7), (64, 64)) == (5, 7)
    assert kernel_support(np.int64(9), (64, 64)) == (9, 9)
