"""The Bi-Skip generator and its ablation variants (seed 000, section 4.1, Table 1)."""

import pytest
import torch

from proxdeblur.priors.nets.biskip import VARIANTS, BiSkip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("shape, depth", [((1, 1, 37, 50), 4), ((2, 3, 16, 33), 2),
                                         ((1, 1, 20, 20), 5)])
def test_shapes_for_odd_sizes_and_sizes_not_divisible_by_two_to_the_depth(variant, shape,
                                                                          depth):
    torch.manual_seed(0)
    net = BiSkip(channels=shape[1], depth=depth, variant=variant, widths=(4, 8),
                 skip_widths=(2, 4)).eval()
    assert net(torch.rand(shape)).shape == shape


def test_zeroed_last_layer_returns_the_input():
    torch.manual_seed(1)
    net = BiSkip(depth=2, widths=(4, 8), skip_widths=(2,)).eval()
    with torch.no_grad():
        net.last.weight.zero_()
        net.last.bias.zero_()
    x = torch.rand(1, 1, 23, 29)
    torch.testing.assert_close(net(x), x)


def test_a_fresh_network_returns_its_input_and_learns_away_from_it():
    torch.manual_seed(2)
    net = BiSkip(depth=2, widths=(4, 8), skip_widths=(2,))
    x, target = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    torch.testing.assert_close(net.eval()(x), x)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        (net.train()(x) - target).abs().mean().backward()
        optimizer.step()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.body.parameters())
    assert (net.eval()(x) - x).abs().max() > 1e-3


def test_variants_differ_as_table_1_says():
    """BS-cR has one-convolution Res-Blocks, BS-w/o-R none, S neither Res-Blocks nor deep
    skips; residual_down=False drops only the down-sampling shortcut."""
    def convs(net):
        return sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())

    nets = {v: BiSkip(variant=v, depth=2, widths=(4, 8, 8)) for v in VARIANTS}
    assert convs(nets["BS"]) - convs(nets["BS-cR"]) == 2 * 3   # a conv less per Res-Block
    assert convs(nets["BS-cR"]) - convs(nets["BS-w/o-R"]) == 2 * 3
    assert convs(nets["BS-w/o-R"]) - convs(nets["S"]) == 2      # the deep extractors
    assert nets["S"].deep is None and nets["BS"].deep is not None
    plain = BiSkip(depth=2, widths=(4, 8, 8), residual_down=False)
    assert convs(nets["BS"]) - convs(plain) == 1  # the 1x1 projection 4 -> 8 (8 -> 8: identity)
    with pytest.raises(ValueError, match="^variant:"):
        BiSkip(variant="BS-x")


def test_the_paper_widths_fit_the_size_budget():
    """Four down-samplings with the paper's channels: under 12 MB in float16."""
    parameters = sum(p.numel() for p in BiSkip().parameters())
    assert 2 * parameters < 12e6
