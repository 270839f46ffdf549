"""The Golf optimizer's networks N1 and N2 (restorer and prior-gradient roles).

"A Deep Optimization Approach for Image Deconvolution" (the Golf optimizer, seed 001,
section 5.1, Fig. 6, Table 1). N1 and N2 share one architecture with different
widths, stride 1 throughout:

* a first convolution from the image channels to ``width`` (7×7, no bias — the only
  reading under which Table 1's first row, 2,352 = 7·7·3·16 and 4,704 = 7·7·3·32,
  comes out);
* ``layers`` Layers of ``blocks`` (two) Basic-Blocks; a Basic-Block is a residual unit
  ``h + B(h)`` whose branch ``B`` stacks ``convs`` (six) 3×3 convolutions of ``width``
  channels with ReLUs between them;
* a last 3×3 convolution back to the image channels;
* a global identity shortcut: ``N(x) = x + R(x)``. For N2 this is the point of the
  method — the residual branch ``R`` is the learned descent direction −∇φ of the prior
  (section 4, eq. 11), and ``x_{t+1} = x_t + R(x_t)`` the recurrent optimizer.

Reading of the paper: the text describes four Layers, Table 1 lists three rows of
Layer parameters (38,016 for N1 and 151,808 for N2, which no combination of six 3×3
convolutions per Basic-Block reproduces exactly). Its totals, 120,188 and 466,348
parameters, are within 5 % and 4 % of this module's four-Layer counts for colour
(114,147 and 449,475; three Layers give 86,307 and 338,499), so we follow the text:
``layers`` is an argument, 4 by default (``LAYERS``), widths 16 (N1) and 32 (N2). No
batch normalisation (the paper's batches of 4 on a GPU; a CPU budget with small
batches is better served without it); instead each Basic-Block's branch starts at zero
and the last convolution small, so that an untrained network is close to the identity.
:func:`parameter_count` reports what is trained.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["GolfNet", "BasicBlock", "N1_WIDTH", "N2_WIDTH", "LAYERS", "parameter_count",
           "GolfResidual"]

#: Widths of the paper's N1 and N2 (section 5.1), and its Layers (the text's four).
N1_WIDTH = 16
N2_WIDTH = 32
LAYERS = 4
#: Scale of the last convolution's default initialisation: N starts close to the identity,
#: so that T recurrent steps of an untrained N2 stay near the input.
INITIAL_RESIDUAL_SCALE = 0.1


class BasicBlock(nn.Module):
    """``h + B(h)``: ``convs`` 3×3 convolutions of ``width`` channels, ReLUs between."""

    def __init__(self, width: int, convs: int = 6):
        super().__init__()
        if convs < 1:
            raise ValueError(f"convs: expected >= 1, got {convs}")
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(convs))
        # the branch starts at zero (Goyal et al. 2017's zero-initialised residual): 16 blocks
        # of six default-initialised convolutions add up to outputs far from the image
        nn.init.zeros_(self.convs[-1].weight)
        nn.init.zeros_(self.convs[-1].bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        branch = h
        for i, conv in enumerate(self.convs):
            branch = conv(branch if i == 0 else F.relu(branch))
        return h + branch


class GolfNet(nn.Module):
    """N1 or N2 (module docstring): ``forward(x) = x + residual(x)``.

    Parameters
    ----------
    channels : int
        Image channels (1: gray, colour channel by channel as the library's restorers do).
    width : int
        Channels of every inner convolution (``N1_WIDTH`` = 16, ``N2_WIDTH`` = 32).
    layers, blocks, convs : int
        Layers, Basic-Blocks per Layer, convolutions per Basic-Block (4, 2, 6).
    """

    def __init__(self, channels: int = 1, width: int = N1_WIDTH, layers: int = LAYERS,
                 blocks: int = 2, convs: int = 6):
        super().__init__()
        for name, value in (("channels", channels), ("width", width), ("layers", layers),
                            ("blocks", blocks)):
            if value < 1:
                raise ValueError(f"{name}: expected >= 1, got {value}")
        self.config = {"channels": channels, "width": width, "layers": layers, "blocks": blocks,
                       "convs": convs}
        self.first = nn.Conv2d(channels, width, 7, padding=3, bias=False)
        self.body = nn.Sequential(*(BasicBlock(width, convs) for _ in range(layers * blocks)))
        self.last = nn.Conv2d(width, channels, 3, padding=1)
        with torch.no_grad():  # a small first residual: the recurrence starts near identity
            self.last.weight.mul_(INITIAL_RESIDUAL_SCALE)
            self.last.bias.zero_()

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """``R(x)``: for N2, the learned −∇φ(x)."""
        return self.last(F.relu(self.body(self.first(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.residual(x)


class GolfResidual(nn.Module):
    """N2's residual branch as a module of its own: the prior-gradient role's network
    (``LearnedPrior(GolfResidual(n2), "gradient")`` gives ``gradient(x) = R(x)``)."""

    def __init__(self, network: GolfNet):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network.residual(x)


def parameter_count(network: nn.Module) -> int:
    """Trainable parameters of ``network``."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)
