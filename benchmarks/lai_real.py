"""Blind deblurring of real photographs: Lai et al. 2016's real set, no ground truth.

    python benchmarks/lai_real.py --data ../shared/data/lai2016_real --out DIR
        [--limit N] [--workers 2] [--options '{"settle_max_iter": 0}']
        [--deconvolve '{"min_noise": 0}'] [--deblur '{"saturation": null}'] [--record FILE]

What a user does from the command line, on the 30 real blurry photographs of
Lai et al. (CVPR 2016) for which the data folder holds a kernel estimated by a
published method (``estimated_kernels/<name>_<yy>_<method>_psf.png``; Cho & Lee
2009, Xu & Jia 2010, Krishnan 2011, Levin 2011, Sun 2013, Xu 2013, Zhang 2013,
Zhong 2013, Pan 2014, Perrone & Favaro 2014). Each photograph (colour JPEG, up
to 1200×964) runs through :func:`proxdeblur.deblur` as ``proxdeblur deblur`` runs
it — the defaults plus the JPEG error level of
:func:`proxdeblur.deblurring.source_kernel_options` — with the published kernel's
size as the support (``--options`` adds or overrides ``estimate_kernel`` options,
``--deconvolve`` and ``--deblur`` override the deconvolution's and ``deblur``'s own
keywords; the defaults are the command line's for a JPEG: saturation handling, the
JPEG error floor in both steps, the check reported).
Before the real-photograph work the command line ran ``--deconvolve '{"min_noise":
0, "saturation": null}' --deblur '{"tone_curve": null, "saturation": null,
"safeguard": "off"}'``.

There is no sharp image, so there is no PSNR. The table gives what can be
measured honestly: the time (kernel estimate, final deconvolution, total), the
estimate's own diagnostics (collapsed, still changing) and the similarity of
our kernel to the published one (:func:`proxdeblur.metrics.kernel_similarity`,
also against the published kernel rotated by 180°, in case its method stored a
correlation kernel). Agreement with a published estimate is evidence, not
truth: the published kernels are themselves estimates. For looking at the
results, ``DIR`` receives per photograph the restored image, our kernel and a
panel (blurred | restored | our kernel above the published one).
Photographs run in ``--workers`` processes of one thread each, so the seconds
are single-thread times.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from _report import print_and_record
from _timing import pin_threads

KERNEL_NAME = re.compile(r"^(?P<name>.+)_(?P<year>\d\d)_(?P<method>[a-z_]+)_psf\.png$")


def photographs(data: Path) -> list[dict]:
    """The photographs with a published kernel, in name order."""
    out = []
    for path in sorted((data / "estimated_kernels").glob("*_psf.png")):
        match = KERNEL_NAME.match(path.name)
        if match is None:
            continue
        out.append({"name": match["name"], "method": f"{match['year']}_{match['method']}",
                    "image": data / "blurry" / f"{match['name']}.jpg", "kernel": path})
    return out


def panel(blurred: np.ndarray, restored: np.ndarray, kernel: np.ndarray,
          published: np.ndarray) -> np.ndarray:
    """Blurred | restored | (our kernel over the published one), on one canvas."""
    from skimage.transform import resize

    height = blurred.shape[0]
    side = max(min(height // 2, 256), 32)
    column = np.zeros((height, side, 3))
    for row, k in enumerate((kernel, published)):
        tile = resize(k / k.max(), (side, side), order=0, anti_aliasing=False)
        rows = min(side, height - row * side)
        if rows <= 0:
            break
        column[row * side: row * side + rows] = tile[:rows, :, None]
    def colour(a):
        return a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)
    return np.concatenate([colour(blurred), colour(restored), column], axis=1)


def run_photograph(args) -> dict:
    photo, out, options, deconvolve_options, deblur_options = args
    import proxdeblur._fft as fft_threads
    from proxdeblur import deblur, io
    from proxdeblur.deblurring import source_deconvolve_options, source_kernel_options
    from proxdeblur.metrics import kernel_similarity

    fft_threads._WORKERS = 1
    blurred = io.read_image(photo["image"])
    published = io.read_kernel(photo["kernel"])
    options = {**source_kernel_options(photo["image"]), **options}  # as the CLI does
    start = time.perf_counter()
    restored, kernel, info = deblur(
        blurred, published.shape, kernel_options=options, warn=False,
        deconvolve_options={**source_deconvolve_options(photo["image"]), **deconvolve_options},
        **deblur_options)
    seconds = time.perf_counter() - start
    if out is not None:
        io.write_image(out / f"{photo['name']}.png", np.clip(restored, 0, 1))
        io.write_kernel(out / f"{photo['name']}_kernel.png", kernel)
        io.write_kernel(out / f"{photo['name']}_kernel.npy", kernel)
        io.write_image(out / "panels" / f"{photo['name']}.png",
                       np.clip(panel(blurred, restored, kernel, published), 0, 1))
    return {"name": photo["name"], "published_method": photo["method"],
            "image_shape": list(blurred.shape), "kernel_size": list(published.shape),
            "megapixels": blurred.shape[0] * blurred.shape[1] / 1e6,
            "seconds": seconds, "kernel_seconds": info.kernel_seconds,
            "deconvolution_seconds": info.deconvolution_seconds,
            "similarity_to_published": kernel_similarity(kernel, published),
            "similarity_to_published_rotated": kernel_similarity(kernel, published[::-1, ::-1]),
            "collapsed": info.estimate.collapsed, "converged": info.estimate.converged,
            "noise_sigma": info.estimate.noise_sigma,
            "check": None if info.check is None else {
                "ringing": info.check.ringing, "residual": info.check.residual,
                "suspicious": info.check.suspicious}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path,
                        help="the lai2016_real folder (blurry/ and estimated_kernels/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for restored images, kernels and panels")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photographs")
    parser.add_argument("--workers", type=int, default=2, help="processes (one thread each)")
    parser.add_argument("--options", default="{}", help="JSON of estimate_kernel options")
    parser.add_argument("--deconvolve", default="{}", help="JSON of deconvolve options")
    parser.add_argument("--deblur", default="{}", help="JSON of deblur keywords")
    parser.add_argument("--record", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    pin_threads(1)

    photos = photographs(args.data)[: args.limit]
    if not photos:
        parser.error(f"--data: no estimated_kernels/*_psf.png under {args.data}")
    if args.out is not None:
        (args.out / "panels").mkdir(parents=True, exist_ok=True)
    options = json.loads(args.options)
    deblur_options = json.loads(args.deblur)
    deconvolve_options = json.loads(args.deconvolve)
    jobs = [(photo, args.out, options, deconvolve_options, deblur_options) for photo in photos]
    with Pool(args.workers) as pool:
        rows = pool.map(run_photograph, jobs, chunksize=1)
    for r in rows:
        flags = ("collapsed " if r["collapsed"] else "") + ("" if r["converged"] else "changing")
        print(f"{r['name']:14s} {r['image_shape'][1]:5d}×{r['image_shape'][0]:<5d} "
              f"k{r['kernel_size'][0]:<4d} {r['published_method']:16s} "
              f"sim {r['similarity_to_published']:.3f} (rot {r['similarity_to_published_rotated']:.3f})"
              f"  {r['kernel_seconds']:6.1f} + {r['deconvolution_seconds']:5.1f} s  {flags}")
    similarity = np.array([r["similarity_to_published"] for r in rows])
    per_megapixel = np.array([r["seconds"] / r["megapixels"] for r in rows])
    summary = {
        "photographs": len(rows), "options": options, "deconvolve": deconvolve_options,
        "deblur": deblur_options,
        "median_similarity_to_published": float(np.median(similarity)),
        "mean_similarity_to_published": float(similarity.mean()),
        "fraction_similarity_ge_0.7": float(np.mean(similarity >= 0.7)),
        "median_seconds_one_thread": float(np.median([r["seconds"] for r in rows])),
        "median_kernel_seconds_one_thread": float(np.median([r["kernel_seconds"] for r in rows])),
        "median_seconds_per_megapixel_one_thread": float(np.median(per_megapixel)),
        "collapsed": [r["name"] for r in rows if r["collapsed"]],
        "still_changing": [r["name"] for r in rows if not r["converged"]],
    }
    print_and_record(rows, summary, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
