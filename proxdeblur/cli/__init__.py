"""The ``proxdeblur`` command.

``demo`` runs the library on a built-in example; ``deconv`` removes a known blur
from an image file; ``deblur`` an unknown one (estimating the kernel); ``denoise``
removes Gaussian noise with a bundled network; ``zoo`` lists the bundled networks;
``train`` trains one; ``bench levin`` runs the blind benchmark of Levin et al. 2009.
User errors print one line on stderr and exit with status 2; inputs are never
overwritten and outputs are written atomically. Modules: :mod:`.parser` (options),
:mod:`.commands` (handlers), :mod:`.demo`, :mod:`.plots`, :mod:`.files`.
"""

from __future__ import annotations

import os
import sys

from ..errors import ProxdeblurError
from .parser import EXIT_USAGE, build_parser

__all__ = ["main", "build_parser", "EXIT_USAGE"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``proxdeblur`` command; returns the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        return args.run(args)
    except ProxdeblurError as exc:
        print(f"proxdeblur: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"proxdeblur: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
