"""The PnP weight λ checked away from Levin: BSD68 crops under synthetic "valid" blur.

    python benchmarks/pnp_weight.py --data ../shared/data [--lams 0.23,0.35,0.45,0.7]
        [--images 8] [--noise 0.002] [--threads 1] [--denoisers dncnn,drunet]

Takes the centre 256×256 of the first ``--images`` BSD68 images (gray), blurs each
by one of four 25×25 kernels of KAIR's set (``motion_kernels/normalized``) with
the "valid" model and adds Gaussian noise; reports the mean PSNR (15-px border
cropped) of ``deconvolve`` with the hyper-Laplacian and with each bundled
denoiser of ``--denoisers`` at each λ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from _timing import pin_threads


def cases(data: Path, count: int, noise: float):
    from proxdeblur import Convolution, io

    rng = np.random.default_rng(0)
    kernels = [np.load(data / "motion_kernels/normalized" / f"kair_kernels12_{i:02d}.npy")
               for i in (1, 4, 7, 10)]
    for index, path in enumerate(sorted((data / "bsd68").glob("*.png"))[:count]):
        image = io.read_image(path)
        image = image.mean(axis=2) if image.ndim == 3 else image
        h, w = image.shape
        sharp = image[h // 2 - 128: h // 2 + 128, w // 2 - 128: w // 2 + 128]
        kernel = kernels[index % len(kernels)]
        blurred = Convolution(kernel, "valid").forward(sharp)
        blurred = blurred + noise * rng.standard_normal(blurred.shape)
        top, left = kernel.shape[0] // 2, kernel.shape[1] // 2
        yield blurred, kernel, sharp[top: top + blurred.shape[0], left: left + blurred.shape[1]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path,
                        help="the shared data folder (with bsd68/ and motion_kernels/)")
    parser.add_argument("--lams", default="0.23,0.35,0.45,0.7",
                        help="PnP weights to try (0.45 is deconvolve's default)")
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--noise", type=float, default=0.002)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--denoisers", default="dncnn", help="bundled denoisers to compare")
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    from proxdeblur import deconvolve
    from proxdeblur.metrics import psnr

    data = list(cases(args.data, args.images, args.noise))
    configs = [("hyper-laplacian", {})] + [
        (f"{name} lam={lam}", {"prior": name, "lam": float(lam)})
        for name in args.denoisers.split(",") for lam in args.lams.split(",")]
    report = {}
    for name, options in configs:
        scores = [psnr(np.clip(deconvolve(y, k, **options), 0, 1)[15:-15, 15:-15],
                       truth[15:-15, 15:-15]) for y, k, truth in data]
        report[name] = float(np.mean(scores))
        print(f"{name:<20} {report[name]:.2f} dB", flush=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
