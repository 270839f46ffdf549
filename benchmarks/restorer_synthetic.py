"""Restorers against the classical pipelines on a fixed held-out set of synthetic blur.

    python benchmarks/restorer_synthetic.py --data ../shared/data --restorer runs/dmphn/dmphn.pt
        [--cases 32] [--methods blurred,restorer,dynamic,static,deblur,guided,pnp]
        [--repeat 1] [--record FILE] [--dynamic '{"max_iter": 10}'] [--tuning]

The held-out set (never used for training or tuning): case ``i`` takes BSD68 image
``i mod 68``, a 256×256 gray crop at a position drawn from seed 2026 + i, and a kernel
of 7–35 px from :func:`proxdeblur.training.pairs.kernel_bank` (camera shake and
Gaussian, bank seed 20261206, a different bank from any training run's), blurs the
crop's surroundings with the "valid" model so that the observation is 256×256 and
sees the scene beyond the crop, adds Gaussian noise σ = 0.01 and rounds to 8 bits.
Scores: PSNR and SSIM against the sharp crop after the metrics module's alignment
(15-px border, best whole-pixel shift; :func:`proxdeblur.metrics.aligned_psnr`), the
error ratio against ``deconvolve`` with the true kernel (Levin's measure: the blind
methods' target), whether the result is worse than the blurred input, and seconds per
image (median of ``--repeat``). Methods, on the same cases:

* ``blurred`` — the observation itself;
* ``restorer`` — :func:`proxdeblur.restore` with the given network;
* ``dynamic`` / ``static`` — :func:`proxdeblur.blind.dynamic_stack` with the network,
  adaptive kernel (support = the kernel's size) / A = I (its defaults, chosen on the
  tuning set below; n̂ from the bundled DnCNN);
* ``deblur`` — the classical blind pipeline, support = the kernel's size;
* ``guided`` — ``deblur`` whose latent step is the network (restorer-guided);
* ``pnp`` — plug-and-play HQS with the *true* kernel and the bundled denoisers (an
  upper bound for the blind methods).

``--tuning`` scores the *tuning* set instead, where settings (``--dynamic``: keywords
of ``dynamic_stack``) are chosen: the same recipe on the 8 train400 images that the
restorer's training held out for validation, 144×144 crops (those images are 180 px),
crop seeds 4040 + i, kernel bank seed 777.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _report import print_and_record

SIZE = 256
NOISE = 0.01
BANK_SEED = 20261206
METHODS = ("blurred", "restorer", "dynamic", "static", "deblur", "guided", "pnp")


#: The tuning set (module docstring): folder, images, side, crop seed base, bank seed.
TUNING = ("train400", slice(-8, None), 144, 4040, 777)
#: The held-out set.
HELD_OUT = ("bsd68", slice(None), SIZE, 2026, BANK_SEED)


def cases(data: Path, count: int, which=HELD_OUT) -> list[dict]:
    """The held-out (or tuning) cases (module docstring), deterministic."""
    from scipy.signal import fftconvolve

    from proxdeblur import io
    from proxdeblur.camera import LUMINANCE
    from proxdeblur.training.pairs import kernel_bank

    folder, images, size, seed_base, bank_seed = which
    paths = sorted((data / folder).glob("*.png"))[images]
    bank = kernel_bank(count, seed=bank_seed)
    out = []
    for i in range(count):
        image = io.read_image(paths[i % len(paths)])
        image = image if image.ndim == 2 else image @ LUMINANCE
        kernel = bank[i]
        k = kernel.shape[0]
        rng = np.random.default_rng(seed_base + i)
        need = size + k - 1
        if min(image.shape) < need:
            raise ValueError(f"{paths[i % len(paths)]}: smaller than {need} px")
        top = rng.integers(image.shape[0] - need + 1)
        left = rng.integers(image.shape[1] - need + 1)
        scene = image[top: top + need, left: left + need]
        blurred = fftconvolve(scene, kernel, mode="valid") + NOISE * rng.standard_normal(
            (size, size))
        blurred = np.round(np.clip(blurred, 0, 1) * 255) / 255
        sharp = scene[k // 2: k // 2 + size, k // 2: k // 2 + size]
        out.append({"name": f"{paths[i % len(paths)].stem}_k{k}", "blurred": blurred,
                    "sharp": sharp, "kernel": kernel})
    return out


def method(name: str, restorer, noise_denoiser, dynamic: dict):
    """``f(case) -> restored`` for a method of the module docstring."""
    import proxdeblur as pd
    from proxdeblur.blind import RestorerLatentStep, dynamic_stack

    if name == "blurred":
        return lambda case: case["blurred"]
    if name == "restorer":
        return lambda case: pd.restore(case["blurred"], restorer)
    if name in ("dynamic", "static"):
        settings = dict(dynamic)
        return lambda case: dynamic_stack(case["blurred"], restorer, adaptive=name == "dynamic",
                                          kernel_size=case["kernel"].shape[0],
                                          noise_denoiser=noise_denoiser, **settings).x
    if name == "deblur":
        return lambda case: pd.deblur(case["blurred"], case["kernel"].shape[0], warn=False)[0]
    if name == "guided":
        return lambda case: pd.deblur(case["blurred"], case["kernel"].shape[0], warn=False,
                                      image_step=RestorerLatentStep(restorer))[0]
    if name == "pnp":
        return lambda case: pd.deconvolve(case["blurred"], case["kernel"], prior="dncnn+drunet")
    raise ValueError(f"--methods: unknown method {name!r} (known: {', '.join(METHODS)})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--restorer", default=None, help="a bundled restorer or weights file")
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per case")
    parser.add_argument("--record", type=Path, default=None)
    parser.add_argument("--dynamic", default="{}", help="JSON keywords of dynamic_stack")
    parser.add_argument("--tuning", action="store_true", help="score the tuning set")
    args = parser.parse_args(argv)
    import json

    from proxdeblur import deconvolve
    from proxdeblur.denoising import get_denoiser
    from proxdeblur.metrics import aligned_psnr, aligned_ssim, error_ratio
    from proxdeblur.restoration import get_restorer

    names = args.methods.split(",")
    needs_network = {"restorer", "dynamic", "static", "guided"} & set(names)
    restorer = get_restorer(args.restorer) if needs_network else None
    dynamic = json.loads(args.dynamic)
    runs = {name: method(name, restorer, get_denoiser("dncnn"), dynamic) for name in names}
    rows = []
    for case in cases(args.data, args.cases, TUNING if args.tuning else HELD_OUT):
        row = {"case": case["name"]}
        known = deconvolve(case["blurred"], case["kernel"])
        blurred_psnr = aligned_psnr(case["blurred"], case["sharp"])
        for name, run in runs.items():
            seconds = []
            for _ in range(max(1, args.repeat)):
                start = time.perf_counter()
                restored = run(case)
                seconds.append(time.perf_counter() - start)
            score = aligned_psnr(restored, case["sharp"])
            row[name] = {"psnr": score, "ssim": aligned_ssim(restored, case["sharp"]),
                         "error_ratio": error_ratio(restored, known, case["sharp"]),
                         "worse_than_blurred": float(score < blurred_psnr),
                         "seconds": statistics.median(seconds)}
        rows.append(row)
        print(case["name"], "  ".join(f"{n} {row[n]['psnr']:.2f}" for n in names), flush=True)
    summary = {name: {key: float(np.mean([r[name][key] for r in rows])) if key != "seconds"
                      else float(statistics.median(r[name][key] for r in rows))
                      for key in ("psnr", "ssim", "error_ratio", "worse_than_blurred", "seconds")}
               for name in names}
    for name in names:
        summary[name]["max_error_ratio"] = float(max(r[name]["error_ratio"] for r in rows))
    summary["cases"] = len(rows)
    summary["restorer_model"] = str(args.restorer)
    summary["set"] = "tuning" if args.tuning else "held-out"
    summary["dynamic_settings"] = dynamic
    print_and_record(rows, summary, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
