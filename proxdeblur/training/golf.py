"""Train the Golf optimizer's networks in the paper's two stages (seed 001, sections 3, 5.2).

``proxdeblur train golf --stage n2 --data ../shared/data/train400 --out golf_n2.pt``, then
``proxdeblur train golf --stage n1 --n2 golf_n2.pt --data ... --out golf_n1.pt``
(or ``python -m proxdeblur.training.golf``).

* **Stage n2** trains the corrector N2 through its T-fold recurrent composition from the
  blurred input (eq. 4): ``Σ_{t=1..T} L(N2^t(y), x)``.
* **Stage n1** trains the first shot N1 with N2 frozen, so that N1's outputs are where N2
  learned to correct (eq. 6). The equation itself was lost in the extraction; the text
  says N1 is trained "using a similar target" so that its output follows the distribution
  of N2's iterates. We read it as eq. 4 started from N1's output, with its own term:
  ``L(N1(y), x) + Σ_{t=1..T} L(N2^t(N1(y)), x)`` — the gradient flows through the
  frozen N2 into N1, and N1 stays a restorer on its own (the ``t = 0`` term), which is
  what lets the benchmark compare N1 alone with N1 + N2.

``L`` is the paper's overall loss: the mean squared content error plus ``perceptual``
times the perceptual term (:mod:`.perceptual`, the mean squared distance of frozen
features). The paper's features (VGG11-BN, 5th pooled map) cannot be downloaded here; the
default extractor is the first four convolutions of the bundled DnCNN (``--perceptual
dncnn``), a local VGG19 file can replace it (``--perceptual PATH``), ``--perceptual-weight
0`` is the content loss alone. The pairs and the validation are the restorer trainer's
(:mod:`.restorer`): gray crops of the folder but its last ``holdout`` images, random
kernels of 7–35 px, noise σ ≤ 0.02; the validation score is the PSNR of the whole
stage's output (``N2^T(y)``, then ``N2^T(N1(y))``) on fixed held-out pairs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from ..errors import InvalidArgumentError
from ..priors.nets.golf import LAYERS, N1_WIDTH, N2_WIDTH, GolfNet
from .arguments import add_golf_arguments, command_line, parse
from .data import load_split
from .loop import loop_options, mean_squared_error, train_network
from .pairs import BlurPairSampler
from .perceptual import PerceptualLoss, feature_extractor, frozen
from .restorer_task import VALIDATION_PAIRS, pair_task, validation_pairs, validation_psnr

__all__ = ["train_golf", "unroll", "StageLoss", "STAGES", "STEPS", "PERCEPTUAL_WEIGHT",
           "run", "main"]

#: The two stages, in the order they are trained.
STAGES = ("n2", "n1")
#: Recurrent steps T of training (the paper's value was lost; it tests with 3 steps,
#: "converges after 2–4").
STEPS = 3
#: Weight of the perceptual term beside the content MSE (the paper's value was lost):
#: at 0.1 the DnCNN-feature term is about a third of the content term on blurred
#: inputs, so it shapes edges without outweighing the pixel error.
PERCEPTUAL_WEIGHT = 0.1


def unroll(n2: torch.nn.Module, x: torch.Tensor, steps: int) -> list[torch.Tensor]:
    """``[N2(x), N2²(x), …, N2^steps(x)]``: the recurrent iterates."""
    iterates = []
    for _ in range(steps):
        x = n2(x)
        iterates.append(x)
    return iterates


class StageLoss(torch.nn.Module):
    """``Σ_i [MSE(outputs[i], x) + weight · P(outputs[i], x)]`` over a stage's stacked
    iterates ``outputs`` of shape ``(K, B, C, H, W)``; ``P`` the perceptual loss or None."""

    def __init__(self, perceptual: torch.nn.Module | None = None,
                 weight: float = PERCEPTUAL_WEIGHT):
        super().__init__()
        self.perceptual = perceptual if weight > 0 else None
        self.weight = weight

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        total = outputs.new_zeros(())
        for output in outputs:
            total = total + mean_squared_error(output, targets)
            if self.perceptual is not None:
                total = total + self.weight * self.perceptual(output, targets)
        return total


def _load_n2(path) -> GolfNet:
    from ..priors.zoo import load_network

    network, _ = load_network(str(path))
    if not isinstance(network, GolfNet):
        raise InvalidArgumentError("--n2", "a GolfNet weights file (stage n2's output)",
                                   type(network).__name__)
    return frozen(network).to(memory_format=torch.channels_last)


def train_golf(data, out, *, stage: str = "n2", n2=None, width: int | None = None,
               layers: int = LAYERS, steps: int = STEPS, batch: int = 4, patch: int = 96,
               perceptual: str = "dncnn", perceptual_weight: float = PERCEPTUAL_WEIGHT,
               iterations: int = 20000, max_minutes: float = 60.0, lr: float = 1e-3,
               seed: int = 0, holdout: int = 8, validate_every: int = 250,
               checkpoint_every: int = 50, checkpoint: Path | None = None,
               progress: bool = True, precision: str = "bf16", clip: float = 0.2,
               init: Path | None = None, command: str | None = None, bank: int = 1024) -> dict:
    """Train one stage (module docstring); return its model card.

    ``width`` defaults to the paper's 32 for N2 and 16 for N1; ``n2`` is stage n1's
    frozen corrector (a weights file written by stage n2).
    """
    if stage not in STAGES:
        raise InvalidArgumentError("--stage", f"one of {', '.join(STAGES)}", repr(stage))
    if (stage == "n1") != (n2 is not None):
        raise InvalidArgumentError("--n2", "the stage-n2 weights file for --stage n1 (only)",
                                   repr(n2))
    if steps < 1:
        raise InvalidArgumentError("--steps", "an integer >= 1", steps)
    if perceptual_weight < 0:
        raise InvalidArgumentError("--perceptual-weight", "a number >= 0", perceptual_weight)
    corrector = _load_n2(n2) if stage == "n1" else None
    loss = StageLoss(PerceptualLoss(feature_extractor(perceptual))
                     if perceptual_weight > 0 else None, perceptual_weight)
    torch.manual_seed(seed)
    train, held_out = load_split(data, holdout)
    sampler = BlurPairSampler(train, patch, seed=seed, bank=bank)
    pairs = validation_pairs(held_out, seed, patch, bank=bank)
    width = width or (N2_WIDTH if stage == "n2" else N1_WIDTH)
    model = GolfNet(channels=1, width=width, layers=layers)

    if stage == "n2":
        def forward(net, y):
            return torch.stack(unroll(net, y, steps))
    else:
        def forward(net, y):
            first = net(y)
            return torch.stack([first, *unroll(corrector, first, steps)])

    def validate(net):  # the stage's last iterate
        return validation_psnr(lambda y: forward(net, y)[-1], pairs)

    task = pair_task(model, "GolfNet", sampler, batch, validate, loss=loss, forward=forward)
    role = ("N2, the recurrent corrector (prior gradient: its residual branch)"
            if stage == "n2" else "N1, the first shot (restorer)")
    meta = {
        "architecture": f"GolfNet: {layers} Layers x 2 Basic-Blocks x 6 convs, width {width}",
        "role": role, "stage": stage, "steps": steps, "command": command,
        "n2": None if n2 is None else str(n2),
        "data": str(data), "training_images": len(train), "holdout_images": holdout,
        "pairs": f"gray {patch}x{patch} crops, 'valid' blur by random kernels of 7-35 px "
                 "(80% camera shake, 20% Gaussian), noise sigma uniform in [0, 0.02]",
        "batch": batch, "patch": patch, "bank": bank,
        "loss": f"sum over the stage's iterates of MSE + {perceptual_weight} x perceptual "
                f"({perceptual if perceptual_weight > 0 else 'off'})",
        "validation": f"mean PSNR of the stage's last iterate on {VALIDATION_PAIRS} fixed "
                      "pairs of the held-out images",
    }
    return train_network(task, out, iterations=iterations, max_minutes=max_minutes, lr=lr,
                         clip=clip, precision=precision, seed=seed,
                         validate_every=validate_every, checkpoint_every=checkpoint_every,
                         checkpoint=checkpoint, progress=progress, meta=meta,
                         description=f"train golf {stage}", init=init)


def run(args) -> int:
    """Train from parsed options (:func:`~.arguments.add_golf_arguments`)."""
    command = command_line("golf")
    card = train_golf(args.data, args.out, stage=args.stage, n2=args.n2, width=args.width,
                      layers=args.layers, steps=args.steps, batch=args.batch, patch=args.patch,
                      perceptual=args.perceptual, perceptual_weight=args.perceptual_weight,
                      command=command, **loop_options(args))
    print(json.dumps(card, indent=1))
    return 0


def main(argv=None, prog: str | None = None) -> int:
    return run(parse(add_golf_arguments, __doc__.splitlines()[0], argv, prog))


if __name__ == "__main__":
    sys.exit(main())
