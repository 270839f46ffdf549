"""Priors φ: classical penalties with exact proxes and analysis priors φ(Du).

The names are those of :mod:`proxdeblur.priors.classical` (its ``__all__``).
"""

from .classical import *  # noqa: F403 - re-export the curated names
from .classical import __all__  # noqa: F401
