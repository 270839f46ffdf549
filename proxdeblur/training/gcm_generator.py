"""Train the GCM generator in the gradient domain (Liu et al. 2018, section 4.1).

    python -m proxdeblur.training.gcm_generator --data ../shared/data/train400 --out gcm.pt
        [--iterations 40000] [--max-minutes 100] [--batch 16] [--patch 48]
        [--blocks 7] [--width 64] [--lr 6e-4] [--seed 0] [--threads 2]
        [--kernel-error 0] [--iterate-mix 0] [--init WEIGHTS]

Recipe: random ``patch × patch`` crops of the training images (8
flips/rotations), each blurred circularly by a random camera-shake kernel of
:func:`proxdeblur.kernels.motion_kernel` (odd size 5–19, random seed) plus
Gaussian noise σ uniform in [0, 0.01]. For each of the two gradient components
(circular forward differences) the input is the generator's fidelity warm
start at the first stage (eq. 4 with ``u⁰`` the blurred gradient):

.. math:: u_0 = \\arg\\min_u \\tfrac12\\|k \\ast u - \\nabla_d y\\|^2
          + \\gamma\\|u - \\nabla_d y\\|^2,

solved exactly by FFT, with γ log-uniform in [0.002, 0.2] so that one network
serves a range of warm-start weights; the target is the sharp gradient
``∇_d x``.

Blind deblurring meets other inputs: warm starts built with a wrong kernel
(the coarse-to-fine estimate) and from later iterates ``u^t``. With
``--kernel-error P`` a fraction ``P`` of the warm starts use
:func:`perturb_kernel` of the true kernel (smoothed by a down-and-up resize
and hazed, as the upsampled estimate of a coarser level is), and with
``--iterate-mix P`` a fraction ``P`` take ``u^t = β∇x + (1 − β)∇y``, β
uniform in [0, 1], for the blurred gradient (a partly sharpened iterate).
Both default to 0 (the first-stage, true-kernel recipe of the paper).

Loss: mean squared error; the rest of the loop is :mod:`proxdeblur.training.loop`
(Adam, clipping, cosine decay, bf16 autocast, resumable checkpoints). Validation:
on the last ``--holdout`` images with fixed kernels, drawn with the same
``--kernel-error`` and ``--iterate-mix``, the ratio of the generator's squared
error to the warm start's (below 1 means the generator sharpens).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from ..kernels import centre_kernel, motion_kernel, transfer_function
from ..priors.nets.gcm_generator import GCMGenerator
from .arguments import add_gcm_generator_arguments, parse
from .data import PatchSampler, load_split
from .loop import TrainingTask, loop_options, train_network

__all__ = ["train_gcm_generator", "warm_start_pairs", "main"]

KERNEL_SIZES = (5, 7, 9, 11, 13, 15, 17, 19)
GAMMA_RANGE = (0.002, 0.2)
NOISE_MAX = 0.01


def _gradients(x: np.ndarray) -> np.ndarray:
    """Circular forward differences of ``(..., H, W)``: shape ``(2, ..., H, W)``."""
    return np.stack([np.roll(x, -1, axis=-2) - x, np.roll(x, -1, axis=-1) - x])


def perturb_kernel(kernel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible coarse-to-fine estimate of ``kernel``: resized down by a factor
    uniform in [0.35, 0.9] and back (bilinear), mixed with a Gaussian haze of
    weight uniform in [0, 0.3] over the same support, centred and normalized."""
    from skimage.transform import resize

    h, w = kernel.shape
    factor = rng.uniform(0.35, 0.9)
    small = resize(kernel, (max(1, round(h * factor)), max(1, round(w * factor))), order=1,
                   anti_aliasing=False)
    smooth = np.clip(resize(small, (h, w), order=1, anti_aliasing=False), 0.0, None)
    yy, xx = np.mgrid[:h, :w]
    haze = np.exp(-((yy - h // 2) ** 2 + (xx - w // 2) ** 2) / (2 * (max(h, w) / 4) ** 2))
    weight = rng.uniform(0.0, 0.3)
    mixed = (1 - weight) * smooth / smooth.sum() + weight * haze / haze.sum()
    return centre_kernel(mixed / mixed.sum())


def warm_start_pairs(sharp: np.ndarray, rng: np.random.Generator,
                     kernel_seed: int | None = None, *, kernel_error: float = 0.0,
                     iterate_mix: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    """One training example: ``(warm starts (2, H, W), sharp gradients (2, H, W), γ)``.

    ``sharp`` is a square patch; the kernel, noise and γ are drawn from ``rng``
    (the kernel's trajectory from ``kernel_seed`` when given). With probability
    ``kernel_error`` the warm start uses :func:`perturb_kernel` of the blur
    kernel, and with probability ``iterate_mix`` it starts from a partly sharp
    iterate instead of the blurred gradient (see the module docstring).
    """
    size = int(rng.choice(KERNEL_SIZES))
    seed = int(rng.integers(1 << 31)) if kernel_seed is None else kernel_seed
    kernel = motion_kernel(size, seed=seed)
    K = transfer_function(kernel, sharp.shape)
    blurred = np.fft.irfft2(K * np.fft.rfft2(sharp), s=sharp.shape)
    blurred = blurred + rng.uniform(0, NOISE_MAX) * rng.standard_normal(sharp.shape)
    gamma = float(np.exp(rng.uniform(*np.log(GAMMA_RANGE))))
    target = _gradients(sharp)
    observed_gradients = _gradients(blurred)
    iterate = observed_gradients
    if iterate_mix > 0 and rng.uniform() < iterate_mix:
        beta = rng.uniform()
        iterate = beta * target + (1 - beta) * observed_gradients
    if kernel_error > 0 and rng.uniform() < kernel_error:
        K = transfer_function(perturb_kernel(kernel, rng), sharp.shape)
    observed = np.fft.rfft2(observed_gradients, axes=(-2, -1))
    start = np.fft.rfft2(iterate, axes=(-2, -1))
    warm = (np.conj(K) * observed + 2 * gamma * start) / (np.abs(K) ** 2 + 2 * gamma)
    return np.fft.irfft2(warm, s=sharp.shape, axes=(-2, -1)), target, gamma


def train_gcm_generator(data, out, *, iterations: int = 40000, max_minutes: float = 100.0,
                        batch: int = 16, patch: int = 48, blocks: int = 7, width: int = 64,
                        lr: float = 6e-4, seed: int = 0, holdout: int = 8,
                        validate_every: int = 500, checkpoint_every: int = 250,
                        checkpoint: Path | None = None, progress: bool = True,
                        precision: str = "bf16", clip: float = 0.2,
                        init: Path | None = None, kernel_error: float = 0.0,
                        iterate_mix: float = 0.0) -> dict:
    """Train the generator by the recipe of the module docstring; return its metadata.

    Each batch holds ``2 · batch`` one-channel samples (both gradient components
    of ``batch`` patches).
    """
    torch.manual_seed(seed)
    train, validation = load_split(data, holdout)
    sampler = PatchSampler(train, patch, seed=seed)
    rng = np.random.default_rng(seed + 1)
    model = GCMGenerator(channels=1, blocks=blocks, width=width)
    validation_rng = np.random.default_rng(4321)
    validation_set = [warm_start_pairs(image.astype(np.float64), validation_rng, kernel_seed=i,
                                       kernel_error=kernel_error, iterate_mix=iterate_mix)
                      for i, image in enumerate(validation)]

    def make_batch():
        inputs, targets = [], []
        for crop in sampler.batch(batch):
            warm, sharp, _ = warm_start_pairs(crop.astype(np.float64), rng,
                                              kernel_error=kernel_error,
                                              iterate_mix=iterate_mix)
            inputs.append(warm)
            targets.append(sharp)
        to_tensor = lambda a: torch.from_numpy(np.concatenate(a)[:, None].astype(np.float32))  # noqa: E731
        return to_tensor(inputs), to_tensor(targets), {}

    def validate(net) -> float:
        ours = start = 0.0
        for warm, sharp, _ in validation_set:
            out = net(torch.from_numpy(warm[:, None].astype(np.float32)))[:, 0].numpy()
            ours += float(np.sum((out - sharp) ** 2))
            start += float(np.sum((warm - sharp) ** 2))
        return ours / start

    task = TrainingTask(
        model=model, architecture="GCMGenerator", batch=make_batch, validate=validate,
        random_state=lambda: {"sampler": sampler.rng.bit_generator.state,
                              "blur": rng.bit_generator.state},
        set_random_state=lambda saved: (
            setattr(sampler.rng.bit_generator, "state", saved["sampler"]),
            setattr(rng.bit_generator, "state", saved["blur"])),
        validation_name="validation_error_ratio")
    meta = {"architecture": "GCM generator (7 Conv+BN+ReLU blocks, residual)",
            "batch": batch, "patch": patch, "data": str(data), "training_images": len(train),
            "holdout_images": holdout, "kernel_sizes": list(KERNEL_SIZES),
            "gamma_range": list(GAMMA_RANGE), "noise_max": NOISE_MAX,
            "kernel_error": kernel_error, "iterate_mix": iterate_mix}
    return train_network(task, out, iterations=iterations, max_minutes=max_minutes, lr=lr,
                         clip=clip, precision=precision, seed=seed,
                         validate_every=validate_every, checkpoint_every=checkpoint_every,
                         checkpoint=checkpoint, progress=progress, meta=meta,
                         description="train GCM generator", init=init)


def run(args) -> int:
    """Train from parsed options (:func:`~proxdeblur.training.arguments.add_gcm_generator_arguments`)."""
    meta = train_gcm_generator(args.data, args.out, batch=args.batch, patch=args.patch,
                               blocks=args.blocks, width=args.width,
                               kernel_error=args.kernel_error, iterate_mix=args.iterate_mix,
                               **loop_options(args))
    print(json.dumps(meta, indent=1))
    return 0


def main(argv=None, prog: str | None = None) -> int:
    return run(parse(add_gcm_generator_arguments, __doc__.splitlines()[0], argv, prog))


if __name__ == "__main__":
    sys.exit(main())
