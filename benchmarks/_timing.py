"""Shared helpers of the benchmark scripts: thread pinning and median timing."""

from __future__ import annotations

import os
import statistics
import time


def pin_threads(threads: int) -> None:
    """Limit BLAS/OpenMP/numba threads (call before importing numpy or numba)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(threads)


def median_seconds(fn, repeat: int) -> tuple[float, list[float], object]:
    """Run ``fn`` ``repeat`` times; return the median seconds, all timings and the last output."""
    seconds, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), seconds, out
