"""`restore`: a restorer network on gray and colour images, tiled, and its errors."""

import numpy as np
import pytest
import torch

from proxdeblur import InvalidArgumentError, restore
from proxdeblur.priors.learned import LearnedPrior
from proxdeblur.priors.nets.dmphn import DMPHN


def _network(tile_size=512, tile_overlap=96):
    torch.manual_seed(0)
    return LearnedPrior(DMPHN(width=4).eval(), "restorer", device="cpu", tile_size=tile_size,
                        tile_overlap=tile_overlap)


def test_gray_and_colour_keep_their_shape_and_dtype(camera_small):
    net = _network()
    gray = camera_small[:50, :70]
    assert restore(gray, net).shape == gray.shape
    colour = np.dstack([gray, gray.T[:50, :50].repeat(2, axis=1)[:, :70], 1 - gray])
    out = restore(colour.astype(np.float32), net)
    assert out.shape == colour.shape and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 2], restore(colour[..., 2], net), atol=1e-5)


def test_tiles_agree_with_the_whole_image_pass(camera_small):
    """Blended tiles equal one pass where the network's reach stays inside the overlap;
    DMPHN's patch hierarchy reaches further, so they agree closely, not exactly."""
    image = camera_small[:120, :120]
    whole = restore(image, _network())
    tiled = restore(image, _network(tile_size=64, tile_overlap=24))
    assert np.sqrt(np.mean((tiled - whole) ** 2)) < 0.02


def test_weights_of_another_role_or_unknown_names_are_refused(tmp_path):
    from proxdeblur.priors.zoo import bundled_path

    with pytest.raises(InvalidArgumentError, match="^model:.*DnCNN"):
        restore(np.zeros((16, 16)), bundled_path("dncnn"))
    with pytest.raises(InvalidArgumentError, match="^model:"):
        restore(np.zeros((16, 16)), "no-such-restorer")
    (tmp_path / "bad.pt").write_bytes(b"not weights")
    with pytest.raises(InvalidArgumentError, match="^model:.*not a readable weights file"):
        restore(np.zeros((16, 16)), tmp_path / "bad.pt")


def test_golf_is_n1_then_n2_steps_and_steps_belongs_to_golf(camera_small):
    from proxdeblur.priors.learned import LearnedPrior
    from proxdeblur.priors.nets.golf import GolfNet
    from proxdeblur.restoration import GOLF_STEPS, get_restorer
    from proxdeblur.solvers import golf

    image = camera_small[:40, :48]
    pair = get_restorer("golf", steps=2)
    assert pair is get_restorer("golf", steps=2)  # loaded once
    assert isinstance(pair.n1.module, GolfNet) and pair.n2.role == "gradient"
    assert isinstance(pair.n1, LearnedPrior) and pair.steps == 2
    np.testing.assert_array_equal(restore(image, "golf", steps=2),
                                  golf(image, pair.n1, pair.n2, steps=2).x)
    assert get_restorer("golf").steps == GOLF_STEPS
    with pytest.raises(InvalidArgumentError, match="^steps:"):
        restore(image, "dmphn", steps=2)
    with pytest.raises(InvalidArgumentError, match="^steps:"):
        restore(image, "golf", steps=-1)
