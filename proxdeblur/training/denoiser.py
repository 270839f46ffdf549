"""Train a denoiser prior (DnCNN or the small DRUNet-style U-Net) on a folder of clean images.

    python -m proxdeblur.training.denoiser --data ../shared/data/train400 --out dncnn.pt
        [--architecture dncnn|drunet] [--iterations 40000] [--max-minutes 110]
        [--batch 32] [--patch 64] [--depth 15] [--width 64] [--widths 32,64,128]
        [--blocks 2] [--lr 6e-4] [--sigma-max 50] [--seed 0] [--threads 2]
        [--precision bf16] [--clip 0.2]

``--depth``/``--width`` shape the DnCNN, ``--widths``/``--blocks`` the U-Net
(:class:`~proxdeblur.priors.nets.UNetDenoiser`); everything else is shared.

Recipe: random 64×64 patches of the training images with the 8 flips/rotations;
per patch a noise level σ uniform in [0, sigma_max]/255 and noisy input
``x + σ·N(0, 1)``; mean squared error between the denoised patch and the
clean one (forward pass under bfloat16 autocast by default, which halves the
step time on CPUs with AVX-512 BF16; weights and optimizer stay float32);
Adam (gradient norm clipped at ``clip``, about three times its typical size,
which stops the loss spikes seen without it) with a cosine learning-rate decay
from ``lr`` to ``lr/100`` over
whichever budget ends first, iterations or minutes. The last ``--holdout``
images (sorted by name) are not trained on: they give a validation PSNR at
σ = 25 every ``--validate-every`` iterations. A checkpoint (model, optimizer,
random states, elapsed time) is written atomically every
``--checkpoint-every`` iterations; rerunning the same command resumes from it.
The output file holds ``{"architecture", "config", "state_dict", "meta"}``
(the format of :mod:`proxdeblur.priors.zoo`) and loads with
``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

from ..errors import InvalidArgumentError
from ..priors.nets.dncnn import DnCNN
from ..priors.nets.unet import UNetDenoiser
from .arguments import add_denoiser_arguments, parse
from .data import PatchSampler, load_split
from .loop import TrainingTask, loop_options, train_network

__all__ = ["train_denoiser", "main", "ARCHITECTURES"]

#: ``--architecture`` choices: the network class and its name in weights files.
ARCHITECTURES = {"dncnn": "DnCNN", "drunet": "UNetDenoiser"}


def _validation_psnr(model: DnCNN, images: list[np.ndarray], sigma: float) -> float:
    rng = np.random.default_rng(1234)
    scores = []
    for image in images:
        noisy = image + sigma * rng.standard_normal(image.shape).astype(np.float32)
        out = model(torch.from_numpy(noisy)[None, None], sigma)[0, 0].numpy()
        mse = float(np.mean((np.clip(out, 0, 1) - image) ** 2))
        scores.append(10 * math.log10(1.0 / mse))
    return float(np.mean(scores))


def train_denoiser(data, out, *, iterations: int = 40000, max_minutes: float = 110.0,
                   batch: int = 32, patch: int = 64, depth: int = 15, width: int = 64,
                   lr: float = 6e-4, sigma_max: float = 50.0, seed: int = 0,
                   holdout: int = 8, validate_every: int = 500, checkpoint_every: int = 250,
                   checkpoint: Path | None = None, progress: bool = True,
                   batch_norm: bool = False, precision: str = "bf16", clip: float = 0.2,
                   init: Path | None = None, architecture: str = "dncnn",
                   widths=(32, 64, 128), blocks: int = 2) -> dict:
    """Train a noise-map denoiser; return the metadata written beside the weights.

    See the module docstring for the recipe. ``architecture`` is ``"dncnn"``
    (``depth``, ``width``, ``batch_norm``) or ``"drunet"`` (``widths``,
    ``blocks``). ``checkpoint`` defaults to ``out`` with the suffix ``.ckpt``.
    ``precision`` is ``"bf16"`` (autocast forward pass) or ``"fp32"``.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture: expected one of {sorted(ARCHITECTURES)}, "
                         f"got {architecture!r}")
    torch.manual_seed(seed)
    train, validation = load_split(data, holdout)
    sampler = PatchSampler(train, patch, seed=seed)
    if architecture == "dncnn":
        model = DnCNN(channels=1, depth=depth, width=width, noise_map=True, downscale=2,
                      batch_norm=batch_norm)
        description = "DnCNN (residual, noise-level map, 2x2 pixel unshuffle)"
    else:
        model = UNetDenoiser(channels=1, widths=widths, blocks=blocks)
        description = "UNetDenoiser (DRUNet-style residual U-Net, noise-level map)"
    noise_rng = torch.Generator().manual_seed(seed)

    def make_batch():
        clean = torch.from_numpy(sampler.batch(batch))[:, None]
        sigma = torch.rand(batch, generator=noise_rng) * (sigma_max / 255.0)
        noisy = clean + sigma.reshape(-1, 1, 1, 1) * torch.randn(clean.shape, generator=noise_rng)
        return noisy, clean, {"sigma": sigma}

    task = TrainingTask(
        model=model, architecture=ARCHITECTURES[architecture], batch=make_batch,
        validate=lambda net: _validation_psnr(net, validation, 25 / 255),
        random_state=lambda: {"sampler": sampler.rng.bit_generator.state,
                              "noise": noise_rng.get_state()},
        set_random_state=lambda saved: (
            setattr(sampler.rng.bit_generator, "state", saved["sampler"]),
            noise_rng.set_state(saved["noise"])),
        validation_name="validation_psnr_sigma25")
    meta = {
        "architecture": description,
        "batch": batch, "patch": patch, "sigma_range_255": [0.0, sigma_max], "data": str(data),
        "training_images": len(train), "holdout_images": holdout,
    }
    return train_network(task, out, iterations=iterations, max_minutes=max_minutes, lr=lr,
                         clip=clip, precision=precision, seed=seed,
                         validate_every=validate_every, checkpoint_every=checkpoint_every,
                         checkpoint=checkpoint, progress=progress, meta=meta,
                         description="train denoiser", init=init)


def run(args) -> int:
    """Train from parsed options (:func:`~proxdeblur.training.arguments.add_denoiser_arguments`)."""
    try:
        widths = tuple(int(w) for w in args.widths.split(","))
    except ValueError:
        raise InvalidArgumentError("--widths", "three comma-separated integers",
                                   repr(args.widths)) from None
    meta = train_denoiser(args.data, args.out, batch=args.batch, patch=args.patch,
                          depth=args.depth, width=args.width, sigma_max=args.sigma_max,
                          batch_norm=args.batch_norm, architecture=args.architecture,
                          widths=widths, blocks=args.blocks, **loop_options(args))
    print(json.dumps(meta, indent=1))
    return 0


def main(argv=None, prog: str | None = None) -> int:
    return run(parse(add_denoiser_arguments, __doc__.splitlines()[0], argv, prog))


if __name__ == "__main__":
    sys.exit(main())
