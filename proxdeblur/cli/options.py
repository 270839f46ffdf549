"""Options that several sub-commands share."""

from __future__ import annotations

import argparse

__all__ = ["add_output_options", "add_camera_options", "add_deblur_options", "camera_options",
           "parse_saturation"]


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """--bit-depth, --force and --quiet, shared by the commands that write an image."""
    parser.add_argument("--bit-depth", type=int, choices=(8, 16), default=None,
                        help="output bit depth; None keeps the input's")
    parser.add_argument("--force", action="store_true",
                        help="replace existing output files (never an input)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")


def add_camera_options(parser: argparse.ArgumentParser, kernel: bool = False,
                       batch: bool = False) -> None:
    """--tone-curve and --saturation (and with ``kernel`` --kernel-tone-curve): how the
    file's values relate to the blurred light (:mod:`proxdeblur.camera`), shared by
    ``deconv``, ``deblur`` and ``batch`` (``batch``: no default, so that an option given
    to a task it does not belong to can be told from one left alone)."""
    prefix = "deconv, deblur: " if batch else ""
    parser.add_argument("--tone-curve", default=None if batch else "linear",
                        choices=("auto", "srgb", "gamma2.2", "linear"),
                        help=prefix + "the file's tone curve, which the deconvolution undoes "
                        "to remove the blur in linear light; linear: the values as stored; "
                        "auto: srgb for JPEG input, linear otherwise")
    if kernel:
        parser.add_argument("--kernel-tone-curve", default=None if batch else "linear",
                            choices=("srgb", "gamma2.2", "linear"),
                            help=("deblur: " if batch else "") + "the tone curve the kernel "
                            "estimate undoes at its two finest levels (the coarser ones work on "
                            "the values as stored); linear: every level on the values as stored")
    parser.add_argument("--saturation", default=None if batch else "0.98",
                        metavar="LEVEL|none",
                        help=prefix + "clip level: pixels at or above it (any channel) and "
                        "their neighbours are left out of the data terms; none: every pixel "
                        "counts" + (" (default 0.98)" if batch else ""))


def add_deblur_options(parser: argparse.ArgumentParser, batch: bool = False) -> None:
    """--safeguard and --light-streaks, what ``deblur`` decides beyond the kernel and the
    deconvolution, shared by ``deblur`` and ``batch`` (``batch``: no default, as
    :func:`add_camera_options`)."""
    from ..deblurring import SAFEGUARD_MODES

    prefix = "deblur: " if batch else ""
    parser.add_argument("--safeguard", choices=SAFEGUARD_MODES,
                        default=None if batch else "report",
                        help=prefix + "the do-no-harm check of the restoration: report its "
                        "verdict, also compare the kernel with a wider search's and fall back "
                        "to a stronger prior (then the input) when it fires, or skip it"
                        + ("; None: deblur's" if batch else ""))
    parser.add_argument("--light-streaks", choices=("on", "off"), default=None if batch else "on",
                        help=prefix + "look for point lights the shake drew as light streaks "
                        "(three or more agreeing, on a dark surround: night photographs) and "
                        "let the kernel estimate follow them" + ("; None: deblur's" if batch
                                                                 else ""))


def parse_saturation(text: str) -> float | None:
    """``--saturation``'s value: a clip level in (0, 1], or None for ``none``."""
    from ..errors import InvalidArgumentError

    if text.lower() == "none":
        return None
    try:
        saturation = float(text)
    except ValueError:
        saturation = -1.0
    if not 0 < saturation <= 1:
        raise InvalidArgumentError("--saturation", "a clip level in (0, 1] or none", repr(text))
    return saturation


def camera_options(args) -> dict:
    """``deconvolve``/``deblur`` keywords of ``--tone-curve`` and ``--saturation`` for the
    input file ``args.input`` (validated: an error names the option)."""
    from ..deblurring import tone_curve_for

    return {"tone_curve": tone_curve_for(args.tone_curve, args.input),
            "saturation": parse_saturation(args.saturation)}
