"""Can the do-no-harm check's second kernel estimate be made cheaper by downscaling?

    python benchmarks/agreement_scale.py --data ../shared/data [--split tuning] [--workers 2]
        [--record FILE]

On ``realistic.py``'s cases (the tuning split by default): ``deblur`` as the command
line runs it, then the kernel estimated again on the same evidence by six variants —
the support ``AGREEMENT_MARGIN`` wider at full resolution (what ``--safeguard fallback``
does), the wider support at half and at a third of the resolution, the same support at
half, and the wider support at full resolution with fewer alternations (no settling at
the finest level; and 3 instead of 5 per level) — each compared
(:func:`~proxdeblur.metrics.kernel_similarity`) with the first kernel taken to the
variant's scale. Prints, per variant, the agreement range of the
restorations worse than their input and of the others, and the median seconds: a variant
is useful if the two ranges separate at a fraction of the full search's time.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from _report import print_and_record
from _timing import pin_threads
from realistic import SPLITS, cases

#: name -> (scale, wider support, options of the second estimate)
VARIANTS = {"wide_full": (1.0, True, {}), "wide_half": (0.5, True, {}),
            "same_half": (0.5, False, {}), "wide_third": (1 / 3, True, {}),
            "wide_unsettled": (1.0, True, {"settle_max_iter": 0}),
            "wide_brief": (1.0, True, {"settle_max_iter": 0, "max_iter": 3})}


def _odd(x: float) -> int:
    return max(3, int(math.ceil(x)) | 1)


def run_case(case) -> dict:
    import proxdeblur._fft as fft_threads
    from proxdeblur import deblur
    from proxdeblur.blind import JPEG_NOISE, estimate_kernel
    from proxdeblur.blind.pyramid import downscale, largest_support, resize_kernel
    from proxdeblur.metrics import aligned_psnr, kernel_similarity
    from proxdeblur.safeguard import AGREEMENT_MARGIN

    fft_threads._WORKERS = 1
    options = {"min_noise": JPEG_NOISE}
    restored, kernel, info = deblur(case["blurred"], case["support"], kernel_options=options,
                                    deconvolve_options={"min_noise": JPEG_NOISE}, warn=False)
    gain = (aligned_psnr(np.clip(restored, 0, 1), case["sharp"])
            - aligned_psnr(case["blurred"], case["sharp"]))
    evidence = case["blurred"] if info.region is None else case["blurred"][info.region]
    row = {"case": case["name"], "gain": gain, "first_seconds": info.kernel_seconds}
    for name, (scale, wider, settings) in VARIANTS.items():
        start = time.perf_counter()
        small = evidence if scale == 1 else downscale(evidence, scale)
        support = case["support"] + (AGREEMENT_MARGIN if wider else 0)
        second, _ = estimate_kernel(small, min(_odd(support * scale), largest_support(small.shape)),
                                    **options, **settings)
        seconds = time.perf_counter() - start
        first = kernel if scale == 1 else resize_kernel(
            kernel, (_odd(kernel.shape[0] * scale), _odd(kernel.shape[1] * scale)))
        row[name] = {"agreement": kernel_similarity(first, second), "seconds": seconds}
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", choices=tuple(SPLITS), default="tuning")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    pin_threads(1)
    with Pool(args.workers) as pool:
        rows = pool.map(run_case, cases(args.data, split=args.split), chunksize=1)
    summary = {"split": args.split,
               "median_first_seconds": float(np.median([r["first_seconds"] for r in rows]))}
    for name in VARIANTS:
        harmful = [r[name]["agreement"] for r in rows if r["gain"] < 0]
        good = [r[name]["agreement"] for r in rows if r["gain"] >= 0]
        summary[name] = {
            "harmful": [len(harmful), min(harmful, default=None), max(harmful, default=None)],
            "good": [len(good), min(good, default=None), max(good, default=None)],
            "median_seconds": float(np.median([r[name]["seconds"] for r in rows]))}
    print_and_record(rows, summary, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
