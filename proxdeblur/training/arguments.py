"""The trainers' command-line options, without importing torch.

``proxdeblur train NETWORK`` builds its sub-commands from these (so that the
``proxdeblur`` command starts without loading torch), and each trainer's
``python -m proxdeblur.training.NAME`` uses the same: one definition of every
option and of its default (the recipe that trained the bundled weights).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

__all__ = ["parse", "command_line", "add_loop_arguments", "add_denoiser_arguments",
           "add_gcm_generator_arguments", "add_restorer_arguments", "add_golf_arguments",
           "RESTORER_OPTIONS", "TRAINERS", "PRECISIONS"]

#: Arithmetic of the training forward pass.
PRECISIONS = ("bf16", "fp32")


def parse(add_arguments, description: str, argv=None, prog: str | None = None):
    """A trainer's ``python -m`` command line: ``add_arguments``'s options, parsed."""
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    return add_arguments(parser).parse_args(argv)


def command_line(trainer: str) -> str:
    """The command that is running trainer ``trainer``, for its model card: ``proxdeblur
    train TRAINER ...`` as typed, else the ``python -m`` line."""
    if sys.argv[1:3] == ["train", trainer]:
        return shlex.join(["proxdeblur", "train", trainer, *sys.argv[3:]])
    return shlex.join(sys.argv)


def add_loop_arguments(parser: argparse.ArgumentParser, *, iterations: int, max_minutes: float,
                       lr: float) -> argparse.ArgumentParser:
    """The options every trainer shares, with the recipe's defaults."""
    parser.add_argument("--data", type=Path, required=True, help="folder of sharp training images")
    parser.add_argument("--out", type=Path, required=True, help="weights file to write (.pt)")
    parser.add_argument("--iterations", type=int, default=iterations,
                        help="optimizer steps (training also stops at --max-minutes)")
    parser.add_argument("--max-minutes", type=float, default=max_minutes,
                        help="wall-clock budget; the cosine learning-rate decay follows whichever "
                        "budget ends first")
    parser.add_argument("--lr", type=float, default=lr, help="initial Adam learning rate")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the patch sampler and the initialization")
    parser.add_argument("--holdout", type=int, default=8, help="last images kept for validation")
    parser.add_argument("--validate-every", type=int, default=500,
                        help="iterations between held-out validation scores")
    parser.add_argument("--checkpoint-every", type=int, default=250,
                        help="iterations between resumable checkpoints (OUT with .ckpt)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--precision", choices=PRECISIONS, default="bf16",
                        help="forward pass under bfloat16 autocast, or plain float32")
    parser.add_argument("--clip", type=float, default=0.2, help="gradient-norm clip (0: off)")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from the weights of this file (e.g. the bundled ones) "
                        "instead of a fresh initialization; the schedule starts anew")
    return parser


def add_denoiser_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``train denoiser``: the DnCNN and U-Net denoisers (the bundled recipes)."""
    add_loop_arguments(parser, iterations=40000, max_minutes=110.0, lr=6e-4)
    parser.add_argument("--architecture", choices=("dncnn", "drunet"), default="dncnn",
                        help="network: DnCNN, or the small DRUNet-style U-Net")
    parser.add_argument("--batch", type=int, default=32, help="patches per step")
    parser.add_argument("--patch", type=int, default=64, help="side of the square crops")
    parser.add_argument("--depth", type=int, default=15, help="convolution layers (dncnn)")
    parser.add_argument("--width", type=int, default=64, help="feature channels (dncnn)")
    parser.add_argument("--sigma-max", type=float, default=50.0, help="on the 0-255 scale")
    parser.add_argument("--batch-norm", action="store_true",
                        help="BN in the middle blocks (dncnn)")
    parser.add_argument("--widths", default="32,64,128",
                        help="U-Net channels at full, half and quarter resolution (drunet)")
    parser.add_argument("--blocks", type=int, default=2,
                        help="residual blocks per U-Net level (drunet)")
    return parser


def add_gcm_generator_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``train gcm-generator``: the GCM generator in the gradient domain."""
    add_loop_arguments(parser, iterations=40000, max_minutes=100.0, lr=6e-4)
    parser.add_argument("--batch", type=int, default=16, help="patches per step (x2 components)")
    parser.add_argument("--patch", type=int, default=48, help="side of the square crops")
    parser.add_argument("--blocks", type=int, default=7, help="Conv+BN+ReLU blocks")
    parser.add_argument("--width", type=int, default=64, help="feature channels")
    parser.add_argument("--kernel-error", type=float, default=0.0,
                        help="fraction of warm starts built with a perturbed kernel")
    parser.add_argument("--iterate-mix", type=float, default=0.0,
                        help="fraction of warm starts from a partly sharp iterate")
    return parser


