"""Blind deblurring of realistic synthetic photographs: clipped highlights, tone curve, JPEG.

    python benchmarks/realistic.py --data ../shared/data [--configs baseline,robust]
        [--split heldout|tuning] [--cases N] [--floors 0,0.01] [--workers 2]
        [--record FILE]

Each case is a BSD68 image — held-out ``test017``–``test048`` (``--split
heldout``, reported, never used to choose a setting) or ``test049``–``test068``
(``--split tuning``, for choosing) — photographed through :func:`proxdeblur.camera.capture`: taken to
linear light by the sRGB curve, exposed so that 1–4 % of the blurred pixels clip,
blurred in linear light by one of ``blind_synthetic.py``'s sixteen kernels
(Lai et al.'s, KAIR's, random trajectories; 15–33 px), Poisson–Gaussian noise
(shot 1–4e-4, read 0.002–0.005), clipped, sRGB-encoded, 8-bit, JPEG quality
75–95 — all drawn from one seeded generator, so the cases are the same on every
run. The search support is the kernel's size.

Scored in the encoded domain, clipped to [0, 1] as a file holds it, against
what the same exposure records without the shake (aligned as
:mod:`proxdeblur.metrics` does, whole pixels): PSNR of the blurred input, of
the restoration, and of the same configuration's deconvolution with the true
kernel (the error ratio), the kernel similarity, and whether the restoration is
worse than the input.

Configurations (``--configs``):

* ``baseline`` — what ``proxdeblur deblur photo.jpg`` did before saturation and
  tone handling: the JPEG noise floor in the kernel estimate, every pixel in both
  data terms, no light streaks;
* ``saturation`` — clipped pixels left out of the kernel fit and the deconvolution;
* ``default`` — and the JPEG error floor in the deconvolution (``min_noise=0.01``):
  what ``proxdeblur deblur photo.jpg`` does now (the do-no-harm check only reports);
* ``linear`` — and the deconvolution in linear light (``--tone-curve srgb``);
* ``linear-kernel`` — and the kernel estimated in linear light too, at every level of
  its pyramid (``linear_levels=None``);
* ``linear-estimate`` — ``default`` with the kernel estimated in linear light at every
  level and the deconvolution on the stored values;
* ``hybrid-kernel`` — ``linear`` with the kernel's coarse levels on the stored values
  and its two finest in linear light (``--kernel-tone-curve srgb``, ``linear_levels=2``);
* ``hybrid-estimate`` — ``default`` with that kernel (``--kernel-tone-curve srgb``
  alone);
* ``fallback`` — ``default`` with the do-no-harm check's fallbacks
  (``--safeguard fallback``, :mod:`proxdeblur.safeguard`; the check then also
  compares the kernel with a wider search's). Its rows record the
  check's verdict on the first restoration (``default``'s), so that beside
  ``default`` they give the check's hit and false-alarm rates.
* ``hybrid-fallback`` — ``hybrid-kernel`` with those fallbacks (``--tone-curve srgb
  --kernel-tone-curve srgb --safeguard fallback``).
* ``no-streaks`` — ``default`` without looking for light streaks (``--light-streaks
  off``; none of this benchmark's daylight cases has any, ``night.py``'s have).
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
from blind_synthetic import kernels

SIZE = 255
SEED = 2027
#: BSD68 images of each split: the held-out cases report, the tuning cases choose.
SPLITS = {"heldout": range(17, 49), "tuning": range(49, 69)}

#: name -> (estimate_kernel options, deconvolve options, deblur keywords)
CONFIGS = {
    "baseline": ({"saturation": None}, {"saturation": None},
                 {"safeguard": "off", "light_streaks": False}),
    "saturation": ({}, {}, {"safeguard": "off"}),
    "default": ({}, {"min_noise": 0.01}, {}),
    "linear": ({}, {"tone_curve": "srgb", "min_noise": 0.01}, {"safeguard": "off"}),
    "linear-kernel": ({"tone_curve": "srgb", "linear_levels": None},
                      {"tone_curve": "srgb", "min_noise": 0.01}, {}),
    "linear-estimate": ({"tone_curve": "srgb", "linear_levels": None}, {"min_noise": 0.01}, {}),
    "hybrid-kernel": ({"tone_curve": "srgb"}, {"tone_curve": "srgb", "min_noise": 0.01}, {}),
    "hybrid-estimate": ({"tone_curve": "srgb"}, {"min_noise": 0.01}, {}),
    "hybrid-fallback": ({"tone_curve": "srgb"}, {"tone_curve": "srgb", "min_noise": 0.01},
                        {"safeguard": "fallback"}),
    "fallback": ({}, {"min_noise": 0.01}, {"safeguard": "fallback"}),
    "no-streaks": ({}, {"min_noise": 0.01}, {"light_streaks": False}),
}


def scenes(data: Path, count: int | None = None, split: str = "heldout"):
    """``(number, kernel, scene)`` per case of the split: the BSD68 image's centre crop
    that a ``SIZE``-pixel frame sees through the case's kernel (the bank in turn)."""
    from proxdeblur import io

    bank = kernels(data)
    for index, number in enumerate(list(SPLITS[split])[:count]):
        kernel = bank[index % len(bank)]
        image = io.read_image(data / "bsd68" / f"test{number:03d}.png")
        kh, kw = kernel.shape
        top, left = (image.shape[0] - SIZE - kh) // 2, (image.shape[1] - SIZE - kw) // 2
        yield number, kernel, image[top: top + SIZE + kh - 1, left: left + SIZE + kw - 1]


