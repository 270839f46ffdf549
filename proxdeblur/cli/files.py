"""One place where an invocation's files are checked, before any work starts.

Every output (an image, a kernel, a folder) is checked against every rule at
once — a supported suffix, a bit depth the format can hold, an existing folder
one can write to, not a folder itself, not an input, distinct from the other
outputs, and not an existing file unless ``--force`` — and every input exists
and is a file, so that nothing fails after minutes of work and each message
names the option the user typed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["Output", "check_inputs", "check_outputs", "output_bit_depth", "IMAGE", "KERNEL",
           "WEIGHTS", "FOLDER"]

IMAGE, KERNEL, WEIGHTS, FOLDER = "image", "kernel", "weights", "folder"


@dataclass(frozen=True)
class Output:
    """An output the invocation will write: the option that named it, its path, its kind."""

    option: str
    path: Path
    kind: str = IMAGE


def check_inputs(inputs: list[tuple[str, Path]]) -> None:
    """Each ``(option, path)`` input exists and is a file."""
    for option, path in inputs:
        if path.is_dir():
            raise InvalidArgumentError(option, "a file, not a folder", str(path))
        if not path.is_file():
            raise InvalidArgumentError(option, "an existing file", str(path))


def output_bit_depth(bit_depth: int | None, source: Path) -> int:
    """``--bit-depth`` when given, else the input's (16 for 16-bit files, else 8)."""
    from ..io import bit_depth as file_bit_depth

    return bit_depth or file_bit_depth(source)


def _writable_folder(option: str, path: Path) -> None:
    folder = path.parent
    if not folder.exists():
        raise InvalidArgumentError(option, "a path in an existing folder", str(path))
    if not folder.is_dir():
        raise InvalidArgumentError(option, f"a path in a folder ({folder} is a file)", str(path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidArgumentError(option, f"a path in a folder you can write to ({folder} is "
                                   "not writable)", str(path))


def _check_file(output: Output, depth: int | None, depth_given: bool) -> None:
    from ..io import IMAGE_SUFFIXES, KERNEL_WRITE_SUFFIXES, SIXTEEN_BIT_SUFFIXES

    option, path = output.option, output.path
    if path.is_dir():
        raise InvalidArgumentError(option, "a file name, not a folder", str(path))
    suffixes = {IMAGE: IMAGE_SUFFIXES, KERNEL: KERNEL_WRITE_SUFFIXES, WEIGHTS: (".pt",)}[
        output.kind]
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise InvalidArgumentError(option, f"a file name ending in one of {', '.join(suffixes)}",
                                   str(path))
    if output.kind == IMAGE and depth == 16 and suffix not in SIXTEEN_BIT_SUFFIXES:
        if depth_given:
            raise InvalidArgumentError("--bit-depth", f"8 for a {suffix} output (16 bits need "
                                       "PNG or TIFF)", 16)
        raise InvalidArgumentError(option, "a PNG or TIFF file for a 16-bit input (or pass "
                                   "--bit-depth 8)", str(path))
    _writable_folder(option, path)


def check_outputs(outputs: list[Output], inputs: list[Path], force: bool, *,
                  bit_depth: int | None = None, source: Path | None = None) -> int | None:
    """Check every output before any work (module docstring); return the bit depth the
    image outputs are to be written with.

    ``bit_depth`` is ``--bit-depth`` (None: the bit depth of ``source``, the input
    image, which image outputs keep).
    """
    depth = output_bit_depth(bit_depth, source) if source is not None else bit_depth
    seen: dict[Path, Output] = {}
    for output in outputs:
        path = output.path
        if output.kind == FOLDER:
            if path.exists() and not path.is_dir():
                raise InvalidArgumentError(output.option, "a folder (this is a file)", str(path))
            if path.is_dir() and not force and any(path.iterdir()):
                raise InvalidArgumentError(output.option, "a new or empty folder (or pass --force "
                                           "to write over what it holds)", str(path))
            existing = next(p for p in [path, *path.absolute().parents] if p.exists())
            if not os.access(existing, os.W_OK | os.X_OK):
                raise InvalidArgumentError(output.option, f"a folder you can write to "
                                           f"({existing} is not writable)", str(path))
        else:
            _check_file(output, depth, bit_depth is not None)
        resolved = path.resolve()
        for source_path in inputs:
            if source_path.exists() and (resolved == source_path.resolve() or (
                    path.exists() and path.samefile(source_path))):
                raise InvalidArgumentError(output.option, f"a path other than the input "
                                           f"{source_path}", str(path))
        if resolved in seen:
            raise InvalidArgumentError(output.option, f"a path other than "
                                       f"{seen[resolved].option}'s", str(path))
        seen[resolved] = output
        if output.kind != FOLDER and path.exists() and not force:
            raise InvalidArgumentError(output.option, "a path that does not exist yet (or pass "
                                       "--force)", str(path))
    return depth
