"""DMPHN: the deep multi-patch hierarchical network (restorer role).

Zhang, Dai, Li, Koniusz, "Deep Stacked Hierarchical Multi-patch Network for Image
Deblurring", CVPR 2019. Each level of the hierarchy has its own encoder and
decoder. The finest level cuts the blurred image into the most patches (8 or 4),
the coarsest sees it whole. Working from fine to coarse, a level

1. adds the residual decoded by the finer level to its input, and cuts that into
   its own patches;
2. encodes each patch (15 convolutions: a 3×3 convolution and two residual blocks
   at each of three scales, the two lower reached by stride-2 convolutions) and
   lays the patch features side by side into one feature map, to which the finer
   level's feature map is added;
3. decodes that map patch by patch on the *next coarser* level's grid (two residual
   blocks per scale, 4×4 transposed convolutions up, a 3×3 convolution out): the
   residual the next level adds to its input. The coarsest level decodes the whole
   map into the output.

Patch grids: 1 → whole, 2 → top/bottom halves, 4 → 2×2, 8 → 2×4. ``levels=(1, 2, 4)``
is the paper's DMPHN(1-2-4), ``(1, 2, 4, 8)`` its 1-2-4-8; ``stacks=n`` chains n
independent networks, Stack(n). Every level and every stack has its own modules
(a public implementation shared one encoder instance through a mutable default
argument; a test checks that no parameter is shared). ``width`` is the first
scale's channel count (the paper's 32; 16 trains in a CPU budget). Our one change:
the output is ``x + decoder(...)`` (a global residual, which a small network on a
short training budget learns faster) where the paper decodes the image itself.
Sizes that the grids and the two downsamplings do not divide are padded by
reflection and cropped back.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["DMPHN", "GRIDS"]

#: Patch grid (rows, columns) of a level with this many patches.
GRIDS = {1: (1, 1), 2: (2, 1), 4: (2, 2), 8: (2, 4)}


class _ResidualBlock(nn.Module):
    """``x + Conv(ReLU(Conv(x)))`` with 3×3 convolutions."""

    def __init__(self, width: int):
        super().__init__()
        self.first = nn.Conv2d(width, width, 3, padding=1)
        self.second = nn.Conv2d(width, width, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.second(F.relu(self.first(x)))


def _stage(width: int) -> nn.Sequential:
    return nn.Sequential(_ResidualBlock(width), _ResidualBlock(width))


class _Encoder(nn.Sequential):
    """15 convolutions: three scales of a 3×3 convolution and two residual blocks."""

    def __init__(self, channels: int, width: int):
        super().__init__(
            nn.Conv2d(channels, width, 3, padding=1), _stage(width),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), _stage(2 * width),
            nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1), _stage(4 * width))


class _Decoder(nn.Sequential):
    """Two residual blocks per scale, 4×4 transposed convolutions up, a 3×3 convolution out."""

    def __init__(self, channels: int, width: int):
        super().__init__(
            _stage(4 * width), nn.ConvTranspose2d(4 * width, 2 * width, 4, stride=2, padding=1),
            _stage(2 * width), nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
            _stage(width), nn.Conv2d(width, channels, 3, padding=1))


def split(t: torch.Tensor, grid) -> list[torch.Tensor]:
    """Cut ``(N, C, H, W)`` into ``rows × columns`` equal tiles, row by row."""
    rows, cols = grid
    return [tile for band in t.chunk(rows, dim=2) for tile in band.chunk(cols, dim=3)]


def merge(tiles: list[torch.Tensor], grid) -> torch.Tensor:
    """Inverse of :func:`split`."""
    rows, cols = grid
    return torch.cat([torch.cat(tiles[r * cols:(r + 1) * cols], dim=3) for r in range(rows)], dim=2)


class _Hierarchy(nn.Module):
    """One DMPHN (module docstring): an encoder and a decoder per level."""

    def __init__(self, channels: int, width: int, levels: tuple[int, ...]):
        super().__init__()
        self.order = sorted(levels, reverse=True)  # from the most patches to the whole image
        self.encoders = nn.ModuleList(_Encoder(channels, width) for _ in self.order)
        self.decoders = nn.ModuleList(_Decoder(channels, width) for _ in self.order)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual, carried = 0.0, None
        for index, patches in enumerate(self.order):
            grid = GRIDS[patches]
            features = merge([self.encoders[index](tile) for tile in split(x + residual, grid)],
                             grid)
            if carried is not None:
                features = features + carried
            if index == len(self.order) - 1:
                return x + self.decoders[index](features)
            coarser = GRIDS[self.order[index + 1]]
            residual = merge([self.decoders[index](tile) for tile in split(features, coarser)],
                             coarser)
            carried = features
        raise AssertionError("unreachable: the coarsest level returns")


class DMPHN(nn.Module):
    """DMPHN(levels), Stack(``stacks``) of it; ``(N, channels, H, W)`` in and out.

    Parameters
    ----------
    channels : int
        Image channels (1: gray, colour channel by channel through ``LearnedPrior``).
    width : int
        Channels at full resolution (×2 and ×4 at the lower scales).
    levels : tuple of int
        Patches per level: ``(1, 2, 4)`` or ``(1, 2, 4, 8)`` (any subset of 1, 2, 4, 8
        containing 1).
    stacks : int
        Independent networks applied one after the other.
    """

    def __init__(self, channels: int = 1, width: int = 16, levels=(1, 2, 4), stacks: int = 1):
        super().__init__()
        levels = tuple(int(p) for p in levels)
        if 1 not in levels or any(p not in GRIDS for p in levels) or len(set(levels)) != len(levels):
            raise ValueError(f"levels: expected distinct patch counts from {sorted(GRIDS)} "
                             f"including 1, got {levels}")
        if stacks < 1 or width < 1 or channels < 1:
            raise ValueError("channels, width and stacks: expected integers >= 1")
        self.channels = channels
        self.config = {"channels": channels, "width": width, "levels": list(levels),
                       "stacks": stacks}
        self.stacks = nn.ModuleList(_Hierarchy(channels, width, levels) for _ in range(stacks))
        rows = max(GRIDS[p][0] for p in levels)
        cols = max(GRIDS[p][1] for p in levels)
        self.multiple = (4 * rows, 4 * cols)  # the grids, then two stride-2 scales per tile

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.multiple[0], (-w) % self.multiple[1]
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else
                      "replicate")
        for network in self.stacks:
            x = network(x)
        return x[..., :h, :w]
