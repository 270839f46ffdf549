"""Network architectures used as learned priors (one module per family)."""

from .biskip import BiSkip
from .dmphn import DMPHN
from .dncnn import DnCNN
from .gcm_generator import GCMGenerator
from .golf import GolfNet
from .unet import UNetDenoiser

__all__ = ["BiSkip", "DMPHN", "DnCNN", "GCMGenerator", "GolfNet", "UNetDenoiser"]
