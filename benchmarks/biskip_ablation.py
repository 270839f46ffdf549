"""Bi-Skip's ablations (seed 000, Table 1) at one budget: train every arm, score it held out.

    python benchmarks/biskip_ablation.py --data ../shared/data --out runs/ablation
        [--arms SA1P,A1P,1,A1,S:SA1P] [--iterations 600] [--max-minutes 60] [--lr 1e-4]
        [--parallel 2] [--cases 32] [--record FILE]

An arm is a training scheme (``SA1P``, ``A1P``, ``1``, ``A1`` ...: letters of
:func:`proxdeblur.training.biskip.parse_scheme`), optionally with an architecture of
Table 1 after a colon (``S:SA1P`` is the Skip network under SA1P; default ``BS``). Every
arm trains for the same number of steps (``--iterations``; ``--max-minutes`` is only a
safety stop, reported when it binds) with ``proxdeblur train restorer --architecture
biskip``, one thread each, ``--parallel`` arms at a time pinned to their own cores;
then each arm's final weights restore the held-out synthetic set of
``restorer_synthetic.py`` (32 BSD68 crops, 7–35 px kernels, never used for training or
tuning). An arm whose weights exist is not retrained, and one whose checkpoint exists
resumes, so the study can span sessions. Reports per arm: held-out PSNR, SSIM, fraction
worse than the blurred input, the last validation score, steps and training minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _report import print_and_record
from _timing import pin_threads

ARMS = ("SA1P", "A1P", "1", "A1", "S:SA1P")


def arm_parts(arm: str) -> tuple[str, str]:
    """``(variant, scheme)`` of an arm name (module docstring)."""
    variant, _, scheme = arm.rpartition(":")
    return variant or "BS", scheme


def train_command(arm: str, args, out: Path) -> list[str]:
    variant, scheme = arm_parts(arm)
    return [sys.executable, "-m", "proxdeblur.training.restorer", "--architecture", "biskip",
            "--scheme", scheme, "--variant", variant, "--data", str(args.data / "train400"),
            "--out", str(out), "--iterations", str(args.iterations),
            "--max-minutes", str(args.max_minutes), "--lr", str(args.lr), "--threads", "1",
            "--validate-every", str(max(1, args.iterations // 4)),
            "--checkpoint-every", "100"]


def train_arms(arms: list[str], args) -> None:
    """Train the arms that have no weights yet, ``--parallel`` at a time, one core each."""
    pending = [a for a in arms if not weights_of(a, args.out).exists()]
    cores = sorted(os.sched_getaffinity(0))
    running: list[tuple[str, int, subprocess.Popen]] = []
    while pending or running:
        while pending and len(running) < args.parallel:
            arm = pending.pop(0)
            busy = [c for _, c, _ in running]
            core = min(cores, key=lambda c: (busy.count(c), c))
            log = open(args.out / f"{slug(arm)}.train.log", "a")  # noqa: SIM115 - the child's
            command = train_command(arm, args, weights_of(arm, args.out))
            print("training", arm, "on core", core, ":", " ".join(command[1:]), flush=True)
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       env={**os.environ, "OMP_NUM_THREADS": "1"},
                                       preexec_fn=lambda c=core: os.sched_setaffinity(0, {c}))
            running.append((arm, core, process))
        time.sleep(5)
        for entry in [e for e in running if e[2].poll() is not None]:
            running.remove(entry)
            if entry[2].returncode != 0:
                raise SystemExit(f"{entry[0]}: training failed, see "
                                 f"{args.out / (slug(entry[0]) + '.train.log')}")


def slug(arm: str) -> str:
    return arm.replace(":", "-")


def weights_of(arm: str, out: Path) -> Path:
    return out / f"{slug(arm)}.pt"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, required=True, help="folder of the arms' runs")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--iterations", type=int, default=600, help="steps of every arm")
    parser.add_argument("--max-minutes", type=float, default=60.0,
                        help="safety stop per arm (the budget is the steps)")
    parser.add_argument("--lr", type=float, default=1e-4, help="the paper's rate (section 5)")
    parser.add_argument("--parallel", type=int, default=2, help="arms trained at a time")
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    arms = [a for a in args.arms.split(",") if a]
    from proxdeblur.errors import InvalidArgumentError
    from proxdeblur.priors.nets.biskip import VARIANTS
    from proxdeblur.training.biskip import parse_scheme

    for arm in arms:  # an unknown scheme or network: before any training
        variant, scheme = arm_parts(arm)
        try:
            parse_scheme(scheme)
        except InvalidArgumentError as exc:
            parser.error(f"--arms: {arm}: {exc}")
        if variant not in VARIANTS:
            parser.error(f"--arms: {arm}: the network is one of {sorted(VARIANTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    train_arms(arms, args)

    pin_threads(1)
    import numpy as np
    from restorer_synthetic import HELD_OUT, cases

    import proxdeblur as pd
    from proxdeblur.metrics import aligned_psnr, aligned_ssim
    from proxdeblur.restoration import get_restorer

    held_out = cases(args.data, args.cases, HELD_OUT)
    blurred = [aligned_psnr(c["blurred"], c["sharp"]) for c in held_out]
    rows, summary = [], {"blurred": float(np.mean(blurred)), "iterations": args.iterations,
                         "lr": args.lr, "cases": len(held_out)}
    for arm in arms:
        network = get_restorer(str(weights_of(arm, args.out)))
        log = json.loads(weights_of(arm, args.out).with_suffix(".log.json").read_text())
        scores = []
        for case, base in zip(held_out, blurred, strict=True):
            restored = pd.restore(case["blurred"], network)
            scores.append((aligned_psnr(restored, case["sharp"]),
                           aligned_ssim(restored, case["sharp"]), base))
            rows.append({"arm": arm, "case": case["name"], "psnr": scores[-1][0],
                         "ssim": scores[-1][1]})
        psnrs = np.array(scores)
        meta = log["meta"]
        summary[arm] = {"psnr": float(psnrs[:, 0].mean()), "ssim": float(psnrs[:, 1].mean()),
                        "worse_than_blurred": float(np.mean(psnrs[:, 0] < psnrs[:, 2])),
                        "validation_curve": log["validation"],
                        "steps": meta["iterations"],
                        "minutes": round(meta.get("training_seconds", 0.0) / 60, 1)}
        print(f"{arm:<8} {summary[arm]['psnr']:.2f} dB (blurred {summary['blurred']:.2f}), "
              f"{summary[arm]['steps']} steps, {summary[arm]['minutes']} min", flush=True)
    print_and_record(rows, summary, args.record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
