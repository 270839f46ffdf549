"""Reading and writing images and kernels; every write is atomic.

Images are returned as float64 arrays in [0, 1]: 8-bit data are divided by
255, 16-bit by 65535, float data are kept. Gray files give ``(H, W)``, colour
files ``(H, W, 3)``; an alpha channel is dropped. Writes go to a temporary
file in the destination folder that is then renamed over the target, so a
crash never leaves a half-written file, and an existing file is replaced only
by a complete one. The file gets the mode a new file gets (``0o666`` less the
umask), or the mode of the file it replaces.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import png
import scipy.io

from ._validation import UNIT_RANGE, as_image, as_kernel
from .errors import ImageFileError, InvalidArgumentError

__all__ = [
    "read_image",
    "write_image",
    "read_kernel",
    "write_kernel",
    "write_json_atomic",
    "atomic_path",
    "bit_depth",
    "IMAGE_SUFFIXES",
    "KERNEL_SUFFIXES",
    "SIXTEEN_BIT_SUFFIXES",
    "KERNEL_WRITE_SUFFIXES",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
KERNEL_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".npy", ".mat", ".txt", ".csv")
#: What :func:`write_kernel` writes: exact numbers, or an image scaled for viewing.
KERNEL_WRITE_SUFFIXES = (".npy", ".txt", ".csv", ".mat", *IMAGE_SUFFIXES)
#: Image formats that hold 16 bits per channel.
SIXTEEN_BIT_SUFFIXES = (".png", ".tif", ".tiff")


def _new_file_mode(path: Path) -> int:
    """The mode ``path`` should get: that of the file it replaces, else 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_path(path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``."""
    path = Path(path)
    if not path.parent.exists():
        raise InvalidArgumentError("output", "a path in an existing folder", str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix or path.suffix,
                                   dir=path.parent)
    except OSError as exc:  # name the file the user asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, _new_file_mode(path))  # mkstemp's 0600 is for the temporary file only
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename).name == tmp_path.name:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_json_atomic(path, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, default=float))


def _to_float(array: np.ndarray, path: Path, dtype=np.float64) -> np.ndarray:
    if array.dtype == np.uint8:
        out = np.divide(array, 255.0, dtype=dtype)
    elif array.dtype == np.uint16:
        out = np.divide(array, 65535.0, dtype=dtype)
    elif array.dtype == bool:
        out = array.astype(dtype)
    elif np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        out = np.divide(array.astype(np.float64), info.max, dtype=dtype)
    elif np.issubdtype(array.dtype, np.floating):
        out = array.astype(dtype)
    else:
        raise ImageFileError(f"{path}: unsupported pixel type {array.dtype}")
    if out.ndim == 3 and out.shape[2] in (2, 4):  # gray+alpha or RGBA: drop alpha
        out = out[..., :-1]
    if out.ndim == 3 and out.shape[2] == 1:
        out = out[..., 0]
    return out


def _read_png16_colour(path: Path) -> np.ndarray | None:
    """16-bit colour PNGs through pypng (Pillow reduces them to 8 bits); None otherwise."""
    try:
        width, height, rows, info = png.Reader(filename=str(path)).asDirect()
    except png.Error:
        return None
    if info["bitdepth"] <= 8 or info["greyscale"]:
        return None
    planes = info["planes"]
    return np.vstack([np.asarray(row, dtype=np.uint16) for row in rows]).reshape(
        height, width, planes)


def _existing_file(path) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ImageFileError(f"{path}: a folder, not a file")
    if not path.is_file():
        raise ImageFileError(f"{path}: no such file")
    return path


def bit_depth(path) -> int:
    """16 for an image file of 16-bit (or wider) integer samples, else 8 (also for
    files it cannot read: their reader reports them)."""
    path = Path(path)
    if path.suffix.lower() == ".png":  # Pillow reports a 16-bit colour PNG as 8-bit
        try:
            return 16 if png.Reader(filename=str(path)).asDirect()[3]["bitdepth"] > 8 else 8
        except (png.Error, OSError):
            return 8
    try:
        dtype = np.dtype(iio.improps(path).dtype)
    except Exception:  # noqa: BLE001 - any reader error: the reader reports it itself
        return 8
    return 16 if dtype.itemsize >= 2 and np.issubdtype(dtype, np.integer) else 8


def read_image(path, dtype=np.float64) -> np.ndarray:
    """Read a PNG, JPEG, TIFF or BMP image as float64 (or ``dtype``: float32 halves the
    memory of a large photograph) in [0, 1] (see module doc)."""
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise InvalidArgumentError("dtype", "float32 or float64", dtype)
    path = _existing_file(path)
    try:
        array = _read_png16_colour(path) if path.suffix.lower() == ".png" else None
        if array is None:
            array = np.asarray(iio.imread(path))
    except Exception as exc:  # imageio raises many types for bad files
        raise ImageFileError(f"{path}: not a readable image ({exc.__class__.__name__})") from exc
    if array.ndim not in (2, 3) or array.size == 0:
        raise ImageFileError(f"{path}: expected a 2-D gray or colour image, got shape "
                             f"{array.shape}")
    image = _to_float(array, path, dtype)
    if not np.all(np.isfinite(image)):
        raise ImageFileError(f"{path}: contains NaN or Inf pixels")
    low, high = float(image.min()), float(image.max())
    if low < UNIT_RANGE[0] or high > UNIT_RANGE[1]:  # only float files can be off scale
        raise ImageFileError(f"{path}: float pixels from {low:.4g} to {high:.4g}, not on the "
                             "[0, 1] scale of float images (8-bit data saved as float? divide "
                             "by 255)")
    return image


#: Values quantized per block by :func:`_quantize` (bounds its float temporaries).
QUANTIZE_BLOCK = 1 << 22


def _quantize(image: np.ndarray, peak: int, dtype) -> np.ndarray:
    """``round(clip(image, 0, 1) · peak)`` as ``dtype``, a block of rows at a time, so that
    a 12 MP colour photograph needs no full-size float temporaries (it would need three)."""
    out = np.empty(image.shape, dtype)
    rows = max(1, QUANTIZE_BLOCK // max(1, image[0].size))
    for start in range(0, image.shape[0], rows):
        block = np.clip(image[start:start + rows], 0, 1) * peak
        out[start:start + rows] = np.rint(block, out=block)
    return out


def write_image(path, image, bit_depth: int = 8) -> None:
    """Write ``image`` (values clipped to [0, 1]; integer arrays by their range, floats
    off the [0, 1] scale refused, see :func:`~proxdeblur._validation.as_image`) as an
    8- or 16-bit file, atomically.

    The format follows the suffix; 16-bit needs PNG or TIFF.
    """
    path = Path(path)
    image = as_image(image, "image", min_side=1, unit=True)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise InvalidArgumentError("path", f"a file name ending in one of {IMAGE_SUFFIXES}",
                                   path.name)
    if bit_depth not in (8, 16):
        raise InvalidArgumentError("bit_depth", "8 or 16", bit_depth)
    if bit_depth == 16 and path.suffix.lower() not in (".png", ".tif", ".tiff"):
        raise InvalidArgumentError("bit_depth", "8 for JPEG/BMP files (16 needs PNG or TIFF)", 16)
    if image.ndim == 3 and image.shape[2] not in (1, 3):
        raise InvalidArgumentError("image", "1 or 3 channels", image.shape)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    peak = 255 if bit_depth == 8 else 65535
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    data = _quantize(image, peak, dtype)
    with atomic_path(path) as tmp:
        if bit_depth == 16 and data.ndim == 3 and path.suffix.lower() == ".png":
            writer = png.Writer(data.shape[1], data.shape[0], greyscale=False, bitdepth=16)
            with open(tmp, "wb") as fh:
                writer.write(fh, data.reshape(data.shape[0], -1))
        else:
            iio.imwrite(tmp, data, extension=path.suffix.lower())


def _kernel_from_mat(path: Path, variable: str | None) -> np.ndarray:
    try:
        contents = scipy.io.loadmat(path)
    except Exception as exc:
        raise ImageFileError(f"{path}: not a readable MATLAB file ({exc})") from exc
    arrays = {k: v for k, v in contents.items()
              if not k.startswith("__") and isinstance(v, np.ndarray) and v.ndim == 2
              and np.issubdtype(v.dtype, np.number)}
    if variable is not None:
        if variable not in arrays:
            raise ImageFileError(f"{path}: no 2-D numeric variable {variable!r} "
                                 f"(found {sorted(arrays)})")
        return arrays[variable]
    if len(arrays) != 1:
        raise ImageFileError(f"{path}: expected exactly one 2-D numeric variable, found "
                             f"{sorted(arrays)}; name one (variable=... in Python, "
                             f"--kernel-variable on the command line)")
    return next(iter(arrays.values()))


def read_kernel(path, variable: str | None = None) -> np.ndarray:
    """Read a blur kernel and return it validated and normalized to sum to 1.

    ``.npy``, ``.txt``/``.csv`` (whitespace or comma separated), ``.mat``
    (the only 2-D numeric variable, or ``variable``), or an image file (a
    colour image is averaged over channels). The kernel must be 2-D,
    odd-sized, finite and non-negative with a positive sum.
    """
    path = _existing_file(path)
    suffix = path.suffix.lower()
    if suffix not in KERNEL_SUFFIXES:
        raise ImageFileError(f"{path}: unknown kernel format (expected one of {KERNEL_SUFFIXES})")
    try:
        if suffix == ".npy":
            kernel = np.load(path, allow_pickle=False)
        elif suffix in (".txt", ".csv"):
            text = path.read_text().replace(",", " ")
            kernel = np.loadtxt(text.splitlines(), ndmin=2)
        elif suffix == ".mat":
            kernel = _kernel_from_mat(path, variable)
        else:
            kernel = read_image(path)
            if kernel.ndim == 3:
                kernel = kernel.mean(axis=2)
    except ImageFileError:
        raise
    except Exception as exc:
        raise ImageFileError(f"{path}: not a readable kernel ({exc.__class__.__name__}: {exc})") \
            from exc
    try:
        return as_kernel(kernel, "kernel", normalize=True)
    except InvalidArgumentError as exc:
        raise ImageFileError(f"{path}: {exc}") from exc


def write_kernel(path, kernel) -> None:
    """Write a kernel atomically: ``.npy``/``.txt``/``.mat`` exactly, an image
    file scaled so that its maximum is white (for viewing)."""
    path = Path(path)
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.size == 0 or not np.all(np.isfinite(kernel)):
        raise InvalidArgumentError("kernel", "a finite non-empty 2-D array", kernel.shape)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, kernel)
    elif suffix in (".txt", ".csv"):
        with atomic_path(path) as tmp:
            np.savetxt(tmp, kernel, delimiter="," if suffix == ".csv" else " ")
    elif suffix == ".mat":
        with atomic_path(path) as tmp:
            scipy.io.savemat(tmp, {"kernel": kernel})
    elif suffix in IMAGE_SUFFIXES:
        peak = kernel.max()
        write_image(path, kernel / peak if peak > 0 else kernel)
    else:
        raise InvalidArgumentError("path", f"a file name ending in one of "
                                   f"{KERNEL_WRITE_SUFFIXES}", path.name)
