"""Cost of one HQS iteration with a circular blur against its FFT floor.

    python benchmarks/hqs_iteration.py [--size 1024] [--repeat 15] [--threads 2]

The image is scikit-image's ``camera`` resized to ``size × size`` (a natural image),
blurred by a 15×15 motion kernel with 1% noise. Every HQS iteration must at least
transform its right-hand side and back (one rfft2 and one irfft2 of the image): that
pair is the floor. The iteration (z-step shrinkage, u-step FFT solve) is timed at a
fixed ρ for the hyper-Laplacian (p = 0.8, exact ℓp shrinkage), TV (soft shrinkage) and
an elementwise ℓ1 prior (split z = u), with the history's objective bookkeeping
(``track_objective=True``, the default: one more blur and two penalty evaluations) and
without it (the iteration proper).

The timings are interleaved: ``--repeat`` rounds, each timing one FFT pair and then one
iteration of every configuration, so that the floor and the iterations see the same
state of the machine (caches, other processes); the ratios are of medians over the
rounds. The floor timed alone in a tight loop (hot caches) is reported as well.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from _timing import median_seconds, pin_threads


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    pin_threads(args.threads)

    import numpy as np
    from skimage import data
    from skimage.transform import resize

    from proxdeblur import L1, TV, Convolution, LpGradient
    from proxdeblur.kernels import motion_kernel
    from proxdeblur.operators import irfft2, rfft2
    from proxdeblur.solvers import hqs_iter

    rng = np.random.default_rng(0)
    image = resize(data.camera() / 255.0, (args.size, args.size), order=3)
    blur = Convolution(motion_kernel(15, seed=1), "circular")
    y = blur.forward(image) + 0.01 * rng.standard_normal(image.shape)

    def fft_pair():
        return irfft2(rfft2(y), y.shape)

    priors = [("hyper-laplacian p=0.8", LpGradient(3e-4, 0.8)), ("tv", TV(3e-4)),
              ("l1 (z = u)", L1(1e-3))]
    timings = {"fft_pair": []}
    runs = {}
    for name, prior in priors:
        for track in (False, True):
            label = (name, "with_objective" if track else "iteration_only")
            runs[label] = hqs_iter(blur, y, prior, rho=0.1, max_iter=args.repeat + 2,
                                   track_objective=track)
            next(runs[label])  # the starting point
            next(runs[label])  # the first iteration compiles the kernels
            timings[label] = []
    # interleaved rounds: the floor and every iteration see the same machine state
    for _ in range(args.repeat):
        for label, states in runs.items():
            timings["fft_pair"].append(median_seconds(fft_pair, 1)[0])
            before = time.perf_counter()
            next(states)
            timings[label].append(time.perf_counter() - before)
    isolated = median_seconds(fft_pair, 5 * args.repeat)[1]
    floor = statistics.median(timings["fft_pair"])
    report = {"size": args.size, "threads": args.threads, "repeat": args.repeat,
              "median_seconds_fft_pair": floor,
              "median_seconds_fft_pair_isolated": statistics.median(isolated),
              "priors": {}}
    for (name, label), seconds in ((k, v) for k, v in timings.items() if isinstance(k, tuple)):
        median = statistics.median(seconds)
        report["priors"].setdefault(name, {})[label] = {
            "median_seconds": median, "ratio_to_fft_floor": median / floor}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
