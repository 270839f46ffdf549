"""Chunked deconvolution: agreement with the whole-image solve, and peak memory set by the
block, not the image.

    python benchmarks/chunked.py --out /tmp/chunked [--megapixels 4] [--large 25,100]
        [--record FILE]

1. Agreement (in this process): the 4 MP colour photograph of ``scale.py`` (astronaut,
   25-px shake kernel, "valid" blur, 1 % noise) deconvolved whole by ``deconvolve`` and
   block by block by ``deconvolve_chunked`` for several block sides and halos (with the
   whole image's noise estimate, and once with the blocks' own, ``image_noise``): maximum
   and mean absolute difference, PSNR between them, PSNR of each against the sharp
   scene, seconds.
2. Memory (fresh processes under GNU ``time -v``): gray images of ``--large``
   megapixels (the 4 MP scene's luminance tiled with flips, blurred the same way,
   written as tiled 8-bit TIFF) through ``proxdeblur deconv IMG -k K -o OUT.tif --chunk
   2048``; and the whole-image solve of the smallest of them (``proxdeblur deconv`` on
   the same TIFF without ``--chunk``) for comparison. Wall seconds and peak resident GiB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _report import print_and_record
from scale import KERNEL, measure

HALOS = (1, 2, 4)  # in kernel sides, at the smaller block side
CHUNKS = (1024, 2048)


def scene_and_blur(megapixels: float, seed: int = 0):
    """The sharp scene's observed part, the blurred photograph and the kernel (float32)."""
    from scipy.signal import fftconvolve
    from skimage import data, transform

    from proxdeblur.kernels import motion_kernel

    kernel = motion_kernel(KERNEL, seed=1)
    width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    height = int(round(width * 3 / 4))
    scene = transform.resize(data.astronaut() / 255.0, (height + KERNEL - 1, width + KERNEL - 1),
                             order=1).astype(np.float32)
    blurred = np.stack([fftconvolve(scene[..., c], kernel.astype(np.float32), mode="valid")
                        for c in range(3)], axis=-1)
    blurred += 0.01 * np.random.default_rng(seed).standard_normal(blurred.shape, dtype=np.float32)
    half = KERNEL // 2
    return scene[half:-half, half:-half], np.clip(blurred, 0, 1), kernel


def agreement(megapixels: float) -> list[dict]:
    from proxdeblur import deconvolve, psnr
    from proxdeblur.chunked import deconvolve_chunked
    from proxdeblur.noise import estimate_noise

    sharp, blurred, kernel = scene_and_blur(megapixels)
    blurred = np.round(blurred * 255) / 255  # what an 8-bit file holds
    start = time.perf_counter()
    whole = deconvolve(blurred, kernel)
    rows = [{"method": "whole", "seconds": time.perf_counter() - start,
             "psnr_truth": psnr(np.clip(whole, 0, 1), sharp)}]
    print(f"whole: {rows[0]['seconds']:.1f} s, {rows[0]['psnr_truth']:.3f} dB", flush=True)
    settings = [(CHUNKS[0], h * KERNEL) for h in HALOS] + [(c, None) for c in CHUNKS[1:]]
    shared = estimate_noise(blurred)  # the whole solve's: isolates the blocking's own effect
    settings = [(c, h, shared) for c, h in settings] + [(CHUNKS[-1], None, None)]
    for chunk, halo, noise in settings:
        start = time.perf_counter()
        lazy = deconvolve_chunked(blurred, kernel, chunk=chunk, halo=halo, noise=noise)
        blocks = lazy.numblocks[0] * lazy.numblocks[1]
        chunked = lazy.compute(scheduler="threads", num_workers=2)
        seconds = time.perf_counter() - start
        difference = np.abs(chunked - whole)
        row = {"method": "chunked", "chunk": chunk, "halo": halo or "default", "blocks": blocks,
               "noise": "whole image's estimate" if noise is not None else "image_noise (blocks)",
               "seconds": seconds, "max_difference": float(difference.max()),
               "mean_difference": float(difference.mean()),
               "psnr_between": psnr(chunked, whole, data_range=1.0),
               "psnr_truth": psnr(np.clip(chunked, 0, 1), sharp)}
        rows.append(row)
        print(f"chunk {chunk} halo {row['halo']} noise {row['noise']}: {seconds:.1f} s, "
              f"max {row['max_difference']:.4f}, mean {row['mean_difference']:.2e}, "
              f"between {row['psnr_between']:.1f} dB, truth {row['psnr_truth']:.3f} dB", flush=True)
    return rows


def large_gray(folder: Path, megapixels: float) -> tuple[Path, Path]:
    """A tiled 8-bit TIFF of ``megapixels`` gray (module docstring) and its kernel file."""
    import tifffile
    from scipy.signal import oaconvolve
    from skimage import color

    path, kernel_path = folder / f"gray_{megapixels:g}mp.tif", folder / "kernel25.npy"
    sharp, _, kernel = scene_and_blur(4)
    np.save(kernel_path, kernel)
    if path.exists():
        return path, kernel_path
    tile = color.rgb2gray(sharp).astype(np.float32)
    side = int(round((megapixels * 1e6) ** 0.5))
    reps = (side + KERNEL) // tile.shape[0] + 1, (side + KERNEL) // tile.shape[1] + 1
    rows = [np.concatenate([tile[::(-1) ** i, ::(-1) ** j] for j in range(reps[1])], axis=1)
            for i in range(reps[0])]
    scene = np.concatenate(rows, axis=0)[:side + KERNEL - 1, :side + KERNEL - 1]
    blurred = oaconvolve(scene, kernel.astype(np.float32), mode="valid")
    del scene
    blurred += 0.01 * np.random.default_rng(0).standard_normal(blurred.shape, dtype=np.float32)
    codes = np.round(np.clip(blurred, 0, 1) * 255).astype(np.uint8)
    tifffile.imwrite(path, codes, tile=(256, 256))
    return path, kernel_path


def memory(folder: Path, sizes: list[float]) -> list[dict]:
    rows = []
    for megapixels in sizes:
        image, kernel = large_gray(folder, megapixels)
        runs = [("chunked", ["--chunk", "2048"])]
        if megapixels == min(sizes):
            runs.append(("whole", []))
        for method, extra in runs:
            out = folder / f"out_{method}_{megapixels:g}.tif"
            seconds, peak = measure(["proxdeblur", "deconv", str(image), "-k", str(kernel), "-o",
                                     str(out), "--force", "-q", *extra])
            rows.append({"megapixels": megapixels, "method": method, "seconds": seconds,
                         "peak_gib": peak, "file_gib": image.stat().st_size / 2**30})
            print(f"{megapixels:g} MP gray {method}: {seconds:.1f} s, {peak:.2f} GiB peak",
                  flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="working folder (created)")
    parser.add_argument("--megapixels", type=float, default=4.0)
    parser.add_argument("--large", default="25,100", help="gray megapixels of the memory runs "
                        "('' for none)")
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = agreement(args.megapixels)
    sizes = [float(m) for m in args.large.split(",") if m]
    memory_rows = memory(args.out, sizes) if sizes else []
    print_and_record(rows + memory_rows, {"megapixels": args.megapixels, "kernel": KERNEL},
                     args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
