"""The Bi-Skip generator (restorer role) and the baselines of its ablation.

Seed 000 (self-paced GAN deblurring), section 4.1, Figs. 3 and 5. An encoder–decoder
over ``depth + 1`` scales (full resolution, then one per down-sampling):

* **contracting path** — a first 3×3 convolution at full resolution; every further
  scale is reached by a *residual down-sampling*, ``pool(conv5×5(h) + proj(h))``
  (``proj`` the identity, or a 1×1 convolution where the width changes), 2×2 average
  pooling. Every scale but the smallest then has a 3×3 convolution and three Res-Blocks
  (``h + conv(relu(bn(conv(h))))``, two 3×3 convolutions);
* **skipping path** — per scale but the smallest, *shallow* features (a 1×1 convolution
  of the scale's first layer) and *deep* features (a 3×3 convolution of the Res-Blocks'
  output);
* **expansive path** — per scale, a 5×5 transposed convolution up-samples, the result is
  concatenated with that scale's shallow and deep features, then a 3×3 and a 1×1
  convolution; a last 3×3 convolution without normalisation maps to the image channels,
  and a global residual adds the input: ``G(y) = y + U(...)``.

Reading of the paper: Fig. 3 draws four down-samplings, the text of 4.1 says five; the
channel lists [32, 64, 128, 128, 128] (up/down path) and [16, 32, 64, 64, 64] (skips)
have five entries, which fit *four* down-samplings with one width per scale. ``depth``
is an argument, 4 by default (``DEPTH``); a deeper network repeats the last width.
Batch normalisation follows every convolution but the skip extractors' and the last
one ("removed from the last layer"); its statistics come from training batches, so
evaluation is batch-independent. The paper does not say how the network is initialised;
the last convolution starts at zero, so that an untrained network returns its input (the
global residual's identity) and training starts from the blurred image's score instead of
below it (a random last layer adds noise: 21.9 dB against the input's 23.05 after 100 steps,
``benchmarks/RESULTS.md``).

Ablation variants (Table 1), the same module: ``"BS"`` (the Bi-Skip), ``"BS-cR"``
(Res-Blocks of one convolution), ``"BS-w/o-R"`` (the Res-Blocks removed — the paper's
definition; the issue that asked for it described it as "no residual down-sampling",
which ``residual_down=False`` provides on its own), ``"S"`` (the Skip network:
Res-Blocks and the deep-feature extractor removed). Sizes that ``2**depth`` does not
divide are padded by reflection and cropped back.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["BiSkip", "VARIANTS", "DEPTH", "WIDTHS", "SKIP_WIDTHS"]

#: Down-samplings of the bundled network (Fig. 3; module docstring).
DEPTH = 4
#: Channels per scale of the contracting/expansive paths and of each skip (section 4.1).
WIDTHS = (32, 64, 128, 128, 128)
SKIP_WIDTHS = (16, 32, 64, 64, 64)
#: Table 1's architectures: Res-Block convolutions (0: none), deep skip features.
VARIANTS = {"BS": (2, True), "BS-cR": (1, True), "BS-w/o-R": (0, True), "S": (0, False)}
#: Res-Blocks per scale.
RES_BLOCKS = 3


def _conv_bn(c_in: int, c_out: int, size: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, size, padding=size // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class _ResBlock(nn.Module):
    """``h + branch(h)``: one or two 3×3 convolutions with batch normalisation."""

    def __init__(self, width: int, convs: int):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += [nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width)]
            if i < convs - 1:
                layers.append(nn.ReLU(inplace=True))
        self.branch = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return F.relu(h + self.branch(h))


class _ResidualDown(nn.Module):
    """``pool(conv5×5(h) + proj(h))`` (or ``pool(conv5×5(h))`` without the residual)."""

    def __init__(self, c_in: int, c_out: int, residual: bool):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c_in, c_out, 5, padding=2, bias=False),
                                  nn.BatchNorm2d(c_out))
        self.proj = None
        if residual:
            self.proj = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.conv(h)
        if self.proj is not None:
            out = out + self.proj(h)
        return F.avg_pool2d(F.relu(out), 2)


class BiSkip(nn.Module):
    """The Bi-Skip generator (module docstring): ``forward(y) = y + U(y)``.

    Parameters
    ----------
    channels : int
        Image channels (1: gray, colour channel by channel as the library's restorers do).
    depth : int
        Down-samplings (4: Fig. 3 and the paper's five-entry channel lists).
    variant : str
        ``"BS"``, ``"BS-cR"``, ``"BS-w/o-R"`` or ``"S"`` (Table 1).
    widths, skip_widths : tuple of int, optional
        Channels per scale (default the paper's, the last repeated for a deeper network);
        ``depth + 1`` and ``depth`` entries are used.
    residual_down : bool
        Residual down-sampling (the paper's); False pools a plain 5×5 convolution.
    """

    def __init__(self, channels: int = 1, depth: int = DEPTH, variant: str = "BS",
                 widths=None, skip_widths=None, residual_down: bool = True):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant: expected one of {sorted(VARIANTS)}, got {variant!r}")
        if depth < 1:
            raise ValueError(f"depth: expected >= 1, got {depth}")
        widths = tuple(widths or WIDTHS)
        skip_widths = tuple(skip_widths or SKIP_WIDTHS)
        widths = (widths + (widths[-1],) * depth)[:depth + 1]
        skip_widths = (skip_widths + (skip_widths[-1],) * depth)[:depth]
        self.config = {"channels": channels, "depth": depth, "variant": variant,
                       "widths": list(widths), "skip_widths": list(skip_widths),
                       "residual_down": residual_down}
        res_convs, deep = VARIANTS[variant]
        self.depth = depth
        self.first = _conv_bn(channels, widths[0], 3)
        self.down = nn.ModuleList(_ResidualDown(widths[s - 1], widths[s], residual_down)
                                  for s in range(1, depth + 1))
        self.body = nn.ModuleList(
            nn.Sequential(_conv_bn(widths[s], widths[s], 3),
                          *(_ResBlock(widths[s], res_convs) for _ in range(RES_BLOCKS)
                            if res_convs))
            for s in range(depth))
        self.shallow = nn.ModuleList(nn.Conv2d(widths[s], skip_widths[s], 1)
                                     for s in range(depth))
        self.deep = nn.ModuleList(nn.Conv2d(widths[s], skip_widths[s], 3, padding=1)
                                  for s in range(depth)) if deep else None
        skips = [skip_widths[s] * (2 if deep else 1) for s in range(depth)]
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(widths[s + 1], widths[s], 5, stride=2, padding=2,
                                             output_padding=1, bias=False),
                          nn.BatchNorm2d(widths[s]), nn.ReLU(inplace=True))
            for s in range(depth))
        self.merge = nn.ModuleList(
            nn.Sequential(_conv_bn(widths[s] + skips[s], widths[s], 3),
                          _conv_bn(widths[s], widths[s], 1))
            for s in range(depth))
        self.last = nn.Conv2d(widths[0], channels, 3, padding=1)
        nn.init.zeros_(self.last.weight)
        nn.init.zeros_(self.last.bias)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        h, w = y.shape[-2:]
        multiple = 2 ** self.depth
        pad_h, pad_w = (-h) % multiple, (-w) % multiple
        x = y
        if pad_h or pad_w:
            mode = "reflect" if min(h, w) > max(pad_h, pad_w) else "replicate"
            x = F.pad(y, (0, pad_w, 0, pad_h), mode=mode)
        skips = []
        feature = self.first(x)
        for s in range(self.depth):
            first = feature if s == 0 else self.down[s - 1](feature)
            deep = self.body[s](first)
            parts = [self.shallow[s](first)]
            if self.deep is not None:
                parts.append(self.deep[s](deep))
            skips.append(torch.cat(parts, 1))
            feature = deep
        z = self.down[-1](feature)
        for s in reversed(range(self.depth)):
            z = self.merge[s](torch.cat([self.up[s](z), skips[s]], 1))
        out = self.last(z)[..., :h, :w]
        return y + out
