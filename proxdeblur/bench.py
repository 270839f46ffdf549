"""``proxdeblur bench levin``: blind deblurring on Levin et al. 2009.

For each of the 32 blurred images of the set (the layout of
``shared/data/levin09``: ``manifest.json`` with, per entry, ``blurred``,
``sharp``, ``kernel``, ``kernel_aligned`` and ``kernel_size``), run
:func:`proxdeblur.deblur` with the manifest's kernel size, and restore the same
image with the ground-truth (aligned) kernel through the *same* non-blind step.
Scores, per :mod:`proxdeblur.metrics`: aligned PSNR and SSIM of the blind
result against the sharp image, the error ratio (Levin et al. 2009: the ratio
of the aligned squared errors of the blind and the known-kernel results) and
the similarity of the estimated kernel to the true (aligned, convolution-
convention) one. Seconds are wall
time of the blind pipeline (kernel estimate and final deconvolution).

The scores follow the project's protocol (whole-pixel alignment). The same
scores under the protocol of Levin et al.'s own evaluation code, which the
published tables on this set use (quarter-pixel shifts,
``subpixel=LEVIN_SUBPIXEL``; :mod:`proxdeblur.metrics`), are reported beside
them with the suffix ``_subpixel``.

Writes ``OUT/<blurred name>`` (restored), ``OUT/<stem>_kernel.png`` (estimated
kernel, for viewing) and ``<stem>_kernel.npy`` (exact), ``OUT/gt_kernel/<blurred
name>`` (restored with the true kernel) and ``OUT/results.json`` (the table
and its means).

``support_scale`` searches a support that many times the manifest's (odd,
capped at a third of the image side): how much the result depends on the user
knowing the blur's extent.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import io
from ._validation import check_positive
from .blind import largest_support
from .deblurring import deblur
from .deconvolution import deconvolve
from .errors import InvalidArgumentError
from .metrics import LEVIN_SUBPIXEL, aligned_psnr, aligned_ssim, error_ratio, kernel_similarity

__all__ = ["run_levin", "format_table"]


def _manifest(data: Path) -> list[dict]:
    path = data / "manifest.json"
    if not path.is_file():
        raise InvalidArgumentError("--data", "a folder with the Levin et al. manifest.json", str(data))
    try:
        entries = json.loads(path.read_text())["entries"]
    except (ValueError, KeyError) as exc:
        raise InvalidArgumentError("--data", "a valid manifest.json with 'entries'", str(exc)) from None
    return entries


def run_levin(data, out, *, limit: int | None = None, image_step: str = "l0",
              kernel_options: dict | None = None, repeat: int = 1, progress: bool = True,
              support_scale: float = 1.0) -> dict:
    """Run the benchmark (module docstring); return ``{"rows": [...], "summary": {...}}``.

    ``repeat`` runs the blind pipeline that many times per image and reports
    the median seconds (the restoration is deterministic).
    """
    data, out = Path(data), Path(out)
    support_scale = check_positive(support_scale, "support_scale")
    entries = _manifest(data)[:limit]
    (out / "gt_kernel").mkdir(parents=True, exist_ok=True)
    rows = []
    for entry in tqdm(entries, desc="levin", disable=not progress):
        blurred = io.read_image(data / entry["blurred"])
        sharp = io.read_image(data / entry["sharp"])
        true_kernel = np.load(data / entry["kernel_aligned"])
        support = tuple(min(int(round(s * support_scale)) | 1, largest_support(blurred.shape))
                        for s in entry["kernel_size"])
        timings = []
        for _ in range(max(1, repeat)):
            start = time.perf_counter()
            restored, kernel, info = deblur(blurred, support,
                                            image_step=image_step, kernel_options=kernel_options,
                                            warn=False)
            timings.append(time.perf_counter() - start)
        seconds = statistics.median(timings)
        known = deconvolve(blurred, true_kernel)
        name = Path(entry["blurred"]).name
        stem = Path(name).stem
        io.write_image(out / name, restored)
        io.write_image(out / "gt_kernel" / name, known)
        io.write_kernel(out / f"{stem}_kernel.png", kernel)
        io.write_kernel(out / f"{stem}_kernel.npy", kernel)
        rows.append({
            "image": name,
            "kernel_size": list(entry["kernel_size"]),
            "support": list(support),
            "psnr": aligned_psnr(restored, sharp),
            "ssim": aligned_ssim(restored, sharp),
            "psnr_known_kernel": aligned_psnr(known, sharp),
            "error_ratio": error_ratio(restored, known, sharp),
            "psnr_subpixel": aligned_psnr(restored, sharp, subpixel=LEVIN_SUBPIXEL),
            "psnr_known_kernel_subpixel": aligned_psnr(known, sharp, subpixel=LEVIN_SUBPIXEL),
            "error_ratio_subpixel": error_ratio(restored, known, sharp, subpixel=LEVIN_SUBPIXEL),
            # kernels/ holds the correlation kernels of the original files (flipped);
            # kernels_aligned/ the convolution kernels our estimate is comparable with
            "kernel_similarity": kernel_similarity(kernel, true_kernel),
            "seconds": seconds,
            "kernel_seconds": info.kernel_seconds,
            "latent_step_seconds": sum(level.latent_seconds for level in info.estimate.levels),
            "kernel_step_seconds": sum(level.kernel_seconds for level in info.estimate.levels),
            "finest_level_seconds": info.estimate.levels[-1].seconds,
            "deconvolution_seconds": info.deconvolution_seconds,
            "warnings": info.warnings,
        })
    ratios = [r["error_ratio"] for r in rows]
    subpixel_ratios = [r["error_ratio_subpixel"] for r in rows]
    summary = {
        "images": len(rows),
        "mean_psnr": float(np.mean([r["psnr"] for r in rows])),
        "mean_ssim": float(np.mean([r["ssim"] for r in rows])),
        "mean_psnr_known_kernel": float(np.mean([r["psnr_known_kernel"] for r in rows])),
        "mean_error_ratio": float(np.mean(ratios)),
        "max_error_ratio": float(np.max(ratios)),
        "fraction_error_ratio_le_3": float(np.mean(np.asarray(ratios) <= 3)),
        "mean_kernel_similarity": float(np.mean([r["kernel_similarity"] for r in rows])),
        "mean_psnr_subpixel": float(np.mean([r["psnr_subpixel"] for r in rows])),
        "mean_psnr_known_kernel_subpixel": float(np.mean([r["psnr_known_kernel_subpixel"]
                                                          for r in rows])),
        "mean_error_ratio_subpixel": float(np.mean(subpixel_ratios)),
        "max_error_ratio_subpixel": float(np.max(subpixel_ratios)),
        "fraction_error_ratio_le_3_subpixel": float(np.mean(np.asarray(subpixel_ratios) <= 3)),
        "median_seconds": float(statistics.median(r["seconds"] for r in rows)),
        "median_seconds_breakdown": {
            key: float(statistics.median(r[key] for r in rows))
            for key in ("latent_step_seconds", "kernel_step_seconds", "finest_level_seconds",
                        "deconvolution_seconds")},
        "repeat": repeat,
        "support_scale": support_scale,
        "image_step": image_step if isinstance(image_step, str) else repr(image_step),
        "kernel_options": kernel_options or {},
    }
    result = {"rows": rows, "summary": summary}
    io.write_json_atomic(out / "results.json", result)
    return result


def format_table(result: dict) -> str:
    """The benchmark's table as text, one line per image and a line of means."""
    lines = [f"{'image':<20} {'PSNR':>6} {'SSIM':>6} {'known':>6} {'ER':>6} {'k-sim':>6} {'s':>6}"]
    for r in result["rows"]:
        lines.append(f"{r['image']:<20} {r['psnr']:6.2f} {r['ssim']:6.3f} "
                     f"{r['psnr_known_kernel']:6.2f} {r['error_ratio']:6.2f} "
                     f"{r['kernel_similarity']:6.3f} {r['seconds']:6.2f}")
    s = result["summary"]
    lines.append(f"{'mean (median s)':<20} {s['mean_psnr']:6.2f} {s['mean_ssim']:6.3f} "
                 f"{s['mean_psnr_known_kernel']:6.2f} {s['mean_error_ratio']:6.2f} "
                 f"{s['mean_kernel_similarity']:6.3f} {s['median_seconds']:6.2f}")
    lines.append(f"error ratio <= 3: {100 * s['fraction_error_ratio_le_3']:.0f}% of images; "
                 f"max {s['max_error_ratio']:.2f}")
    if "mean_psnr_subpixel" in s:
        lines.append(f"quarter-pixel alignment (Levin et al.'s code): PSNR "
                     f"{s['mean_psnr_subpixel']:.2f} (known kernel "
                     f"{s['mean_psnr_known_kernel_subpixel']:.2f}), error ratio "
                     f"{s['mean_error_ratio_subpixel']:.2f}, <= 3: "
                     f"{100 * s['fraction_error_ratio_le_3_subpixel']:.0f}%, max "
                     f"{s['max_error_ratio_subpixel']:.2f}")
    return "\n".join(lines)
