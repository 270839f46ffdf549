"""Perceptual losses: the frozen extractors and the local-VGG19 loading path."""

import pytest
import torch

from proxdeblur.errors import ImageFileError, InvalidArgumentError
from proxdeblur.training.perceptual import (
    VGG19_LAYOUT,
    PerceptualLoss,
    _vgg19_layers,
    dncnn_features,
    vgg19_features,
)


def test_loss_is_zero_on_the_target_and_trains_the_output_only():
    torch.manual_seed(0)
    loss = PerceptualLoss(dncnn_features())
    target = torch.rand(2, 1, 33, 40)  # odd sizes: the DnCNN's 2×2 unshuffle pads
    assert loss(target.clone(), target).item() == 0.0
    output = (target + 0.1 * torch.randn_like(target)).requires_grad_(True)
    value = loss(output, target)
    value.backward()
    assert value.item() > 0 and output.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None for p in loss.features.parameters())
    loss.train()
    assert not loss.features.training


def test_dncnn_depth_is_checked():
    with pytest.raises(InvalidArgumentError, match="depth"):
        dncnn_features(depth=0)


def test_vgg19_from_a_local_torchvision_style_file(tmp_path):
    """The loading path only: weights initialised at random, saved by the test."""
    torch.manual_seed(0)
    full = _vgg19_layers(len(VGG19_LAYOUT) * 2)
    state = {f"features.{k}": v for k, v in full.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)  # ignored
    torch.save(state, tmp_path / "vgg19.pth")
    torch.save(full.state_dict(), tmp_path / "vgg19_features.pth")
    for name in ("vgg19.pth", "vgg19_features.pth"):
        features = vgg19_features(tmp_path / name)
        assert features(torch.rand(1, 1, 32, 32)).shape == (1, 256, 8, 8)  # conv3_3, 1/4
        assert features(torch.rand(1, 3, 32, 32)).shape == (1, 256, 8, 8)
    first = vgg19_features(tmp_path / "vgg19.pth").layers[0].weight
    assert torch.equal(first, full[0].weight)


def test_vgg19_bad_files(tmp_path):
    with pytest.raises(InvalidArgumentError, match="path"):
        vgg19_features(tmp_path / "missing.pth")
    torch.save({"0.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(ImageFileError, match="not VGG19"):
        vgg19_features(tmp_path / "other.pth")
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(ImageFileError, match="not a readable"):
        vgg19_features(tmp_path / "junk.pth")
