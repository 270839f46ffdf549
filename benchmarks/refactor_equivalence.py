"""Same results, same speed: the library against an earlier copy of itself, in one run.

A change meant to restructure code, not to change results, must reproduce the
earlier restorations and must not be slower. This script imports the earlier
package under another name (a copy of its ``proxdeblur/`` folder renamed
``proxdeblur_old`` — every import inside the package is relative, so the copy is
self-contained) beside the current one, and on every image of Levin et al. 2009

* runs ``deblur`` (defaults, the manifest's kernel size) and ``deconvolve`` with
  the true kernel through both packages, alternating which goes first, and
  reports the largest absolute difference of restorations and kernels;
* times both blind pipelines ``--repeat`` times each (interleaved, so the
  machine's load falls on both alike) and reports the median ratio new/old;
* scores the current blind restorations (whole- and quarter-pixel aligned PSNR,
  error ratio), so the table numbers can be checked too.

Usage::

    git worktree add /tmp/old <commit> && mkdir /tmp/oldpkg && \\
        cp -r /tmp/old/proxdeblur /tmp/oldpkg/proxdeblur_old
    python benchmarks/refactor_equivalence.py --data ../shared/data/levin09 \\
        --old /tmp/oldpkg --repeat 3 [--limit N] [--out results.json]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def _load(old_path: Path):
    sys.path.insert(0, str(old_path))
    old = importlib.import_module("proxdeblur_old")
    import proxdeblur as new

    return old, new


def _blind(package, blurred, support):
    start = time.perf_counter()
    restored, kernel, _ = package.deblur(blurred, support, warn=False)
    return restored, kernel, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the levin09 folder")
    parser.add_argument("--old", type=Path, required=True,
                        help="folder holding the earlier package as proxdeblur_old/")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per package and image")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args(argv)
    old, new = _load(args.old)
    from proxdeblur import io
    from proxdeblur.metrics import LEVIN_SUBPIXEL, aligned_psnr, error_ratio

    entries = json.loads((args.data / "manifest.json").read_text())["entries"][: args.limit]
    first = io.read_image(args.data / entries[0]["blurred"])
    for package in (old, new):  # compile the numba kernels outside the timed runs
        package.deblur(first, tuple(entries[0]["kernel_size"]), warn=False)
    rows = []
    for index, entry in enumerate(entries):
        blurred = io.read_image(args.data / entry["blurred"])
        sharp = io.read_image(args.data / entry["sharp"])
        true_kernel = np.load(args.data / entry["kernel_aligned"])
        support = tuple(entry["kernel_size"])
        times = {"old": [], "new": []}
        results = {}
        for run in range(max(1, args.repeat)):
            order = ("old", "new") if (index + run) % 2 == 0 else ("new", "old")
            for name in order:
                package = old if name == "old" else new
                restored, kernel, seconds = _blind(package, blurred, support)
                times[name].append(seconds)
                results[name] = (restored, kernel)
        known_old = old.deconvolve(blurred, true_kernel)
        known_new = new.deconvolve(blurred, true_kernel)
        restored, kernel = results["new"]
        row = {
            "image": Path(entry["blurred"]).name,
            "restored_max_diff": float(np.max(np.abs(restored - results["old"][0]))),
            "kernel_max_diff": float(np.max(np.abs(kernel - results["old"][1]))),
            "known_kernel_max_diff": float(np.max(np.abs(known_new - known_old))),
            "seconds_old": statistics.median(times["old"]),
            "seconds_new": statistics.median(times["new"]),
            "psnr": aligned_psnr(restored, sharp),
            "psnr_subpixel": aligned_psnr(restored, sharp, subpixel=LEVIN_SUBPIXEL),
            "psnr_known_kernel": aligned_psnr(known_new, sharp),
            "error_ratio": error_ratio(restored, known_new, sharp),
            "error_ratio_subpixel": error_ratio(restored, known_new, sharp,
                                                subpixel=LEVIN_SUBPIXEL),
        }
        rows.append(row)
        print(f"{row['image']:<18} restored {row['restored_max_diff']:.1e} kernel "
              f"{row['kernel_max_diff']:.1e} known {row['known_kernel_max_diff']:.1e}  "
              f"{row['seconds_old']:.2f} s -> {row['seconds_new']:.2f} s", flush=True)

    def mean(key):
        return float(np.mean([r[key] for r in rows]))

    summary = {
        "images": len(rows),
        "max_restored_diff": max(r["restored_max_diff"] for r in rows),
        "max_kernel_diff": max(r["kernel_max_diff"] for r in rows),
        "max_known_kernel_diff": max(r["known_kernel_max_diff"] for r in rows),
        "median_seconds_old": statistics.median(r["seconds_old"] for r in rows),
        "median_seconds_new": statistics.median(r["seconds_new"] for r in rows),
        "median_ratio_new_old": statistics.median(r["seconds_new"] / r["seconds_old"]
                                                  for r in rows),
        "mean_psnr": mean("psnr"), "mean_psnr_subpixel": mean("psnr_subpixel"),
        "mean_psnr_known_kernel": mean("psnr_known_kernel"),
        "mean_error_ratio": mean("error_ratio"),
        "mean_error_ratio_subpixel": mean("error_ratio_subpixel"),
        "max_error_ratio_subpixel": max(r["error_ratio_subpixel"] for r in rows),
        "repeat": args.repeat,
    }
    print(json.dumps(summary, indent=1))
    if args.out is not None:
        args.out.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
