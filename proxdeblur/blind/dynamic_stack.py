"""Dynamic stacking: plug-and-play HQS with a restorer and an adaptive degradation.

Wang et al., "Stacking Networks Dynamically for Image Restoration Based on the
Plug-and-Play Framework" (seed 003), eqs. 4–10. With ``L(x, v) = ½‖y − A⁽ᵗ⁾x‖² +
λ f(v) + (μ/2)‖v − x‖²`` (eq. 3), each iteration

1. takes **one gradient step** in x (eq. 6):
   ``x ← x − δ[A⁽ᵗ⁾ᵀ(A⁽ᵗ⁾x − y) + μ(x − v)]``. The paper's second line drops μ on the
   ``δv`` term (it writes ``+ δv``), which contradicts its first line; we take the
   consistent form ``+ δμv``. With ``δ < 1/L``, ``L = ‖A‖² + μ`` (``‖A‖ ≤ 1`` for a
   kernel on the simplex), the step cannot increase the x-objective (descent lemma);
   the default is ``δ = 0.99/(1 + μ)``;
2. sets ``v = N(x)`` (eq. 7): a restorer (DMPHN, the paper's deblurrer) or a denoiser
   at a noise level ``sigma``;
3. **adapts the degradation** (eqs. 9–10): ``min_A ‖A x + n̂ − y‖²`` with ``n̂`` the
   noise a denoiser sees in ``y`` (the paper's DnCNN). As printed, eq. 10 subtracts a
   scalar ``xᵀAx`` from the matrix A, and an N×N matrix is infeasible at photo size.
   Our reading: A⁽ᵗ⁾ is a convolution with a kernel k⁽ᵗ⁾ on the probability simplex,
   started at the delta (A⁽⁰⁾ = I, as the paper starts), updated by the blind
   estimator's kernel step (:func:`~proxdeblur.blind.kernel_step`: projected
   gradient on the simplex, fitted on the image gradients and on the observed
   interior) towards ``k ∗ x ≈ y − n̂``, ``kernel_max_iter`` steps per iteration;
4. raises μ by ``mu_growth`` (μ non-decreasing, as the paper asks).

``adaptive=False`` keeps A at its start, the identity by default: the *static*
iteration, the restorer applied again and again, blended with y.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from .._fft import fast_len
from .._validation import as_image, as_kernel, check_int, check_positive
from ..errors import InvalidArgumentError
from ..kernels import delta_kernel
from ..noise import estimate_noise
from ..operators import Convolution
from ..padding import periodic_extension
from ..priors.base import Denoiser, Restorer, as_restorer_function
from ..solvers.result import IterationState, SolverResult, relative_change, run
from .kernel_step import kernel_step
from .observed import fits_inside

__all__ = ["dynamic_stack", "dynamic_stack_iter"]


def _prior_function(prior, sigma):
    if isinstance(prior, Restorer) or (callable(prior) and not isinstance(prior, Denoiser)):
        return as_restorer_function(prior, "prior")
    if isinstance(prior, Denoiser):
        sigma = check_positive(sigma, "sigma")
        return lambda x: prior.denoise(x, sigma)
    raise InvalidArgumentError("prior", "a restorer, a function of an image or a denoiser",
                               type(prior).__name__)


def _periodic_grid(shape, kernel_shape) -> tuple[int, int]:
    """The periodic arrays' shape for the kernel step: the image plus the support, fast."""
    return fast_len(shape[0] + kernel_shape[0]), fast_len(shape[1] + kernel_shape[1])


def _fit_kernel(kernel, x, periodic_target, max_iter, weight):
    """Kernel steps on the simplex towards ``k ∗ x ≈ target`` (step 3 of the docstring);
    ``periodic_target`` is the target already extended to :func:`_periodic_grid`."""
    observed = x.shape if fits_inside(x.shape, kernel.shape) else None
    result = kernel_step(periodic_extension(x, periodic_target.shape), periodic_target, kernel,
                         max_iter=max_iter, weight=weight, observed=observed)
    return result.kernel


