"""``proxdeblur batch``: a folder of images through one task on Dask distributed.

The options of every task are accepted by one parser; each is checked against
the task it belongs to before a cluster starts (an option of another task is an
error that names it), and the task's kernel, network or noise level is checked
too, so that a mistake costs no worker start-up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..errors import InvalidArgumentError
from .commands import check_kernel_size, check_positive
from .options import parse_saturation

__all__ = ["add_batch_parser", "run_batch_command"]

#: The options that belong to one task only: option -> (argparse dest, task).
TASK_OPTIONS = {"--kernel": ("kernel", "deconv"), "--kernel-size": ("kernel_size", "deblur"),
                "--sigma": ("sigma", "denoise"), "--model": ("model", "restore"),
                "--max-iter": ("max_iter", "deconv"),
                "--kernel-tone-curve": ("kernel_tone_curve", "deblur"),
                "--safeguard": ("safeguard", "deblur"),
                "--light-streaks": ("light_streaks", "deblur")}
#: Options of the deconvolving tasks (``deconv`` and ``deblur``).
DECONV_OPTIONS = {"--prior": "prior", "--lam": "lam", "--tone-curve": "tone_curve",
                  "--saturation": "saturation"}


def add_batch_parser(sub, formatter) -> argparse.ArgumentParser:
    from ..batch import REPORT_NAME, TASKS
    from ..deconvolution import DENOISER_NAMES, PRIOR_NAMES
    from .options import add_camera_options, add_deblur_options, add_output_options

    batch = sub.add_parser(
        "batch", formatter_class=formatter, help="run a task on every image of a folder, "
        "on Dask distributed (pip install 'proxdeblur[distributed]')",
        description="Run deconv, deblur, denoise or restore on every image of IN_DIR, writing "
        "OUT_DIR/NAME, on a local Dask cluster (one single-threaded worker process per "
        "--workers) or an existing one (--scheduler). Resumable: earlier results in OUT_DIR "
        f"are kept. Writes a JSON report (OUT_DIR/{REPORT_NAME}).")
    batch.add_argument("input_dir", type=Path, metavar="IN_DIR", help="folder of images")
    batch.add_argument("output_dir", type=Path, metavar="OUT_DIR",
                       help="folder of results (created; not IN_DIR)")
    batch.add_argument("--task", choices=TASKS, required=True, help="what to do to each image")
    batch.add_argument("--kernel", type=Path, default=None, metavar="FILE|DIR",
                       help="deconv: one kernel file for every image, or a folder of kernels "
                       "named by the images' stems")
    batch.add_argument("--kernel-size", type=int, nargs="+", default=None, metavar="N",
                       help="deblur: odd kernel support to search, N or H W")
    batch.add_argument("--sigma", type=float, default=None,
                       help="denoise: noise standard deviation on the 0-255 scale, in [0, 50]")
    batch.add_argument("--model", default=None, metavar="NAME|PATH",
                       help="restore: a bundled restorer or a weights file; None: restore's")
    batch.add_argument("--prior", choices=PRIOR_NAMES + DENOISER_NAMES, default=None,
                       help="deconv, deblur: image prior of the deconvolution; None: deconv's")
    batch.add_argument("--lam", type=float, default=None, help="deconv, deblur: prior weight")
    batch.add_argument("--max-iter", type=int, default=None, dest="max_iter",
                       help="deconv: HQS iterations")
    add_deblur_options(batch, batch=True)
    add_camera_options(batch, kernel=True, batch=True)
    batch.add_argument("--workers", type=int, default=2,
                       help="worker processes of the local cluster (one thread each)")
    batch.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="use the existing cluster at this scheduler address instead")
    batch.add_argument("--reference", type=Path, default=None, metavar="DIR",
                       help="ground truth by the same name: PSNR and SSIM in the report")
    batch.add_argument("--report", type=Path, default=None,
                       help=f"JSON report; None: OUT_DIR/{REPORT_NAME}")
    batch.add_argument("--suffix", default=None, metavar=".EXT",
                       help="output format (.png, .tif, ...); None: each input's")
    add_output_options(batch)
    batch.set_defaults(run=run_batch_command)
    return batch


def _task(args):
    """The :class:`~proxdeblur.batch.BatchTask` the options describe, every value checked."""
    from .. import io
    from ..batch import BatchTask
    from ..priors.bundled import check_network_name

    for option, (dest, owner) in TASK_OPTIONS.items():
        if getattr(args, dest) is not None and args.task != owner:
            raise InvalidArgumentError(option, f"to be used with --task {owner}",
                                       getattr(args, dest))
    for option, dest in DECONV_OPTIONS.items():
        if getattr(args, dest) is not None and args.task not in ("deconv", "deblur"):
            raise InvalidArgumentError(option, "to be used with --task deconv or deblur",
                                       getattr(args, dest))
    check_positive("--lam", args.lam)
    if args.max_iter is not None and args.max_iter < 1:
        raise InvalidArgumentError("--max-iter", "an integer >= 1", args.max_iter)
    deconv = {k: v for k, v in (("prior", args.prior), ("lam", args.lam),
                                ("max_iter", args.max_iter),
                                ("tone_curve", args.tone_curve)) if v is not None}
    if args.saturation is not None:
        deconv["saturation"] = parse_saturation(args.saturation)
    if args.task == "deconv":
        if args.kernel is None:
            raise InvalidArgumentError("--kernel", "a kernel file or folder for --task deconv")
        if not args.kernel.exists():
            raise InvalidArgumentError("--kernel", "an existing kernel file or folder",
                                       str(args.kernel))
        if args.kernel.is_file():
            io.read_kernel(args.kernel)  # a bad kernel file: now, not once per image
        return BatchTask("deconv", {"kernel": str(args.kernel), **deconv})
    if args.task == "deblur":
        size = args.kernel_size
        if size is None:
            raise InvalidArgumentError("--kernel-size", "N or H W for --task deblur")
        check_kernel_size(size)
        options = {k: deconv[k] for k in ("prior", "tone_curve", "saturation") if k in deconv}
        if "lam" in deconv:
            options["deconvolve_options"] = {"lam": deconv["lam"]}
        if args.kernel_tone_curve not in (None, "linear"):
            options["kernel_options"] = {"tone_curve": args.kernel_tone_curve}
        if args.safeguard is not None:
            options["safeguard"] = args.safeguard
        if args.light_streaks is not None:
            options["light_streaks"] = args.light_streaks == "on"
        return BatchTask("deblur", {"kernel_size": size[0] if len(size) == 1 else tuple(size),
                                    **options})
    if args.task == "denoise":
        if args.sigma is None or not (np.isfinite(args.sigma) and 0 <= args.sigma <= 50):
            raise InvalidArgumentError("--sigma", "a noise level in [0, 50] on the 0-255 scale "
                                       "for --task denoise", args.sigma)
        return BatchTask("denoise", {"sigma": args.sigma / 255.0})
    from ..restoration import DEFAULT_RESTORER, RESTORER_NAMES

    model = args.model or DEFAULT_RESTORER
    check_network_name(model, "restorer", "--model", names=RESTORER_NAMES)
    return BatchTask("restore", {"model": model})


def run_batch_command(args) -> int:
    """Check every option, then run :func:`~proxdeblur.batch.run_batch`; exit status 1 when
    some image failed (each named on stderr, all in the report)."""
    from ..batch import ERROR, REPORT_NAME, SKIPPED, run_batch

    task = _task(args)
    records = run_batch(args.input_dir, args.output_dir, task, workers=args.workers,
                        scheduler=args.scheduler, reference_dir=args.reference,
                        report=args.report, suffix=args.suffix, bit_depth=args.bit_depth,
                        force=args.force, progress=not args.quiet)
    errors = [r for r in records if r["status"] == ERROR]
    for record in errors:
        print(f"proxdeblur: {record['file']}: {record['error']}", file=sys.stderr)
    if not args.quiet:
        done = sum(r["status"] not in (ERROR, SKIPPED) for r in records)
        skipped = sum(r["status"] == SKIPPED for r in records)
        print(f"{done} done, {skipped} skipped, {len(errors)} failed; report "
              f"{args.report or args.output_dir / REPORT_NAME}")
    return 1 if errors else 0
