"""Speed of the numba ℓp prox against the plain-numpy GISA reference.

    python benchmarks/shrinkage_speed.py [--size 2048] [--repeat 5] [--p 0.8] [--lam 0.01]
        [--scale 0.1] [--threads 2]

Both run on the same ``size × size`` array of Gaussian values (standard deviation
``scale``, seed 0) with the same λ and p, in this process. Prints the median seconds of
each over ``--repeat`` runs, their ratio, and the largest absolute difference of the
two results (they solve the same scalar equation: GISA's fixed point in numpy, Newton in
numba). ``--threads`` sets numba's thread count (numpy is single-threaded here).
"""

from __future__ import annotations

import argparse
import json
import sys

from _timing import median_seconds, pin_threads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--p", type=float, default=0.8)
    parser.add_argument("--lam", type=float, default=0.01)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np

    from proxdeblur import shrinkage

    x = np.random.default_rng(0).standard_normal((args.size, args.size)) * args.scale
    shrinkage.prox_lp(x[:8, :8], args.lam, args.p)  # compile outside the timing
    t_numba, _, fast = median_seconds(lambda: shrinkage.prox_lp(x, args.lam, args.p), args.repeat)
    t_numpy, _, slow = median_seconds(lambda: shrinkage.prox_lp_reference(x, args.lam, args.p),
                                      args.repeat)
    report = {
        "size": args.size, "p": args.p, "lam": args.lam, "scale": args.scale,
        "threads": args.threads, "repeat": args.repeat,
        "nonzero_fraction": float(np.mean(fast != 0)),
        "median_seconds_numba": t_numba, "median_seconds_numpy": t_numpy,
        "speedup": t_numpy / t_numba,
        "max_abs_difference": float(np.max(np.abs(fast - slow))),
        "identical_zero_pattern": bool(np.array_equal(fast == 0, slow == 0)),
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
