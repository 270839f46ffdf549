"""The Golf optimizer (issue 25) on the held-out synthetic set, and its N2 as a prior
gradient in non-blind deconvolution on Levin et al. 2009.

    python benchmarks/golf.py --data ../shared/data [--n1 golf_n1] [--n2 golf_n2]
        [--cases 32] [--max-steps 6] [--repeat 3] [--sections heldout,tuning,levin]
        [--lam 0.1 --iterations 12] [--record FILE]

* ``heldout`` — the restorer benchmark's held-out cases
  (``restorer_synthetic.cases``: BSD68 256² crops, kernels 7–35 px, σ = 0.01, 8-bit):
  PSNR/SSIM (aligned as the metrics module does) of N1 alone (t = 0), of
  ``N2^t(N1(y))`` for t = 1 … ``--max-steps``, of ``N2^t(y)`` (N2 alone, as stage n2
  trained it), of the bundled DMPHN and of the blurred input; seconds per 256² image
  (median over cases of the median of ``--repeat`` runs) of Golf at 3 steps, N1, DMPHN
  and the classical blind pipeline (``deblur``, support = the kernel's size), measured
  in the same run.
* ``tuning`` — the weight λ of the learned prior gradient in
  :func:`proxdeblur.solvers.prior_gradient_descent` (true kernel, RED's fixed-point
  method) and its iteration count (≤ 12), chosen together on the restorer benchmark's
  *tuning* set (the 8 train400 images the training held out, 144² crops) from a grid;
  ``--lam`` (with ``--iterations``) skips it.
* ``levin`` — the 32 Levin et al. 2009 images with their true (aligned) kernels: the
  gradient solver at the chosen λ against plug-and-play HQS (``deconvolve`` with the
  bundled ``dncnn`` and ``dncnn+drunet``), PSNR with Levin's quarter-pixel shift search
  and the whole-pixel figure beside it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
from _report import print_and_record
from _timing import median_seconds
from restorer_synthetic import HELD_OUT, TUNING, cases

SECTIONS = ("heldout", "tuning", "levin")
#: The λ grid of the tuning section.
LAM_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)
#: Fixed-point iterations scored on the tuning set (the best count is chosen with λ).
GRADIENT_ITERATIONS = 12


def _networks(n1: str, n2: str):
    from proxdeblur.priors.zoo import load_prior
    from proxdeblur.solvers.golf import GolfRestorer

    first = load_prior(n1, "restorer")
    corrector = load_prior(n2, "gradient")
    alone = load_prior(n2, "restorer")
    return first, corrector, alone, GolfRestorer


def heldout(args, rows_out: list) -> dict:
    import proxdeblur as pd
    from proxdeblur.metrics import aligned_psnr, aligned_ssim
    from proxdeblur.restoration import get_restorer
    from proxdeblur.solvers import golf_iter

    n1, n2, n2_alone, GolfRestorer = _networks(args.n1, args.n2)
    dmphn = get_restorer("dmphn")
    steps = args.max_steps
    for case in cases(args.data, args.cases, HELD_OUT):
        y, x = case["blurred"], case["sharp"]
        row = {"case": case["name"], "psnr_blurred": aligned_psnr(y, x)}
        for state in golf_iter(y, n1, n2, steps=steps):  # every iterate, scored
            row[f"psnr_t{state.iteration}"] = aligned_psnr(state.x, x)
            row[f"ssim_t{state.iteration}"] = aligned_ssim(state.x, x)
        z = y
        for t in range(1, steps + 1):
            z = n2_alone.restore(z)
            row[f"psnr_n2_t{t}"] = aligned_psnr(z, x)
        restored = pd.restore(y, dmphn)
        row["psnr_dmphn"], row["ssim_dmphn"] = aligned_psnr(restored, x), aligned_ssim(restored, x)
        timed = {"golf3": GolfRestorer(n1, n2, 3).restore, "n1": n1.restore,
                 "dmphn": dmphn.restore}
        for name, run in timed.items():
            row[f"seconds_{name}"] = median_seconds(lambda run=run, y=y: run(y), args.repeat)[0]
        side = case["kernel"].shape[0]
        row["seconds_deblur"] = median_seconds(
            lambda y=y, side=side: pd.deblur(y, side, warn=False), 1)[0]
        rows_out.append(row)
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else str(v)
                       for k, v in row.items() if k.startswith(("case", "psnr_t", "psnr_d",
                                                                "psnr_b"))), flush=True)
    mean = {key: statistics.fmean(r[key] for r in rows_out)
            for key in rows_out[0] if key.startswith(("psnr", "ssim"))}
    median = {key: statistics.median(r[key] for r in rows_out)
              for key in rows_out[0] if key.startswith("seconds")}
    curve = [mean[f"psnr_t{t}"] for t in range(steps + 1)]
    best = int(np.argmax(curve))
    return {"cases": len(rows_out), "mean": mean, "median_seconds": median,
            "psnr_by_step": curve, "best_step": best,
            "gain_best_over_n1": curve[best] - curve[0],
            "gain_3_over_n1": curve[min(3, steps)] - curve[0],
            "gain_n1_over_dmphn": curve[0] - mean["psnr_dmphn"]}


def _gradient_iterates(y, kernel, prior, lam, iterations):
    """The fixed-point iterates 1 … ``iterations``, each cropped to the observed frame."""
    from proxdeblur.operators import Convolution
    from proxdeblur.solvers import prior_gradient_descent_iter
    from proxdeblur.solvers.result import centre_crop

    states = prior_gradient_descent_iter(Convolution(kernel, "valid"), y, prior, lam,
                                         method="fixed-point", max_iter=iterations)
    return [centre_crop(state.x, y.shape) for state in states][1:]


def tuning(args) -> dict:
    from proxdeblur.metrics import aligned_psnr

    _, prior, _, _ = _networks(args.n1, args.n2)
    tuning_cases = cases(args.data, 8, TUNING)
    curves = {}
    for lam in LAM_GRID:
        scores = [[aligned_psnr(z, c["sharp"]) for z in
                   _gradient_iterates(c["blurred"], c["kernel"], prior, lam, GRADIENT_ITERATIONS)]
                  for c in tuning_cases]
        curves[lam] = np.mean(scores, axis=0).tolist()
        print(f"lam={lam}: tuning PSNR by iteration {np.round(curves[lam], 2).tolist()}",
              flush=True)
    lam, iterations = max(((lam, i + 1) for lam in curves for i in range(len(curves[lam]))),
                          key=lambda pair: curves[pair[0]][pair[1] - 1])
    return {"curves": {str(k): v for k, v in curves.items()}, "lam": lam,
            "iterations": iterations, "tuning_psnr": curves[lam][iterations - 1]}


def levin(args, lam: float, iterations: int, rows_out: list) -> dict:
    import json

    from proxdeblur import deconvolve, io
    from proxdeblur.metrics import LEVIN_SUBPIXEL, aligned_psnr

    _, prior, _, _ = _networks(args.n1, args.n2)
    folder = args.data / "levin09"
    manifest = json.loads((folder / "manifest.json").read_text())["entries"]
    methods = {
        "gradient": lambda y, k: _gradient_iterates(y, k, prior, lam, iterations)[-1],
        "pnp_dncnn": lambda y, k: deconvolve(y, k, prior="dncnn"),
        "pnp_dncnn+drunet": lambda y, k: deconvolve(y, k, prior="dncnn+drunet"),
    }
    for entry in manifest:
        y = io.read_image(folder / entry["blurred"])
        x = io.read_image(folder / entry["sharp"])
        k = np.load(folder / entry["kernel_aligned"])
        row = {"image": entry["blurred"]}
        for name, run in methods.items():
            seconds, _, out = median_seconds(lambda run=run, y=y, k=k: run(y, k), 1)
            row[f"psnr_{name}"] = aligned_psnr(out, x, subpixel=LEVIN_SUBPIXEL)
            row[f"psnr_whole_{name}"] = aligned_psnr(out, x)
            row[f"seconds_{name}"] = seconds
        rows_out.append(row)
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else str(v)
                       for k, v in row.items() if "seconds" not in k), flush=True)
    return {"images": len(rows_out), "lam": lam, "iterations": iterations,
            **{f"mean_{key}": statistics.fmean(r[key] for r in rows_out)
               for key in rows_out[0] if key.startswith("psnr")},
            **{f"median_{key}": statistics.median(r[key] for r in rows_out)
               for key in rows_out[0] if key.startswith("seconds")}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--n1", default="golf_n1", help="bundled name or weights file of N1")
    parser.add_argument("--n2", default="golf_n2", help="bundled name or weights file of N2")
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--lam", type=float, default=None,
                        help="λ of the prior-gradient solver (skips the tuning section)")
    parser.add_argument("--iterations", type=int, default=GRADIENT_ITERATIONS,
                        help="its fixed-point iterations with --lam")
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    sections = args.sections.split(",")
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: unknown {sorted(unknown)} (known: {', '.join(SECTIONS)})")
    import torch

    torch.set_num_threads(2)
    summary, rows = {"n1": args.n1, "n2": args.n2}, []
    if "heldout" in sections:
        held_rows: list = []
        summary["heldout"] = heldout(args, held_rows)
        rows += held_rows
    lam, iterations = args.lam, args.iterations
    if lam is None and ("tuning" in sections or "levin" in sections):
        summary["tuning"] = tuning(args)
        lam, iterations = summary["tuning"]["lam"], summary["tuning"]["iterations"]
    if "levin" in sections:
        levin_rows: list = []
        summary["levin"] = levin(args, lam, iterations, levin_rows)
        rows += levin_rows
    print_and_record(rows, summary, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
