"""Blind kernel estimation: coarse-to-fine alternation of a sparse latent step and
a kernel step on the probability simplex.

At each level of an image pyramid (factor √2 per level, from a kernel of
about 3×3 up to the requested support) two steps alternate:

* **latent step** — a sharp, edge-only image ``u`` from the blurred image
  ``y`` and the current kernel ``k``:

  .. math:: \\min_u \\tfrac12\\|k \\ast u - y\\|^2 + \\lambda_g \\|\\nabla u\\|_0
            + \\lambda_i \\|u\\|_0

  (ℓ0 of the gradient and of the intensity: Pan, Hu, Su, Yang, "Deblurring
  text images via L0-regularized intensity and gradient prior", CVPR 2014;
  ``image_step="lp"`` uses the hyper-Laplacian ``λ_g‖∇u‖_p^p`` instead). It is
  solved by half-quadratic splitting with continuation of ρ, with the ℓ0
  (or ℓp) shrinkage kernels of :mod:`proxdeblur.shrinkage` as the auxiliary
  steps and the u-step in closed form through the FFT, on the image extended
  periodically by :func:`proxdeblur.padding.periodic_extension`;
* **kernel step** — the kernel update of Liu et al., "Learning Collaborative
  Generation Correction Modules for Blind Image Deblurring and Beyond" (ACM MM
  2018), eq. (6):

  .. math:: \\min_{k \\in \\Delta} \\tfrac12 \\sum_{d\\in\\{h,v\\}} \\|\\partial_d u \\ast k
            - \\partial_d y\\|^2 + \\tfrac{\\eta}{2}\\|k\\|^2,
            \\qquad \\Delta = \\{k \\ge 0, \\textstyle\\sum k = 1\\}

  (the ½ factors are ours; they only rescale η). The objective is an
  ``n``-dimensional quadratic (``n`` = kernel pixels) whose Hessian entries are
  the autocorrelation of the gradient images and whose linear term is their
  cross-correlation with the blurred gradients, both computed once by FFT; the
  problem is then solved in the small space by accelerated projected gradient
  with the exact Euclidean projection onto Δ
  (:func:`proxdeblur.kernels.project_simplex`), warm-started from the current
  kernel, with a monotone safeguard so the objective never increases.
  :func:`kernel_step` takes η either relative to ``R(0) = Σ_d‖∂_d u‖²`` (the
  Hessian's diagonal: ``η = eta · R(0)``) or absolute (``weight``).
  :func:`estimate_kernel` uses one absolute weight ``η = eta · H·W`` (``H·W``
  the input's pixel count) at every pyramid level. Relative to the data term,
  which sums over the level's pixels, the ℓ2 term is therefore about ``1/s²``
  times stronger at a level of scale ``s``: the coarse levels, which see few
  pixels and only the strongest edges, keep a spread kernel instead of
  committing early to a wrong sparse one. Against a weight relative to
  ``R(0)`` at every level it gained 0.4 dB on Levin et al. 2009 (largest error
  ratio 12.3 → 5.2) and 0.24 dB on a held-out synthetic set
  (``benchmarks/RESULTS.md``).

**Edge softness.** The sparse latent has step edges; a photograph's edges are
softer (optics, demosaicing, the sensor's pixel area). A kernel fitted to step
edges absorbs that softness and comes out too thick, and the final
deconvolution then over-sharpens: on Levin et al. 2009 the estimates of the
plain model matched the true kernels blurred by a 0.7-pixel Gaussian (kernel
similarity 0.94) better than the true kernels themselves (0.84). The model
therefore writes the photograph as steps seen through a fixed Gaussian ``g_σ``:
the latent step deconvolves ``k ∗ g_σ`` (:func:`soften_kernel`) and the kernel
step fits ``k`` to ``g_σ ∗ u``, with ``σ = edge_softness · s`` at a level of
scale ``s``. The kernel returned is ``k`` alone. The default σ = 0.5 pixel
(``EDGE_SOFTNESS``) gained 0.3 dB on Levin et al. 2009 and changed a held-out
synthetic set and larger photographs by less than their noise; softer settings
gain more on Levin and lose on the sharper held-out images
(``benchmarks/RESULTS.md``), so the right value depends on the camera.

After each kernel step, small entries (below ``threshold`` times the maximum)
can be zeroed and connected components holding less than ``prune`` of the
mass removed (both off by default, see :func:`estimate_kernel`), and the kernel
is shifted by whole pixels so that its centre of mass is at its centre
(``centre=True``), so that a drifting kernel never leaves its support. All
three are standard in practice and switchable.

**A support larger than the blur.** Users rarely know the blur's extent and
pass a generous ``kernel_size``; the estimate must not depend on it. Three
measures make it not (measured on Levin et al. 2009 with the support 1×, 2× and
3× the true kernel's, capped at a third of the image; ``benchmarks/RESULTS.md``):

* the pyramid stops before its images get smaller than ``min_level_side`` (32)
  pixels, even if the kernel there is still larger than 3×3. Without this a
  support twice the blur's put the coarsest levels on 14–20-pixel images, which
  hold no usable edges, and Levin fell from 30.5 to 23.3 dB;
* from the second level on, the support follows the kernel: it is bounded by
  the previous level's kernel extent (entries ≥ 5 % of the maximum) times the
  scale step times ``1 + support_margin``, plus 2 pixels. A compact kernel in a
  large support is then estimated on a support of about its own size, which
  keeps the kernel step from spreading mass over the empty border and makes
  a 3× support ten times faster;
* the final kernel is cleaned once (``final_threshold``, ``final_prune``: entries
  below 2 % of the maximum zeroed, components under 2 % of the mass removed),
  which removes the faint speckle a large support collects.

The returned kernel always has the requested support (zero-padded).

**Room around the blur (an option, off by default).** The opposite case is a
support of exactly the blur's extent, the way benchmarks pass it. An estimate
centred by its centre of mass may then not fit: a camera-shake kernel's centre
of mass is rarely the centre of its bounding box, and the estimate is a little
thicker than the truth, so the support can cut its tails. With
``support_room = r > 0`` the pyramid searches a support ``r`` pixels wider on
every side than requested (up to a third of the image's smaller side), and the
final kernel is cut back to the requested size by the window that holds the
most of its mass (:func:`~proxdeblur.kernels.heaviest_window`; the centred one
when the kernel fits), at the price of a centre of mass up to ``r`` pixels from
the centre (a whole-pixel translation of the restoration). Measured with
``r = 4`` (``benchmarks/RESULTS.md``, 2026-12-02): Levin et al. 2009 at the true
support, quarter-pixel scale, 32.87 → 33.37 dB and mean error ratio 1.52 →
1.33, whole-pixel 30.99 → 31.00 dB but worst error ratio 3.19 → 5.35; held out
it is not confirmed (16 synthetic BSD68 cases 25.51 → 25.17 dB, 48 others 25.66
→ 25.95 dB, per-case changes of several dB both ways; kernel similarity on
tight-support synthetic kernels 0.929 → 0.919), so the default stays 0.

**Observed pixels only.** Both steps work on the image extended periodically by
a harmonic band (:func:`~proxdeblur.padding.periodic_extension`), which the FFT
needs. The band is not data: it is an interpolation between opposite edges, and
near the image's border the blur footprint of an observed pixel reaches into
it, so a kernel fitted to every pixel of the periodic arrays also fits the
band's made-up structure. From the level at half the input's resolution on
(``observed_min_scale``) the kernel step's data term therefore counts only the
observed pixels whose blur footprint and forward differences lie inside the
observed image (:func:`observed_interior`), the model of a photograph whose
scene extends beyond its frame (``kernel_step(observed=...)``). That objective
is not Toeplitz; it is minimized by majorize–minimize steps whose surrogate is
the Toeplitz quadratic of the zero-padded observed gradients (which majorizes
it), each surrogate solved like the periodic step, in a few steps
(:func:`_observed_kernel_step`). Measured (``benchmarks/RESULTS.md``): on Levin
et al. 2009 30.55 → 30.99 dB with whole-pixel alignment and 32.04 → 32.87 dB
with Levin et al.'s quarter-pixel alignment, every image at error ratio ≤ 3
under the latter (88 % before); on 64 held-out synthetic cases +0.2 dB. The
coarse levels keep the periodic fit: with the observed fit at every level
Levin gains more (33.04 dB quarter-pixel) but a held-out crop of long straight
edges loses its kernel (22.6 → 19.1 dB). Re-filling the band with the model's
prediction before each latent step (a missing-data EM for the latent) added
nothing.

Known limitation, measured on Levin et al. 2009 (``benchmarks/RESULTS.md``):
the kernel step (its fit to the periodic band aside, above) is not what limits
the estimate — given the true sharp image
it returns kernels that restore *better* than the true ones (34.9 dB against
33.8 dB, similarity 0.96; Levin's blur is a photograph, not an exact
convolution) — the latent image is. The ℓ0 latent's edges are
sharper than real ones, so the kernel absorbs the difference and comes out
thicker (from the true kernel the alternation drifts from similarity 0.96 to
0.85 in eight iterations on ``im1_kernel1``, before edge softness was
modelled; the modelled softness removes only part of it); a hyper-Laplacian or
plug-and-play latent drifts the other way, towards the no-blur solution Levin
et al. predict (a final refinement, ``refine``, with the hyper-Laplacian
latent: one step gained 0.1 dB on Levin and lost 0.1 dB on a held-out
synthetic set; two steps with a plug-and-play latent lost 0.2 dB on Levin).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft
from scipy import ndimage
from skimage.restoration import estimate_sigma
from skimage.transform import resize
from tqdm.auto import tqdm

from .. import shrinkage
from .._validation import as_image, check_in_range, check_int, check_positive
from ..errors import InvalidArgumentError
from ..kernels import centre_kernel, heaviest_window, project_simplex, transfer_function
from ..padding import periodic_extension

__all__ = ["estimate_kernel", "kernel_step", "latent_step", "KernelEstimate", "kernel_support",
           "largest_support", "clean_kernel", "diagnose_kernel", "select_edges", "IMAGE_STEPS", "KERNEL_ETA",
           "EDGE_SOFTNESS", "SETTLED", "SETTLE", "soften_kernel", "GCM_STARTS", "NOISE_FLOOR",
           "CLASSICAL_GENERATOR", "kernel_extent", "MIN_LEVEL_SIDE", "SUPPORT_MARGIN",
           "FINAL_CLEAN", "JPEG_NOISE", "observed_interior", "OBSERVED_ITERATIONS", "OBSERVED_MIN_SCALE"]

#: :func:`estimate_kernel`'s kernel weight per input pixel: the kernel step's
#: ``½η‖k‖²`` has ``η = KERNEL_ETA · H·W`` at every level (module docstring).
KERNEL_ETA = 1.5e-4
#: :func:`estimate_kernel`'s edge softness: the standard deviation, in pixels of
#: the input, of the Gaussian by which the sparse latent's step edges are softened
#: to model a photograph's edges (module docstring, "Edge softness").
EDGE_SOFTNESS = 0.5
#: :func:`estimate_kernel`'s noise-aware floor of λ: ``λ ≥ NOISE_FLOOR · σ²`` for noise σ.
NOISE_FLOOR = 3.0
#: Error level assumed for JPEG photographs (``estimate_kernel(min_noise=...)``, used
#: by the CLI and :func:`proxdeblur.deblurring.source_kernel_options`): their departure
#: from the model (compression, in-camera processing) is structured, and the wavelet
#: noise estimate sees almost none of it.
JPEG_NOISE = 0.01
#: Relative change of the kernel in one alternation below which it counts as settled.
SETTLED = 0.05
#: :func:`estimate_kernel`'s most extra alternations at the finest level while the
#: kernel has not settled.
SETTLE = 12
#: :func:`estimate_kernel`'s smallest image side (pixels) at the coarsest pyramid level.
MIN_LEVEL_SIDE = 32
#: :func:`estimate_kernel`'s margin of the adaptive support (module docstring,
#: "A support larger than the blur").
SUPPORT_MARGIN = 0.25
#: :func:`estimate_kernel`'s default extra pixels of search support on every side of
#: the requested one (module docstring, "Room around the blur"): none.
SUPPORT_ROOM = 0
#: Fraction of the maximum above which a kernel entry counts for :func:`kernel_extent`.
EXTENT_THRESHOLD = 0.05
#: :func:`estimate_kernel`'s clean-up of the final kernel: entries below this
#: fraction of the maximum are zeroed, then components holding less than this
#: fraction of the mass removed (:func:`clean_kernel`).
FINAL_CLEAN = 0.02

#: :func:`estimate_kernel` fits the kernel to the observed pixels from this scale on.
OBSERVED_MIN_SCALE = 0.5
#: :func:`estimate_kernel`'s majorize–minimize steps per kernel step on the observed pixels.
OBSERVED_ITERATIONS = 6
#: Iterations (and relative-change tolerance) of each majorized quadratic's solve.
MAJORIZED_ITERATIONS = 100
MAJORIZED_TOL = 1e-5

IMAGE_STEPS = ("l0", "lp", "gcm")
#: Where each GCM latent step starts (:func:`estimate_kernel`'s ``gcm_start``).
GCM_STARTS = ("observation", "previous")
#: The model-based GCM generator: the classical ℓ0 latent step (:func:`gcm_latent_step`).
CLASSICAL_GENERATOR = "l0"


def kernel_support(kernel_size, image_shape) -> tuple[int, int]:
    """Validate a kernel size: an odd int or an ``(h, w)`` pair of odd ints, each
    at least 3 and at most a third of the image's smaller side."""
    if isinstance(kernel_size, (int, np.integer)):
        size = (int(kernel_size), int(kernel_size))
    else:
        try:
            size = tuple(int(s) for s in kernel_size)
        except (TypeError, ValueError):
            raise InvalidArgumentError("kernel_size", "an odd int or an (h, w) pair of odd ints",
                                       repr(kernel_size)) from None
        if len(size) != 2 or any(s != float(t) for s, t in zip(size, kernel_size, strict=False)):
            raise InvalidArgumentError("kernel_size", "an odd int or an (h, w) pair of odd ints",
                                       repr(kernel_size))
    limit = min(image_shape[:2]) // 3
    for s in size:
        if s < 3 or s % 2 == 0:
            raise InvalidArgumentError("kernel_size", "odd sizes of at least 3", repr(kernel_size))
        if s > limit:
            raise InvalidArgumentError(
                "kernel_size", f"at most a third of the image's smaller side ({limit})",
                repr(kernel_size))
    return size