def cases(data: Path, count: int | None = None, split: str = "heldout") -> list[dict]:
    """The benchmark's cases: deterministic (one generator seeded with ``SEED``)."""
    from proxdeblur.camera import capture

    rng = np.random.default_rng(SEED)
    out = []
    for number, kernel, scene in scenes(data, count, split):
        kh, kw = kernel.shape
        settings = {"clip_fraction": float(rng.uniform(0.01, 0.04)),
                    "shot": float(rng.uniform(1e-4, 4e-4)),
                    "read": float(rng.uniform(0.002, 0.005)),
                    "quality": int(rng.integers(75, 96))}
        shot = capture(scene, kernel, rng=rng, **settings)
        out.append({"name": f"bsd68_test{number:03d}", "blurred": shot.blurred,
                    "sharp": shot.sharp, "kernel": kernel, "support": max(kh, kw) | 1,
                    "clipped": shot.clipped, "gain": shot.gain, **settings})
    return out


def run_case(args) -> list[dict]:
    """One case under one configuration: a row per deconvolution noise floor (the kernel,
    which does not depend on it, is estimated once)."""
    case, config, floors = args
    import proxdeblur._fft as fft_threads
    from proxdeblur import deblur, deconvolve
    from proxdeblur.blind import JPEG_NOISE
    from proxdeblur.metrics import aligned_psnr, error_ratio, kernel_similarity

    fft_threads._WORKERS = 1
    kernel_options, deconvolve_options, deblur_options = CONFIGS[config]
    blurred_psnr = aligned_psnr(case["blurred"], case["sharp"])
    rows, kernel, info = [], None, None
    for floor in floors:
        options = {**deconvolve_options, **({} if floor is None else {"min_noise": floor})}
        start = time.perf_counter()
        if kernel is None:
            restored, kernel, info = deblur(case["blurred"], case["support"],
                                            kernel_options={"min_noise": JPEG_NOISE,
                                                            **kernel_options},
                                            deconvolve_options=options, warn=False,
                                            **deblur_options)
        else:
            restored = deconvolve(case["blurred"], kernel, **options)
        seconds = time.perf_counter() - start
        known = np.clip(deconvolve(case["blurred"], case["kernel"], **options), 0, 1)
        restored = np.clip(restored, 0, 1)  # what a file can hold, as the command line writes
        psnr = aligned_psnr(restored, case["sharp"])
        rows.append({
            "case": case["name"], "config": config if floor is None else f"{config}@{floor:g}",
            "kernel_size": list(case["kernel"].shape), "quality": case["quality"],
            "clipped": case["clipped"], "psnr_blurred": blurred_psnr, "psnr": psnr,
            "psnr_known_kernel": aligned_psnr(known, case["sharp"]),
            "error_ratio": error_ratio(restored, known, case["sharp"]),
            "kernel_similarity": kernel_similarity(kernel, case["kernel"]),
            "worse_than_input": bool(psnr < blurred_psnr), "seconds": seconds,
            "suspicious": None if info.check is None else info.check.suspicious,
            "check": None if info.check is None else {
                "ringing": info.check.ringing, "residual": info.check.residual,
                "agreement": info.check.agreement},
            "fallback": info.fallback})
    return rows


