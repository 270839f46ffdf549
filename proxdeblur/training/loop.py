"""The training loop shared by the project's networks.

Adam with the gradient norm clipped at ``clip``, a cosine learning-rate decay
from ``lr`` to ``lr/100`` over whichever budget ends first (iterations or
minutes), the forward pass under bfloat16 autocast by default (weights and
optimizer stay float32; the weights are stored channels-last), a held-out
validation score every ``validate_every`` iterations, and an atomic checkpoint
(model, optimizer, random states, elapsed time) every ``checkpoint_every``
iterations from which the same call resumes.
The output file holds ``{"architecture", "config", "state_dict", "meta"}`` (the
format of :mod:`proxdeblur.priors.zoo`) with a ``.log.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..io import atomic_path
from .arguments import PRECISIONS

__all__ = ["TrainingTask", "train_network", "PRECISIONS", "loop_options", "mean_squared_error",
           "mean_absolute_error"]


def mean_squared_error(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The default training loss."""
    return torch.mean((outputs - targets) ** 2)


def mean_absolute_error(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The L1 content loss."""
    return torch.mean(torch.abs(outputs - targets))


@dataclass
class TrainingTask:
    """What a network is trained on.

    Attributes
    ----------
    model : torch.nn.Module
        Must have a ``config`` dict (its constructor arguments).
    architecture : str
        Its key in :data:`proxdeblur.priors.zoo.ARCHITECTURES`.
    batch : callable
        ``batch() -> (inputs, targets, kwargs)``: the model is called as
        ``model(inputs, **kwargs)`` and its output compared with ``targets``
        by ``loss``.
    validate : callable
        ``validate(model) -> float`` on held-out data (the model is in eval
        mode and inference mode during the call).
    random_state, set_random_state : callable
        Get and restore the task's random generators (saved in checkpoints).
    validation_name : str
        What ``validate`` measures, for the log.
    loss : callable
        ``loss(outputs, targets) -> scalar tensor`` (default: the mean squared error);
        restorers pass the L1 content loss, and later perceptual or adversarial terms.
    forward : callable, optional
        ``forward(model, inputs, **kwargs) -> outputs`` when the outputs are more than
        one call of the model (Golf's unrolled recurrence); default ``model(inputs, **kwargs)``.
    state, load_state : callable, optional
        Get and restore training state beyond the model, its optimizer and the random
        generators (a GAN's critic and its optimizer, a self-paced schedule), saved in
        checkpoints.
    """

    model: torch.nn.Module
    architecture: str
    batch: Callable
    validate: Callable
    random_state: Callable
    set_random_state: Callable
    validation_name: str = "validation"
    loss: Callable = mean_squared_error
    forward: Callable | None = None
    state: Callable | None = None
    load_state: Callable | None = None


def _save(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def train_network(task: TrainingTask, out, *, iterations: int, max_minutes: float, lr: float,
                  clip: float = 0.2, precision: str = "bf16", seed: int = 0,
                  validate_every: int = 500, checkpoint_every: int = 250,
                  checkpoint: Path | None = None, progress: bool = True,
                  meta: dict | None = None, description: str = "train",
                  init: Path | None = None) -> dict:
    """Run the loop of the module docstring; return the metadata written with the weights."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {PRECISIONS}, got {precision!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = Path(checkpoint) if checkpoint else out.with_suffix(".ckpt")
    model = task.model
    if init is not None:
        saved = torch.load(init, map_location="cpu", weights_only=True)
        if saved.get("architecture") != task.architecture or saved.get("config") != model.config:
            raise ValueError(f"init: expected {task.architecture} weights with config "
                             f"{model.config}, got {saved.get('architecture')} "
                             f"{saved.get('config')}")
        model.load_state_dict(saved["state_dict"])
    # channels-last weights: the bundled DnCNN's training step is 1.45× faster on this CPU
    model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    state = {"iteration": 0, "elapsed": 0.0, "losses": [], "validation": []}
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        task.set_random_state(saved["random"])
        torch.set_rng_state(saved["torch_rng"])
        if task.load_state is not None:
            task.load_state(saved["extra"])
        state = saved["state"]
    budget = max_minutes * 60.0
    bar = tqdm(total=iterations, initial=state["iteration"], desc=description,
               disable=None if progress else True)  # None: off when not a terminal
    start = time.perf_counter() - state["elapsed"]
    running = None
    model.train()
    while state["iteration"] < iterations:
        elapsed = time.perf_counter() - start
        done = max(state["iteration"] / iterations, elapsed / budget)
        if done >= 1.0:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * done)))
        inputs, targets, kwargs = task.batch()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            outputs = (task.forward(model, inputs, **kwargs) if task.forward is not None
                       else model(inputs, **kwargs))
        loss = task.loss(outputs.float(), targets)
        optimizer.zero_grad()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        state["iteration"] += 1
        value = float(loss.item())
        running = value if running is None else 0.98 * running + 0.02 * value
        state["losses"].append(value)
        bar.update(1)
        bar.set_postfix(loss=f"{running:.2e}", lr=f"{optimizer.param_groups[0]['lr']:.1e}")
        it = state["iteration"]
        if it % validate_every == 0:
            model.eval()
            with torch.inference_mode():
                score = float(task.validate(model))
            model.train()
            state["validation"].append((it, time.perf_counter() - start, score))
            print(f"iteration {it}: {task.validation_name} = {score:.4g}", flush=True)
        if it % checkpoint_every == 0:
            state["elapsed"] = time.perf_counter() - start
            _save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "random": task.random_state(), "torch_rng": torch.get_rng_state(),
                   "extra": task.state() if task.state is not None else None,
                   "state": state}, checkpoint)
    bar.close()
    state["elapsed"] = time.perf_counter() - start
    record = dict(meta or {})
    if init is not None:
        record["initialized_from"] = str(init)
    record.update({
        "parameters": sum(p.numel() for p in model.parameters()),
        "iterations": state["iteration"], "lr": lr, "seed": seed, "clip": clip,
        "precision": precision, "training_seconds": state["elapsed"],
        task.validation_name: state["validation"][-1][2] if state["validation"] else None,
        "final_running_loss": running,
    })
    model.eval()
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    _save({"architecture": task.architecture, "config": model.config, "state_dict": weights,
           "meta": record}, out)
    with atomic_path(out.with_suffix(".log.json")) as tmp:
        tmp.write_text(json.dumps({"meta": record, "validation": state["validation"],
                                   "losses_every_50": state["losses"][::50]}, indent=1))
    return record


def loop_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of a trainer that :func:`~.arguments.add_loop_arguments` defined."""
    torch.set_num_threads(args.threads)
    return {"iterations": args.iterations, "max_minutes": args.max_minutes, "lr": args.lr,
            "seed": args.seed, "holdout": args.holdout, "validate_every": args.validate_every,
            "checkpoint_every": args.checkpoint_every, "precision": args.precision,
            "clip": args.clip, "init": args.init}
