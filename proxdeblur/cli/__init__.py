"""The ``proxdeblur`` command.

``demo`` runs the library on a built-in example; ``deconv`` removes a known blur
from an image file; ``deblur`` an unknown one (estimating the kernel); ``denoise``
removes Gaussian noise with a bundled network; ``zoo`` lists the bundled networks;
``train`` trains one; ``batch`` runs one of these tasks on a folder of images on
Dask distributed; ``bench levin`` runs the blind benchmark of Levin et al. 2009.
User errors print one line on stderr and exit with status 2; inputs are never
overwritten and outputs are written atomically. Modules: :mod:`.parser` (options),
:mod:`.commands` (handlers), :mod:`.demo`, :mod:`.plots`, :mod:`.files`.
"""

from __future__ import annotations

import os
import sys

from ..errors import InvalidArgumentError, ProxdeblurError
from .parser import EXIT_USAGE, build_parser

__all__ = ["main", "build_parser", "EXIT_USAGE", "EXIT_INTERRUPTED"]

#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
#: The library's argument names that the command line spells as options: an error
#: about one names the option the user typed.
OPTIONS = {"kernel_size": "--kernel-size", "edge_softness": "--edge-softness",
           "noise": "--noise", "lam": "--lam", "p": "--p", "max_iter": "--max-iter",
           "sigma": "--sigma", "boundary": "--boundary", "image": "input",
           "ensemble": "--ensemble", "variable": "--kernel-variable", "kernel": "--kernel",
           "model": "--model", "kernel_region": "--kernel-region", "input_dir": "IN_DIR",
           "output_dir": "OUT_DIR", "reference_dir": "--reference", "report": "--report",
           "suffix": "--suffix", "workers": "--workers", "bit_depth": "--bit-depth",
           "chunk": "--chunk", "halo": "--halo", "steps": "--steps",
           "tone_curve": "--tone-curve", "saturation": "--saturation"}


def _message(exc: ProxdeblurError) -> str:
    if isinstance(exc, InvalidArgumentError) and exc.argument in OPTIONS:
        exc = InvalidArgumentError(OPTIONS[exc.argument], exc.expected, exc.got)
    return str(exc)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``proxdeblur`` command; returns the exit status: 0, 2 for a
    user error (one line on stderr), 130 after Ctrl-C."""
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        return args.run(args)
    except KeyboardInterrupt:
        print("\nproxdeblur: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ProxdeblurError as exc:
        print(f"proxdeblur: error: {_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"proxdeblur: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
