"""The ``proxdeblur`` command.

``proxdeblur demo`` runs the library on a built-in example;
``proxdeblur deconv`` removes a known blur from an image file;
``proxdeblur deblur`` removes an unknown blur (estimating the kernel);
``proxdeblur bench levin`` runs the blind benchmark of Levin et al. 2009;
``proxdeblur denoise`` removes Gaussian noise with the bundled DnCNN;
``proxdeblur zoo`` lists the bundled networks; ``proxdeblur train denoiser``
trains the DnCNN. User errors
print one line on stderr and exit with status 2; inputs are never
overwritten and outputs are written atomically.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .errors import InvalidArgumentError, ProxdeblurError

__all__ = ["main"]

EXIT_USAGE = 2
#: The generator `deblur --image-step gcm` uses unless told otherwise.
DEFAULT_GENERATOR = "gcm_generator"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _formatter(prog):
    return argparse.ArgumentDefaultsHelpFormatter(prog, max_help_position=32)


def _check_output(out: Path, inputs: list[Path], force: bool) -> None:
    """Refuse to write over an input, or over an existing file without --force."""
    out_resolved = out.resolve()
    for path in inputs:
        if path.exists() and (out_resolved == path.resolve() or (
                out.exists() and out.samefile(path))):
            raise InvalidArgumentError("--output", f"a path other than the input {path}", str(out))
    if out.exists() and not force:
        raise InvalidArgumentError("--output", "a path that does not exist yet (or pass --force)",
                                   str(out))
    if not out.parent.exists():
        raise InvalidArgumentError("--output", "a path in an existing folder", str(out))


def _input_bit_depth(path: Path) -> int:
    import imageio.v3 as iio

    try:
        dtype = iio.improps(path).dtype
    except Exception:  # the reader reports unreadable files itself
        return 8
    return 16 if np.dtype(dtype).itemsize >= 2 and np.issubdtype(dtype, np.integer) else 8


def _cmd_deconv(args) -> int:
    from . import io
    from .deconvolution import deconvolve

    _check_output(args.output, [args.input, args.kernel], args.force)
    image = io.read_image(args.input)
    kernel = io.read_kernel(args.kernel)
    start = time.perf_counter()
    restored = deconvolve(image, kernel, prior=args.prior, lam=args.lam, p=args.p,
                          boundary=args.boundary, iterations=args.iterations,
                          progress=not args.quiet)
    seconds = time.perf_counter() - start
    bit_depth = args.bit_depth or _input_bit_depth(args.input)
    io.write_image(args.output, restored, bit_depth=bit_depth)
    if not args.quiet:
        print(f"wrote {args.output} ({restored.shape[1]}x{restored.shape[0]}, {bit_depth}-bit) "
              f"in {seconds:.2f} s")
    return 0


def _cmd_deblur(args) -> int:
    from . import io
    from .deblurring import deblur, source_kernel_options
    from .solvers.blind import CLASSICAL_GENERATOR

    if len(args.kernel_size) > 2:
        raise InvalidArgumentError("--kernel-size", "one or two odd integers", args.kernel_size)
    _check_output(args.output, [args.input], args.force)
    if args.kernel_out is not None:
        _check_output(args.kernel_out, [args.input, args.output], args.force)
    image = io.read_image(args.input)
    size = args.kernel_size if len(args.kernel_size) == 2 else args.kernel_size[0]
    deconvolve_options = {} if args.lam is None else {"lam": args.lam}
    start = time.perf_counter()
    kernel_options = {"edge_softness": args.edge_softness}
    if args.noise is not None:
        if not np.isfinite(args.noise) or args.noise < 0:
            raise InvalidArgumentError("--noise", "a finite number >= 0", args.noise)
        kernel_options["noise"] = args.noise
    else:
        kernel_options.update(source_kernel_options(args.input))
    if args.generator is not None and args.image_step != "gcm":
        raise InvalidArgumentError("--generator", "to be used with --image-step gcm",
                                   args.generator)
    if args.image_step == "gcm" and args.generator == CLASSICAL_GENERATOR:
        kernel_options["generator"] = CLASSICAL_GENERATOR
    elif args.image_step == "gcm" and args.generator != "none":
        from .priors.zoo import load_prior

        kernel_options["generator"] = load_prior(args.generator or DEFAULT_GENERATOR, "restorer")
    restored, kernel, info = deblur(image, size, prior=args.prior, image_step=args.image_step,
                                    kernel_options=kernel_options,
                                    deconvolve_options=deconvolve_options,
                                    progress=not args.quiet, warn=False)
    seconds = time.perf_counter() - start
    bit_depth = args.bit_depth or _input_bit_depth(args.input)
    io.write_image(args.output, restored, bit_depth=bit_depth)
    if args.kernel_out is not None:
        io.write_kernel(args.kernel_out, kernel)
    for message in info.warnings:
        print(f"proxdeblur: warning: {message}", file=sys.stderr)
    if not args.quiet:
        wrote = f"{args.output}" + (f" and {args.kernel_out}" if args.kernel_out else "")
        print(f"wrote {wrote} in {seconds:.2f} s (kernel {info.kernel_seconds:.2f} s)")
    return 0


def _cmd_denoise(args) -> int:
    from . import io
    from .denoising import DEFAULT_DENOISER, denoise

    if not 0 <= args.sigma <= 50:
        raise InvalidArgumentError("--sigma", "a noise level in [0, 50] on the 0-255 scale",
                                   args.sigma)
    _check_output(args.output, [args.input], args.force)
    image = io.read_image(args.input)
    start = time.perf_counter()
    restored = denoise(image, args.sigma / 255.0, denoiser=args.weights or DEFAULT_DENOISER,
                       ensemble=args.ensemble)
    seconds = time.perf_counter() - start
    bit_depth = args.bit_depth or _input_bit_depth(args.input)
    io.write_image(args.output, restored, bit_depth=bit_depth)
    if not args.quiet:
        print(f"wrote {args.output} in {seconds:.2f} s")
    return 0


def _cmd_zoo(args) -> int:
    import json

    from .priors.bundled import DENOISER_COMBINATIONS
    from .priors.zoo import BUNDLED, model_card

    if not BUNDLED:
        print("no bundled priors")
    for name in sorted(BUNDLED):
        card = model_card(name)
        print(f"{name}: {BUNDLED[name]['file']} (role {BUNDLED[name]['role']}, "
              f"sha256 {BUNDLED[name]['sha256'][:12]}...)")
        print(json.dumps(card, indent=2))
    for name in DENOISER_COMBINATIONS:
        print(f"{name}: the bundled denoisers together (no file of its own): averaged by "
              "'denoise', one per iteration in turn by plug-and-play deconvolution")
    return 0


def _cmd_bench(args) -> int:
    from .bench import format_table, run_levin

    if not args.data.is_dir():
        raise InvalidArgumentError("--data", "an existing folder", str(args.data))
    result = run_levin(args.data, args.out, limit=args.limit, image_step=args.image_step,
                       progress=not args.quiet, support_scale=args.support_scale)
    print(format_table(result))
    print(f"wrote {args.out / 'results.json'}")
    return 0


def _save_blind_panel(path: Path, blurred, restored, true_kernel, kernel, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .io import atomic_path

    fig, axes = plt.subplots(1, 4, figsize=(14, 4), gridspec_kw={"width_ratios": [3, 3, 1.2, 1.2]})
    for ax, img, name in zip(axes, (blurred, restored, true_kernel, kernel),
                             ("blurred", "restored (blind)", "true kernel", "estimated kernel"),
                             strict=True):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1 if img is blurred or img is restored else None)
        ax.set_title(name)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def _plot_convergence(result, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .io import atomic_path

    history = result.history
    iterations = np.arange(len(history["objective"]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].semilogy(iterations, history["objective"], "o-")
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("objective ½‖Au−y‖² + φ(u)")
    if "psnr" in history:
        axes[1].plot(history["seconds"], history["psnr"], "o-")
        axes[1].set_xlabel("seconds")
        axes[1].set_ylabel("PSNR (dB)")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def _cmd_demo(args) -> int:
    from skimage import data

    from . import io
    from .deconvolution import deconvolve
    from .kernels import motion_kernel
    from .metrics import psnr
    from .operators import Convolution

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
    _plot_convergence(result, out / "convergence.png",
                      "HQS, hyper-Laplacian prior, unknown boundary ('valid' model)")
    print(f"camera {truth.shape[1]}x{truth.shape[0]}, {kernel.shape[0]}x{kernel.shape[1]} motion "
          f"kernel, noise sigma {args.noise:g}")
    print(f"PSNR blurred  {psnr(blurred, truth):6.2f} dB")
    print(f"PSNR restored {psnr(restored, truth):6.2f} dB  ({seconds:.2f} s)")
    from .deblurring import deblur
    from .metrics import aligned_psnr, kernel_similarity

    start = time.perf_counter()
    blind, estimated, info = deblur(blurred, kernel.shape[0] + 4, progress=True, warn=False)
    blind_seconds = time.perf_counter() - start
    io.write_image(out / "restored_blind.png", blind)
    io.write_kernel(out / "kernel_blind.png", estimated)
    similarity = kernel_similarity(estimated, kernel)
    _save_blind_panel(out / "blind.png", blurred, blind, kernel, estimated,
                      f"blind deblurring: kernel similarity {similarity:.2f}")
    print(f"PSNR blind    {aligned_psnr(blind, truth):6.2f} dB  ({blind_seconds:.2f} s, kernel "
          f"similarity {similarity:.3f}; shift-aligned)")
    for message in info.warnings:
        print(f"warning: {message}")
    print(f"wrote blurred.png, restored.png, sharp.png, kernel.png, convergence.png, "
          f"restored_blind.png, kernel_blind.png, blind.png to {out}")
    return 0


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    """--bit-depth, --force and --quiet, shared by the commands that write an image."""
    parser.add_argument("--bit-depth", type=int, choices=(8, 16), default=None,
                        help="output bit depth; None keeps the input's")
    parser.add_argument("--force", action="store_true",
                        help="replace existing output files (never an input)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")


def build_parser() -> argparse.ArgumentParser:
    from .deconvolution import DENOISER_NAMES, PRIOR_NAMES
    from .operators import BOUNDARY_MODES
    from .solvers.blind import CLASSICAL_GENERATOR, EDGE_SOFTNESS, IMAGE_STEPS

    parser = _Parser(prog="proxdeblur", description="Image deblurring by model-based "
                     "optimization with pluggable priors.", formatter_class=_formatter)
    parser.add_argument("--version", action="version", version="proxdeblur 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    demo = sub.add_parser("demo", formatter_class=_formatter, help="blur scikit-image's "
                          "camera with a motion kernel and 1%% noise, restore it, write PNGs",
                          description="Blur scikit-image's camera image with a built-in motion "
                          "kernel plus Gaussian noise, restore it with deconvolve(), and write "
                          "blurred/restored/sharp/kernel PNGs and a convergence plot.")
    demo.add_argument("--out", type=Path, default=Path("proxdeblur-demo"),
                      help="output folder (created if missing)")
    demo.add_argument("--kernel-size", type=int, default=19, help="motion kernel size (odd)")
    demo.add_argument("--noise", type=float, default=0.01,
                      help="noise standard deviation on the [0, 1] scale")
    demo.add_argument("--seed", type=int, default=7, help="seed of the kernel and the noise")
    demo.set_defaults(run=_cmd_demo)

    deconv = sub.add_parser("deconv", formatter_class=_formatter,
                            help="remove a known blur from an image",
                            description="Non-blind deconvolution of an image file with a known "
                            "kernel (HQS with a sparse prior; unknown boundary by default).")
    deconv.add_argument("input", type=Path, help="blurred image (PNG, JPEG, TIFF; 8/16-bit)")
    deconv.add_argument("--kernel", "-k", type=Path, required=True,
                        help="kernel file (.png, .npy, .mat, .txt); normalized to sum to 1")
    deconv.add_argument("--output", "-o", type=Path, required=True, help="restored image file")
    deconv.add_argument("--prior", choices=PRIOR_NAMES + DENOISER_NAMES,
                        default="hyper-laplacian",
                        help=f"image prior; {', '.join(DENOISER_NAMES)}: plug-and-play HQS")
    deconv.add_argument("--lam", type=float, default=None,
                        help="prior weight; None: the prior's tuned value (3e-4 for "
                        "hyper-laplacian, raised automatically with the estimated noise; for a "
                        "denoiser the lambda of the PnP weight lambda*(sigma_n^2 + sigma_m^2), 0.45)")
    deconv.add_argument("--p", type=float, default=0.8, help="hyper-Laplacian exponent, (0, 1]")
    deconv.add_argument("--iterations", type=int, default=10, help="HQS iterations")
    deconv.add_argument("--boundary", choices=BOUNDARY_MODES, default="valid",
                        help="border model: 'valid' treats the scene beyond the frame as unknown")
    _add_output_options(deconv)
    deconv.set_defaults(run=_cmd_deconv)

    deblur = sub.add_parser("deblur", formatter_class=_formatter,
                            help="remove an unknown blur (estimate the kernel, then deconvolve)",
                            description="Blind deblurring: estimate the blur kernel coarse to "
                            "fine (kernel on the probability simplex), then deconvolve with it.")
    deblur.add_argument("input", type=Path, help="blurred image (PNG, JPEG, TIFF; 8/16-bit)")
    deblur.add_argument("--output", "-o", type=Path, required=True, help="restored image file")
    deblur.add_argument("--kernel-size", type=int, nargs="+", required=True, metavar="N",
                        help="odd kernel support to search: N, or H W; at most a third of the "
                        "smaller image side; larger than the blur is safe")
    deblur.add_argument("--kernel-out", type=Path, default=None,
                        help="also write the estimated kernel (.png scaled for viewing, or "
                        ".npy/.txt/.mat exact)")
    deblur.add_argument("--prior", choices=PRIOR_NAMES + DENOISER_NAMES, default="hyper-laplacian",
                        help="prior of the final non-blind step")
    deblur.add_argument("--image-step", choices=IMAGE_STEPS, default="l0",
                        help="latent step of the kernel estimate: l0 (of gradients), lp "
                        "(hyper-Laplacian) or gcm (Generator-Corrector on gradients)")
    deblur.add_argument("--generator", default=None,
                        help="GCM generator for --image-step gcm: a bundled name or a weights "
                        f"file; 'none' runs GCM's corrector alone; '{CLASSICAL_GENERATOR}' "
                        f"proposes the classical l0 step; None: {DEFAULT_GENERATOR}")
    deblur.add_argument("--edge-softness", type=float, default=EDGE_SOFTNESS, metavar="PX",
                        help="std (pixels) of the Gaussian through which the kernel estimate sees "
                        "the latent's step edges: the softness of the camera's sharp edges; 0: "
                        "none")
    deblur.add_argument("--noise", type=float, default=None, metavar="SIGMA",
                        help="noise level ([0, 1] scale) that sets the kernel estimate's floor "
                        "of the l0 weight; None: estimated, and at least 0.01 for JPEG input; "
                        "0.02 can rescue a kernel of branches or dots on a processed photo")
    deblur.add_argument("--lam", type=float, default=None,
                        help="prior weight of the final non-blind step; None: deconv's")
    _add_output_options(deblur)
    deblur.set_defaults(run=_cmd_deblur)

    denoise = sub.add_parser("denoise", formatter_class=_formatter,
                             help="remove Gaussian noise with the bundled DnCNN",
                             description="Denoise an image with a learned denoiser (the bundled "
                             "DnCNN by default; colour channels one by one).")
    denoise.add_argument("input", type=Path, help="noisy image (PNG, JPEG, TIFF; 8/16-bit)")
    denoise.add_argument("--output", "-o", type=Path, required=True, help="denoised image file")
    denoise.add_argument("--sigma", type=float, required=True,
                         help="noise standard deviation on the 0-255 scale, in [0, 50] "
                         "(e.g. 25 for sigma 25/255 = 0.098 on the [0, 1] scale)")
    denoise.add_argument("--weights", type=Path, default=None,
                         help=f"a bundled denoiser ({', '.join(DENOISER_NAMES)}) or a local weights file; "
                         "None: proxdeblur.denoise's default")
    denoise.add_argument("--ensemble", type=int, choices=(1, 2, 4, 8), default=2,
                         help="average the network over this many flips/rotations of the image "
                         "(better, and that many times slower)")
    _add_output_options(denoise)
    denoise.set_defaults(run=_cmd_denoise)

    zoo = sub.add_parser("zoo", formatter_class=_formatter,
                         help="list the bundled learned priors and their model cards",
                         description="List the bundled weights with their model cards.")
    zoo.set_defaults(run=_cmd_zoo)

    train = sub.add_parser("train", formatter_class=_formatter, help="train a bundled network",
                           description="Train the networks of the zoo on this machine.")
    train_sub = train.add_subparsers(dest="network", metavar="NETWORK", parser_class=_Parser)
    train_sub.required = True
    train_denoiser = train_sub.add_parser(
        "denoiser", add_help=False, help="the DnCNN denoiser (python -m "
        "proxdeblur.training.denoiser --help for its options)",
        description="Train the noise-map DnCNN; all options are those of "
        "python -m proxdeblur.training.denoiser.")
    train_generator = train_sub.add_parser(
        "gcm-generator", add_help=False, help="the GCM generator, in the gradient domain "
        "(python -m proxdeblur.training.gcm_generator --help for its options)",
        description="Train the GCM generator; all options are those of "
        "python -m proxdeblur.training.gcm_generator.")
    del train_denoiser, train_generator  # main() hands "train ..." to the trainers' parsers

    bench = sub.add_parser("bench", formatter_class=_formatter, help="run a benchmark",
                           description="Benchmarks on public data sets.")
    bench_sub = bench.add_subparsers(dest="benchmark", metavar="BENCHMARK", parser_class=_Parser)
    bench_sub.required = True
    levin = bench_sub.add_parser("levin", formatter_class=_formatter,
                                 help="blind deblurring on Levin et al. 2009 (32 images)",
                                 description="Blind deblurring on Levin et al. 2009: restored "
                                 "images, kernels, restorations with the true kernel (gt_kernel/) "
                                 "and a table of aligned PSNR/SSIM, error ratio, kernel "
                                 "similarity and seconds (printed and written as results.json).")
    levin.add_argument("--data", type=Path, required=True,
                       help="the levin09 folder (with manifest.json)")
    levin.add_argument("--out", type=Path, required=True, help="output folder (created)")
    levin.add_argument("--limit", type=int, default=None, help="only the first N images")
    levin.add_argument("--image-step", choices=IMAGE_STEPS, default="l0",
                       help="latent step of the kernel estimate")
    levin.add_argument("--support-scale", type=float, default=1.0, metavar="F",
                       help="search a kernel support F times the true kernel's (odd, at most a "
                       "third of the image): the cost of not knowing the blur's extent")
    levin.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    levin.set_defaults(run=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``proxdeblur`` command; returns the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:2] == ["train", "denoiser"]:  # the trainers parse their own options
        from .training.denoiser import main as train_main

        return train_main(argv[2:], prog="proxdeblur train denoiser")
    if argv[:2] == ["train", "gcm-generator"]:
        from .training.gcm_generator import main as train_main

        return train_main(argv[2:], prog="proxdeblur train gcm-generator")
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ProxdeblurError as exc:
        print(f"proxdeblur: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"proxdeblur: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
