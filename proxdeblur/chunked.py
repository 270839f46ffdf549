"""Non-blind deconvolution of images larger than memory, block by block:
:func:`deconvolve_chunked` (a lazy ``dask.array``) and :func:`deconvolve_tiff` (file
to file, a tiled TIFF written as it is computed).

Each block is deconvolved with a halo of its neighbours' pixels
(``dask.array.map_overlap``) and only its centre kept. The solver's ``"valid"``
observation model is what makes this sound: a block's edge is treated as unknown
scene, not as a mirror or a wrap, so the error it causes decays within a few
kernel widths instead of ringing across the block, and a halo of a few kernel
sides leaves the kept centre as the whole-image solve would have it. What must
not vary from block to block is decided once for the whole image: the noise
level that sets the prior's weight (the median of the wavelet estimate over a
few blocks spread over the image) and the conjugate-gradient budget of the
image's size.

Peak memory is set by the block, not the image: two blocks in flight (one per
core) and, for a TIFF output, one band of the output rows as integers.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ._validation import as_image, as_kernel
from .camera import to_linear
from .errors import ImageFileError, InvalidArgumentError
from .noise import estimate_noise

__all__ = ["deconvolve_chunked", "deconvolve_tiff", "chunk_sizes", "default_halo", "image_noise",
           "read_lazy", "tiff_tile", "CHUNK", "HALO_KERNELS", "MIN_HALO", "TIFF_TILE"]

#: Block side (a multiple of ``TIFF_TILE``): large enough that the halo is a small
#: overhead, small enough that two blocks in flight stay well under 2 GiB.
CHUNK = 2048
#: Halo in kernel sides, and its floor in pixels (``benchmarks/RESULTS.md``: the
#: measurement behind them).
HALO_KERNELS = 4
MIN_HALO = 64
#: Tile side of the TIFF files :func:`deconvolve_tiff` writes (:func:`tiff_tile`).
TIFF_TILE = 256
#: Blocks sampled for the image's noise level.
NOISE_SAMPLES = 9
#: Side of each block sampled for the noise level.
NOISE_SAMPLE_SIDE = 1024


def _dask_array():
    try:
        import dask.array as da
    except ImportError:
        from .batch import MissingDependencyError

        raise MissingDependencyError("chunked deconvolution needs dask: pip install "
                                     "'proxdeblur[distributed]'") from None
    return da


def chunk_sizes(length: int, chunk: int, halo: int) -> tuple[int, ...]:
    """Block lengths along an axis of ``length``: ``chunk`` each, a last remainder
    shorter than the halo merged into the block before it (a halo cannot be larger
    than the block it is taken from, and a sliver of a block is all halo)."""
    sizes = [chunk] * (length // chunk)
    remainder = length - chunk * len(sizes)
    if remainder:
        if sizes and remainder < halo:
            sizes[-1] += remainder
        else:
            sizes.append(remainder)
    return tuple(sizes)


def default_halo(kernel_shape) -> int:
    """The halo for a kernel of ``kernel_shape``: ``max(MIN_HALO, HALO_KERNELS × side)``."""
    return max(MIN_HALO, HALO_KERNELS * max(kernel_shape))


def image_noise(image, tone_curve: str | None = None) -> float:
    """The noise level of a large (possibly lazy) image: the median of the wavelet
    estimate over ``NOISE_SAMPLES`` blocks of ``NOISE_SAMPLE_SIDE`` spread on a grid.

    With ``tone_curve`` the blocks are taken to linear light first: the level is then in
    the units :func:`~proxdeblur.deconvolve` solves in, as its own estimate would be.
    """
    height, width = image.shape[:2]
    side = min(NOISE_SAMPLE_SIDE, height, width)
    per_axis = int(np.ceil(np.sqrt(NOISE_SAMPLES)))
    rows = np.linspace(0, height - side, per_axis).astype(int)
    cols = np.linspace(0, width - side, per_axis).astype(int)
    # each sample on the [0, 1] scale by the library's policy (integer codes by their range)
    def sample(r: int, c: int) -> np.ndarray:
        block = as_image(image[r:r + side, c:c + side], unit=True).astype(np.float64, copy=False)
        return block if tone_curve is None else to_linear(block, tone_curve)

    estimates = [estimate_noise(sample(r, c)) for r in np.unique(rows) for c in np.unique(cols)]
    estimates = [e for e in estimates if np.isfinite(e)]
    return float(np.median(estimates)) if estimates else 0.0


def _check_image(image) -> None:
    if len(image.shape) not in (2, 3) or (len(image.shape) == 3 and image.shape[2] not in (1, 3)):
        raise InvalidArgumentError("image", "a (H, W) or (H, W, 3) image", tuple(image.shape))
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise InvalidArgumentError("image", "integer or float pixels", image.dtype)


def deconvolve_chunked(image, kernel, *, chunk: int = CHUNK, halo: int | None = None,
                       noise: float | None = None, **options):
    """Deconvolve ``image`` block by block (module docstring); returns a lazy float32
    ``dask.array`` of the image's shape, computed as it is read (``.compute()``,
    ``.to_zarr(...)``, ``dask.array.store`` or :func:`deconvolve_tiff`).

    Parameters
    ----------
    image : array-like
        ``(H, W)`` or ``(H, W, 3)``: a numpy, zarr or dask array (integer codes are
        scaled by their type's range, floats taken on [0, 1]).
    kernel : ndarray
        The blur kernel, as for :func:`~proxdeblur.deconvolve`.
    chunk : int
        Block side (default ``CHUNK``).
    halo : int, optional
        Pixels of the neighbouring blocks each block is solved with; default
        :func:`default_halo`.
    noise : float, optional
        The image's noise level, in the units the blocks are solved in (linear light with
        a ``tone_curve``); default :func:`image_noise` (one value for every block).
    **options
        :func:`~proxdeblur.deconvolve`'s keywords (``prior``, ``lam``, ``max_iter``...),
        the same for every block. Plug-and-play priors work too (slowly).
    """
    from .deconvolution import _is_denoiser, cg_iterations, check_arguments, deconvolve

    da = _dask_array()
    _check_image(image)
    k = as_kernel(kernel, "kernel", normalize=True)
    for name in ("reference", "callback", "return_result", "progress"):
        if options.get(name):
            raise InvalidArgumentError(name, "not given to a chunked deconvolution (its blocks "
                                       "run in parallel)", options[name])
    check_arguments(noise=noise, **options)
    if not (isinstance(chunk, (int, np.integer)) and chunk >= 64):
        raise InvalidArgumentError("chunk", "an integer >= 64", chunk)
    halo = default_halo(k.shape) if halo is None else halo
    if not (isinstance(halo, (int, np.integer)) and max(k.shape) <= halo <= chunk):
        raise InvalidArgumentError("halo", f"an integer from the kernel side {max(k.shape)} to "
                                   f"the chunk {chunk}", halo)
    height, width = image.shape[:2]
    if min(height, width) < max(k.shape):
        raise InvalidArgumentError("kernel", f"a kernel no larger than the image "
                                   f"{(height, width)}", k.shape)
    noise = image_noise(image, options.get("tone_curve")) if noise is None else noise
    options = {"noise": noise, **options}
    if options.get("cg_max_iter") is None and not _is_denoiser(options.get("prior", "")):
        # the budget of the whole image's size, not of a block's
        options["cg_max_iter"] = cg_iterations((height, width), k.shape)
    chunks = (chunk_sizes(height, chunk, halo), chunk_sizes(width, chunk, halo))
    if len(image.shape) == 3:
        chunks += (image.shape[2],)
    array = image.rechunk(chunks) if isinstance(image, da.Array) else da.from_array(
        image, chunks=chunks)
    depth = {0: halo, 1: halo} | ({2: 0} if len(image.shape) == 3 else {})

    def solve(block: np.ndarray) -> np.ndarray:  # deconvolve scales integer codes itself
        return deconvolve(block, k, **options).astype(np.float32)

    return array.map_overlap(solve, depth=depth, boundary="none", trim=True, dtype=np.float32,
                             meta=np.empty((0,) * len(image.shape), np.float32))


def read_lazy(path):
    """A TIFF file as a lazy array (a zarr view of its tiles or strips, nothing read
    yet); other formats read whole (their decoders need the whole file). Returns
    ``(array, bit_depth)``."""
    from . import io

    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        try:
            import tifffile
            import zarr
        except ImportError:
            from .batch import MissingDependencyError

            raise MissingDependencyError("reading a TIFF by blocks needs tifffile and zarr 3 "
                                         "(Python >= 3.11): pip install "
                                         "'proxdeblur[distributed]'") from None
        try:
            array = zarr.open(tifffile.imread(path, aszarr=True, level=0), mode="r")
        except Exception as exc:  # tifffile raises many types for bad files
            raise ImageFileError(f"{path}: not a readable TIFF ({exc.__class__.__name__})") from exc
        if array.ndim == 3 and array.shape[2] == 4:  # RGBA: the alpha channel is dropped
            array = array[..., :3]
        return array, 16 if array.dtype.itemsize >= 2 else 8
    return io.read_image(path), io.bit_depth(path)


def tiff_tile(chunk: int) -> int:
    """The TIFF tile side for blocks of ``chunk``: ``TIFF_TILE`` or the largest multiple of 16
    (TIFF's rule) that divides ``chunk``, so that every band of blocks but the last is a
    whole number of tile rows."""
    return max(t for t in range(16, TIFF_TILE + 1, 16) if chunk % t == 0)


def _bands(result, bit_depth: int, workers: int, tile: int, bar):
    """The output, band by band (one row of blocks), as TIFF tiles in row-major order."""
    import dask

    from .io import _quantize
    from .threads import limited_threads

    peak, dtype = (255, np.uint8) if bit_depth == 8 else (65535, np.uint16)
    for i, rows in enumerate(result.chunks[0]):
        with limited_threads(1):  # one block per core, each on one thread
            blocks = dask.compute(*[result.blocks[i, j] for j in range(result.numblocks[1])],
                                  scheduler="threads", num_workers=workers)
        band = np.concatenate([_quantize(b, peak, dtype) for b in blocks], axis=1)
        del blocks
        bar.update(result.numblocks[1])
        for top in range(0, rows, tile):
            for left in range(0, band.shape[1], tile):
                yield band[top:top + tile, left:left + tile]


def deconvolve_tiff(source, kernel, target, *, chunk: int = CHUNK, halo: int | None = None,
                    bit_depth: int | None = None, workers: int = 2, progress: bool = False,
                    **options) -> dict:
    """Deconvolve the image file ``source`` into the tiled TIFF ``target`` block by block,
    writing each band of blocks as it is computed (atomically: a temporary file renamed
    at the end). ``options`` as for :func:`deconvolve_chunked`; ``bit_depth`` defaults to
    the input's; ``workers`` blocks are solved at a time.

    Returns ``{"seconds", "noise", "halo", "blocks"}``.
    """
    import tifffile
    from tqdm.auto import tqdm

    from .io import atomic_path

    target = Path(target)
    if target.suffix.lower() not in (".tif", ".tiff"):
        raise InvalidArgumentError("target", "a .tif or .tiff file", str(target))
    if bit_depth not in (None, 8, 16):
        raise InvalidArgumentError("bit_depth", "8 or 16", bit_depth)
    if not (isinstance(chunk, (int, np.integer)) and chunk >= 64 and chunk % 16 == 0):
        raise InvalidArgumentError("chunk", "a multiple of 16, at least 64 (TIFF tiles)", chunk)
    start = time.perf_counter()
    image, depth = read_lazy(source)
    _check_image(image)
    kernel = as_kernel(kernel, "kernel", normalize=True)
    halo = default_halo(kernel.shape) if halo is None else halo
    from .deconvolution import check_arguments

    noise = options.pop("noise", None)
    check_arguments(noise=noise, **options)
    noise = image_noise(image, options.get("tone_curve")) if noise is None else noise
    result = deconvolve_chunked(image, kernel, chunk=chunk, halo=halo, noise=noise, **options)
    if len(image.shape) == 3 and image.shape[2] == 1:
        result = result[..., 0]
    bit_depth = bit_depth or depth
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    shape = result.shape
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    with tqdm(total=result.numblocks[0] * result.numblocks[1], disable=not progress,
              unit="block") as bar, atomic_path(target) as tmp:
        tile = tiff_tile(chunk)
        tifffile.imwrite(tmp, _bands(result, bit_depth, workers, tile, bar), shape=shape,
                         dtype=dtype, tile=(tile, tile), bigtiff=size > 2**31,
                         photometric="rgb" if len(shape) == 3 else "minisblack")
    return {"seconds": time.perf_counter() - start, "noise": noise, "halo": halo,
            "blocks": result.numblocks[0] * result.numblocks[1]}
