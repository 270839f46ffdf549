"""What the restorer trainers (DMPHN, Bi-Skip, Golf) share: fixed held-out validation pairs,
their PSNR, and the training task on a :class:`~.pairs.BlurPairSampler`'s pairs."""

from __future__ import annotations

import math

import numpy as np
import torch

from .loop import TrainingTask
from .pairs import BlurPairSampler

__all__ = ["VALIDATION_PAIRS", "validation_pairs", "validation_psnr", "pair_task"]

#: Held-out pairs scored at every validation.
VALIDATION_PAIRS = 16


def validation_pairs(held_out, seed: int, patch: int, *, jpeg: float = 0.0,
                     bank: int = 1024) -> list[tuple[np.ndarray, np.ndarray]]:
    """The run's fixed pairs of its held-out images (:func:`.data.load_split`), seed + 1."""
    validation = BlurPairSampler(held_out, patch, seed=seed + 1, jpeg=jpeg, bank=bank)
    return [validation.pair() for _ in range(VALIDATION_PAIRS)]


def validation_psnr(model, pairs) -> float:
    """Mean PSNR of ``model``'s outputs (clipped to [0, 1]) on ``pairs``."""
    scores = []
    for blurred, sharp in pairs:
        out = model(torch.from_numpy(blurred)[None, None]).float().numpy()[0, 0]
        mse = float(np.mean((np.clip(out, 0, 1) - sharp) ** 2))
        scores.append(10 * math.log10(1.0 / max(mse, 1e-12)))
    return float(np.mean(scores))


def pair_task(model, architecture: str, sampler: BlurPairSampler, batch: int, validate,
              **options) -> TrainingTask:
    """The :class:`~.loop.TrainingTask` of a restorer trained on ``sampler``'s pairs
    (gray, one channel), its sampler's state checkpointed; ``options`` as the task's."""
    def make_batch():
        blurred, sharp = sampler.batch(batch)
        return torch.from_numpy(blurred)[:, None], torch.from_numpy(sharp)[:, None], {}

    return TrainingTask(
        model=model, architecture=architecture, batch=make_batch, validate=validate,
        random_state=lambda: {"sampler": sampler.rng.bit_generator.state},
        set_random_state=lambda saved: setattr(sampler.rng.bit_generator, "state",
                                               saved["sampler"]),
        validation_name="validation_psnr", **options)
