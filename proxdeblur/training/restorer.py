"""Train a restorer (a network that removes blur end to end) on synthetic blur pairs.

``python -m proxdeblur.training.restorer --data ../shared/data/train400 --out dmphn.pt``
(or ``proxdeblur train restorer``). The pairs are :class:`~.pairs.BlurPairSampler`'s:
gray crops of the folder's images but its last ``holdout`` (by name), blurred by
random kernels of 7–35 px with the "valid" model, noise σ ≤ 0.02, optionally JPEG.
The loss is the L1 content loss by default (``--loss l2`` for the mean squared
error); the Bi-Skip and Golf recipes add perceptual and adversarial terms through
the same pluggable loss. Validation: PSNR of fixed blurred/sharp pairs of the
held-out images (the same pairs at every validation, seed + 1). The loop
(:mod:`.loop`) checkpoints and resumes: rerun the same command to continue a run
that was stopped; its model card (command, data, steps, minutes, scores) is the
``meta`` of the weights file and the ``.log.json`` beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from ..errors import InvalidArgumentError
from ..priors.nets.dmphn import DMPHN
from .arguments import RESTORER_OPTIONS, add_restorer_arguments, command_line, parse
from .data import load_split
from .loop import loop_options, mean_absolute_error, mean_squared_error, train_network
from .pairs import KERNEL_SIZES, BlurPairSampler
from .restorer_task import VALIDATION_PAIRS, pair_task, validation_pairs, validation_psnr

__all__ = ["train_restorer", "run", "main", "LOSSES"]

LOSSES = {"l1": mean_absolute_error, "l2": mean_squared_error}
def train_restorer(data, out, *, architecture: str = "dmphn", width: int = 16,
                   levels=(1, 2, 4), stacks: int = 1, batch: int = 8, patch: int = 128,
                   loss: str = "l1", jpeg: float = 0.0, iterations: int = 20000,
                   max_minutes: float = 120.0, lr: float = 1e-3, seed: int = 0, holdout: int = 8,
                   validate_every: int = 500, checkpoint_every: int = 100,
                   checkpoint: Path | None = None, progress: bool = True,
                   precision: str = "bf16", clip: float = 0.2, init: Path | None = None,
                   command: str | None = None, bank: int = 1024,
                   kernel_sizes=KERNEL_SIZES) -> dict:
    """Train a restorer on synthetic blur (module docstring); return its model card.

    ``bank`` kernels are drawn once per sampler (1024: every size and shape many times over).
    """
    if architecture != "dmphn":
        raise ValueError(f"architecture: expected 'dmphn', got {architecture!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {loss!r}")
    torch.manual_seed(seed)
    train, held_out = load_split(data, holdout)
    sampler = BlurPairSampler(train, patch, seed=seed, jpeg=jpeg, bank=bank,
                              sizes=tuple(kernel_sizes))
    pairs = validation_pairs(held_out, seed, patch, jpeg=jpeg, bank=bank)
    model = DMPHN(channels=1, width=width, levels=tuple(levels), stacks=stacks)

    task = pair_task(model, "DMPHN", sampler, batch, lambda net: validation_psnr(net, pairs),
                     loss=LOSSES[loss])
    meta = {
        "architecture": f"DMPHN({'-'.join(map(str, sorted(levels)))}), Stack({stacks}), "
                        f"width {width}", "command": command,
        "data": str(data), "training_images": len(train), "holdout_images": holdout,
        "pairs": f"gray {patch}x{patch} crops, 'valid' blur by random kernels of "
                 f"{kernel_sizes[0]}-{kernel_sizes[1]} px (80% camera shake, 20% Gaussian), "
                 f"noise sigma uniform in [0, 0.02], JPEG probability {jpeg}",
        "batch": batch, "patch": patch, "loss": loss, "jpeg": jpeg, "bank": bank,
        "validation": f"mean PSNR of {VALIDATION_PAIRS} fixed pairs of the held-out images",
    }
    return train_network(task, out, iterations=iterations, max_minutes=max_minutes, lr=lr,
                         clip=clip, precision=precision, seed=seed,
                         validate_every=validate_every, checkpoint_every=checkpoint_every,
                         checkpoint=checkpoint, progress=progress, meta=meta,
                         description="train restorer", init=init)


def _architecture_options(args) -> dict:
    """The chosen architecture's options (defaults filled in); the other's are refused."""
    chosen = RESTORER_OPTIONS[args.architecture]
    for other, options in RESTORER_OPTIONS.items():
        for name in options:
            if other != args.architecture and name not in chosen and \
                    getattr(args, name) is not None:
                raise InvalidArgumentError(f"--{name}", f"only with --architecture {other}",
                                           repr(getattr(args, name)))
    return {name: default if getattr(args, name) is None else getattr(args, name)
            for name, default in chosen.items()}


def run(args) -> int:
    """Train from parsed options (:func:`~.arguments.add_restorer_arguments`)."""
    options = _architecture_options(args)
    command = command_line("restorer")
    loop = loop_options(args)
    loop["lr"] = options.pop("lr")
    common = dict(batch=args.batch, patch=args.patch, kernel_sizes=tuple(args.kernel_sizes),
                  command=command, **loop)
    if args.architecture == "biskip":
        from .biskip import train_biskip

        if args.jpeg:
            raise InvalidArgumentError("--jpeg", "only with --architecture dmphn", args.jpeg)
        card = train_biskip(args.data, args.out, **options, **common)
    else:
        try:
            levels = tuple(int(p) for p in options.pop("levels").split(","))
        except ValueError:
            raise InvalidArgumentError("--levels", "comma-separated integers",
                                       repr(args.levels)) from None
        card = train_restorer(args.data, args.out, levels=levels, jpeg=args.jpeg, **options,
                              **common)
    print(json.dumps(card, indent=1))
    return 0


def main(argv=None, prog: str | None = None) -> int:
    return run(parse(add_restorer_arguments, __doc__.splitlines()[0], argv, prog))


if __name__ == "__main__":
    sys.exit(main())
