"""What the kernel estimate did: typed per-level records, the result, and its warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LevelRecord", "KernelEstimate", "diagnose_kernel", "COLLAPSED_MASS"]

#: A kernel holding more than this fraction of its mass in one pixel has collapsed.
COLLAPSED_MASS = 0.9


@dataclass
class LevelRecord:
    """One pyramid level.

    Attributes
    ----------
    scale : float
        Image scale of the level (1 at the finest).
    image_shape, kernel_shape : (int, int)
        The level's image and kernel support.
    seconds, latent_seconds, kernel_seconds : float
        Wall time of the level, and of its latent and kernel steps.
    kernel_change : float
        Relative change of the kernel in the level's last alternation.
    kernel_objective : list of (float, float)
        The kernel step's objective at its start and end, per alternation.
    """

    scale: float
    image_shape: tuple[int, int]
    kernel_shape: tuple[int, int]
    seconds: float = 0.0
    latent_seconds: float = 0.0
    kernel_seconds: float = 0.0
    kernel_change: float = float("nan")
    kernel_objective: list = field(default_factory=list)


@dataclass
class KernelEstimate:
    """What :func:`~proxdeblur.blind.estimate_kernel` did.

    Attributes
    ----------
    kernel : ndarray or None
        The estimated kernel (non-negative, sums to 1).
    levels : list of LevelRecord
        One per pyramid level, coarse to fine.
    warnings : list of str
        E.g. a kernel that collapsed to (nearly) a delta, or that was still
        changing at the finest level.
    collapsed : bool
        More than ``COLLAPSED_MASS`` of the kernel's mass is in one pixel.
    converged : bool
        The kernel's relative change in the last alternation was below the
        settled change.
    seconds : float
    latent : ndarray or None
        The last latent (image, or gradient magnitude), cropped to the input's size.
    noise_sigma : float
        The noise level used for the λ floor (given or estimated).
    lam_floor : float
        The floor λ decayed to: ``max(lam_min, noise_floor · noise_sigma²)``.
    """

    kernel: np.ndarray | None = None
    levels: list[LevelRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    collapsed: bool = False
    converged: bool = True
    seconds: float = 0.0
    latent: np.ndarray | None = None
    noise_sigma: float = 0.0
    lam_floor: float = 0.0


def diagnose_kernel(kernel: np.ndarray, change: float,
                    settled_change: float = 0.05) -> tuple[bool, bool, list]:
    """``(collapsed, converged, warnings)`` for a final kernel and its last relative change.

    Collapsed: more than 90 % of the mass in one pixel (a delta: the image
    looked sharp, or the support or the weights are wrong). Converged: the
    relative change of the last alternation was below ``settled_change``.
    """
    collapsed = bool(kernel.max() > COLLAPSED_MASS)
    converged = bool(change < settled_change)
    warnings = []
    if collapsed:
        warnings.append("the kernel collapsed to (nearly) a delta: the image may not be blurred, "
                        "or the kernel size or lam may be wrong")
    if not converged:
        warnings.append(f"the kernel was still changing at the finest level (relative change "
                        f"{change:.2f}); it may be fitting noise or compression artefacts: "
                        f"a higher noise level (noise=0.02; CLI --noise 0.02) often settles it")
    return collapsed, converged, warnings
