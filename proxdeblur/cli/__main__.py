"""``python -m proxdeblur.cli``: the ``proxdeblur`` command."""

import sys

from . import main

sys.exit(main())
