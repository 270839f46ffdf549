"""A small residual U-Net denoiser with a noise-level map (DRUNet-style).

Zhang, Li, Zuo, Zhang, Van Gool, Timofte, "Plug-and-Play Image Restoration
with Deep Denoiser Prior", IEEE TPAMI 2021 (DRUNet): a U-Net whose levels are
stacks of bias-free residual blocks (Conv–ReLU–Conv plus identity), with
strided 2×2 convolutions down, transposed 2×2 convolutions up, additive skip
connections, and σ fed as a constant extra input channel so that one network
serves every noise level. This one is DRUNet cut to fit a 2-core CPU: three
levels instead of four, ``widths`` (32, 64, 128) instead of (64, 128, 256,
512), ``blocks`` residual blocks per level instead of four. Most of the work
happens at half and quarter resolution, so the receptive field is large for
the cost (about 190 k multiply-adds per pixel, close to the bundled DnCNN's
140 k, whose receptive field is a quarter of this one's).

The network predicts the noise: ``D(x, σ) = x − N([x, σ])``. Sizes that are not
multiples of 4 are padded by reflection and cropped back. Layers keep
PyTorch's default initialization.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["UNetDenoiser"]


class _ResidualBlock(nn.Module):
    """``x + Conv(ReLU(Conv(x)))``, bias-free 3×3 convolutions."""

    def __init__(self, width: int):
        super().__init__()
        self.first = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.second = nn.Conv2d(width, width, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.second(torch.relu(self.first(x)))


def _blocks(width: int, count: int) -> nn.Sequential:
    return nn.Sequential(*[_ResidualBlock(width) for _ in range(count)])


class UNetDenoiser(nn.Module):
    """Three-level residual U-Net denoiser ``D(x, σ) = x − N([x, σ])``.

    Parameters
    ----------
    channels : int
        Image channels (1 for gray, 3 for colour).
    widths : sequence of 3 ints
        Feature channels at full, half and quarter resolution.
    blocks : int
        Residual blocks per level (encoder, bottleneck and decoder each).
    """

    def __init__(self, channels: int = 1, widths=(32, 64, 128), blocks: int = 2):
        super().__init__()
        widths = [int(w) for w in widths]
        if len(widths) != 3 or min(widths) < 1:
            raise ValueError(f"widths: expected three positive integers, got {widths}")
        if blocks < 1:
            raise ValueError(f"blocks: expected an integer >= 1, got {blocks}")
        self.config = {"channels": channels, "widths": widths, "blocks": blocks}
        self.channels = channels
        full, half, quarter = widths
        self.head = nn.Conv2d(channels + 1, full, 3, padding=1, bias=False)
        self.encode_full = _blocks(full, blocks)
        self.down_half = nn.Conv2d(full, half, 2, stride=2, bias=False)
        self.encode_half = _blocks(half, blocks)
        self.down_quarter = nn.Conv2d(half, quarter, 2, stride=2, bias=False)
        self.bottleneck = _blocks(quarter, blocks)
        self.up_half = nn.ConvTranspose2d(quarter, half, 2, stride=2, bias=False)
        self.decode_half = _blocks(half, blocks)
        self.up_full = nn.ConvTranspose2d(half, full, 2, stride=2, bias=False)
        self.decode_full = _blocks(full, blocks)
        self.tail = nn.Conv2d(full, channels, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        """Denoise ``x`` (N, C, H, W); ``sigma`` is a float or a (N,) tensor on the [0, 1] scale."""
        n, _, h, w = x.shape
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
        z = torch.cat([x, sigma.expand(n, 1, h, w)], dim=1)
        pad_h, pad_w = (-h) % 4, (-w) % 4
        if pad_h or pad_w:
            z = F.pad(z, (0, pad_w, 0, pad_h), mode="reflect")
        full = self.encode_full(self.head(z))
        half = self.encode_half(self.down_half(full))
        quarter = self.bottleneck(self.down_quarter(half))
        half = self.decode_half(self.up_half(quarter) + half)
        full = self.decode_full(self.up_full(half) + full)
        return x - self.tail(full)[..., :h, :w]
