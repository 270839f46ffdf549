"""The ``proxdeblur`` command line: every sub-command, its options and their defaults."""

from __future__ import annotations

import argparse
from pathlib import Path

from .batch import add_batch_parser
from .commands import (
    DEFAULT_GENERATOR,
    run_bench,
    run_deblur,
    run_deconv,
    run_denoise,
    run_restore,
    run_train,
    run_zoo,
)
from .demo import run_demo
from .options import add_camera_options, add_deblur_options, add_output_options

__all__ = ["build_parser", "EXIT_USAGE"]

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _formatter(prog):
    return argparse.ArgumentDefaultsHelpFormatter(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    from ..blind import CLASSICAL_GENERATOR, EDGE_SOFTNESS, LATENT_STEP_NAMES
    from ..deconvolution import DENOISER_NAMES, PRIOR_NAMES
    from ..operators import BOUNDARY_MODES
    from ..restoration import DEFAULT_RESTORER, RESTORER_NAMES
    from ..training.arguments import TRAINERS

    parser = _Parser(prog="proxdeblur", description="Image deblurring by model-based "
                     "optimization with pluggable priors.", formatter_class=_formatter)
    parser.add_argument("--version", action="version", version=f"proxdeblur {__version__}")
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
    demo.add_argument("--force", action="store_true",
                      help="replace the files of an earlier demo in the folder")
    demo.set_defaults(run=run_demo)

    deconv = sub.add_parser("deconv", formatter_class=_formatter,
                            help="remove a known blur from an image",
                            description="Non-blind deconvolution of an image file with a known "
                            "kernel (HQS with a sparse prior; unknown boundary by default).")
    deconv.add_argument("input", type=Path, help="blurred image (PNG, JPEG, TIFF; 8/16-bit)")
    deconv.add_argument("--kernel", "-k", type=Path, required=True,
                        help="kernel file (.png, .npy, .mat, .txt); normalized to sum to 1")
    deconv.add_argument("--output", "-o", type=Path, required=True, help="restored image file")
    deconv.add_argument("--kernel-variable", default=None, metavar="NAME",
                        help="the variable holding the kernel in a .mat file with several")
    deconv.add_argument("--prior", choices=PRIOR_NAMES + DENOISER_NAMES,
                        default="hyper-laplacian",
                        help=f"image prior; {', '.join(DENOISER_NAMES)}: plug-and-play HQS")
    deconv.add_argument("--lam", type=float, default=None,
                        help="prior weight; None: the prior's tuned value (3e-4 for "
                        "hyper-laplacian, raised automatically with the estimated noise; for a "
                        "denoiser the lambda of the PnP weight lambda*(sigma_n^2 + sigma_m^2), 0.45)")
    deconv.add_argument("--p", type=float, default=0.8, help="hyper-Laplacian exponent, (0, 1]")
    deconv.add_argument("--max-iter", "--iterations", type=int, default=10, dest="max_iter",
                        help="HQS iterations")
    deconv.add_argument("--boundary", choices=BOUNDARY_MODES, default="valid",
                        help="border model: 'valid' treats the scene beyond the frame as unknown")
    deconv.add_argument("--chunk", type=int, default=None, metavar="SIDE",
                        help="deconvolve block by block (images larger than memory; needs "
                        "the distributed extra) into a tiled TIFF --output; e.g. 2048")
    deconv.add_argument("--halo", type=int, default=None, metavar="PX",
                        help="with --chunk: pixels of the neighbouring blocks each block is "
                        "solved with; None: 4 kernel sides, at least 64")
    add_camera_options(deconv)
    add_output_options(deconv)
    deconv.set_defaults(run=run_deconv)

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
    deblur.add_argument("--image-step", choices=(*LATENT_STEP_NAMES, "restorer"), default="l0",
                        help="latent step of the kernel estimate: l0 (of gradients), lp "
                        "(hyper-Laplacian), gcm (Generator-Corrector on gradients) or restorer "
                        "(a restorer network's output, --model)")
    deblur.add_argument("--model", default=None, metavar="NAME|PATH",
                        help=f"restorer for --image-step restorer; None: {DEFAULT_RESTORER}")
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
    deblur.add_argument("--kernel-region", default="auto", metavar="auto|full|SIDE",
                        help="window the kernel is estimated on: auto (the most informative "
                        "window of 40 kernel sides, at least 1024 px; smaller images whole), "
                        "full (the whole image) or a side in pixels")
    deblur.add_argument("--lam", type=float, default=None,
                        help="prior weight of the final non-blind step; None: deconv's")
    add_deblur_options(deblur)
    add_camera_options(deblur, kernel=True)
    add_output_options(deblur)
    deblur.set_defaults(run=run_deblur)

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
    add_output_options(denoise)
    denoise.set_defaults(run=run_denoise)

    restore = sub.add_parser("restore", formatter_class=_formatter,
                             help="remove an unknown blur with a restorer network (no kernel)",
                             description="End-to-end deblurring by a restorer network (DMPHN, "
                             "the Golf optimizer); colour channel by channel, large images in blended tiles.")
    restore.add_argument("input", type=Path, help="blurred image (PNG, JPEG, TIFF; 8/16-bit)")
    restore.add_argument("--output", "-o", type=Path, required=True, help="restored image file")
    restore.add_argument("--model", default=DEFAULT_RESTORER, metavar="NAME|PATH",
                         help=f"a bundled restorer ({', '.join(RESTORER_NAMES)}) or a weights "
                         "file")
    restore.add_argument("--steps", type=int, default=None,
                         help="the Golf optimizer's corrections by N2 after N1 (--model golf "
                         "only; default 1, chosen on a tuning set; 0: N1 alone)")
    add_output_options(restore)
    restore.set_defaults(run=run_restore)

    add_batch_parser(sub, _formatter)

    zoo = sub.add_parser("zoo", formatter_class=_formatter,
                         help="list the bundled learned priors and their model cards",
                         description="List the bundled weights with their model cards.")
    zoo.set_defaults(run=run_zoo)

    train = sub.add_parser("train", formatter_class=_formatter, help="train a bundled network",
                           description="Train the networks of the zoo on this machine.")
    train_sub = train.add_subparsers(dest="network", metavar="NETWORK", parser_class=_Parser)
    train_sub.required = True
    for network, (_, add_arguments, summary) in TRAINERS.items():
        trainer = train_sub.add_parser(network, formatter_class=_formatter, help=summary,
                                       description=f"Train {summary}.")
        add_arguments(trainer).set_defaults(run=run_train)

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
    levin.add_argument("--image-step", choices=LATENT_STEP_NAMES, default="l0",
                       help="latent step of the kernel estimate")
    levin.add_argument("--support-scale", type=float, default=1.0, metavar="F",
                       help="search a kernel support F times the true kernel's (odd, at most a "
                       "third of the image): the cost of not knowing the blur's extent")
    levin.add_argument("--force", action="store_true",
                       help="write into a folder that already holds files")
    levin.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    levin.set_defaults(run=run_bench)
    return parser
