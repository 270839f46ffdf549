"""Train the DnCNN denoiser prior on a folder of clean images.

    python -m proxdeblur.training.denoiser --data ../shared/data/train400 --out dncnn.pt
        [--iterations 40000] [--max-minutes 110] [--batch 32] [--patch 64]
        [--depth 15] [--width 64] [--lr 6e-4] [--sigma-max 50] [--seed 0] [--threads 2]
        [--precision bf16] [--clip 0.2]

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

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..io import atomic_path
from ..priors.nets.dncnn import DnCNN
from .data import PatchSampler, load_folder

__all__ = ["train_denoiser", "main"]


def _validation_psnr(model: DnCNN, images: list[np.ndarray], sigma: float) -> float:
    rng = np.random.default_rng(1234)
    scores = []
    model.eval()
    with torch.inference_mode():
        for image in images:
            noisy = image + sigma * rng.standard_normal(image.shape).astype(np.float32)
            out = model(torch.from_numpy(noisy)[None, None], sigma)[0, 0].numpy()
            mse = float(np.mean((np.clip(out, 0, 1) - image) ** 2))
            scores.append(10 * math.log10(1.0 / mse))
    model.train()
    return float(np.mean(scores))


def _save(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def train_denoiser(data, out, *, iterations: int = 40000, max_minutes: float = 110.0,
                   batch: int = 32, patch: int = 64, depth: int = 15, width: int = 64,
                   lr: float = 6e-4, sigma_max: float = 50.0, seed: int = 0,
                   holdout: int = 8, validate_every: int = 500, checkpoint_every: int = 250,
                   checkpoint: Path | None = None, progress: bool = True,
                   batch_norm: bool = False, precision: str = "bf16", clip: float = 0.2) -> dict:
    """Train a noise-map DnCNN; return the metadata written beside the weights.

    See the module docstring for the recipe. ``checkpoint`` defaults to
    ``out`` with the suffix ``.ckpt``. ``precision`` is ``"bf16"`` (autocast
    forward pass) or ``"fp32"``.
    """
    if precision not in ("bf16", "fp32"):
        raise ValueError(f"precision: expected 'bf16' or 'fp32', got {precision!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = Path(checkpoint) if checkpoint else out.with_suffix(".ckpt")
    torch.manual_seed(seed)
    images = load_folder(data)
    if holdout >= len(images):
        raise ValueError(f"holdout: expected fewer than the {len(images)} images, got {holdout}")
    train, validation = images[: len(images) - holdout], images[len(images) - holdout :]
    sampler = PatchSampler(train, patch, seed=seed)
    model = DnCNN(channels=1, depth=depth, width=width, noise_map=True, downscale=2,
                  batch_norm=batch_norm)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    state = {"iteration": 0, "elapsed": 0.0, "losses": [], "validation": []}
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        sampler.rng.bit_generator.state = saved["sampler"]
        torch.set_rng_state(saved["torch_rng"])
        state = saved["state"]
    noise_rng = torch.Generator().manual_seed(seed + state["iteration"])
    budget = max_minutes * 60.0
    bar = tqdm(total=iterations, initial=state["iteration"], desc="train denoiser",
               disable=None if progress else True)  # None: off when not a terminal
    start = time.perf_counter() - state["elapsed"]
    running = None
    while state["iteration"] < iterations:
        elapsed = time.perf_counter() - start
        done = max(state["iteration"] / iterations, elapsed / budget)
        if done >= 1.0:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * done)))
        clean = torch.from_numpy(sampler.batch(batch))[:, None]
        sigma = torch.rand(batch, generator=noise_rng) * (sigma_max / 255.0)
        noisy = clean + sigma.reshape(-1, 1, 1, 1) * torch.randn(clean.shape, generator=noise_rng)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            denoised = model(noisy, sigma)
        loss = torch.mean((denoised.float() - clean) ** 2)
        optimizer.zero_grad()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        state["iteration"] += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        state["losses"].append(float(loss.item()))
        bar.update(1)
        bar.set_postfix(loss=f"{running:.2e}", lr=f"{optimizer.param_groups[0]['lr']:.1e}")
        it = state["iteration"]
        if it % validate_every == 0:
            score = _validation_psnr(model, validation, 25 / 255)
            state["validation"].append((it, time.perf_counter() - start, score))
            print(f"iteration {it}: validation PSNR at sigma 25 = {score:.2f} dB", flush=True)
        if it % checkpoint_every == 0:
            state["elapsed"] = time.perf_counter() - start
            _save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "sampler": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                   "state": state}, checkpoint)
    bar.close()
    state["elapsed"] = time.perf_counter() - start
    meta = {
        "architecture": "DnCNN (residual, noise-level map, 2x2 pixel unshuffle)",
        "parameters": sum(p.numel() for p in model.parameters()),
        "iterations": state["iteration"], "batch": batch, "patch": patch,
        "sigma_range_255": [0.0, sigma_max], "lr": lr, "seed": seed,
        "training_seconds": state["elapsed"], "data": str(data),
        "training_images": len(train), "holdout_images": holdout,
        "validation_psnr_sigma25": state["validation"][-1][2] if state["validation"] else None,
        "final_running_loss": running, "precision": precision, "clip": clip,
    }
    model.eval()
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    _save({"architecture": "DnCNN", "config": model.config, "state_dict": weights, "meta": meta},
          out)
    with atomic_path(out.with_suffix(".log.json")) as tmp:
        tmp.write_text(json.dumps({"meta": meta, "validation": state["validation"],
                                   "losses_every_50": state["losses"][::50]}, indent=1))
    return meta


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of clean training images")
    parser.add_argument("--out", type=Path, required=True, help="weights file to write (.pt)")
    parser.add_argument("--iterations", type=int, default=40000)
    parser.add_argument("--max-minutes", type=float, default=110.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--depth", type=int, default=15)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--lr", type=float, default=6e-4)
    parser.add_argument("--sigma-max", type=float, default=50.0, help="on the 0-255 scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--holdout", type=int, default=8)
    parser.add_argument("--validate-every", type=int, default=500)
    parser.add_argument("--checkpoint-every", type=int, default=250)
    parser.add_argument("--batch-norm", action="store_true", help="BN in the middle blocks")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                        help="forward pass under bfloat16 autocast, or plain float32")
    parser.add_argument("--clip", type=float, default=0.2, help="gradient-norm clip (0: off)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    meta = train_denoiser(args.data, args.out, iterations=args.iterations,
                          max_minutes=args.max_minutes, batch=args.batch, patch=args.patch,
                          depth=args.depth, width=args.width, lr=args.lr,
                          sigma_max=args.sigma_max, seed=args.seed, holdout=args.holdout,
                          validate_every=args.validate_every,
                          checkpoint_every=args.checkpoint_every, batch_norm=args.batch_norm,
                          precision=args.precision, clip=args.clip)
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
