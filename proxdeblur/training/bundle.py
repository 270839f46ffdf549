"""Store a trained network as a bundled prior: float16 weights and a JSON model card.

``python -m proxdeblur.training.bundle runs/dmphn/dmphn.pt --name dmphn
--out proxdeblur/priors/weights/dmphn_gray.pt [--card-extra scores.json]``

The trainer's file (:mod:`.loop`: architecture, config, float32 state, ``meta``) is
written again with every floating-point tensor in float16 — half the bytes, and the
loaders cast back to the parameters' float32 — beside a model card assembled from
the run's own record (command, data, steps, seconds, validation curve from the
``.log.json``) plus measured scores given by the caller. For a restorer the
held-out validation of the run is scored again from both files, so that the card
states what float16 storage costs. The SHA-256 printed at the end goes into
:data:`proxdeblur.priors.bundled.BUNDLED`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch

from ..io import atomic_path

__all__ = ["half_precision", "bundle", "main"]


def half_precision(saved: dict) -> dict:
    """The weights file ``saved`` with its floating-point tensors in float16."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in saved["state_dict"].items()}
    return {**saved, "state_dict": state}


def _validation_pairs(meta: dict) -> list:
    """The run's held-out validation pairs (:func:`.restorer_task.validation_pairs`), from its record."""
    from .data import load_split
    from .restorer_task import validation_pairs

    _, held_out = load_split(meta["data"], meta["holdout_images"])
    return validation_pairs(held_out, meta["seed"], meta["patch"], jpeg=meta.get("jpeg", 0.0),
                            bank=meta.get("bank", 1024))


def _validation_psnr(saved: dict, pairs: list) -> float:
    """The validation PSNR (:func:`.restorer_task.validation_psnr`) of the weights ``saved``."""
    from ..priors.zoo import ARCHITECTURES
    from .restorer_task import validation_psnr

    model = ARCHITECTURES[saved["architecture"]](**saved["config"])
    model.load_state_dict({k: v.float() for k, v in saved["state_dict"].items()})
    model.eval()
    with torch.inference_mode():
        return validation_psnr(model, pairs)


def bundle(weights, out, *, name: str, role: str, extra: dict | None = None) -> dict:
    """Write ``out`` (float16 weights) and ``out`` with ``.json`` (the model card); return the card."""
    weights, out = Path(weights), Path(out)
    saved = torch.load(weights, map_location="cpu", weights_only=True)
    half = half_precision(saved)
    with atomic_path(out) as tmp:
        torch.save(half, tmp)
    meta = dict(saved.get("meta", {}))
    log = weights.with_suffix(".log.json")
    curve = json.loads(log.read_text())["validation"] if log.exists() else []
    card = {"name": name, "role": role, "architecture": meta.pop("architecture",
                                                                 saved["architecture"]),
            "config": saved["config"], "parameters": meta.pop("parameters", None),
            "file_bytes": out.stat().st_size,
            "training_command": meta.pop("command", None), "data": meta.pop("data", None),
            "training_seconds": meta.pop("training_seconds", None),
            "training_iterations": meta.pop("iterations", None),
            "training_machine": "2-core CPU, no GPU, bfloat16 autocast forward pass",
            "training_record": meta, "validation_curve": curve}
    if role == "restorer" or saved["architecture"] == "GolfNet":
        # a Golf network is x + R(x) in either role: scored as one restoring pass
        pairs = _validation_pairs(saved["meta"])
        full, stored = _validation_psnr(saved, pairs), _validation_psnr(half, pairs)
        card["storage"] = (f"float16 (loaded into float32 parameters); held-out validation "
                           f"PSNR of one pass {stored:.3f} dB from the float16 file against "
                           f"{full:.3f} dB from the float32 weights")
    card.update(extra or {})
    with atomic_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(card, indent=1) + "\n")
    return card


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proxdeblur.training.bundle",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path, help="the trainer's output (.pt)")
    parser.add_argument("--name", required=True, help="the bundled name")
    parser.add_argument("--role", default="restorer", help="denoiser, restorer or gradient")
    parser.add_argument("--out", type=Path, required=True, help="the float16 file to write")
    parser.add_argument("--card-extra", type=Path,
                        help="a JSON object of measured scores merged into the card")
    args = parser.parse_args(argv)
    extra = json.loads(args.card_extra.read_text()) if args.card_extra else None
    card = bundle(args.weights, args.out, name=args.name, role=args.role, extra=extra)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(json.dumps({k: card[k] for k in ("name", "parameters", "file_bytes")}), digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
