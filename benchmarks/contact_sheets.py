"""Contact sheets of real photographs: blurred | restored (per configuration) with kernel insets.

    python benchmarks/contact_sheets.py --data ../shared/data/lai2016_real --out DIR
        [--configs baseline,default,linear] [--workers 2]

A fixed list of Lai et al. 2016's real photographs that covers the set's
attributes — the three the real-photograph issue named (``car1``: a horizontal
shake in a garage; ``Pantheon``: a lit façade at night; ``boat2``: saturated
lamps), more saturated night scenes (``night2``, ``night5``, ``night6``, ``street2`` and
``car3`` with the light streaks that :func:`~proxdeblur.blind.find_light_streak` finds), text, people and
nature — each run through
:func:`proxdeblur.deblur` as ``proxdeblur deblur photo.jpg`` runs it, once per
configuration of ``realistic.py`` (``baseline``: before saturation and tone
handling; ``default``: today's command line; ``linear``: the deconvolution in
linear light). The support is the published
kernel's size where Lai et al. give one, else ``DEFAULT_SUPPORT``.

Writes ``DIR/<name>.png`` (the blurred photograph, then each configuration's
restoration with its kernel enlarged in the top-left corner, side by side) and
``DIR/seconds.json``. There is no ground truth: the sheets are for looking.
"""

from __future__ import annotations

import argparse
import json
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from _timing import pin_threads
from lai_real import photographs
from realistic import CONFIGS

#: name -> attributes (Lai et al.'s attribute.txt); the fixed list of the sheets.
PHOTOGRAPHS = {
    "car1": "manmade", "Pantheon": "manmade", "boat2": "manmade",
    "night3": "manmade saturated", "car3": "manmade saturated", "night2": "manmade saturated",
    "night5": "manmade saturated", "night6": "manmade saturated",
    "street2": "manmade saturated", "book1": "text",
    "face2": "people", "fishes": "natural", "flower": "natural", "house4": "manmade",
}
DEFAULT_SUPPORT = 35
INSET = 0.3


def with_inset(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``image`` (colour) with ``kernel`` scaled to its maximum, enlarged to ``INSET`` of
    the shorter side and framed, in the top-left corner."""
    from skimage.transform import resize

    out = np.clip(image, 0, 1).copy()
    side = max(16, int(INSET * min(out.shape[:2])))
    tile = resize(kernel / kernel.max(), (side, side), order=0, anti_aliasing=False)
    out[: side + 2, : side + 2] = 1.0
    out[1: side + 1, 1: side + 1] = tile[..., None]
    return out


def sheet(args) -> dict:
    name, data, out, configs = args
    import time

    import proxdeblur._fft as fft_threads
    from proxdeblur import deblur, io
    from proxdeblur.blind import JPEG_NOISE

    fft_threads._WORKERS = 1
    published = {p["name"]: p for p in photographs(data)}
    blurred = io.read_image(data / "blurry" / f"{name}.jpg")
    support = (io.read_kernel(published[name]["kernel"]).shape[0] if name in published
               else DEFAULT_SUPPORT)
    panels, seconds = [blurred], {}
    for config in configs:
        kernel_options, deconvolve_options, deblur_options = CONFIGS[config]
        start = time.perf_counter()
        restored, kernel, _ = deblur(blurred, support, warn=False,
                                     kernel_options={"min_noise": JPEG_NOISE, **kernel_options},
                                     deconvolve_options=deconvolve_options,
                                     **deblur_options)
        seconds[config] = time.perf_counter() - start
        panels.append(with_inset(restored, kernel))
    gap = np.ones((blurred.shape[0], 8, 3))
    row = [panels[0]]
    for panel in panels[1:]:
        row += [gap, panel]
    io.write_image(out / f"{name}.png", np.concatenate(row, axis=1))
    return {"name": name, "support": support, "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the lai2016_real folder")
    parser.add_argument("--out", required=True, type=Path, help="folder for the sheets")
    parser.add_argument("--configs", default="baseline,default,linear")
    parser.add_argument("--workers", type=int, default=2, help="processes (one thread each)")
    parser.add_argument("--names", default=None,
                        help=f"comma-separated subset of the list; None: all of {list(PHOTOGRAPHS)}")
    args = parser.parse_args(argv)
    configs = args.configs.split(",")
    if any(c not in CONFIGS for c in configs):
        parser.error(f"--configs: choose from {list(CONFIGS)}")
    names = list(PHOTOGRAPHS) if args.names is None else args.names.split(",")
    if any(n not in PHOTOGRAPHS for n in names):
        parser.error(f"--names: choose from {list(PHOTOGRAPHS)}")
    pin_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    with Pool(args.workers) as pool:
        rows = pool.map(sheet, [(name, args.data, args.out, configs) for name in names],
                        chunksize=1)
    for r in rows:
        print(r["name"], r["support"], {c: round(s, 1) for c, s in r["seconds"].items()})
    (args.out / "seconds.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
