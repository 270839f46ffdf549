"""Non-blind deconvolution on Levin et al. 2009 with the true (aligned) kernels.

Runs :func:`proxdeblur.deconvolve` with its default parameters and
scikit-image's Richardson–Lucy (50 iterations; as called plainly, and on the
image extended by edge replication then cropped) in the same process on the 32
blurred images, scores both with the aligned protocol of
:mod:`proxdeblur.metrics`, and prints a table with means and median seconds.

    python benchmarks/levin_nonblind.py --data ../shared/data/levin09 [--out results.json]
        [--repeat 3] [--prior hyper-laplacian|dncnn|drunet|dncnn+drunet] [--lam 3e-4] [--threads 1]
        [--precision fp32|bf16|auto] [--ensemble 1|2|4|8] [--cycle on|off]

``--threads 1`` (default) pins FFT, BLAS and numba to one core, the protocol
of the issue's reference numbers. Timing: per image, the median of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from _timing import median_seconds, pin_threads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the levin09 folder")
    parser.add_argument("--out", type=Path, help="write the per-image table as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image (median)")
    parser.add_argument("--prior", default="hyper-laplacian")
    parser.add_argument("--lam", type=float, default=None)
    parser.add_argument("--p", type=float, default=0.8)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-baseline", action="store_true", help="do not run Richardson–Lucy")
    parser.add_argument("--precision", choices=["fp32", "bf16", "auto"], default=None,
                        help="network arithmetic of a learned prior (dncnn, drunet; default: "
                        "deconvolve's)")
    parser.add_argument("--ensemble", type=int, choices=[1, 2, 4, 8], default=None,
                        help="self-ensemble of a learned prior (default: deconvolve's)")
    parser.add_argument("--cycle", choices=["on", "off"], default=None,
                        help="cycle the ensemble's symmetries over the iterations (default: "
                        "deconvolve's)")
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np
    from skimage.restoration import richardson_lucy

    import proxdeblur._fft as fft_threads
    from proxdeblur import deconvolve, io
    from proxdeblur.metrics import aligned_psnr, aligned_ssim

    fft_threads._WORKERS = args.threads

    def richardson_lucy_edge(y, k):
        """Richardson–Lucy on the image extended by edge replication, cropped back
        (a stronger baseline than the plain call, which assumes zeros beyond the frame)."""
        ph, pw = k.shape[0] // 2, k.shape[1] // 2
        padded = np.pad(y, ((ph, ph), (pw, pw)), mode="edge")
        return richardson_lucy(padded, k, num_iter=50, clip=False)[ph:-ph, pw:-pw]
    manifest = json.loads((args.data / "manifest.json").read_text())["entries"]
    options = {"prior": args.prior, "lam": args.lam, "p": args.p}
    from proxdeblur.deconvolution import DENOISER_NAMES

    if args.prior in DENOISER_NAMES:
        import torch

        from proxdeblur.deconvolution import pnp_denoiser

        torch.set_num_threads(args.threads)
        cycle = None if args.cycle is None else args.cycle == "on"
        options = {"prior": pnp_denoiser(args.prior, precision=args.precision,
                                         ensemble=args.ensemble, cycle=cycle), "lam": args.lam}
    if args.iterations:
        options["max_iter"] = args.iterations

    def timed(fn):
        median, _, out = median_seconds(fn, args.repeat)
        return out, median

    # compile the numba kernels outside the timed runs
    deconvolve(np.full((32, 32), 0.5), np.ones((3, 3)) / 9, **options)
    rows = []
    for entry in manifest:
        y = io.read_image(args.data / entry["blurred"])
        x = io.read_image(args.data / entry["sharp"])
        k = np.load(args.data / entry["kernel_aligned"])
        ours, t_ours = timed(lambda y=y, k=k: deconvolve(y, k, **options))
        row = {"image": entry["blurred"], "psnr": aligned_psnr(ours, x),
               "ssim": aligned_ssim(ours, x), "seconds": t_ours,
               "psnr_blurred": aligned_psnr(y, x)}
        if not args.skip_baseline:
            rl, t_rl = timed(lambda y=y, k=k: richardson_lucy(y, k, num_iter=50, clip=False))
            row.update(psnr_rl=aligned_psnr(rl, x), ssim_rl=aligned_ssim(rl, x), seconds_rl=t_rl)
            rl_edge, t_rl_edge = timed(lambda y=y, k=k: richardson_lucy_edge(y, k))
            row.update(psnr_rl_edge=aligned_psnr(rl_edge, x), ssim_rl_edge=aligned_ssim(rl_edge, x),
                       seconds_rl_edge=t_rl_edge)
        rows.append(row)
        print(" ".join(f"{key}={value:.4g}" if isinstance(value, float) else str(value)
                       for key, value in row.items()), flush=True)

    def mean(key):
        return statistics.fmean(r[key] for r in rows)

    described = {key: value if isinstance(value, (int, float, str, type(None))) else repr(value)
                 for key, value in options.items()}
    summary = {"images": len(rows), "options": described,
               "threads": args.threads,
               "mean_psnr": mean("psnr"), "mean_ssim": mean("ssim"),
               "median_seconds": statistics.median(r["seconds"] for r in rows),
               "mean_psnr_blurred": mean("psnr_blurred")}
    if not args.skip_baseline:
        summary.update(mean_psnr_rl=mean("psnr_rl"), mean_ssim_rl=mean("ssim_rl"),
                       median_seconds_rl=statistics.median(r["seconds_rl"] for r in rows),
                       mean_psnr_rl_edge=mean("psnr_rl_edge"), mean_ssim_rl_edge=mean("ssim_rl_edge"),
                       median_seconds_rl_edge=statistics.median(r["seconds_rl_edge"] for r in rows))
        summary["speed_ratio_rl_over_ours"] = summary["median_seconds_rl"] / summary[
            "median_seconds"]
    print(json.dumps(summary, indent=1))
    if args.out:
        io.write_json_atomic(args.out, {"summary": summary, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