def summarize(rows: list[dict]) -> dict:
    gains = np.array([r["psnr"] - r["psnr_blurred"] for r in rows])
    return {"cases": len(rows),
            "mean_psnr_blurred": float(np.mean([r["psnr_blurred"] for r in rows])),
            "mean_psnr": float(np.mean([r["psnr"] for r in rows])),
            "mean_psnr_known_kernel": float(np.mean([r["psnr_known_kernel"] for r in rows])),
            "mean_gain": float(gains.mean()), "min_gain": float(gains.min()),
            "fraction_worse_than_input": float(np.mean(gains < 0)),
            "mean_error_ratio": float(np.mean([r["error_ratio"] for r in rows])),
            "mean_kernel_similarity": float(np.mean([r["kernel_similarity"] for r in rows])),
            "median_seconds_one_thread": float(np.median([r["seconds"] for r in rows])),
            "fallbacks": {kind: sum(r["fallback"] == kind for r in rows)
                          for kind in ("stronger-prior", "input")}}


def check_rates(unguarded: list[dict], guarded: list[dict]) -> dict:
    """The do-no-harm check's hit rate (it fired on a restoration worse than the input)
    and false-alarm rate (it fired on one that was better), from the verdicts the guarded
    run recorded on the same first restorations the unguarded run scored."""
    worse = {r["case"]: r["worse_than_input"] for r in unguarded}
    fired = {r["case"]: bool(r["suspicious"]) for r in guarded}
    harmful = [case for case in worse if worse[case]]
    fine = [case for case in worse if not worse[case]]
    return {"harmful": len(harmful), "hits": sum(fired[c] for c in harmful),
            "fine": len(fine), "false_alarms": sum(fired[c] for c in fine)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path,
                        help="the shared data folder (with bsd68/ and motion_kernels/)")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated, of {', '.join(CONFIGS)}")
    parser.add_argument("--cases", type=int, default=None, help="the split's first N cases")
    parser.add_argument("--split", choices=tuple(SPLITS), default="heldout",
                        help="heldout (BSD68 test017-048, reported) or tuning (test049-068, "
                        "for choosing settings)")
    parser.add_argument("--floors", default=None,
                        help="comma-separated noise floors of the deconvolution (min_noise) to "
                        "compare on each configuration's kernel; None: the configuration's own")
    parser.add_argument("--workers", type=int, default=2, help="processes (one thread each)")
    parser.add_argument("--record", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    configs = args.configs.split(",")
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"--configs: unknown {unknown}; choose from {list(CONFIGS)}")
    pin_threads(1)
    floors = (None,) if args.floors is None else tuple(float(f) for f in args.floors.split(","))
    jobs = [(case, config, floors) for case in cases(args.data, args.cases, args.split)
            for config in configs]
    with Pool(args.workers) as pool:
        rows = [row for rows in pool.map(run_case, jobs, chunksize=1) for row in rows]
    for r in rows:
        print(f"{r['case']:18s} {r['config']:14s} {r['kernel_size'][0]:3d} q{r['quality']:2d} "
              f"clip {r['clipped']:.3f}  blurred {r['psnr_blurred']:6.2f}  restored "
              f"{r['psnr']:6.2f}  known {r['psnr_known_kernel']:6.2f}  ER {r['error_ratio']:5.2f}"
              f"  k-sim {r['kernel_similarity']:.3f}{'  WORSE' if r['worse_than_input'] else ''}")
    names = list(dict.fromkeys(r["config"] for r in rows))
    summary = {name: summarize([r for r in rows if r["config"] == name]) for name in names}
    if "default" in summary and "fallback" in summary:
        summary["check"] = check_rates([r for r in rows if r["config"] == "default"],
                                       [r for r in rows if r["config"] == "fallback"])
        print("do-no-harm check:", summary["check"])
    for config, s in ((c, s) for c, s in summary.items() if c != "check"):
        print(f"{config:14s} blurred {s['mean_psnr_blurred']:.2f}  restored {s['mean_psnr']:.2f} "
              f"(gain {s['mean_gain']:+.2f}, worst {s['min_gain']:+.2f}, worse "
              f"{s['fraction_worse_than_input']:.0%})  known {s['mean_psnr_known_kernel']:.2f}  "
              f"ER {s['mean_error_ratio']:.2f}  k-sim {s['mean_kernel_similarity']:.3f}")
    print_and_record(rows, {"seed": SEED, "split": args.split, "configs": configs, **summary},
                     args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
