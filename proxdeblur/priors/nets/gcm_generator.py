"""The GCM generator: a residual CNN applied to gradient images.

Liu, He, Cheng, Fan, Luo, "Learning Collaborative Generation Correction Modules
for Blind Image Deblurring and Beyond", ACM MM 2018, section 3.1: "a residual
CNN module, which consists of seven cascaded Convolution+ReLU blocks", each
convolution followed by batch normalization. We read it as seven
Conv(3×3)+BN+ReLU blocks and a final 3×3 convolution back to the image's
channels whose output is *added* to the input (the residual), so that
``N(u₀) = u₀ + R(u₀)``. The final convolution starts at zero: an untrained
generator is the identity. Section 4.1 trains it in the gradient domain: the
input is the fidelity warm start computed from a blurred image's gradient, the
target the sharp image's gradient (one component at a time, ``channels=1``).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GCMGenerator"]


class GCMGenerator(nn.Module):
    """``N(u) = u + R(u)`` with R seven Conv+BN+ReLU blocks and a final Conv.

    Parameters
    ----------
    channels : int
        Channels of the images it maps (1: one gradient component).
    blocks : int
        Conv+BN+ReLU blocks (7 in the paper).
    width : int
        Feature channels.
    """

    def __init__(self, channels: int = 1, blocks: int = 7, width: int = 64):
        super().__init__()
        if blocks < 1:
            raise ValueError(f"blocks: expected an integer >= 1, got {blocks}")
        self.config = {"channels": channels, "blocks": blocks, "width": width}
        self.channels = channels
        layers: list[nn.Module] = []
        for index in range(blocks):
            layers += [nn.Conv2d(channels if index == 0 else width, width, 3, padding=1,
                                 bias=False),
                       nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(width, channels, 3, padding=1))
        self.body = nn.Sequential(*layers)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)
