"""Options that several sub-commands share."""

from __future__ import annotations

import argparse

__all__ = ["add_output_options"]


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """--bit-depth, --force and --quiet, shared by the commands that write an image."""
    parser.add_argument("--bit-depth", type=int, choices=(8, 16), default=None,
                        help="output bit depth; None keeps the input's")
    parser.add_argument("--force", action="store_true",
                        help="replace existing output files (never an input)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
