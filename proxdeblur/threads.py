"""How many threads one process's numerical work uses: :func:`set_threads`, :func:`limited_threads`.

Work that runs several pieces side by side (a worker of ``proxdeblur batch``
among others on one machine, the blocks of a chunked deconvolution) is fastest
with one thread per core in total, not one per core each: the FFTs, the numba
kernels and torch all default to every core.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["set_threads", "limited_threads"]


def _current() -> tuple[int, int, int | None]:
    import numba

    from . import _fft

    torch = sys.modules.get("torch")
    return _fft._WORKERS, numba.get_num_threads(), None if torch is None else torch.get_num_threads()


def set_threads(n: int) -> None:
    """Limit scipy's FFTs, numba's parallel loops (in this thread: numba's setting is
    per thread) and, when loaded, torch to ``n`` threads."""
    import numba

    from . import _fft

    n = max(1, int(n))
    _fft.set_workers(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


@contextlib.contextmanager
def limited_threads(n: int) -> Iterator[None]:
    """:func:`set_threads` for the duration of a ``with`` block; the settings before it
    are restored after."""
    import numba

    from . import _fft

    fft, numba_threads, torch_threads = _current()
    set_threads(n)
    try:
        yield
    finally:
        _fft.set_workers(fft)
        numba.set_num_threads(numba_threads)
        if torch_threads is not None and "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(torch_threads)
