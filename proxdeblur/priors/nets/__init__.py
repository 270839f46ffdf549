"""Network architectures used as learned priors (one module per family)."""

from .dncnn import DnCNN
from .gcm_generator import GCMGenerator

__all__ = ["DnCNN", "GCMGenerator"]
