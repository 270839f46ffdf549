"""Network architectures used as learned priors (one module per family)."""

from .dncnn import DnCNN

__all__ = ["DnCNN"]
