"""Blind deblurring on Levin et al. 2009: the benchmark of ``proxdeblur bench levin``,
with threads pinned and per-image timings as the median of repeated runs.

    python benchmarks/levin_blind.py --data ../shared/data/levin09 --out /tmp/levin_blind
        [--repeat 3] [--threads 1] [--limit N] [--image-step l0] [--options '{"lam": 5e-4}']
        [--support-scale 2] [--oracle | --registration-bound]
        [--image-step restorer --model dmphn]

Writes the restored images, kernels, known-kernel restorations and
``results.json`` under ``--out`` (see :mod:`proxdeblur.bench`) and prints the
table; ``--record FILE`` also copies the summary and rows to FILE.

``--oracle`` measures instead what the kernel step can do with a perfect latent
image: one kernel step (from a uniform kernel) whose latent is the *true sharp*
image, then the same non-blind step; it prints the mean aligned PSNR, error
ratio and kernel similarity (nothing is written).

``--registration-bound`` measures what the whole-pixel protocol leaves to a
blind method whose kernels had exactly the true shapes. From the blurred image
alone a kernel is known only up to a translation, sub-pixel ones included (the
kernel shifted by ``s`` and the image by ``-s`` explain it equally), and the
sharp images of this set are separate captures at an arbitrary sub-pixel offset
that the true kernels carry. The restoration of a kernel of the true shape
registered otherwise is the known-kernel restoration translated by the
difference of the two kernels' centres of mass, modulo whole pixels (a Fourier
shift: deconvolution is shift-equivariant away from the border the protocol
crops). Prints the means for offsets spread uniformly over the pixel (a 6 × 6
grid: the registration a method that cannot know it gets on average) and,
where ``--out`` holds the kernels of an earlier run, for the offsets of those
estimates (how much of that run's loss is registration), under both protocols.
Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _timing import pin_threads


def oracle(data: Path) -> dict:
    """Kernel step from the true sharp image, for every image of the manifest."""
    import numpy as np
    from _oracle import kernel_from_sharp

    from proxdeblur import deconvolve, io
    from proxdeblur.metrics import aligned_psnr, error_ratio, kernel_similarity

    rows = []
    for entry in json.loads((data / "manifest.json").read_text())["entries"]:
        blurred = io.read_image(data / entry["blurred"])
        sharp = io.read_image(data / entry["sharp"])
        true_kernel = np.load(data / entry["kernel_aligned"])
        kernel = kernel_from_sharp(sharp, blurred, entry["kernel_size"])
        restored, known = deconvolve(blurred, kernel), deconvolve(blurred, true_kernel)
        rows.append((aligned_psnr(restored, sharp), aligned_psnr(known, sharp),
                     error_ratio(restored, known, sharp), kernel_similarity(kernel, true_kernel)))
    psnr, known, ratio, similarity = np.mean(rows, axis=0)
    return {"images": len(rows), "mean_psnr": psnr, "mean_psnr_known_kernel": known,
            "mean_error_ratio": ratio, "max_error_ratio": max(r[2] for r in rows),
            "mean_kernel_similarity": similarity}


def registration_bound(data: Path, estimates: Path) -> dict:
    """Known-kernel restorations translated by sub-pixel offsets (see the module docstring)."""
    import numpy as np
    from scipy import fft, ndimage

    from proxdeblur import deconvolve, io
    from proxdeblur.metrics import LEVIN_SUBPIXEL, align, psnr

    def fraction(kernel):
        offset = np.subtract(ndimage.center_of_mass(kernel), np.array(kernel.shape) // 2)
        return offset - np.round(offset)

    grid = (np.arange(6) + 0.5) / 6 - 0.5
    uniform, measured = [], []
    for entry in json.loads((data / "manifest.json").read_text())["entries"]:
        blurred = io.read_image(data / entry["blurred"])
        sharp = io.read_image(data / entry["sharp"])
        true_kernel = np.load(data / entry["kernel_aligned"])
        known = deconvolve(blurred, true_kernel)
        spectrum = fft.fft2(known)
        # the error ratio's denominator does not move: align the known-kernel result once
        known_ssd = {s: align(known, sharp, subpixel=s).ssd for s in (1, LEVIN_SUBPIXEL)}

        def scores(shift, spectrum=spectrum, known_ssd=known_ssd, sharp=sharp):
            """Aligned PSNR and error ratio, whole-pixel then quarter-pixel (one alignment each)."""
            moved = fft.ifft2(ndimage.fourier_shift(spectrum, shift)).real
            out = []
            for subpixel in (1, LEVIN_SUBPIXEL):
                a = align(moved, sharp, subpixel=subpixel)
                out += [psnr(a.window, a.truth), a.ssd / known_ssd[subpixel]]
            return out

        uniform.append(np.mean([scores((a, b)) for a in grid for b in grid], axis=0))
        estimate = estimates / f"{Path(entry['blurred']).stem}_kernel.npy"
        if estimate.exists():
            # deconvolving with a kernel whose centre of mass sits d further moves the result by -d
            shift = fraction(true_kernel) - fraction(np.load(estimate))
            measured.append(scores(shift - np.round(shift)))
    out = {"images": len(uniform)}
    for name, rows in (("uniform_offsets", uniform), ("offsets_of_estimates", measured)):
        if rows:
            r = np.array(rows)
            out[name] = {"images": len(r), "mean_psnr": float(r[:, 0].mean()),
                         "mean_error_ratio": float(r[:, 1].mean()),
                         "max_error_ratio": float(r[:, 1].max()),
                         "mean_psnr_subpixel": float(r[:, 2].mean()),
                         "mean_error_ratio_subpixel": float(r[:, 3].mean()),
                         "max_error_ratio_subpixel": float(r[:, 3].max())}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the levin09 folder")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image (median)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--image-step", default="l0",
                        help="l0, lp, gcm, or restorer (the latent is --model's output)")
    parser.add_argument("--model", default="dmphn",
                        help="the restorer of --image-step restorer: bundled name or weights")
    parser.add_argument("--options", default="{}", help="JSON of estimate_kernel options")
    parser.add_argument("--support-scale", type=float, default=1.0,
                        help="search a support this many times the true kernel's")
    parser.add_argument("--record", type=Path, default=None, help="also write the table here")
    parser.add_argument("--oracle", action="store_true",
                        help="kernel step from the true sharp image (see the module docstring)")
    parser.add_argument("--registration-bound", action="store_true",
                        help="the true kernels' shapes at other sub-pixel offsets "
                             "(see the module docstring)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    if args.oracle:
        print(json.dumps(oracle(args.data), indent=1))
        return 0
    if args.registration_bound:
        print(json.dumps(registration_bound(args.data, args.out), indent=1))
        return 0

    import proxdeblur._fft as fft_threads
    from proxdeblur import io
    from proxdeblur.bench import format_table, run_levin

    fft_threads._WORKERS = args.threads
    image_step = args.image_step
    if image_step == "restorer":
        import torch

        from proxdeblur.blind import RestorerLatentStep
        from proxdeblur.restoration import get_restorer

        torch.set_num_threads(args.threads)
        image_step = RestorerLatentStep(get_restorer(args.model))
    result = run_levin(args.data, args.out, limit=args.limit, image_step=image_step,
                       kernel_options=json.loads(args.options), repeat=args.repeat,
                       support_scale=args.support_scale)
    result["summary"]["threads"] = args.threads
    print(format_table(result))
    print(json.dumps(result["summary"], indent=1))
    if args.record:
        io.write_json_atomic(args.record, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
