"""``proxdeblur demo``: the main job on a built-in example (README, first command)."""

from __future__ import annotations

import time

import numpy as np

from ..errors import InvalidArgumentError
from .files import FOLDER, KERNEL, Output, check_outputs
from .plots import plot_convergence, save_blind_panel

__all__ = ["run_demo", "DEMO_FILES"]

#: What the demo writes into its folder, and of which kind.
DEMO_FILES = {"blurred.png": "image", "restored.png": "image", "sharp.png": "image",
              "kernel.png": KERNEL, "convergence.png": "image", "restored_blind.png": "image",
              "kernel_blind.png": KERNEL, "blind.png": "image"}
#: The demo's largest kernel: the blind step searches 4 px more, at most a third of 494 px.
DEMO_MAX_KERNEL = 159


def _check(args) -> None:
    if not (3 <= args.kernel_size <= DEMO_MAX_KERNEL and args.kernel_size % 2 == 1):
        raise InvalidArgumentError("--kernel-size", f"an odd integer in [3, {DEMO_MAX_KERNEL}]",
                                   args.kernel_size)
    if not (np.isfinite(args.noise) and 0 <= args.noise <= 0.5):
        raise InvalidArgumentError("--noise", "a number in [0, 0.5]", args.noise)
    if args.seed < 0:
        raise InvalidArgumentError("--seed", "an integer >= 0", args.seed)
    check_outputs([Output("--out", args.out, FOLDER)], [], True)  # its files are checked below
    if args.out.is_dir():
        check_outputs([Output("--out", args.out / name, kind) for name, kind in DEMO_FILES.items()],
                      [], args.force)


def run_demo(args) -> int:
    """``proxdeblur demo``: blur ``camera`` by a motion kernel plus noise, restore it with
    the known kernel and without it, print PSNR and times, write the images and figures."""
    from skimage import data

    from .. import io
    from ..deconvolution import deconvolve
    from ..kernels import motion_kernel
    from ..metrics import psnr
    from ..operators import Convolution

    _check(args)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    sharp = data.camera().astype(np.float64) / 255.0
    kernel = motion_kernel(args.kernel_size, seed=args.seed)
    blur = Convolution(kernel, "valid")
    rng = np.random.default_rng(args.seed)
    blurred = blur.forward(sharp) + args.noise * rng.standard_normal(blur.output_shape(sharp.shape))
    pad = kernel.shape[0] // 2
    truth = sharp[pad:-pad, pad:-pad]
    start = time.perf_counter()
    restored, result = deconvolve(blurred, kernel, reference=truth, return_result=True,
                                  progress=True)
    seconds = time.perf_counter() - start
    io.write_image(out / "blurred.png", blurred)
    io.write_image(out / "restored.png", restored)
    io.write_image(out / "sharp.png", truth)
    io.write_kernel(out / "kernel.png", kernel)
    plot_convergence(result, out / "convergence.png",
                      "HQS, hyper-Laplacian prior, unknown boundary ('valid' model)")
    print(f"camera {truth.shape[1]}x{truth.shape[0]}, {kernel.shape[0]}x{kernel.shape[1]} motion "
          f"kernel, noise sigma {args.noise:g}")
    print(f"PSNR blurred  {psnr(blurred, truth):6.2f} dB")
    print(f"PSNR restored {psnr(restored, truth):6.2f} dB  ({seconds:.2f} s)")
    from ..deblurring import deblur
    from ..metrics import aligned_psnr, kernel_similarity

    start = time.perf_counter()
    blind, estimated, info = deblur(blurred, kernel.shape[0] + 4, progress=True, warn=False)
    blind_seconds = time.perf_counter() - start
    io.write_image(out / "restored_blind.png", blind)
    io.write_kernel(out / "kernel_blind.png", estimated)
    similarity = kernel_similarity(estimated, kernel)
    save_blind_panel(out / "blind.png", blurred, blind, kernel, estimated,
                      f"blind deblurring: kernel similarity {similarity:.2f}")
    print(f"PSNR blind    {aligned_psnr(blind, truth):6.2f} dB  ({blind_seconds:.2f} s, kernel "
          f"similarity {similarity:.3f}; shift-aligned)")
    for message in info.warnings:
        print(f"warning: {message}")
    print(f"wrote blurred.png, restored.png, sharp.png, kernel.png, convergence.png, "
          f"restored_blind.png, kernel_blind.png, blind.png to {out}")
    return 0
