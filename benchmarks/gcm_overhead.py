"""GCM's overhead over plain proximal gradient, per iteration, generator excluded.

Both solve ``½‖k ∗ u − y‖² + λ‖u‖_p^p`` (p = 0.8, λ = 1e-3, exact ℓp prox) on the
gradient-domain-like sparse image ``camera``'s horizontal differences, blurred
circularly by a 15×15 motion kernel, 1% noise, ``--size`` pixels a side. GCM
runs with the identity as generator (its cost is then only the warm start and
the monotone check); its warm start, which the paper counts as the generator's
first layer, is timed separately and reported both ways. Each time is the
median of ``--repeat`` runs of ``--iterations`` iterations, in this process.

    python benchmarks/gcm_overhead.py [--size 512] [--iterations 20] [--repeat 7] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _timing import median_seconds, pin_threads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np
    from skimage import data
    from skimage.transform import resize

    import proxdeblur._fft as fft_threads
    from proxdeblur import Convolution, Lp, io
    from proxdeblur.kernels import motion_kernel
    from proxdeblur.solvers import gcm, proximal_gradient

    fft_threads._WORKERS = args.threads
    image = resize(data.camera() / 255.0, (args.size, args.size), anti_aliasing=True)
    sharp = np.roll(image, -1, axis=1) - image
    operator = Convolution(motion_kernel(15, seed=3), "circular")
    y = operator.forward(sharp) + 0.01 * np.random.default_rng(0).standard_normal(sharp.shape)
    prior = Lp(1e-3, 0.8)
    n = args.iterations
    options = {"max_iter": n, "tol": 0.0}
    proximal_gradient(operator, y, prior, max_iter=2)  # compile the numba kernels

    def per_iteration(fn):
        median, _, _ = median_seconds(fn, args.repeat)
        return median / n

    t_pg = per_iteration(lambda: proximal_gradient(operator, y, prior, **options))
    t_gcm = per_iteration(lambda: gcm(operator, y, prior, lambda u: u, gamma=1.0, **options))
    aty = operator.adjoint(y)
    t_warm = per_iteration(lambda: [operator.solve_normal(aty + 2.0 * y, 2.0) for _ in range(n)])
    summary = {
        "size": args.size, "iterations": n, "repeat": args.repeat, "threads": args.threads,
        "ms_per_iteration_proximal_gradient": 1e3 * t_pg,
        "ms_per_iteration_gcm": 1e3 * t_gcm,
        "ms_warm_start": 1e3 * t_warm,
        "overhead_without_warm_start": (t_gcm - t_warm) / t_pg - 1.0,
        "overhead_with_warm_start": t_gcm / t_pg - 1.0,
    }
    print(json.dumps(summary, indent=1))
    if args.out:
        io.write_json_atomic(args.out, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
