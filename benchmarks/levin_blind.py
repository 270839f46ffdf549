"""Blind deblurring on Levin et al. 2009: the benchmark of ``proxdeblur bench levin``,
with threads pinned and per-image timings as the median of repeated runs.

    python benchmarks/levin_blind.py --data ../shared/data/levin09 --out /tmp/levin_blind
        [--repeat 3] [--threads 1] [--limit N] [--image-step l0] [--options '{"lam": 5e-4}']

Writes the restored images, kernels, known-kernel restorations and
``results.json`` under ``--out`` (see :mod:`proxdeblur.bench`) and prints the
table; ``--record FILE`` also copies the summary and rows to FILE.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _timing import pin_threads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the levin09 folder")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image (median)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--image-step", default="l0")
    parser.add_argument("--options", default="{}", help="JSON of estimate_kernel options")
    parser.add_argument("--record", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import proxdeblur.operators as ops
    from proxdeblur import io
    from proxdeblur.bench import format_table, run_levin

    ops._WORKERS = args.threads
    result = run_levin(args.data, args.out, limit=args.limit, image_step=args.image_step,
                       kernel_options=json.loads(args.options), repeat=args.repeat)
    result["summary"]["threads"] = args.threads
    print(format_table(result))
    print(json.dumps(result["summary"], indent=1))
    if args.record:
        io.write_json_atomic(args.record, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
