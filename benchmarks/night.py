"""Blind deblurring of synthetic night photographs with point lights: do light streaks help?

    python benchmarks/night.py --data ../shared/data [--split heldout|tuning]
        [--configs plain,streaks] [--weights 1e-4,1e-3] [--cases N] [--workers 2]
        [--record FILE]

Each case is a BSD68 image (held-out ``test017``–``test048``, reported; tuning
``test049``–``test068``, for choosing ``streak_weight``) photographed at night by
:func:`proxdeblur.camera.capture`: taken to linear light and dimmed to 5–20 % of
its brightness, with 4–10 point lights (one pixel each, power 20–200 times full
scale; ``--lamp-radius`` spreads each over a disc) added at random places, blurred
in linear light by one of ``blind_synthetic.py``'s sixteen kernels, Poisson–Gaussian noise (shot 4e-4–1e-3,
read 0.004–0.01), clipped (the lights' cores saturate, their streaks' tails do
not), sRGB-encoded, 8-bit, JPEG quality 75–95 — one seeded generator, the same
cases on every run. The search support is the kernel's size plus ``SUPPORT_ROOM``.

Scored as ``realistic.py`` scores: PSNR in the encoded domain against what the
same exposure records without the shake (whole-pixel alignment), the gain over the
blurred input (and the gain of the same deconvolution given the true kernel),
whether the restoration is worse than it, the kernel's similarity to the truth, and
whether a light streak was found. The clipped lights weigh heavily in the PSNR: a
kernel fatter than the truth can score above the true kernel there, so the kernel's
similarity is the direct measure and the true kernel's gain the reference.

Configurations (``--configs``): ``plain`` — ``proxdeblur deblur``'s defaults for
a JPEG; ``streaks`` — and ``light_streaks=True`` (CLI ``--light-streaks``), once
per ``--weights`` value of ``streak_weight`` (default: the library's).
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from _report import print_and_record
from _timing import pin_threads
from realistic import SPLITS, scenes

SEED = 2031
#: The support searched exceeds the kernel by this many pixels, as a user who does not
#: know the blur's extent gives a generous one (a streak must fit inside with room).
SUPPORT_ROOM = 8
CONFIGS = ("plain", "streaks")


def cases(data: Path, count: int | None = None, split: str = "heldout",
          lamp_radius: float = 0.0) -> list[dict]:
    """The benchmark's cases: deterministic (one generator seeded with ``SEED``).
    ``lamp_radius`` > 0 draws each light as a disc of that radius (pixels), every pixel
    as bright as the point light: a real lamp, whose streak is the kernel blurred by its
    size."""
    from scipy import ndimage

    from proxdeblur.camera import capture, from_linear, to_linear

    rng = np.random.default_rng(SEED)
    out = []
    for number, kernel, scene in scenes(data, count, split):
        kh, kw = kernel.shape
        dim = float(rng.uniform(0.05, 0.2))
        scene = from_linear(to_linear(scene) * dim)
        lights = np.zeros(scene.shape)
        count_lights = int(rng.integers(4, 11))
        rows = rng.integers(0, scene.shape[0], count_lights)
        cols = rng.integers(0, scene.shape[1], count_lights)
        lights[rows, cols] = rng.uniform(20, 200, count_lights)
        if lamp_radius > 0:
            r = int(np.ceil(lamp_radius))
            yy, xx = np.mgrid[-r: r + 1, -r: r + 1]
            disc = (yy**2 + xx**2 <= lamp_radius**2).astype(float)
            lights = ndimage.convolve(lights, disc, mode="constant")
        settings = {"shot": float(rng.uniform(4e-4, 1e-3)),
                    "read": float(rng.uniform(0.004, 0.01)),
                    "quality": int(rng.integers(75, 96))}
        shot = capture(scene, kernel, rng=rng, clip_fraction=0.0, lights=lights, **settings)
        out.append({"name": f"bsd68_test{number:03d}", "blurred": shot.blurred,
                    "sharp": shot.sharp, "kernel": kernel, "support": (max(kh, kw) + SUPPORT_ROOM) | 1,
                    "dim": dim, "lights": count_lights, "clipped": shot.clipped, **settings})
    return out


def run_case(args) -> dict:
    case, config, weight = args
    import proxdeblur._fft as fft_threads
    from proxdeblur import deblur, deconvolve
    from proxdeblur.blind import JPEG_NOISE
    from proxdeblur.metrics import aligned_psnr, kernel_similarity

    fft_threads._WORKERS = 1
    kernel_options = {"min_noise": JPEG_NOISE}
    if weight is not None:
        kernel_options["streak_weight"] = weight
    start = time.perf_counter()
    restored, kernel, info = deblur(case["blurred"], case["support"],
                                    kernel_options=kernel_options,
                                    deconvolve_options={"min_noise": JPEG_NOISE}, warn=False,
                                    light_streaks=config == "streaks")
    seconds = time.perf_counter() - start
    blurred_psnr = aligned_psnr(case["blurred"], case["sharp"])
    psnr = aligned_psnr(np.clip(restored, 0, 1), case["sharp"])
    known = deconvolve(case["blurred"], case["kernel"], min_noise=JPEG_NOISE)
    known_psnr = aligned_psnr(np.clip(known, 0, 1), case["sharp"])
    return {"case": case["name"],
            "config": config if weight is None else f"{config}@{weight:g}",
            "kernel_size": list(case["kernel"].shape), "dim": case["dim"],
            "lights": case["lights"], "clipped": case["clipped"],
            "psnr_blurred": blurred_psnr, "psnr": psnr, "gain": psnr - blurred_psnr,
            "gain_known_kernel": known_psnr - blurred_psnr,
            "worse_than_input": bool(psnr < blurred_psnr),
            "kernel_similarity": kernel_similarity(kernel, case["kernel"]),
            "streak_found": info.streak is not None,
            "streak_similarity": (None if info.streak is None
                                  else kernel_similarity(info.streak.kernel, case["kernel"])),
            "seconds": seconds}


def summarize(rows: list[dict]) -> dict:
    gains = np.array([r["gain"] for r in rows])
    found = [r for r in rows if r["streak_found"]]
    return {"cases": len(rows), "mean_psnr_blurred": float(np.mean([r["psnr_blurred"]
                                                                     for r in rows])),
            "mean_psnr": float(np.mean([r["psnr"] for r in rows])),
            "mean_gain": float(gains.mean()), "min_gain": float(gains.min()),
            "mean_gain_known_kernel": float(np.mean([r["gain_known_kernel"] for r in rows])),
            "worse_than_input": int(np.sum(gains < 0)),
            "mean_kernel_similarity": float(np.mean([r["kernel_similarity"] for r in rows])),
            "streaks_found": len(found),
            "mean_streak_similarity": (float(np.mean([r["streak_similarity"] for r in found]))
                                       if found else None),
            "median_seconds_one_thread": float(np.median([r["seconds"] for r in rows]))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", choices=tuple(SPLITS), default="heldout")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--weights", default=None,
                        help="comma-separated streak_weight values for 'streaks'")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--lamp-radius", type=float, default=0.0,
                        help="draw each light as a disc of this radius (px), each pixel as "
                        "bright as a point light; 0: one pixel")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    configs = args.configs.split(",")
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"--configs: unknown {unknown}; choose from {list(CONFIGS)}")
    try:
        weights = ([None] if args.weights is None
                   else [float(w) for w in args.weights.split(",")])
    except ValueError:
        parser.error(f"--weights: comma-separated numbers, got {args.weights!r}")
    pin_threads(1)
    jobs = [(case, config, weight)
            for case in cases(args.data, args.cases, args.split, args.lamp_radius)
            for config in configs
            for weight in ([None] if config == "plain" else weights)]
    with Pool(args.workers) as pool:
        rows = pool.map(run_case, jobs, chunksize=1)
    summary = {}
    for name in dict.fromkeys(r["config"] for r in rows):
        summary[name] = summarize([r for r in rows if r["config"] == name])
    print_and_record(rows, {"seed": SEED, "split": args.split, "lamp_radius": args.lamp_radius,
                            **summary}, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
