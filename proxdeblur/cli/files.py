"""What the commands check of their files before any work, and the bit depth they keep."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError

__all__ = ["check_output", "input_bit_depth"]


def check_output(out: Path, inputs: list[Path], force: bool, option: str = "--output") -> None:
    """Refuse to write over an input, or over an existing file without --force."""
    out_resolved = out.resolve()
    for path in inputs:
        if path.exists() and (out_resolved == path.resolve() or (
                out.exists() and out.samefile(path))):
            raise InvalidArgumentError(option, f"a path other than the input {path}", str(out))
    if out.exists() and not force:
        raise InvalidArgumentError(option, "a path that does not exist yet (or pass --force)",
                                   str(out))
    if not out.parent.exists():
        raise InvalidArgumentError(option, "a path in an existing folder", str(out))


def input_bit_depth(path: Path) -> int:
    """16 for an image file of 16-bit (or wider) integers, else 8."""
    import imageio.v3 as iio

    try:
        dtype = iio.improps(path).dtype
    except Exception:  # the reader reports unreadable files itself
        return 8
    return 16 if np.dtype(dtype).itemsize >= 2 and np.issubdtype(dtype, np.integer) else 8
