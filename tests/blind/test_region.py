"""The window of a large photograph that the kernel is estimated on."""

import numpy as np
import pytest

from proxdeblur import Convolution, deblur
from proxdeblur.blind import informative_region, region_side
from proxdeblur.kernels import motion_kernel
from proxdeblur.metrics import kernel_similarity


def _scene(shape, patches, seed=0):
    """Flat grey with random-texture patches ``(top, left, side)`` (values 0.2-0.8)."""
    rng = np.random.default_rng(seed)
    image = np.full(shape, 0.5)
    for top, left, side in patches:
        image[top:top + side, left:left + side] = 0.2 + 0.6 * (rng.random((side, side)) > 0.5)
    return image


def test_small_images_are_used_whole():
    assert informative_region(np.random.default_rng(0).random((300, 400)), 400) is None
    assert region_side((25, 25)) == 1024 and region_side((35, 31)) == 1400


@pytest.mark.parametrize("shape,patch", [((600, 900), (350, 600, 60)), ((900, 500), (30, 20, 80))])
def test_the_window_covers_the_textured_patch(shape, patch):
    rows, cols = informative_region(_scene(shape, [patch]), 200)
    top, left, side = patch
    assert rows.stop - rows.start == cols.stop - cols.start == 200
    assert rows.start <= top and top + side <= rows.stop
    assert cols.start <= left and left + side <= cols.stop


def test_edges_of_two_orientations_beat_stronger_edges_of_one():
    image = _scene((400, 900), [(100, 650, 120)])
    stripes = 0.1 + 0.8 * (np.arange(200) % 8 < 4)  # vertical stripes: high contrast, one
    image[100:300, 50:250] = stripes[None, :]       # orientation, no kernel evidence across
    rows, cols = informative_region(image, 250)
    assert cols.start <= 650 and 770 <= cols.stop


def test_clipped_windows_are_avoided_unless_every_window_clips():
    image = _scene((300, 900), [(100, 100, 100), (100, 600, 100)])
    image[120:180, 120:180] = 1.0  # a saturated highlight inside the first patch
    rows, cols = informative_region(image, 150)
    assert cols.start >= 450
    rows, cols = informative_region(np.ones((300, 900)), 150)  # everything clips: still a window
    assert rows.stop - rows.start == 150


def test_deblur_estimates_on_the_window_and_restores_the_whole_image(camera_small):
    """A scene larger than the window: the kernel comes from the window, about as good as
    from the whole image; the restoration has the whole input's shape."""
    from skimage import data, transform

    scene = transform.resize(data.camera() / 255.0, (300, 300), anti_aliasing=True)
    kernel = motion_kernel(7, seed=3)
    blurred = Convolution(kernel, "valid").forward(scene)
    blurred = blurred + 0.005 * np.random.default_rng(0).standard_normal(blurred.shape)
    restored, estimate, info = deblur(blurred, 7, kernel_region=96, warn=False)
    rows, cols = info.region
    assert rows.stop - rows.start == 96 == cols.stop - cols.start
    assert restored.shape == blurred.shape
    whole, whole_estimate, whole_info = deblur(blurred, 7, kernel_region=None, warn=False)
    assert whole_info.region is None
    assert kernel_similarity(estimate, kernel) > kernel_similarity(whole_estimate, kernel) - 0.15
    assert kernel_similarity(estimate, kernel) > 0.6
