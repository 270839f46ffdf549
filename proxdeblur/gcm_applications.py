"""GCM beyond deblurring: image interpolation and edge-preserving smoothing.

Liu et al., "Learning Collaborative Generation Correction Modules for Blind
Image Deblurring and Beyond", ACM MM 2018, section 4.2, run through the same
:func:`proxdeblur.solvers.gcm` as deblurring. The paper gives the fidelities
(``½‖u ⊙ M − y‖²`` for interpolation, ``½‖u − y‖²`` with an ℓ0 prior for
smoothing) but not the variable on which the elementwise prior acts. GCM's
guarantee (Theorem 2) needs an *exact* proximal step, so both tasks are posed
on a variable where φ is elementwise:

* **Interpolation** works on orthogonal wavelet coefficients ``c`` of the image
  (a synthesis model ``x = Wᵀc``): ``Ψ(c) = ½‖M ⊙ Wᵀc − y‖² + λ Σ_detail |cᵢ|ᵖ``
  (the coarse approximation band is not penalized). ``A = M Wᵀ`` has
  ``AᵀA = W M² Wᵀ``, so the warm start is exact and pixelwise
  (:class:`MaskedSynthesis`). The generator denoises the image ``Wᵀc`` with
  the bundled DnCNN at a noise level that decreases over the stages.
* **Smoothing** works on the gradient field ``g`` (two circular forward
  differences), like deblurring: ``Ψ(g) = ½‖g − ∇y‖² + λ‖g‖₀`` with the
  isotropic ℓ0 count (a pixel's gradient vector is kept or zeroed whole). The
  image is recovered from the final field by the least-squares fit
  ``argmin_x β‖x − y‖² + ‖∇x − g‖²`` (solved by FFT), the image step of Xu et
  al.'s ℓ0 smoothing (SIGGRAPH Asia 2011). The generator integrates the warm
  start the same way, denoises it and differentiates again.

Both return the :class:`~proxdeblur.solvers.SolverResult` of the GCM run, whose
history carries Ψ per stage, so that Theorem 2 can be checked on these tasks.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_image, check_in_range, check_int, check_positive, check_unit_weights
from .errors import InvalidArgumentError
from .operators import FiniteDifference, LinearOperator
from .priors.base import Denoiser
from .priors.classical import L0, Lp, MaskedPenalty, WaveletTransform
from .solvers.gcm import gcm

__all__ = ["MaskedSynthesis", "interpolate", "smooth", "integrate_gradients",
           "denoiser_schedule"]


class MaskedSynthesis(LinearOperator):
    """``A c = M ⊙ Wᵀc``: a masked image synthesized from wavelet coefficients.

    ``W`` is the orthogonal periodized wavelet transform of
    :class:`~proxdeblur.priors.classical.WaveletTransform`; the mask's sides
    must be multiples of ``2**levels`` so that ``W`` is square and ``WWᵀ = I``.
    Then ``(AᵀA + ρI)⁻¹ r = W (M² + ρ)⁻¹ Wᵀ r`` exactly.

    Parameters
    ----------
    mask : ndarray (H, W)
        Weights in [0, 1] (1: observed pixel).
    wavelet : str
        An orthogonal pywavelets wavelet.
    levels : int
        Decomposition levels.
    """

    def __init__(self, mask, wavelet: str = "db4", levels: int = 3):
        mask = np.asarray(mask, dtype=np.float64)
        if mask.ndim != 2 or mask.size == 0:
            raise InvalidArgumentError("mask", "a non-empty 2-D array", mask.shape)
        mask = check_unit_weights(mask, "mask")
        self.transform = WaveletTransform(wavelet, levels)
        if not self.transform.is_orthogonal_on(mask.shape):
            raise InvalidArgumentError("mask", f"sides that are multiples of {2 ** levels}",
                                       mask.shape)
        self.mask = mask

    def _weights(self, ndim: int) -> np.ndarray:
        return self.mask if ndim == 2 else self.mask[..., None]

    def synthesize(self, c: np.ndarray) -> np.ndarray:
        """The image ``Wᵀc``."""
        return self.transform.adjoint(c)

    def analyze(self, image: np.ndarray) -> np.ndarray:
        """The coefficients ``W x``."""
        return self.transform.forward(image)

    def forward(self, c):
        c = np.asarray(c, dtype=np.float64)
        return self._weights(c.ndim) * self.synthesize(c)

    def adjoint(self, y):
        y = np.asarray(y, dtype=np.float64)
        return self.analyze(self._weights(y.ndim) * y)

    def lipschitz(self, shape=None) -> float:
        return float(self.mask.max() ** 2)

    def solve_normal(self, rhs, rho, x0=None, tol=1e-8, max_iter=500):
        rho = check_positive(rho, "rho", allow_zero=True)
        rhs = np.asarray(rhs, dtype=np.float64)
        return self.analyze(self.synthesize(rhs) / (self._weights(rhs.ndim) ** 2 + rho))

    def detail_mask(self, shape) -> np.ndarray:
        """True on the detail coefficients (those the prior penalizes)."""
        return ~self.transform.approximation_mask(shape)


def denoiser_schedule(stages: int, sigma_start: float, sigma_end: float, denoiser="dncnn",
                      wrap=None) -> list:
    """One generator per stage: the denoiser at σ geometric from ``sigma_start``
    to ``sigma_end`` (on the [0, 1] scale), composed with ``wrap = (to_image,
    from_image)`` when the GCM variable is not the image itself."""
    from .denoising import get_denoiser

    network = get_denoiser(denoiser)
    sigmas = np.geomspace(sigma_start, sigma_end, max(stages, 1))
    to_image, from_image = wrap if wrap is not None else (lambda u: u, lambda x: x)

    def stage(sigma):
        return lambda u: from_image(network.denoise(to_image(u), float(sigma)))

    return [stage(sigma) for sigma in sigmas]


def _names_a_denoiser(generator) -> bool:
    """True for a denoiser name/path or a denoiser LearnedPrior (turned into a σ schedule)."""
    return isinstance(generator, str) or isinstance(generator, Denoiser)


def _block_pad(image: np.ndarray, mask: np.ndarray, block: int):
    """Pad to multiples of ``block`` (edge values, marked unobserved)."""
    h, w = mask.shape
    ph, pw = -(-h // block) * block, -(-w // block) * block
    widths = [(0, ph - h), (0, pw - w)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode="edge"), np.pad(mask, widths[:2], constant_values=0.0)


def interpolate(image, mask, *, generator="dncnn", lam: float = 1e-3, p: float = 0.8,
                wavelet: str = "db4", levels: int = 3, max_iter: int = 30, gamma: float = 0.5,
                sigma_start: float = 30 / 255, sigma_end: float = 3 / 255, check: bool = True,
                start: str = "biharmonic", reference=None, callback=None, progress: bool = False):
    """Fill the missing pixels of ``image`` by GCM (section 4.2, "Image Interpolation").

    Minimizes ``Ψ(c) = ½‖M ⊙ Wᵀc − y‖² + λ Σ_detail |cᵢ|ᵖ`` over wavelet
    coefficients ``c`` (module docstring) from the biharmonic inpainting of
    scikit-image (``u⁰ = W x_biharmonic``; ``start="observation"`` is
    Algorithm 1's ``u⁰ = Aᵀy``, zeros in the holes, which a denoiser cannot
    fill). The generator is one denoiser per stage (σ geometric from
    ``sigma_start`` to ``sigma_end``) whose output keeps the observed pixels
    (``M y + (1 − M) D_σ(Wᵀc₀)``). Sides that are not multiples of
    ``2**levels`` are padded by edge values marked unobserved, and cropped at
    the end.

    What to expect (measured in ``notebooks/gcm_beyond_deblurring.ipynb``):
    Ψ, like any sparsity energy, ranks the smooth biharmonic fill below the
    denoiser's textured fill, so the corrector's check rejects nearly every
    proposal and GCM returns close to the corrector's result; without the
    check (``check=False``) the denoiser's fill scores higher PSNR but Ψ is no
    longer monotone. That is Theorem 2 at work: GCM can only be as good as
    the energy it guarantees to decrease.

    Parameters
    ----------
    image : array_like (H, W) or (H, W, C)
        Observation in [0, 1]; values at missing pixels are ignored.
    mask : array_like (H, W)
        True (or 1) where the pixel is observed.
    generator : "dncnn", a denoiser, callable, sequence, or None
        A denoiser name/:class:`~proxdeblur.priors.learned.LearnedPrior` gives
        the σ schedule above; a callable (or one per stage) on coefficient
        arrays is used as is; ``None`` runs the corrector alone (proximal
        gradient on Ψ).
    lam, p : float
        Weight and exponent of the wavelet-detail ℓp penalty.
    wavelet, levels
        The orthogonal wavelet transform W.
    max_iter : int
        GCM stages.
    gamma : float
        Warm-start weight γ (Algorithm 1, eq. 4).
    check : bool
        The corrector's monotone check (``False`` voids Theorem 2).
    reference : array_like, optional
        Ground truth: the history then carries PSNR per stage.

    Returns
    -------
    restored : ndarray, the input's shape
        Observed pixels are not overwritten by the observation: they are the
        minimizer's (close to it for small λ).
    result : SolverResult
        The GCM run on the coefficients (``result.x`` is the coefficient array).
    """
    from skimage.restoration import inpaint_biharmonic

    y = as_image(image, "image", unit=True)
    observed = np.asarray(mask)
    if observed.shape != y.shape[:2]:
        raise InvalidArgumentError("mask", f"shape {y.shape[:2]} (the image's height, width)",
                                   observed.shape)
    observed = observed.astype(np.float64)
    if not np.all((observed == 0) | (observed == 1)):
        raise InvalidArgumentError("mask", "a boolean (or 0/1) array")
    if observed.sum() == 0:
        raise InvalidArgumentError("mask", "at least one observed pixel", "an empty mask")
    lam = check_positive(lam, "lam", allow_zero=True)
    check_in_range(p, "p", 0.0, 1.0)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    height, width = y.shape[:2]
    padded, padded_mask = _block_pad(y.astype(np.float64), observed, 2**check_int(levels, "levels"))
    operator = MaskedSynthesis(padded_mask, wavelet, levels)
    missing = padded_mask == 0
    if start == "biharmonic":
        start = inpaint_biharmonic(padded, missing, channel_axis=2 if padded.ndim == 3 else None)
    elif start == "observation":
        start = None  # u⁰ = Aᵀy: the observation with zeros in the holes, as in Algorithm 1
    else:
        raise InvalidArgumentError("start", "'observation' or 'biharmonic'", repr(start))
    weights = operator._weights(padded.ndim)
    target = weights * padded
    prior = MaskedPenalty(Lp(lam, p), operator.detail_mask(padded.shape))
    if _names_a_denoiser(generator):
        generator = denoiser_schedule(
            max_iter, sigma_start, sigma_end, generator,
            wrap=(operator.synthesize,
                  lambda filled: operator.analyze(weights * padded + (1 - weights) * filled)))
    stage_psnr: list[float] = []
    if reference is not None:
        from .metrics import psnr

        reference = as_image(reference, "reference", unit=True)
        if reference.shape != y.shape:
            raise InvalidArgumentError("reference", f"shape {y.shape}", reference.shape)

    def observe(state):
        if reference is not None:  # the iterates are coefficients: PSNR of their image
            stage_psnr.append(psnr(np.clip(operator.synthesize(state.x)[:height, :width], 0, 1),
                                   reference))
        return callback(state) if callback is not None else None

    result = gcm(operator, target, prior, generator, gamma=gamma, max_iter=max_iter,
                 x0=None if start is None else operator.analyze(start), check=check,
                 callback=observe, progress=progress)
    if reference is not None:
        result.history["psnr"] = np.asarray(stage_psnr)
    restored = operator.synthesize(result.x)[:height, :width]
    return restored, result


_DIFFERENCES = FiniteDifference("circular")


def gradient_field(image: np.ndarray) -> np.ndarray:
    """Circular forward differences of ``(H, W)`` or ``(H, W, C)`` as ``(H, W, 2C)``:
    the vertical differences of every channel, then the horizontal ones."""
    vertical, horizontal = _DIFFERENCES.forward(image)
    if image.ndim == 2:
        return np.stack([vertical, horizontal], axis=2)
    return np.concatenate([vertical, horizontal], axis=2)


def integrate_gradients(field: np.ndarray, image: np.ndarray, beta: float) -> np.ndarray:
    """``argmin_x β‖x − image‖² + ‖∇x − field‖²``, i.e. ``(DᵀD + β) x = β image + Dᵀ field``,
    solved exactly by :class:`~proxdeblur.operators.FiniteDifference` (circular: FFT).

    ``field`` is ``(H, W, 2C)`` as from :func:`gradient_field`.
    """
    beta = check_positive(beta, "beta")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if field.shape != image.shape[:2] + (2 * channels,):
        raise InvalidArgumentError("field", f"shape {image.shape[:2] + (2 * channels,)}",
                                   field.shape)
    split = np.stack([field[..., :channels], field[..., channels:]])
    if image.ndim == 2:
        split = split[..., 0]
    rhs = _DIFFERENCES.adjoint_axpy(split, 1.0, beta * np.asarray(image, dtype=np.float64))
    return _DIFFERENCES.solve_normal(rhs, beta)


def smooth(image, lam: float = 0.01, *, generator="dncnn", max_iter: int = 10, gamma: float = 0.5,
           step: float = 0.5, beta: float = 0.05, sigma_start: float = 25 / 255,
           sigma_end: float = 10 / 255, check: bool = True, callback=None,
           progress: bool = False):
    """Edge-preserving smoothing by GCM (section 4.2, "Edge-preserved Smoothing").

    Minimizes ``Ψ(g) = ½‖g − ∇y‖² + λ #{pixels with g ≠ 0}`` over the gradient
    field (module docstring) from ``g⁰ = ∇y``, then returns the image
    ``argmin_x β‖x − y‖² + ‖∇x − g‖²``. The generator integrates its input,
    denoises it (σ from ``sigma_start`` to ``sigma_end``) and differentiates.

    With the identity fidelity the proximal step at ``μ`` is
    ``prox_{μφ}((1 − μ) v + μ∇y)``: at ``μ`` near 1 it would discard the
    generator's proposal almost entirely, so the default is ``step=0.5``
    (Theorem 2 needs only ``μ < 1/L = 1``).

    Parameters
    ----------
    image : array_like (H, W) or (H, W, C)
    lam : float
        ℓ0 weight λ: a gradient vector survives when its squared norm exceeds
        ``2λμ`` in the proximal step; larger λ, flatter regions.
    generator : "dncnn", a denoiser, callable, sequence, or None
        As in :func:`interpolate` (callables act on gradient fields).
    max_iter, gamma, check
        GCM stages, warm-start weight, monotone check.
    step : float
        μ in (0, 1).
    beta : float
        Weight of the image term when integrating the gradient field.

    Returns
    -------
    smoothed : ndarray, the input's shape
    result : SolverResult
        The GCM run on the gradient field.
    """
    from .operators import Identity

    y = as_image(image, "image", unit=True).astype(np.float64)
    lam = check_positive(lam, "lam", allow_zero=True)
    check_in_range(step, "step", 0.0, 1.0, high_open=True)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    beta = check_positive(beta, "beta")
    observed = gradient_field(y)
    prior = L0(lam, group_axis=2)
    if _names_a_denoiser(generator):
        generator = denoiser_schedule(
            max_iter, sigma_start, sigma_end, generator,
            wrap=(lambda g: integrate_gradients(g, y, beta), gradient_field))
    result = gcm(Identity(), observed, prior, generator, gamma=gamma, step=step,
                 max_iter=max_iter, x0=observed, check=check, callback=callback,
                 progress=progress)
    return integrate_gradients(result.x, y, beta), result
