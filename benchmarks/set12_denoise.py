"""Gaussian denoising on Set12: the bundled DnCNN against BM3D, side by side.

Protocol (the issue's): per image and noise level σ ∈ {15, 25, 50}, the noisy
input is ``x + σ/255 · N(0, 1)`` drawn from ``numpy.random.default_rng(0)``
(a fresh generator per image), not clipped; each output is rounded to 8 bit
and scored by PSNR against the clean image. Both methods run in this process
with the same threads (``--threads``, default 1: one core each, as the
reference numbers). BM3D is the PyPI ``bm3d`` package (``pip install bm3d``),
called as ``bm3d.bm3d(noisy, sigma_psd=σ/255)``. Seconds: the median over the
12 images of each σ (one timed run per image, after a warm-up call).

    python benchmarks/set12_denoise.py --data ../shared/data/set12 [--out results.json]
        [--threads 1] [--weights FILE] [--skip-bm3d] [--precision fp32|bf16|auto] [--ensemble 1|2|4|8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from _timing import pin_threads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="folder of the 12 PNGs")
    parser.add_argument("--out", type=Path, help="write the table as JSON")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--weights", default=None,
                        help="bundled name or weights file (default: proxdeblur.denoise's)")
    parser.add_argument("--sigmas", default="15,25,50")
    parser.add_argument("--skip-bm3d", action="store_true")
    parser.add_argument("--precision", choices=["fp32", "bf16", "auto"], default=None,
                        help="network arithmetic (default: proxdeblur.denoise's)")
    parser.add_argument("--ensemble", type=int, choices=[1, 2, 4, 8], default=None,
                        help="geometric self-ensemble size (default: proxdeblur.denoise's)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np
    import torch

    from proxdeblur import io
    from proxdeblur.denoising import DEFAULT_DENOISER, DENOISE_ENSEMBLE, DENOISE_PRECISION, get_denoiser
    from proxdeblur.metrics import psnr

    torch.set_num_threads(args.threads)
    ensemble = DENOISE_ENSEMBLE if args.ensemble is None else args.ensemble
    denoiser = get_denoiser(args.weights or DEFAULT_DENOISER,
                            precision=DENOISE_PRECISION if args.precision is None else args.precision,
                            ensemble=ensemble)
    files = sorted(args.data.glob("*.png"))
    if not files:
        parser.error(f"--data: no PNG files in {args.data}")
    denoiser.denoise(np.zeros((64, 64)), 0.1)  # warm-up outside the timings

    def quantize(image):
        return np.round(np.clip(image, 0, 1) * 255) / 255

    rows = []
    for sigma in (int(s) for s in args.sigmas.split(",")):
        for path in files:
            clean = io.read_image(path)
            noisy = clean + sigma / 255 * np.random.default_rng(0).standard_normal(clean.shape)
            start = time.perf_counter()
            ours = denoiser.denoise(noisy, sigma / 255)
            row = {"image": path.name, "sigma": sigma, "seconds": time.perf_counter() - start,
                   "psnr": psnr(quantize(ours), clean), "psnr_noisy": psnr(noisy, clean)}
            if not args.skip_bm3d:
                import bm3d

                start = time.perf_counter()
                theirs = bm3d.bm3d(noisy, sigma_psd=sigma / 255)
                row.update(seconds_bm3d=time.perf_counter() - start,
                           psnr_bm3d=psnr(quantize(theirs), clean))
            rows.append(row)
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), flush=True)
    summary = {}
    for sigma in sorted({r["sigma"] for r in rows}):
        chosen = [r for r in rows if r["sigma"] == sigma]
        entry = {"psnr": statistics.fmean(r["psnr"] for r in chosen),
                 "median_seconds": statistics.median(r["seconds"] for r in chosen)}
        if not args.skip_bm3d:
            entry.update(psnr_bm3d=statistics.fmean(r["psnr_bm3d"] for r in chosen),
                         median_seconds_bm3d=statistics.median(r["seconds_bm3d"] for r in chosen))
            entry["speedup_over_bm3d"] = entry["median_seconds_bm3d"] / entry["median_seconds"]
        summary[str(sigma)] = entry
    summary["threads"] = args.threads
    summary["weights"] = str(args.weights)
    members = getattr(denoiser, "members", [denoiser])  # a DenoiserEnsemble ("a+b")
    summary["precision"] = members[0].precision
    summary["ensemble"] = ensemble
    print(json.dumps(summary, indent=1))
    if args.out:
        io.write_json_atomic(args.out, {"summary": summary, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
