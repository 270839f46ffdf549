"""DMPHN: shapes for any size, the patch split, independent levels and stacks."""

import pytest
import torch

from proxdeblur.priors.nets.dmphn import DMPHN, GRIDS, merge, split


@pytest.mark.parametrize("levels", [(1, 2, 4), (1, 2, 4, 8), (1,)])
@pytest.mark.parametrize("shape", [(32, 32), (37, 53), (9, 70), (64, 17)])
def test_any_size_comes_back_the_same_size(levels, shape):
    net = DMPHN(channels=1, width=4, levels=levels).eval()
    with torch.inference_mode():
        out = net(torch.rand(2, 1, *shape))
    assert out.shape == (2, 1, *shape)


@pytest.mark.parametrize("patches", sorted(GRIDS))
def test_split_and_merge_are_inverse(patches):
    rows, cols = GRIDS[patches]
    x = torch.rand(2, 3, 8 * rows, 8 * cols)
    tiles = split(x, GRIDS[patches])
    assert len(tiles) == patches and all(t.shape == (2, 3, 8, 8) for t in tiles)
    assert torch.equal(merge(tiles, GRIDS[patches]), x)
    if patches > 1:  # row by row: the second tile is right of the first, or below it
        assert torch.equal(tiles[1], x[..., :8, 8:16] if cols > 1 else x[..., 8:16, :8])


def test_no_parameters_are_shared_across_levels_or_stacks():
    net = DMPHN(width=4, levels=(1, 2, 4, 8), stacks=2)
    tensors = [p for p in net.parameters()]
    assert len({p.data_ptr() for p in tensors}) == len(tensors)
    levels = [list(h.encoders) + list(h.decoders) for h in net.stacks]
    assert len(levels[0]) == 8 and all(a is not b for a, b in zip(levels[0], levels[1], strict=True))
    # 15 convolutions per encoder, as in the paper
    convs = [m for m in net.stacks[0].encoders[0].modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 15


def test_the_untrained_network_is_near_the_identity_plus_a_learnable_residual():
    net = DMPHN(width=4).eval()
    for p in net.stacks[0].decoders[-1][-1].parameters():  # the last convolution out
        torch.nn.init.zeros_(p)
    x = torch.rand(1, 1, 24, 24)
    with torch.inference_mode():
        assert torch.allclose(net(x), x)  # the global residual: output = x + decoder(...)


def test_bad_configurations():
    with pytest.raises(ValueError, match="levels"):
        DMPHN(levels=(2, 4))
    with pytest.raises(ValueError, match="levels"):
        DMPHN(levels=(1, 3))