def largest_support(image_shape) -> int:
    """The largest odd kernel side :func:`kernel_support` accepts for an image of this shape."""
    return (min(image_shape[:2]) // 3 - 1) | 1


def _gradients(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences (vertical, horizontal)."""
    return np.roll(x, -1, axis=0) - x, np.roll(x, -1, axis=1) - x


def latent_step(blurred: np.ndarray, kernel: np.ndarray, lam: float, lam_intensity: float = 0.0,
                *, image_step: str = "l0", p: float = 0.8, rho_growth: float = 2.0,
                rho_max: float = 1e5) -> np.ndarray:
    """The latent (sharp-structure) step on a periodic image.

    HQS for ``½‖k∗u − y‖² + λ_g ψ(∇u) + λ_i‖u‖₀`` with ψ the isotropic ℓ0
    (``image_step="l0"``) or ℓp norm of the gradient, circular boundary.
    ρ starts at ``2λ_g`` and grows by ``rho_growth`` up to ``rho_max``
    (the schedule of Pan et al. 2014, in the ½ convention); each iteration
    shrinks ``∇u`` (and ``u``) exactly, then solves
    ``(KᵀK + ρDᵀD + ρ[λ_i>0] I) u = Kᵀy + ρDᵀz_g + ρ z_i`` by FFT.
    """
    shape = blurred.shape
    K = transfer_function(kernel, shape)
    delta = np.zeros(shape)
    delta[0, 0] = 1.0
    dv, dh = (sfft.rfft2(g) for g in _gradients(delta))
    Y = sfft.rfft2(blurred)
    KtY = np.conj(K) * Y
    KtK = np.abs(K) ** 2
    DtD = np.abs(dv) ** 2 + np.abs(dh) ** 2
    u = blurred.copy()
    rho = 2.0 * lam
    while rho < rho_max:
        gv, gh = _gradients(u)
        grads = np.stack([gv, gh])
        if image_step == "l0":
            grads = shrinkage.prox_group(grads, lam / rho, 0.0, axis=0)
        else:
            grads = shrinkage.prox_group(grads, lam / rho, p, axis=0)
        # Dᵀz in space (the adjoint of circular forward differences), then one FFT
        adjoint = (np.roll(grads[0], 1, axis=0) - grads[0]) + (np.roll(grads[1], 1, axis=1) - grads[1])
        numerator = KtY + rho * sfft.rfft2(adjoint)
        denominator = KtK + rho * DtD
        if lam_intensity > 0:
            numerator = numerator + rho * sfft.rfft2(shrinkage.prox_l0(u, lam_intensity / rho))
            denominator = denominator + rho
        u = sfft.irfft2(numerator / denominator, s=shape)
        rho *= rho_growth
    return u


def _as_image(latent) -> np.ndarray:
    """A latent image, or the magnitude of latent gradients (GCM's image step)."""
    return np.hypot(latent[0], latent[1]) if isinstance(latent, list) else latent


def _check_generator_name(name: str) -> None:
    """The one generator given by name is the classical step (:data:`CLASSICAL_GENERATOR`)."""
    if name != CLASSICAL_GENERATOR:
        raise InvalidArgumentError("generator", f"a callable, a restorer or "
                                   f"{CLASSICAL_GENERATOR!r}", repr(name))


def gcm_latent_step(blurred: np.ndarray, kernel: np.ndarray, lam: float, *, p: float = 0.8,
                    generator=None, gamma: float = 0.02, iterations: int = 5,
                    start: list | None = None, corrector: bool = True) -> list:
    """The latent step by GCM in the gradient domain (Liu et al. 2018, section 4.1).

    Runs :func:`proxdeblur.solvers.gcm` on both gradient components of the
    periodic blurred image at once (as two channels) with
    ``Ψ(u) = ½‖k ∗ u − ∇y‖² + λ‖u‖_p^p``, from ``start`` (the previous latent
    gradients) or ``∇y`` (Algorithm 1's ``u⁰ = y``); returns ``[∂_v u, ∂_h u]``.
    ``p = 0`` uses the ℓ0 count (exact hard threshold) instead of ℓp.
    ``generator=None`` is the paper's "Corrector" variant (proximal gradient
    only), ``corrector=False`` its "Generator" variant (generators alone).

    ``generator="l0"`` is a model-based generator: it proposes the gradients
    of the classical latent step (:func:`latent_step`, ℓ0 by HQS with
    continuation, from ``y``) whatever the warm start. It is there to measure
    what the corrector does to the classical step's own output: with it,
    "Generator only" is the classical step, and GCM keeps the proposal only
    where ``Ψ`` ranks it at least as low as the current iterate, then moves it
    by proximal gradient on ``Ψ``.
    """
    from ..operators import Convolution
    from ..priors.classical import L0, Lp
    from .gcm import gcm

    if isinstance(generator, str):
        _check_generator_name(generator)
        proposal = np.stack(_gradients(latent_step(blurred, kernel, lam)), axis=-1)

        def generator(warm, proposal=proposal):
            return proposal

    observed = np.stack(_gradients(blurred), axis=-1)
    x0 = observed if start is None else np.stack(start, axis=-1)
    prior = L0(lam) if p == 0 else Lp(lam, p)
    result = gcm(Convolution(kernel, "circular"), observed, prior, generator, gamma=gamma,
                 max_iter=iterations, x0=x0, corrector=corrector)
    return [result.x[..., 0], result.x[..., 1]]


def select_edges(latent, kernel_pixels: int, ratio: float = 2.0) -> list:
    """Gradients of ``latent`` with all but the strongest set to zero.

    The selection of Cho & Lee, "Fast motion deblurring", SIGGRAPH Asia 2009:
    gradient directions fall into four bins (0°, 45°, 90°, 135°, modulo 180°);
    the magnitude threshold is the largest that keeps at least
    ``ratio · kernel_pixels`` pixels in every bin.
    """
    gv, gh = latent if isinstance(latent, list) else _gradients(latent)
    magnitude = np.hypot(gv, gh)
    angle = np.mod(np.arctan2(gv, gh), np.pi)
    bins = np.floor((angle + np.pi / 8) / (np.pi / 4)).astype(int) % 4
    keep = int(ratio * kernel_pixels)
    threshold = np.inf
    for b in range(4):
        values = magnitude[(bins == b) & (magnitude > 0)]
        if values.size:
            threshold = min(threshold, np.sort(values)[::-1][min(keep, values.size) - 1])
    mask = magnitude >= threshold
    return [gv * mask, gh * mask]


def _correlations(latent, blurred: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Autocorrelation of ∇u, cross-correlation of ∇u with ∇y (circular), and
    ``max_ω Σ_d|F∂_d u|²``, a bound on the largest eigenvalue of the Hessian."""
    power = 0.0
    cross = 0.0
    latent_gradients = latent if isinstance(latent, list) else _gradients(latent)
    for gu, gy in zip(latent_gradients, _gradients(blurred), strict=False):
        U = sfft.rfft2(gu)
        power = power + np.abs(U) ** 2
        cross = cross + np.conj(U) * sfft.rfft2(gy)
    shape = blurred.shape
    return sfft.irfft2(power, s=shape), sfft.irfft2(cross, s=shape), float(power.max())


@dataclass
class KernelStepResult:
    kernel: np.ndarray
    objective: np.ndarray  # per iteration, entry 0 = start
    iterations: int


#: Kernel supports (pixels) up to which :func:`kernel_step` forms the n×n Hessian;
#: larger ones apply it by FFT (the matrix of a 99×99 support has 96 M entries).
DENSE_HESSIAN_MAX = 1024


def _quadratic(autocorrelation: np.ndarray, crosscorrelation: np.ndarray, ksize,
               weight: float, dense: bool | None = None) -> tuple[Callable, np.ndarray]:
    """The Hessian product ``k ↦ (M + weight·I) k`` and the linear term ``b`` of the
    kernel objective ``½kᵀ(M + weight·I)k − bᵀk`` (``k`` flattened).

    ``M[i, j] = A(o_i − o_j)`` for the autocorrelation ``A`` and the support
    offsets ``o``, so ``M k`` is the convolution of ``k`` with ``A`` restricted
    to offsets within ±(support − 1) — the "valid" part, computed by FFT when
    the support has more than ``DENSE_HESSIAN_MAX`` pixels (or ``dense=False``),
    and by the explicit matrix otherwise.
    """
    kh, kw = ksize
    shape = autocorrelation.shape
    oy, ox = np.meshgrid(np.arange(kh) - kh // 2, np.arange(kw) - kw // 2, indexing="ij")
    linear = crosscorrelation[oy.ravel() % shape[0], ox.ravel() % shape[1]]
    if dense is None:
        dense = kh * kw <= DENSE_HESSIAN_MAX
    if dense:
        oy, ox = oy.ravel(), ox.ravel()
        hessian = autocorrelation[(oy[:, None] - oy[None, :]) % shape[0],
                                  (ox[:, None] - ox[None, :]) % shape[1]]
        hessian = hessian + weight * np.eye(kh * kw)
        return hessian.__matmul__, linear
    window = autocorrelation[np.ix_(np.arange(-(kh - 1), kh) % shape[0],
                                    np.arange(-(kw - 1), kw) % shape[1])]
    fshape = (sfft.next_fast_len(3 * kh - 2, real=True), sfft.next_fast_len(3 * kw - 2, real=True))
    window_spectrum = sfft.rfft2(window, s=fshape)

    def product(k: np.ndarray) -> np.ndarray:
        full = sfft.irfft2(window_spectrum * sfft.rfft2(k.reshape(kh, kw), s=fshape), s=fshape)
        return full[kh - 1: 2 * kh - 1, kw - 1: 2 * kw - 1].ravel() + weight * k

    return product, linear


def kernel_step(latent: np.ndarray, blurred: np.ndarray, kernel0: np.ndarray, eta: float = 0.01,
                iterations: int = 100, tol: float = 1e-5, *,
                weight: float | None = None, observed=None) -> KernelStepResult:
    """Solve the kernel step on the simplex (module docstring), warm-started at ``kernel0``.

    Parameters
    ----------
    latent, blurred : ndarray (H, W)
        Periodic latent and blurred images of the same shape.
    kernel0 : ndarray (kh, kw)
        Starting kernel; its shape is the support searched. Projected onto Δ
        first if it is not on it.
    eta : float
        Relative weight of ``½η‖k‖²`` (``η = eta · Σ_d‖∂_d u‖²``, over the
        observed image when ``observed`` is given).
    iterations, tol : int, float
        At most ``iterations`` accelerated projected-gradient steps; stop when
        the relative change of ``k`` is below ``tol``.
    weight : float, optional
        The absolute ``η``; when given, ``eta`` is ignored.
    observed : (int, int), optional
        The shape of the observed image, which fills the top-left corner of the
        periodic arrays (:func:`~proxdeblur.padding.periodic_extension`). The data
        term then counts only the observed pixels whose blur footprint lies
        inside the observed image (module docstring, "Observed pixels only")
        instead of every pixel of the periodic arrays.

    Returns
    -------
    KernelStepResult
        The kernel, its objective at the start and after each iteration (never
        increasing), and the iterations run.
    """
    if observed is not None:
        return _observed_kernel_step(latent, blurred, kernel0, observed, iterations, tol,
                                     eta=eta, weight=weight)
    autocorrelation, crosscorrelation, bound = _correlations(latent, blurred)
    if weight is None:
        weight = eta * autocorrelation[0, 0]
    weight = check_positive(weight, "weight", allow_zero=True)
    hessian, linear = _quadratic(autocorrelation, crosscorrelation, kernel0.shape, weight)
    step = 1.0 / (bound + weight + 1e-300)

    k, values = _simplex_quadratic(hessian, linear, project_simplex(kernel0.ravel()), step,
                                   iterations, tol)
    return KernelStepResult(k.reshape(kernel0.shape), np.asarray(values), len(values) - 1)


def _simplex_quadratic(hessian: Callable, linear: np.ndarray, k: np.ndarray, step: float,
                       iterations: int, tol: float) -> tuple[np.ndarray, list]:
    """``min_{k∈Δ} ½kᵀHk − bᵀk`` from ``k`` (on Δ) by accelerated projected gradient
    (FISTA with step ``step`` ≤ 1/‖H‖) with a monotone safeguard: when the
    accelerated candidate would raise the objective, a plain projected-gradient
    step is taken and the momentum reset. Stops after ``iterations`` or when the
    relative change of ``k`` is below ``tol``; returns ``k`` and the objective at
    the start and after every iteration (never increasing)."""

    # H is applied once per iteration: H·(extrapolated point) is formed from the
    # products of the last two iterates (H is linear)
    hk = hessian(k)
    value = 0.5 * k @ hk - linear @ k
    values = [value]
    previous, h_previous = k, hk
    t = 1.0
    for _ in range(iterations):
        t_next = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        beta = (t - 1) / t_next
        extrapolated = k + beta * (k - previous)
        h_extrapolated = hk + beta * (hk - h_previous)
        candidate = project_simplex(extrapolated - step * (h_extrapolated - linear))
        h_candidate = hessian(candidate)
        candidate_value = 0.5 * candidate @ h_candidate - linear @ candidate
        if candidate_value > value:  # monotone safeguard: a plain projected-gradient step
            candidate = project_simplex(k - step * (hk - linear))
            h_candidate = hessian(candidate)
            candidate_value = 0.5 * candidate @ h_candidate - linear @ candidate
            t_next = 1.0
        change = np.linalg.norm(candidate - k) / max(np.linalg.norm(k), 1e-300)
        previous, h_previous = k, hk
        k, hk, t = candidate, h_candidate, t_next
        if candidate_value <= value:
            value = candidate_value
        values.append(value)
        if change < tol:
            break
    return k, values


def observed_interior(observed, ksize) -> tuple[slice, slice]:
    """The pixels of an observed ``(H, W)`` image whose residual the kernel step
    counts with ``observed=``: those whose blur footprint (a ``ksize`` support
    centred on the pixel) and whose forward differences stay inside the image."""
    (h, w), (kh, kw) = observed, ksize
    return slice(kh // 2 + 1, h - kh // 2 - 1), slice(kw // 2 + 1, w - kw // 2 - 1)


def _observed_kernel_step(latent, blurred, kernel0, observed, iterations, tol, *, eta,
                          weight) -> KernelStepResult:
    """:func:`kernel_step` with the data term on the observed interior only.

    ``F(k) = ½ Σ_d ‖m ⊙ (∂_d u ∗ k − ∂_d y)‖² + ½η‖k‖²`` with ``m`` the indicator
    of :func:`observed_interior`. Every gradient it needs lies within the observed
    image, so ``m ⊙ (∂_d u ∗ k)`` is computed from that image alone, by FFT (single
    precision) on a grid at least as large (no product wraps around).

    Its Hessian ``H_o = Σ_{p∈Ω} a_p a_pᵀ + ηI`` (``a_p`` the footprint of pixel
    ``p`` in ``∂_d u``) is not Toeplitz, but it is majorized by the Toeplitz
    ``H_c = Σ_p a_p a_pᵀ + ηI`` over *every* pixel of the zero-padded observed
    gradients (the footprints of ``Ω`` are the same, the other pixels only add
    positive semi-definite terms). Majorize–minimize: each of at most
    ``iterations`` outer steps minimizes ``F(k_t) + ∇F(k_t)ᵀ(k − k_t) +
    ½(k − k_t)ᵀH_c(k − k_t)`` over Δ (the small quadratic of the periodic kernel
    step, :func:`_simplex_quadratic`, warm-started at ``k_t``), which never
    increases ``F``. Stops when the relative change of ``k`` falls below ``tol``.
    """
    observed = tuple(int(n) for n in observed)
    ksize = kernel0.shape
    rows, cols = observed_interior(observed, ksize)
    if rows.stop - rows.start < 1 or cols.stop - cols.start < 1:
        raise InvalidArgumentError("observed", f"an image larger than the kernel {ksize} "
                                   "plus a pixel on every side", observed)
    if any(n > m for n, m in zip(observed, blurred.shape, strict=True)):
        raise InvalidArgumentError("observed", f"at most the arrays' shape {blurred.shape}",
                                   observed)
    kh, kw = ksize
    # the grid holds the zero-padded observed image and every lag of the support
    grid = (_fast_len(observed[0] + kh), _fast_len(observed[1] + kw))
    mask = np.zeros(grid, dtype=np.float32)
    mask[rows, cols] = 1.0
    latent_gradients = latent if isinstance(latent, list) else _gradients(latent)
    crops = [g[: observed[0], : observed[1]] for g in latent_gradients]
    spectra = np.stack([sfft.rfft2(g.astype(np.float32), s=grid) for g in crops])
    targets = np.zeros((2, *grid), dtype=np.float32)
    for target, g in zip(targets, _gradients(blurred), strict=True):
        target[rows, cols] = g[rows, cols]
    power = np.sum(np.abs(spectra.astype(np.complex128)) ** 2, axis=0)
    if weight is None:
        weight = eta * sum(float(np.sum(g**2)) for g in crops)
    weight = check_positive(weight, "weight", allow_zero=True)
    majorizer, _ = _quadratic(sfft.irfft2(power, s=grid), np.zeros(grid), ksize, weight)
    step = 1.0 / (float(power.max()) + weight + 1e-300)
    oy, ox = np.meshgrid(np.arange(kh) - kh // 2, np.arange(kw) - kw // 2, indexing="ij")
    oy, ox = oy % grid[0], ox % grid[1]
    placed = np.zeros(grid, dtype=np.float32)

    def residual(k):
        placed[oy, ox] = k.reshape(ksize)
        blurred_latent = sfft.irfft2(spectra * sfft.rfft2(placed), s=grid, axes=(-2, -1))
        return mask * blurred_latent - targets

    def objective(k, r):
        return 0.5 * float(np.sum(r * r, dtype=np.float64)) + 0.5 * weight * float(k @ k)

    def gradient(k, r):
        correlation = sfft.irfft2(np.sum(np.conj(spectra) * sfft.rfft2(r, axes=(-2, -1)), axis=0),
                                  s=grid)
        return correlation[oy, ox].ravel().astype(np.float64) + weight * k

    k = project_simplex(kernel0.ravel())
    r = residual(k)
    values = [objective(k, r)]
    for _ in range(iterations):
        linear = majorizer(k) - gradient(k, r)
        candidate, _ = _simplex_quadratic(majorizer, linear, k, step, MAJORIZED_ITERATIONS,
                                          MAJORIZED_TOL)
        r_candidate = residual(candidate)
        value = objective(candidate, r_candidate)
        if value > values[-1]:  # only by rounding (single-precision residual): stop
            break
        change = np.linalg.norm(candidate - k) / max(np.linalg.norm(k), 1e-300)
        k, r = candidate, r_candidate
        values.append(value)
        if change < tol:
            break
    return KernelStepResult(k.reshape(ksize), np.asarray(values), len(values) - 1)


def clean_kernel(kernel: np.ndarray, threshold: float = 0.05, prune: float = 0.1) -> np.ndarray:
    """Zero entries below ``threshold · max(k)`` and remove 8-connected components
    holding less than ``prune`` of the total mass; renormalize to sum 1.

    Either step is skipped when its parameter is 0. The strongest component is
    always kept.
    """
    k = np.where(kernel >= threshold * kernel.max(), kernel, 0.0) if threshold > 0 else kernel.copy()
    if prune > 0:
        labels, count = ndimage.label(k > 0, structure=np.ones((3, 3)))
        if count > 1:
            mass = ndimage.sum(k, labels, index=np.arange(1, count + 1))
            keep = mass >= prune * mass.sum()
            keep[np.argmax(mass)] = True
            k = np.where(keep[np.maximum(labels - 1, 0)] & (labels > 0), k, 0.0)
    return k / k.sum()


@dataclass
class KernelEstimate:
    """What :func:`estimate_kernel` did: per-level records and warnings.

    Attributes
    ----------
    levels : list of dict
        One per pyramid level: ``image_shape``, ``kernel_shape``, ``seconds``,
        ``latent_seconds``, ``kernel_seconds``, ``kernel_change`` (relative
        change of the kernel in the level's last iteration) and the kernel step's
        objective at the start and end of each iteration.
    warnings : list of str
        E.g. a kernel that collapsed to (nearly) a delta, or that was still
        changing at the finest level.
    collapsed : bool
        The final kernel holds more than 90 % of its mass in one pixel.
    converged : bool
        The kernel's relative change in the last iteration was below 5 %.
    seconds : float
    latent : ndarray
        The last latent (edge) image, cropped to the input's size.
    noise_sigma : float
        The noise level used for the λ floor (given or estimated).
    lam_floor : float
        The floor λ decayed to: ``max(lam_min, noise_floor · noise_sigma²)``.
    """

    levels: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    collapsed: bool = False
    converged: bool = True
    seconds: float = 0.0
    latent: np.ndarray | None = None
    noise_sigma: float = 0.0
    lam_floor: float = 0.0


def diagnose_kernel(kernel: np.ndarray, change: float) -> tuple[bool, bool, list]:
    """``(collapsed, converged, warnings)`` for a final kernel and its last relative change.

    Collapsed: more than 90 % of the mass in one pixel (a delta: the image
    looked sharp, or the support or the weights are wrong). Converged: the
    relative change of the last iteration was below 5 %.
    """
    collapsed = bool(kernel.max() > 0.9)
    converged = bool(change < SETTLED)
    warnings = []
    if collapsed:
        warnings.append("the kernel collapsed to (nearly) a delta: the image may not be blurred, "
                        "or the kernel size or lam may be wrong")
    if not converged:
        warnings.append(f"the kernel was still changing at the finest level (relative change "
                        f"{change:.2f}); it may be fitting noise or compression artefacts: "
                        f"a higher noise level (noise=0.02; CLI --noise 0.02) often settles it")
    return collapsed, converged, warnings


def soften_kernel(kernel: np.ndarray, sigma: float) -> np.ndarray:
    """``k ∗ g_σ`` (Gaussian of standard deviation ``sigma`` pixels) on a support grown by
    the Gaussian's radius on every side, summing to 1; ``sigma = 0`` returns ``kernel``."""
    if sigma <= 0:
        return kernel
    radius = int(4.0 * sigma + 0.5)  # gaussian_filter's own truncation at 4σ
    softened = ndimage.gaussian_filter(np.pad(kernel, radius), sigma, mode="constant")
    return softened / softened.sum()


def _soften_latent(latent, sigma: float):
    """``g_σ ∗ u`` on the periodic latent (or on each of its gradient images)."""
    if sigma <= 0:
        return latent
    if isinstance(latent, list):
        return [ndimage.gaussian_filter(g, sigma, mode="wrap") for g in latent]
    return ndimage.gaussian_filter(latent, sigma, mode="wrap")


def _pyramid(kernel_shape, ratio: float = 1 / math.sqrt(2), coarsest: int = 3,
             min_scale: float = 0.0) -> list:
    """Kernel sizes and image scales from coarse to fine: the image scale falls by
    ``ratio`` per level until the larger kernel side is about ``coarsest`` or the
    next scale would fall below ``min_scale``."""
    levels = []
    scale = 1.0
    while True:
        size = tuple(max(3, int(math.ceil(s * scale)) | 1) for s in kernel_shape)
        levels.append((scale, size))
        if max(kernel_shape) * scale * ratio < coarsest or scale * ratio < min_scale:
            break
        scale *= ratio
    return levels[::-1]


def kernel_extent(kernel: np.ndarray, threshold: float = EXTENT_THRESHOLD) -> int:
    """Side of the bounding box of the entries ``≥ threshold · max(k)`` (the larger side)."""
    above = kernel >= threshold * kernel.max()
    rows, cols = np.flatnonzero(above.any(axis=1)), np.flatnonzero(above.any(axis=0))
    return int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)


def _place(kernel: np.ndarray, size) -> np.ndarray:
    """``kernel`` centred in an array of ``size``, cropped where it is larger; sums to 1."""
    out = np.zeros(size)
    h, w = min(size[0], kernel.shape[0]), min(size[1], kernel.shape[1])
    ky, kx = (kernel.shape[0] - h) // 2, (kernel.shape[1] - w) // 2
    oy, ox = (size[0] - h) // 2, (size[1] - w) // 2
    out[oy: oy + h, ox: ox + w] = kernel[ky: ky + h, kx: kx + w]
    return out / out.sum()


def _next_level_kernel(kernel: np.ndarray, ratio: float, size, previous_size,
                       support_margin: float):
    """The kernel carried to a level ``ratio`` times finer, on that level's support.

    ``size`` and ``previous_size`` are the two levels' full supports. With
    ``support_margin > 0`` the support is bounded by what the kernel can grow
    to: ``ratio · extent · (1 + support_margin) + 2`` pixels (odd), the extent
    measured by :func:`kernel_extent`; the kernel is then upsampled by ``ratio``
    and placed in the smaller support.
    """
    if support_margin <= 0:
        return _resize_kernel(kernel, size)
    bound = int(math.ceil(ratio * kernel_extent(kernel) * (1 + support_margin))) + 2
    if kernel.shape == tuple(previous_size) and bound >= max(size):
        return _resize_kernel(kernel, size)
    natural = tuple(min(s, max(3, int(math.ceil(n * ratio)) | 1))
                    for s, n in zip(size, kernel.shape, strict=True))
    size = tuple(min(s, bound | 1) for s in size)
    return _place(_resize_kernel(kernel, natural), size)


def _initial_kernel(size) -> np.ndarray:
    k = np.zeros(size)
    cy, cx = size[0] // 2, size[1] // 2
    k[cy, cx - 1: cx + 1] = 0.5
    return k


def _resize_kernel(kernel: np.ndarray, size) -> np.ndarray:
    """The kernel carried to the next level: bicubic resize (as ``imresize`` in Levin
    et al.'s and Pan et al.'s code), negative lobes clipped, renormalized. Against
    bilinear: +0.26 dB on Levin et al. 2009, −0.04 dB on the held-out synthetic set
    (within its noise), +0.06 dB on larger images (``benchmarks/RESULTS.md``)."""
    if kernel.shape == tuple(size):
        return kernel
    k = np.maximum(resize(kernel, size, order=3, mode="constant", anti_aliasing=False), 0.0)
    if k.sum() <= 0:
        k = np.zeros(size)
        k[size[0] // 2, size[1] // 2] = 1.0
    return k / k.sum()


def _fits_inside(shape, ksize) -> bool:
    """Whether :func:`observed_interior` of ``shape`` for ``ksize`` keeps at least
    half of each side (else the level is too small to fit on its interior)."""
    rows, cols = observed_interior(shape, ksize)
    return rows.stop - rows.start >= shape[0] / 2 and cols.stop - cols.start >= shape[1] / 2


def _fast_len(n: int) -> int:
    return sfft.next_fast_len(n, real=True)


def estimate_kernel(image, kernel_size, *, image_step: str = "l0", lam: float = 2e-3,
                    lam_intensity: float = 0.0, lam_decay: float = 1.1, lam_min: float = 1e-4,
                    noise_floor: float = NOISE_FLOOR, noise: float | None = None,
                    p: float = 0.8, iterations: int = 5, eta: float = KERNEL_ETA,
                    edge_softness: float = EDGE_SOFTNESS, settle: int = SETTLE,
                    kernel_iterations: int = 100,
                    threshold: float = 0.0, prune: float = 0.0,
                    centre: bool = True, edge_ratio: float = 0.0, coarsest: int = 3,
                    refine: int = 0, refine_lam: float = 3e-4, generator=None,
                    gamma: float = 0.02, gcm_iterations: int = 5, gcm_corrector: bool = True,
                    gcm_start: str = "observation", rho_growth: float = 2.0, rho_max: float = 1e5,
                    min_level_side: int = MIN_LEVEL_SIDE,
                    support_margin: float = SUPPORT_MARGIN, support_room: int = SUPPORT_ROOM,
                    final_threshold: float = FINAL_CLEAN, final_prune: float = FINAL_CLEAN,
                    min_noise: float = 0.0, observed_min_scale: float = OBSERVED_MIN_SCALE,
                    observed_iterations: int = OBSERVED_ITERATIONS,
                    progress: bool = False, callback: Callable | None = None):
    """Estimate a blur kernel from a single blurred image (module docstring).

    Parameters
    ----------
    image : array_like (H, W) or (H, W, 3)
        The blurred image on [0, 1]; colour is reduced to its luminance.
    kernel_size : int or (int, int)
        Odd support to search, at most a third of the smaller image side.
    image_step : {"l0", "lp", "gcm"}
        Prior of the latent step: ℓ0 of the gradient (Pan et al. 2014, with the
        intensity term when ``lam_intensity > 0``), the hyper-Laplacian with
        exponent ``p``, or GCM on the gradient images (:func:`gcm_latent_step`:
        ``λ‖∇u‖_p^p`` elementwise, ``gcm_iterations`` stages, warm-start weight
        ``gamma``, the given ``generator``; none = corrector only; ``"l0"`` =
        the classical ℓ0 step as a model-based generator;
        ``gcm_corrector=False``: generator only, the variants of the paper's Fig. 3).
    gcm_start : {"observation", "previous"}
        Where each GCM latent step starts: ``"observation"`` runs Algorithm 1
        from ``u⁰ = ∇y`` every time (the paper's initialisation, and each
        latent step a fresh run with the current kernel, as the ℓ0 step starts
        from ``y``); ``"previous"`` continues from the previous latent
        gradients of the same level (the default until 2026-12-02). Restarting
        lifted GCM on Levin et al. 2009 (``benchmarks/RESULTS.md``).
    lam, lam_intensity : float
        Weights of the gradient and intensity terms at the coarsest level;
        after each iteration they are divided by ``lam_decay`` (carried across
        levels) down to ``lam_min``. The defaults are the schedule of Pan et
        al.'s code in our ½ convention (their 4e-3 is our 2e-3, divided by 1.1
        per iteration, floor 1e-4) with no intensity term: early iterations see
        only the strongest edges, later ones finer structure. Against a constant
        λ = 5e-4 it gains 1.0–1.2 dB on Levin et al. 2009 and, with ``prune``
        off, 0.5 dB on a held-out synthetic set (``benchmarks/RESULTS.md``).
    noise_floor, noise : float
        The floor of the decay is raised with the noise level σ of the input:
        ``max(lam_min, noise_floor · σ²)``, σ given by ``noise`` or estimated by
        :func:`skimage.restoration.estimate_sigma` (Donoho's wavelet median
        estimator). In the ½ convention the MAP weight of the ℓ0 term is
        proportional to σ²; with ``lam_min`` alone a noisy image's late
        iterations put its noise into the latent, and the kernel picks it up as
        speckle and drifts. The default factor 3 matched the best fixed floor at
        σ = 0.01 and 0.02 on a held-out synthetic set, and leaves images with
        σ < 0.0058 (Levin et al. 2009: 0.002) at ``lam_min``
        (``benchmarks/RESULTS.md``). ``noise_floor=0`` switches it off.
    observed_min_scale, observed_iterations : float, int
        At the levels of scale ≥ ``observed_min_scale`` (default 0.5: the finer
        half of the pyramid) the kernel is fitted to the observed interior only
        (module docstring, "Observed pixels only"), with at most
        ``observed_iterations`` majorize–minimize steps per kernel step; the
        coarser levels, and levels too small for an interior of half their
        side, fit every pixel of the periodic arrays with ``kernel_iterations``.
        0 fits the observed interior at every level; a value above 1 at none (the
        behaviour until 2026-12-02).
    min_noise : float
        Lower bound on σ (given or estimated). Real photographs deviate from the
        model by more than their noise (compression, in-camera processing), and
        the wavelet estimate sees little of it (σ̂ = 0.0005–0.0024 on Lai et al.
        2016's real set, all JPEG). Treating them as σ ≥ ``JPEG_NOISE`` = 0.01
        raised the median similarity of our kernels to the published ones there
        from 0.70 to 0.82 (0.02: 0.83), and left synthetic blur stored as JPEG
        (quality 75, ground truth known) unchanged (0.02 lost 0.9 dB there;
        ``benchmarks/RESULTS.md``). The CLI applies it to JPEG input
        (:func:`proxdeblur.deblurring.source_kernel_options`).
    iterations : int
        Latent/kernel alternations per level.
    settle : int
        At the finest level, up to ``settle`` more alternations while the kernel
        still changes by ``SETTLED`` (5 %) or more per alternation. On Levin et al.
        2009, 3 leave no image unsettled (5 of 32 were with 0) at a cost of one or
        two alternations on those images; quality moves by +0.01 dB (Levin) and
        +0.05 dB (held-out synthetic set). Real photographs need more: on Lai et
        al. 2016's real set 15 of 30 were unsettled after 3, 3 after the default
        (12; mean similarity to the published kernels 0.761 → 0.773, median kernel
        time 11.2 → 14.3 s); Levin is unchanged and the synthetic sets move by at
        most +0.04 dB (``benchmarks/RESULTS.md``, 2026-12-03).
    edge_softness : float
        Standard deviation, in pixels of the input, of the Gaussian through which
        the latent's step edges are seen (module docstring, "Edge softness");
        0 fits the kernel to the step edges themselves (the default until
        2026-12-02).
    eta : float
        Weight of the kernel's ``½η‖k‖²`` per pixel of the input: the kernel
        step's weight is ``eta · H·W`` at every level (module docstring; the
        default is about 10 for a 255×255 image). Until 2026-12-02 this was
        relative to each level's ``Σ_d‖∂_d u‖²`` (default 0.01).
    kernel_iterations : int
        Maximum projected-gradient iterations per kernel step at the levels with
        the periodic fit (see ``observed_min_scale``).
    min_level_side : int
        The pyramid's coarsest level is the first whose image would otherwise be
        smaller than this on its smaller side (module docstring, "A support
        larger than the blur"); 0 disables. Levin et al. 2009 at the true
        support: 30.55 dB against 30.51 without; at twice the support: 29.91
        against 23.31.
    support_room : int
        The pyramid searches a support this many pixels wider on every side
        (capped at a third of the image's smaller side) and the final kernel is
        cut back to ``kernel_size`` by its heaviest window (module docstring,
        "Room around the blur"); 0, the default, searches exactly
        ``kernel_size``.
    support_margin : float
        From the second level on, the level's support is at most
        ``ratio · extent · (1 + support_margin) + 2`` pixels, ``extent`` the
        previous level's :func:`kernel_extent`; 0 keeps the full support at every
        level. The kernel returned is zero-padded to ``kernel_size``.
    final_threshold, final_prune : float
        :func:`clean_kernel` applied once to the final kernel (defaults:
        ``FINAL_CLEAN``, 2 % of the maximum and of the mass); 0 disables either.
        At the true support they change Levin et al. 2009 by less than 0.01 dB;
        at three times the support they gain 0.4 dB (speckle over the support).
    threshold, prune : float
        Post-processing of each kernel step (:func:`clean_kernel`); 0 disables.
        Both are off by default: at the coarse levels the faint tails of a
        camera-shake kernel form separate weak components, and removing them
        there loses them for good (on Levin et al. 2009, pruning at 10 % cost
        0.3 dB, thresholding at 5 % of the maximum, as in Pan et al., 1.7 dB).
        Applied once to the final kernel only, they cost 0.06–0.2 dB.
    edge_ratio : float
        When > 0, the kernel step sees only the strongest latent gradients
        (:func:`select_edges`); off by default (it did not help with the ℓ0
        latent step).
    coarsest : int
        Kernel side at the coarsest level (about).
    refine, refine_lam : int, float
        After the pyramid, ``refine`` more kernel steps whose latent image is
        the hyper-Laplacian restoration of :func:`~proxdeblur.deconvolve` (weight
        ``refine_lam``, "valid" boundary) instead of the ℓ0 edge image. This
        latent does not thicken the kernel as the ℓ0 one does, but drifts
        towards the no-blur solution instead (four steps from the true kernel:
        similarity 0.95, −1.3 dB on Levin et al. 2009); from the pyramid's
        estimates one step gained 0.1 dB on Levin and lost 0.1 dB on a
        held-out synthetic set, so it is off by default.
    centre : bool
        Shift the final kernel so that its centre of mass is at its centre.
    rho_growth, rho_max : float
        Continuation of the latent step's HQS.
    progress : bool
        A progress bar over the pyramid levels.
    callback : callable, optional
        ``callback(level_index, kernel, latent)`` after every level.

    Returns
    -------
    kernel : ndarray (kh, kw)
        Non-negative, sums to 1.
    info : KernelEstimate
    """
    start = time.perf_counter()
    y = as_image(image, "image", min_side=16)
    if y.ndim == 3:
        if y.shape[2] != 3:
            raise InvalidArgumentError("image", "a gray (H, W) or colour (H, W, 3) image",
                                       f"shape {y.shape}")
        y = y @ np.array([0.2125, 0.7154, 0.0721])
    if np.ptp(y) < 1e-6:
        raise InvalidArgumentError("image", "an image with some contrast", "a constant image")
    ksize = kernel_support(kernel_size, y.shape)
    if image_step not in IMAGE_STEPS:
        raise InvalidArgumentError("image_step", f"one of {IMAGE_STEPS}", repr(image_step))
    if isinstance(generator, str):
        _check_generator_name(generator)
    if gcm_start not in GCM_STARTS:
        raise InvalidArgumentError("gcm_start", f"one of {GCM_STARTS}", repr(gcm_start))
    lam = check_positive(lam, "lam")
    lam_intensity = check_positive(lam_intensity, "lam_intensity", allow_zero=True)
    noise_floor = check_positive(noise_floor, "noise_floor", allow_zero=True)
    if noise is None:
        noise = float(estimate_sigma(y)) if noise_floor > 0 else 0.0
    noise = max(check_positive(noise, "noise", allow_zero=True),
                check_positive(min_noise, "min_noise", allow_zero=True))
    lam_floor = max(check_positive(lam_min, "lam_min", allow_zero=True), noise_floor * noise ** 2)
    if image_step == "lp":
        check_in_range(p, "p", 0.0, 1.0)
    iterations = check_int(iterations, "iterations")
    settle = check_int(settle, "settle", minimum=0)
    observed_iterations = check_int(observed_iterations, "observed_iterations")
    observed_min_scale = check_positive(observed_min_scale, "observed_min_scale", allow_zero=True)
    kernel_weight = check_positive(eta, "eta", allow_zero=True) * y.size
    edge_softness = check_positive(edge_softness, "edge_softness", allow_zero=True)
    check_in_range(threshold, "threshold", 0.0, 1.0, low_open=False)
    check_in_range(prune, "prune", 0.0, 1.0, low_open=False)
    check_in_range(final_threshold, "final_threshold", 0.0, 1.0, low_open=False)
    check_in_range(final_prune, "final_prune", 0.0, 1.0, low_open=False)
    support_margin = check_positive(support_margin, "support_margin", allow_zero=True)
    min_level_side = check_int(min_level_side, "min_level_side", minimum=0)
    support_room = check_int(support_room, "support_room", minimum=0)
    largest = largest_support(y.shape)
    search = tuple(max(s, min(s + 2 * support_room, largest)) for s in ksize)
    info = KernelEstimate(noise_sigma=noise, lam_floor=lam_floor)
    levels = _pyramid(search, coarsest=coarsest, min_scale=min_level_side / min(y.shape))
    kernel = _initial_kernel(levels[0][1])
    bar = tqdm(levels, desc="kernel levels", disable=not progress, leave=False)
    change = 1.0
    latent = None
    lam_g, lam_i = lam, lam_intensity
    for index, (scale, size) in enumerate(bar):
        level_start = time.perf_counter()
        if index > 0:
            kernel = _next_level_kernel(kernel, scale / levels[index - 1][0], size,
                                        levels[index - 1][1], support_margin)
            size = kernel.shape
        shape = (max(8, round(y.shape[0] * scale)), max(8, round(y.shape[1] * scale)))
        small = y if scale == 1.0 else resize(y, shape, order=1, anti_aliasing=True, mode="edge")
        padded_shape = (_fast_len(shape[0] + size[0]), _fast_len(shape[1] + size[1]))
        blurred = periodic_extension(small, padded_shape)
        observed = (shape if scale >= observed_min_scale and _fits_inside(shape, size)
                    else None)
        step_iterations = observed_iterations if observed is not None else kernel_iterations
        record = {"scale": scale, "image_shape": shape, "kernel_shape": size,
                  "latent_seconds": 0.0, "kernel_seconds": 0.0, "kernel_objective": []}
        softness = edge_softness * scale
        finest = index == len(levels) - 1
        for step in range(iterations + (settle if finest else 0)):
            if step >= iterations and change < SETTLED:
                break
            t0 = time.perf_counter()
            model_kernel = soften_kernel(kernel, softness)
            if image_step == "gcm":
                latent = gcm_latent_step(blurred, model_kernel, lam_g, p=p, generator=generator,
                                         gamma=gamma, iterations=gcm_iterations,
                                         corrector=gcm_corrector,
                                         start=latent if gcm_start == "previous" and
                                         isinstance(latent, list) and
                                         latent[0].shape == blurred.shape else None)
            else:
                latent = latent_step(blurred, model_kernel, lam_g, lam_i, image_step=image_step,
                                     p=p, rho_growth=rho_growth, rho_max=rho_max)
            t1 = time.perf_counter()
            edges = select_edges(latent, kernel.size, edge_ratio) if edge_ratio > 0 else latent
            result = kernel_step(_soften_latent(edges, softness), blurred, kernel,
                                 iterations=step_iterations, weight=kernel_weight,
                                 observed=observed)
            new_kernel = clean_kernel(result.kernel, threshold, prune)
            if centre:
                new_kernel = centre_kernel(new_kernel)
            change = float(np.linalg.norm(new_kernel - kernel) / np.linalg.norm(kernel))
            kernel = new_kernel
            record["kernel_seconds"] += time.perf_counter() - t1
            record["latent_seconds"] += t1 - t0
            record["kernel_objective"].append((float(result.objective[0]),
                                               float(result.objective[-1])))
            lam_g = max(lam_g / lam_decay, lam_floor)
            lam_i = max(lam_i / lam_decay, lam_floor) if lam_i > 0 else 0.0
        record["kernel_change"] = change
        record["seconds"] = time.perf_counter() - level_start
        info.levels.append(record)
        if callback is not None:
            callback(index, kernel, _as_image(latent)[: shape[0], : shape[1]])
    bar.close()
    if refine:
        from ..deconvolution import deconvolve  # a late import: deconvolution imports solvers

        padded_shape = blurred.shape
        for _ in range(refine):
            t0 = time.perf_counter()
            restored = deconvolve(y, kernel, lam=refine_lam, iterations=10)
            t1 = time.perf_counter()
            result = kernel_step(periodic_extension(restored, padded_shape), blurred, kernel,
                                 iterations=step_iterations, weight=kernel_weight,
                                 observed=observed)
            new_kernel = clean_kernel(result.kernel, threshold, prune)
            if centre:
                new_kernel = centre_kernel(new_kernel)
            change = float(np.linalg.norm(new_kernel - kernel) / np.linalg.norm(kernel))
            kernel = new_kernel
            record = info.levels[-1]
            record["latent_seconds"] += t1 - t0
            record["kernel_seconds"] += time.perf_counter() - t1
            record["kernel_objective"].append((float(result.objective[0]),
                                               float(result.objective[-1])))
            record["seconds"] += time.perf_counter() - t0
    kernel = clean_kernel(kernel, final_threshold, final_prune)
    if centre:
        kernel = centre_kernel(kernel)
    if kernel.shape != search:
        kernel = _place(kernel, search)
    if search != ksize:
        kernel = heaviest_window(kernel, ksize)
    info.latent = _as_image(latent)[: y.shape[0], : y.shape[1]]
    info.collapsed, info.converged, info.warnings = diagnose_kernel(kernel, change)
    info.seconds = time.perf_counter() - start
    return kernel, info
