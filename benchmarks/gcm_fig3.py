"""GCM's Fig. 3 on Levin et al. 2009: Generator only, Corrector only and GCM as the
latent step of blind kernel estimation, against the classical ℓ0 step.

    python benchmarks/gcm_fig3.py --data ../shared/data/levin09 --out /tmp/gcm_fig3
        [--generator gcm_generator] [--variants l0,corrector,generator,gcm]
        [--limit N] [--threads 2] [--record benchmarks/results_gcm_fig3.json]

For every image and variant: kernel similarity (against ``kernels_aligned``)
after each pyramid level (the "stages" of the paper's Fig. 3a) and the final
aligned PSNR and error ratio (whole-pixel shifts, and Levin's quarter-pixel
protocol: ``*_subpixel``), kernel similarity and seconds of
:func:`proxdeblur.deblur` (Fig. 3b plots PSNR per stage; here the latent
variable is a pair of gradient images, which has no PSNR, so PSNR is reported
for the final restoration only). Variants:

* ``l0`` — the classical image step of the blind issue (Pan et al. 2014's ℓ0);
* ``corrector`` — GCM without generator (proximal gradient on ``Ψ``);
* ``generator`` — the generators alone (``uᵗ⁺¹ = ũ``, no check, no prox);
* ``gcm`` — Algorithm 1;
* ``gcm-l0`` — Algorithm 1 with the classical ℓ0 step as a model-based generator
  (``generator="l0"``): what the corrector does to the classical step's own output.

All GCM variants use ``Ψ(u) = ½‖k ∗ u − ∇y‖² + λ‖u‖_p^p`` with the estimator's
defaults (λ from 2e-3 divided by 1.1 per iteration down to 1e-4, p = 0.8, γ = 0.02,
five stages per latent step, each latent step a fresh run from ``u⁰ = ∇y``;
``--options '{"start": "previous"}'`` continues from the previous latent instead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _timing import pin_threads

VARIANTS = ("l0", "corrector", "generator", "gcm", "gcm-l0")


def variant_step(variant: str, generator, options=None):
    """The latent step of a variant: the ℓ0 step, or GCM with ``options`` (JSON of
    :class:`~proxdeblur.blind.GCMLatentStep` keywords, e.g. ``{"start": "previous"}``)."""
    from proxdeblur.blind import GCMLatentStep

    if variant == "l0":
        return "l0"
    if variant == "gcm-l0":
        return GCMLatentStep("l0", **(options or {}))
    return GCMLatentStep(None if variant == "corrector" else generator,
                         corrector=variant != "generator", **(options or {}))


def run_image(entry: dict, data: Path, variant: str, generator, options=None) -> dict:
    from proxdeblur import deblur, deconvolve, io
    from proxdeblur.metrics import LEVIN_SUBPIXEL, aligned_psnr, error_ratio, kernel_similarity

    blurred = io.read_image(data / entry["blurred"])
    sharp = io.read_image(data / entry["sharp"])
    truth = np.load(data / entry["kernel_aligned"])
    per_level: list[dict] = []

    def record(state):  # the kernel at the end of each level
        if per_level and per_level[-1]["level"] == state.level:
            per_level.pop()
        if state.stage == "level":
            per_level.append({"level": state.level, "kernel_shape": list(state.kernel.shape),
                              "kernel_similarity": kernel_similarity(state.kernel, truth)})

    image_step = variant_step(variant, generator, options)
    start = time.perf_counter()
    restored, kernel, info = deblur(blurred, tuple(entry["kernel_size"]), image_step=image_step,
                                    kernel_options={"callback": record}, warn=False)
    seconds = time.perf_counter() - start
    known = deconvolve(blurred, truth)
    row = {"image": Path(entry["blurred"]).name, "variant": variant}
    for subpixel, suffix in ((1, ""), (LEVIN_SUBPIXEL, "_subpixel")):  # whole, Levin's
        row["psnr" + suffix] = aligned_psnr(restored, sharp, subpixel=subpixel)
        row["error_ratio" + suffix] = error_ratio(restored, known, sharp, subpixel=subpixel)
    return {**row, "kernel_similarity": kernel_similarity(kernel, truth), "seconds": seconds,
            "levels": per_level}


def summarize(rows: list[dict]) -> dict:
    summary = {}
    for variant in VARIANTS:
        chosen = [r for r in rows if r["variant"] == variant]
        if not chosen:
            continue
        ratios = np.array([r["error_ratio"] for r in chosen])
        quarter = np.array([r["error_ratio_subpixel"] for r in chosen])
        depth = min(len(r["levels"]) for r in chosen)
        summary[variant] = {
            "images": len(chosen),
            "mean_psnr": float(np.mean([r["psnr"] for r in chosen])),
            "mean_error_ratio": float(ratios.mean()),
            "fraction_error_ratio_le_3": float(np.mean(ratios <= 3)),
            "mean_psnr_subpixel": float(np.mean([r["psnr_subpixel"] for r in chosen])),
            "mean_error_ratio_subpixel": float(quarter.mean()),
            "mean_kernel_similarity": float(np.mean([r["kernel_similarity"] for r in chosen])),
            "median_seconds": float(statistics.median(r["seconds"] for r in chosen)),
            # levels counted from the finest backwards, so images with different pyramids align
            "kernel_similarity_by_level_from_finest": [
                float(np.mean([r["levels"][len(r["levels"]) - depth + i]["kernel_similarity"]
                               for r in chosen])) for i in range(depth)],
        }
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the levin09 folder")
    parser.add_argument("--out", required=True, type=Path, help="folder for results.json")
    parser.add_argument("--generator", default="gcm_generator",
                        help="bundled name or weights file of the GCM generator")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--options", default="{}",
                        help="JSON of GCMLatentStep options for the GCM variants")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import proxdeblur._fft as fft_threads
    from proxdeblur import io
    from proxdeblur.priors.zoo import load_prior

    fft_threads._WORKERS = args.threads
    args.out.mkdir(parents=True, exist_ok=True)
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"--variants: expected some of {VARIANTS}, got {unknown}")
    generator = load_prior(args.generator, "restorer")
    entries = json.loads((args.data / "manifest.json").read_text())["entries"][: args.limit]
    rows = []
    for entry in entries:
        for variant in variants:
            row = run_image(entry, args.data, variant, generator, json.loads(args.options))
            rows.append(row)
            print(f"{row['image']:<16} {variant:<10} PSNR {row['psnr']:6.2f} "
                  f"(quarter-pixel {row['psnr_subpixel']:6.2f})  "
                  f"ER {row['error_ratio']:5.2f}  k-sim {row['kernel_similarity']:.3f}  "
                  f"{row['seconds']:5.1f} s", flush=True)
    result = {"summary": summarize(rows), "generator": str(args.generator),
              "gcm_options": json.loads(args.options),
              "threads": args.threads, "rows": rows}
    print(json.dumps(result["summary"], indent=1))
    io.write_json_atomic(args.out / "results.json", result)
    if args.record:
        io.write_json_atomic(args.record, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