def dynamic_stack_iter(image, prior, *, max_iter: int = 7, mu: float = 0.2,
                       mu_growth: float = 1.0, step: float | None = None,
                       adaptive: bool = True, kernel_size: int = 15, kernel_max_iter: int = 3,
                       kernel_weight: float = 0.0, noise_denoiser=None, sigma: float | None = None,
                       boundary: str = "symmetric", kernel=None) -> Iterator[IterationState]:
    """Generator form of :func:`dynamic_stack`: yields the state after each iteration."""
    y = as_image(image, "image", min_side=8, unit=True).astype(np.float64)
    if y.ndim != 2:
        raise InvalidArgumentError("image", "a gray (H, W) image (colour: channel by channel)",
                                   y.shape)
    network = _prior_function(prior, sigma)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    mu = check_positive(mu, "mu")
    mu_growth = check_positive(mu_growth, "mu_growth")
    if mu_growth < 1:
        raise InvalidArgumentError("mu_growth", "a factor >= 1 (mu never decreases)", mu_growth)
    if kernel is None:
        kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        if kernel_size % 2 == 0 or 3 * kernel_size > min(y.shape):
            raise InvalidArgumentError("kernel_size", "an odd size at most a third of the image",
                                       kernel_size)
        kernel = delta_kernel(kernel_size)
    else:
        kernel = as_kernel(kernel, "kernel", normalize=True)
        if 3 * max(kernel.shape) > min(y.shape):
            raise InvalidArgumentError("kernel", "a kernel at most a third of the image",
                                       kernel.shape)
    kernel_max_iter = check_int(kernel_max_iter, "kernel_max_iter")
    kernel_weight = check_positive(kernel_weight, "kernel_weight", allow_zero=True)
    if step is not None:
        step = check_positive(step, "step")
    target = y
    if adaptive and noise_denoiser is not None:
        if not isinstance(noise_denoiser, Denoiser):
            raise InvalidArgumentError("noise_denoiser", "a denoiser (denoise(x, sigma))",
                                       type(noise_denoiser).__name__)
        noise = estimate_noise(y)
        if np.isfinite(noise) and noise > 0:
            target = np.asarray(noise_denoiser.denoise(y, noise), dtype=np.float64)  # y − n̂
    clock = time.perf_counter()
    # the target is the same at every iteration: extended periodically once
    periodic_target = (periodic_extension(target, _periodic_grid(y.shape, kernel.shape))
                       if adaptive else None)
    x = y.copy()
    v = np.asarray(network(x), dtype=np.float64)
    elapsed = time.perf_counter() - clock
    yield IterationState(0, x, None, float("inf"), elapsed,
                         extra={"mu": mu, "kernel_change": np.nan, "data": np.nan},
                         arrays={"kernel": kernel, "v": v})
    for t in range(1, max_iter + 1):
        clock = time.perf_counter()
        blur = Convolution(kernel, boundary)
        delta = step if step is not None else 0.99 / (1.0 + mu)
        residual = blur.forward(x) - y
        x_new = x - delta * (blur.adjoint(residual) + mu * (x - v))
        data = 0.5 * float(np.sum((blur.forward(x_new) - y) ** 2))
        objective = data + 0.5 * mu * float(np.sum((x_new - v) ** 2))
        change = relative_change(x_new, x)
        x = x_new
        v = np.asarray(network(x), dtype=np.float64)
        kernel_change = 0.0
        if adaptive:
            new_kernel = _fit_kernel(kernel, x, periodic_target, kernel_max_iter, kernel_weight)
            kernel_change = float(np.linalg.norm(new_kernel - kernel))
            kernel = new_kernel
        extra = {"mu": mu, "kernel_change": kernel_change, "data": data}
        mu *= mu_growth
        elapsed += time.perf_counter() - clock
        yield IterationState(t, x, objective, change, elapsed, extra=extra,
                             arrays={"kernel": kernel, "v": v})


def dynamic_stack(image, prior, *, max_iter: int = 7, mu: float = 0.2, mu_growth: float = 1.0,
                  step: float | None = None, adaptive: bool = True, kernel_size: int = 15,
                  kernel_max_iter: int = 3, kernel_weight: float = 0.0, noise_denoiser=None,
                  sigma: float | None = None, boundary: str = "symmetric", kernel=None,
                  tol: float = 0.0, callback=None, reference=None,
                  progress: bool = False) -> SolverResult:
    """Restore a blurred gray image by dynamic stacking (module docstring).

    Parameters
    ----------
    image : ndarray (H, W)
        The blurred image on [0, 1].
    prior : Restorer, callable or Denoiser
        The v-step: ``N(x)``, or ``D(x, sigma)`` for a denoiser.
    max_iter : int
        Iterations (each one x-step, one v-step, one kernel update). The iteration is
        not a contraction: a restorer that also sharpens sharp input (the bundled
        DMPHN never saw unblurred pairs) over-sharpens x after the PSNR peaks, so
        the count is a stopping rule. The defaults (7 iterations, μ = 0.2, 3 kernel
        steps) peak on average for the bundled DMPHN on the tuning set of
        ``benchmarks/restorer_synthetic.py`` (train400's held-out images).
    mu, mu_growth : float
        The penalty μ and its growth factor per iteration (≥ 1).
    step : float, optional
        δ of the x-step (default ``0.99/(1 + μ)``, below ``1/L``).
    adaptive : bool
        Adapt the degradation (eqs. 9–10); False: the static iteration, A = I.
    kernel_size, kernel_max_iter, kernel_weight : int, int, float
        The support of k⁽ᵗ⁾, the kernel steps per iteration and the weight of ``½η‖k‖²``.
    noise_denoiser : Denoiser, optional
        Gives n̂ = y − D(y, σ̂) (σ̂ estimated); None: n̂ = 0.
    sigma : float, optional
        The v-step's noise level when ``prior`` is a denoiser.
    boundary : str
        Boundary model of A (:class:`~proxdeblur.operators.Convolution`).
    kernel : ndarray, optional
        k⁽⁰⁾ (default: the delta of ``kernel_size``, A⁽⁰⁾ = I as in the paper); with
        ``adaptive=False`` A stays this convolution.
    tol, callback, reference, progress
        As for the other solvers (``reference`` adds ``"psnr"`` to the history).

    Returns
    -------
    SolverResult
        ``x`` the last x-iterate; history ``"objective"`` (the x-objective after the
        step), ``"data"`` (½‖A x − y‖²), ``"kernel_change"``, ``"mu"``, ``"seconds"``;
        ``arrays`` the last kernel k⁽ᵗ⁾ (``"kernel"``) and network output (``"v"``).
    """
    states = dynamic_stack_iter(image, prior, max_iter=max_iter, mu=mu, mu_growth=mu_growth,
                                step=step, adaptive=adaptive, kernel_size=kernel_size,
                                kernel_max_iter=kernel_max_iter, kernel_weight=kernel_weight,
                                noise_denoiser=noise_denoiser, sigma=sigma, boundary=boundary,
                                kernel=kernel)
    if reference is not None:
        reference = as_image(reference, "reference", unit=True)
    return run(states, tol=tol, callback=callback, reference=reference, progress=progress,
               description="dynamic stacking", total=max_iter)
