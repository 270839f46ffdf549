"""Blind kernel estimation away from Levin: BSD68 crops under known synthetic blur.

    python benchmarks/blind_synthetic.py --data ../shared/data
        [--options '{"lam": 5e-4, "lam_decay": 1.0}'] [--oracle] [--workers 2]
        [--noise 0.005] [--jpeg 75] [--record FILE]

A held-out check for :func:`proxdeblur.blind.estimate_kernel`'s defaults, which
were chosen on Levin et al. 2009. Sixteen cases, each a 255×255 gray crop from
the centre of BSD68 image ``test001`` … ``test016`` blurred by the "valid" model
(the blurred pixels see scene content beyond the crop, as in a photograph), plus
Gaussian noise (σ = 0.005 unless ``--noise`` says otherwise) and 8-bit rounding.
Kernels: Lai et al. 2016's kernel 1 (31×31) and kernels 2–4 resized to 25, 27
and 33 pixels, KAIR's two motion kernels that are not Levin's
(``kair_kernels12_11``/``12``, 25×25), and ten
trajectories of :func:`proxdeblur.kernels.motion_kernel` (15–25 pixels, seeds
100–109). The support searched is the kernel's own size.

Reports, per case and on average, the aligned PSNR of ``deconvolve`` with the
estimated kernel and with the true one, the error ratio and the kernel
similarity — the columns of the Levin benchmark, PSNR and error ratio also
with quarter-pixel alignment (``_subpixel``, Levin et al.'s own protocol). ``--jpeg Q`` stores each
blurred image as a JPEG of quality Q (Pillow) and estimates as ``proxdeblur
deblur`` does for JPEG input (``min_noise=JPEG_NOISE`` unless ``--options`` says
otherwise): a ground-truth check of that rule. ``--oracle`` replaces the
blind pyramid by one kernel step from the *true sharp* image (a bound on what
the kernel step can do with a perfect latent). Cases run in ``--workers``
processes of one thread each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from _report import print_and_record
from _timing import pin_threads

SIZE = 255
NOISE = 0.005
TRAJECTORY_SIZES = (15, 17, 19, 21, 23, 25, 17, 21, 25, 19)


def kernels(data: Path) -> list[np.ndarray]:
    from skimage.transform import resize

    from proxdeblur.kernels import centre_kernel, motion_kernel

    folder = data / "motion_kernels" / "normalized"
    out = [np.load(folder / "lai2016_kernel1.npy")]
    for index, size in zip((2, 3, 4), (25, 27, 33), strict=True):
        k = np.maximum(resize(np.load(folder / f"lai2016_kernel{index}.npy"), (size, size),
                              anti_aliasing=True), 0.0)
        out.append(centre_kernel(k / k.sum()))
    out += [np.load(folder / f"kair_kernels12_{i}.npy") for i in (11, 12)]
    out += [motion_kernel(size, seed=100 + i, length=0.85 * size)
            for i, size in enumerate(TRAJECTORY_SIZES)]
    return out


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    import io as bytes_io

    from PIL import Image

    buffer = bytes_io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer), dtype=np.float64) / 255


def cases(data: Path, noise: float = NOISE, jpeg: int | None = None) -> list[dict]:
    from proxdeblur import Convolution, io

    rng = np.random.default_rng(0)
    out = []
    for index, kernel in enumerate(kernels(data)):
        image = io.read_image(data / "bsd68" / f"test{index + 1:03d}.png")
        if image.ndim == 3:
            image = image @ np.array([0.2125, 0.7154, 0.0721])
        kh, kw = kernel.shape
        top, left = (image.shape[0] - SIZE - kh) // 2, (image.shape[1] - SIZE - kw) // 2
        scene = image[top: top + SIZE + kh - 1, left: left + SIZE + kw - 1]
        blurred = Convolution(kernel, "valid").forward(scene)
        blurred = np.clip(np.round((blurred + noise * rng.standard_normal(blurred.shape)) * 255)
                          / 255, 0, 1)
        if jpeg is not None:
            blurred = _jpeg(blurred, jpeg)
        sharp = scene[kh // 2: kh // 2 + SIZE, kw // 2: kw // 2 + SIZE]
        out.append({"name": f"bsd68_test{index + 1:03d}", "blurred": blurred, "sharp": sharp,
                    "kernel": kernel, "support": max(kh, kw) | 1})
    return out


def run_case(args) -> dict:
    case, options, oracle = args
    from _oracle import kernel_from_sharp

    import proxdeblur._fft as fft_threads
    from proxdeblur import deconvolve
    from proxdeblur.blind import estimate_kernel
    from proxdeblur.metrics import LEVIN_SUBPIXEL, aligned_psnr, error_ratio, kernel_similarity

    fft_threads._WORKERS = 1
    start = time.perf_counter()
    if oracle:
        kernel = kernel_from_sharp(case["sharp"], case["blurred"], (case["support"],) * 2)
    else:
        kernel, _ = estimate_kernel(case["blurred"], case["support"], **options)
    seconds = time.perf_counter() - start
    restored = deconvolve(case["blurred"], kernel)
    known = deconvolve(case["blurred"], case["kernel"])
    return {"case": case["name"], "kernel_size": list(case["kernel"].shape),
            "psnr": aligned_psnr(restored, case["sharp"]),
            "psnr_known_kernel": aligned_psnr(known, case["sharp"]),
            "error_ratio": error_ratio(restored, known, case["sharp"]),
            "psnr_subpixel": aligned_psnr(restored, case["sharp"], subpixel=LEVIN_SUBPIXEL),
            "error_ratio_subpixel": error_ratio(restored, known, case["sharp"],
                                                subpixel=LEVIN_SUBPIXEL),
            "kernel_similarity": kernel_similarity(kernel, case["kernel"]), "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path,
                        help="the shared data folder (with bsd68/ and motion_kernels/)")
    parser.add_argument("--options", default="{}", help="JSON of estimate_kernel options")
    parser.add_argument("--oracle", action="store_true",
                        help="one kernel step from the true sharp image instead of the pyramid")
    parser.add_argument("--workers", type=int, default=2, help="processes (one thread each)")
    parser.add_argument("--noise", type=float, default=NOISE,
                        help="standard deviation of the Gaussian noise added to the blurred images")
    parser.add_argument("--jpeg", type=int, default=None, metavar="Q",
                        help="store the blurred images as JPEG of this quality (1-95)")
    parser.add_argument("--record", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    pin_threads(1)

    options = json.loads(args.options)
    if args.jpeg is not None:
        from proxdeblur.deblurring import source_kernel_options

        options = {**source_kernel_options("blurred.jpg"), **options}
    jobs = [(case, options, args.oracle) for case in cases(args.data, args.noise, args.jpeg)]
    with Pool(args.workers) as pool:
        rows = pool.map(run_case, jobs, chunksize=1)
    for r in rows:
        print(f"{r['case']:18s} {r['kernel_size'][0]:3d}  PSNR {r['psnr']:6.2f}  known "
              f"{r['psnr_known_kernel']:6.2f}  ER {r['error_ratio']:6.2f}  "
              f"k-sim {r['kernel_similarity']:.3f}  {r['seconds']:.2f} s")
    ratios = np.array([r["error_ratio"] for r in rows])
    summary = {
        "cases": len(rows), "options": options, "oracle": args.oracle, "noise": args.noise,
        "jpeg_quality": args.jpeg,
        "mean_psnr": float(np.mean([r["psnr"] for r in rows])),
        "mean_psnr_known_kernel": float(np.mean([r["psnr_known_kernel"] for r in rows])),
        "mean_error_ratio": float(ratios.mean()),
        "fraction_error_ratio_le_3": float(np.mean(ratios <= 3)),
        "max_error_ratio": float(ratios.max()),
        "mean_kernel_similarity": float(np.mean([r["kernel_similarity"] for r in rows])),
        "mean_psnr_subpixel": float(np.mean([r["psnr_subpixel"] for r in rows])),
        "mean_error_ratio_subpixel": float(np.mean([r["error_ratio_subpixel"] for r in rows])),
        "median_seconds_one_thread": float(np.median([r["seconds"] for r in rows])),
    }
    print_and_record(rows, summary, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