def add_restorer_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``train restorer``: DMPHN or the Bi-Skip generator on synthetic blur pairs (the
    bundled recipes). Options of one architecture are refused with the other."""
    add_loop_arguments(parser, iterations=20000, max_minutes=120.0, lr=1e-3)
    parser.set_defaults(checkpoint_every=100, lr=None)
    parser.add_argument("--architecture", choices=("dmphn", "biskip"), default="dmphn",
                        help="network: DMPHN, or the Bi-Skip generator (with --scheme)")
    parser.add_argument("--batch", type=int, default=8, help="pairs per step")
    parser.add_argument("--patch", type=int, default=128, help="side of the square pairs")
    parser.add_argument("--jpeg", type=float, default=0.0,
                        help="probability that a blurred pair is JPEG-compressed (dmphn)")
    parser.add_argument("--kernel-sizes", type=int, nargs=2, default=[7, 35], metavar=("MIN", "MAX"),
                        help="smallest and largest training kernel (the validation keeps 7-35)")
    dmphn = parser.add_argument_group("dmphn (initial --lr 1e-3)")
    dmphn.add_argument("--width", type=int, default=None,
                       help="channels at full resolution (default 16)")
    dmphn.add_argument("--levels", default=None, help="patches per level (default 1,2,4)")
    dmphn.add_argument("--stacks", type=int, default=None, help="networks chained: Stack(n)")
    dmphn.add_argument("--loss", choices=("l1", "l2"), default=None,
                       help="content loss (default l1)")
    biskip = parser.add_argument_group("biskip (initial --lr 1e-4, the paper's)")
    biskip.add_argument("--scheme", default=None,
                        help="Table 1's training scheme: S (self-paced), A (WGAN-GP), 1 or 2 "
                        "(pixel loss), P (perceptual), in that order (default SA1P)")
    biskip.add_argument("--variant", choices=("BS", "BS-cR", "BS-w/o-R", "S"), default=None,
                        help="architecture of Table 1 (default BS)")
    biskip.add_argument("--depth", type=int, default=None, help="down-samplings (default 4)")
    biskip.add_argument("--rounds", type=int, default=None,
                        help="self-paced rounds over the run (default 10)")
    biskip.add_argument("--perceptual", default=None,
                        help="feature extractor: 'dncnn' (default) or a local VGG19 weights file")
    return parser


#: Options of ``train restorer`` that belong to one architecture, and their defaults.
RESTORER_OPTIONS = {
    "dmphn": {"width": 16, "levels": "1,2,4", "stacks": 1, "loss": "l1", "lr": 1e-3},
    "biskip": {"scheme": "SA1P", "variant": "BS", "depth": 4, "rounds": 10,
               "perceptual": "dncnn", "lr": 1e-4},
}


def add_golf_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``train golf``: the Golf optimizer's N2, then N1 with N2 frozen (the bundled recipe)."""
    add_loop_arguments(parser, iterations=20000, max_minutes=60.0, lr=1e-3)
    parser.set_defaults(checkpoint_every=50, validate_every=250)
    parser.add_argument("--stage", choices=("n2", "n1"), required=True,
                        help="n2: the recurrent corrector, trained first; n1: the first shot, "
                        "trained through the frozen N2 of --n2")
    parser.add_argument("--n2", type=Path, default=None,
                        help="stage n2's weights file (required by --stage n1)")
    parser.add_argument("--width", type=int, default=None,
                        help="channels of the inner convolutions (default 32 for n2, 16 for n1)")
    parser.add_argument("--layers", type=int, default=4, help="Layers of two Basic-Blocks")
    parser.add_argument("--steps", type=int, default=3, help="recurrent steps T of N2")
    parser.add_argument("--batch", type=int, default=4, help="pairs per step")
    parser.add_argument("--patch", type=int, default=96, help="side of the square pairs")
    parser.add_argument("--perceptual", default="dncnn",
                        help="feature extractor of the perceptual term: 'dncnn' (the bundled "
                        "DnCNN's first convolutions) or a local VGG19 weights file")
    parser.add_argument("--perceptual-weight", type=float, default=0.1,
                        help="weight of the perceptual term beside the content MSE (0: off)")
    return parser


#: Sub-command -> (module under proxdeblur.training with run(args), its options, help).
TRAINERS = {
    "denoiser": ("denoiser", add_denoiser_arguments,
                 "the DnCNN / U-Net denoisers (the bundled dncnn and drunet recipes)"),
    "gcm-generator": ("gcm_generator", add_gcm_generator_arguments,
                      "the GCM generator, in the gradient domain"),
    "restorer": ("restorer", add_restorer_arguments,
                 "a restorer (DMPHN, Bi-Skip) on synthetic blur pairs"),
    "golf": ("golf", add_golf_arguments,
             "the Golf optimizer's networks: N2, then N1 through the frozen N2"),
}
