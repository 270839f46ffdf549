"""Perceptual losses through a pluggable, frozen feature extractor.

``PerceptualLoss(F)(x̂, x) = ‖F(x̂) − F(x)‖² / (c·w·h)`` — the feature-level term of
the Bi-Skip bi-level loss (seed 000, eq. 4) and of Golf's overall loss (seed 001,
section 5.2), averaged over the batch. Both papers take F from an ImageNet VGG
(VGG19; VGG11-BN), which cannot be downloaded here, so F is pluggable:

* :func:`dncnn_features` — the first convolutions of the bundled DnCNN (trained in
  this project on train400, ``priors/weights/dncnn_gray.json``), frozen: filters
  learned on natural images that respond to edges and textures, which is what a
  perceptual term is meant to compare. Whether it beats the content loss alone is
  for the training recipes to measure;
* :func:`vgg19_features` — VGG19's convolutional layers up to a cut (DeblurGAN's
  ``conv3_3``), from a local torchvision-style weights file a user has.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import ImageFileError, InvalidArgumentError

__all__ = ["PerceptualLoss", "frozen", "feature_extractor", "dncnn_features", "vgg19_features",
           "VGG19_LAYOUT", "VGG19_CUT", "DNCNN_DEPTH"]

#: VGG19's ``features``: output channels of each 3×3 convolution, "M" a 2×2 max-pool.
VGG19_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                512, 512, 512, 512, "M")
#: Modules of ``features`` kept: up to the ReLU after conv3_3 (DeblurGAN's perceptual layer).
VGG19_CUT = 16
#: Convolutions of the bundled DnCNN kept (each with its ReLU).
DNCNN_DEPTH = 4
#: ImageNet statistics VGG's weights expect (RGB).
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def frozen(module: nn.Module) -> nn.Module:
    """``module`` in evaluation mode with no parameter trainable (a loss's extractor, a
    network another one is trained through)."""
    module.eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


class PerceptualLoss(nn.Module):
    """``mean((F(output) − F(target))²)``: the squared feature distance over ``c·w·h``,
    averaged over the batch, with ``F`` frozen (no parameter of it is trained)."""

    def __init__(self, features: nn.Module):
        super().__init__()
        self.features = frozen(features)

    def train(self, mode: bool = True):  # the extractor stays in evaluation mode
        super().train(mode)
        self.features.eval()
        return self

    def per_sample(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The squared feature distance over ``c·w·h`` of each sample, shape ``(N,)``."""
        with torch.no_grad():
            reference = self.features(target)
        return ((self.features(output) - reference) ** 2).flatten(1).mean(1)

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.per_sample(output, target).mean()


class _DnCNNFeatures(nn.Module):
    """The first convolutions of a DnCNN, fed as the network feeds them
    (``DnCNN.body_input``, with a zero noise level)."""

    def __init__(self, network, depth: int):
        super().__init__()
        convs = [i for i, m in enumerate(network.body) if isinstance(m, nn.Conv2d)]
        if not 1 <= depth < len(convs):
            raise InvalidArgumentError("depth", f"1 to {len(convs) - 1} convolutions", depth)
        self.network = network
        # each convolution's block ends before the next convolution (its ReLU, BN)
        self.cut = convs[depth]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network.body[:self.cut](self.network.body_input(x, 0.0))


def dncnn_features(depth: int = DNCNN_DEPTH, name: str = "dncnn") -> nn.Module:
    """The first ``depth`` convolutions (with their activations) of a bundled DnCNN."""
    from ..priors.zoo import load_network

    network, _ = load_network(name)
    return _DnCNNFeatures(network, depth).eval()


class _VGGFeatures(nn.Module):
    """VGG19 ``features[:cut]`` on [0, 1] images: gray repeated to RGB, ImageNet-normalised."""

    def __init__(self, layers: nn.Sequential):
        super().__init__()
        self.layers = layers
        self.register_buffer("mean", torch.tensor(_MEAN).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).reshape(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return self.layers((x - self.mean) / self.std)


def _vgg19_layers(cut: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = 3
    for entry in VGG19_LAYOUT:
        if entry == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, entry, 3, padding=1), nn.ReLU(inplace=False)]
            channels = entry
    return nn.Sequential(*layers[:cut])


def feature_extractor(name) -> nn.Module:
    """The extractor a trainer's ``--perceptual`` names: ``"dncnn"`` (:func:`dncnn_features`)
    or the path of a local VGG19 weights file (:func:`vgg19_features`)."""
    return dncnn_features() if str(name) == "dncnn" else vgg19_features(name)


def vgg19_features(path, cut: int = VGG19_CUT) -> nn.Module:
    """VGG19's ``features[:cut]`` with the weights of a local file: a torchvision VGG19
    state dict (keys ``features.N.weight``/``.bias``; the classifier is ignored) or
    the state dict of its ``features`` alone (keys ``N.weight``)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidArgumentError("path", "an existing VGG19 weights file", str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ImageFileError(f"{path}: not a readable weights file ({exc.__class__.__name__})") \
            from exc
    if not isinstance(state, dict):
        raise ImageFileError(f"{path}: expected a state dict")
    if any(k.startswith("features.") for k in state):
        state = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    layers = _vgg19_layers(cut)
    wanted = layers.state_dict()
    missing = sorted(set(wanted) - set(state))
    if missing:
        raise ImageFileError(f"{path}: not VGG19 weights (missing {missing[0]}, ...)")
    try:
        layers.load_state_dict({k: state[k] for k in wanted}, strict=True)
    except RuntimeError as exc:
        raise ImageFileError(f"{path}: not VGG19 weights ({str(exc).splitlines()[0]})") from exc
    return _VGGFeatures(layers).eval()
