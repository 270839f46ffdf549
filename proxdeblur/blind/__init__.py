"""Blind kernel estimation: coarse-to-fine alternation of a latent step and a kernel
step on the probability simplex.

``kernel, estimate = estimate_kernel(image, kernel_size)``; step by step with
:func:`estimate_kernel_iter`. One job per module: :mod:`.options` (settings),
:mod:`.pyramid` (levels and supports), :mod:`.latent` (the latent type),
:mod:`.latent_steps` (ℓ0, ℓp, GCM, restorer; pluggable), :mod:`.kernel_step`,
:mod:`.simplex` and :mod:`.observed` (the kernel step), :mod:`.refine`,
:mod:`.diagnostics` (records and warnings), :mod:`.estimate` (the loop),
:mod:`.region` (the window of a large photograph the kernel is estimated on);
:mod:`.dynamic_stack`, plug-and-play with a restorer and an adaptive kernel (seed 003).
The method and its measurements: ``docs/blind.md``.
"""

from .diagnostics import KernelEstimate, LevelRecord, diagnose_kernel
from .dynamic_stack import dynamic_stack, dynamic_stack_iter
from .estimate import AlternationState, estimate_kernel, estimate_kernel_iter
from .kernel_step import KernelStepResult, kernel_step
from .latent import Latent, select_edges
from .latent_steps import (
                           CLASSICAL_GENERATOR,
                           GCM_STARTS,
                           LATENT_STEP_NAMES,
                           GCMLatentStep,
                           LatentStep,
                           RestorerLatentStep,
                           SparseLatentStep,
                           latent_step,
                           make_latent_step,
)
from .observed import observed_interior
from .options import (
                           EDGE_SOFTNESS,
                           JPEG_NOISE,
                           EstimateOptions,
                           KernelOptions,
                           PyramidOptions,
                           ScheduleOptions,
                           resolve_options,
)
from .pyramid import kernel_support, largest_support
from .region import informative_region, region_side
from .streaks import LightStreak, find_light_streak

__all__ = [
    "LightStreak", "find_light_streak",
    "estimate_kernel", "estimate_kernel_iter", "dynamic_stack", "dynamic_stack_iter",
    "AlternationState", "KernelEstimate",
    "LevelRecord", "diagnose_kernel", "kernel_step", "KernelStepResult", "Latent",
    "select_edges", "LatentStep", "SparseLatentStep", "GCMLatentStep", "RestorerLatentStep",
    "latent_step", "make_latent_step", "LATENT_STEP_NAMES", "GCM_STARTS", "CLASSICAL_GENERATOR",
    "observed_interior", "EstimateOptions", "PyramidOptions", "ScheduleOptions", "KernelOptions",
    "resolve_options", "EDGE_SOFTNESS", "JPEG_NOISE", "kernel_support", "largest_support",
    "informative_region", "region_side",
]
