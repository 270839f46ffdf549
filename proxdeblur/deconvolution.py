"""Non-blind deconvolution of photographs: :func:`deconvolve`.

A real photograph is blurred by a scene that extends beyond its frame, so the
pixels near the border are averages of content the camera never recorded.
Assuming the image is periodic (circular) or mirrored there makes the solver
explain that content wrongly, and it rings. By default :func:`deconvolve`
uses the ``"valid"`` observation model instead: the latent image is larger
than the observation by the kernel size minus one, its extra band is
unobserved and only constrained by the prior, and the centre of the size of
the input is returned.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from ._validation import as_image, as_kernel, check_int, check_positive
from .camera import CLIP_LEVEL, check_clip_level, check_tone_curve, from_linear, to_linear
from .errors import InvalidArgumentError
from .fidelity import Weighted, data_weights, filled
from .noise import estimate_noise
from .operators import BOUNDARY_MODES, Convolution
from .priors.base import Cyclic, Denoiser, DenoiserProx, ProximalPrior
from .priors.bundled import DENOISER_COMBINATIONS, bundled_names
from .priors.classical import TV, L0Gradient, LpGradient, Prior, Wavelet
from .solvers.hqs import hqs
from .solvers.result import SolverResult, centre_crop

__all__ = ["deconvolve", "check_arguments", "cg_iterations", "PRIOR_NAMES", "DENOISER_NAMES",
           "make_prior", "noise_scale", "pnp_denoiser", "pnp_schedule"]

#: Weights at low noise, chosen once on Levin et al. 2009 with the true kernels
#: (``benchmarks/levin_nonblind.py``); :func:`default_lam` raises them with the noise.
DEFAULT_LAM = {
    "hyper-laplacian": 3e-4,
    "tv": 3e-4,
    "l0-gradient": 1e-3,
    "wavelet": 3e-4,
}
PRIOR_NAMES = tuple(DEFAULT_LAM)


def noise_scale(image: np.ndarray | None = None, sigma: float | None = None) -> float:
    """Factor by which the default prior weight grows with the image's noise.

    ``max(1, σ̂^1.5 / 3e-4)`` with σ̂ ``sigma`` when given, else scikit-image's
    wavelet (MAD) estimate of the noise standard deviation of ``image``. Chosen
    on ``camera`` blurred by a 19×19 motion kernel with Gaussian noise σ = 0.5, 1,
    2% (best λ ≈ 2.5e-4, 1e-3, 2e-3) and on Levin et al. 2009 (σ̂ ≈ 0.002, where
    kernel error rather than noise sets λ = 3e-4: hence the floor).
    """
    sigma = estimate_noise(image) if sigma is None else float(sigma)
    return max(1.0, sigma**1.5 / 3e-4) if np.isfinite(sigma) else 1.0


def make_prior(name: str, lam: float | None = None, p: float = 0.8) -> Prior:
    """A classical prior by name: ``"hyper-laplacian"`` (isotropic ℓp of the
    gradient, exponent ``p``), ``"tv"``, ``"l0-gradient"`` or ``"wavelet"``
    (ℓ1 of db2 detail coefficients, 3 levels)."""
    if name not in DEFAULT_LAM:
        raise InvalidArgumentError("prior", f"one of {PRIOR_NAMES} or a Prior instance", repr(name))
    lam = DEFAULT_LAM[name] if lam is None else check_positive(lam, "lam")
    if name == "hyper-laplacian":
        return LpGradient(lam, p)
    if name == "tv":
        return TV(lam)
    if name == "l0-gradient":
        return L0Gradient(lam)
    return Wavelet(lam)


#: Names of learned denoisers usable as ``prior`` (plug-and-play HQS).
DENOISER_NAMES = bundled_names("denoiser") + DENOISER_COMBINATIONS
#: DPIR's trade-off λ (Zhang et al., "Plug-and-play image restoration with deep
#: denoiser prior", TPAMI 2021): the prior weight is ``λ(σ_n² + σ_m²)``. Chosen where
#: the noise dominates: on BSD68 crops under synthetic blur (``benchmarks/pnp_weight.py``)
#: with noise 2.55/255 and 5.1/255 both bundled denoisers peak at λ ≈ 0.4–0.5, and
#: DPIR's 0.23 loses 0.9–1.7 dB there.
PNP_LAMBDA = 0.45
#: From this many pixels per channel on (512²), the u-step's conjugate gradients run in
#: float32 and take :func:`cg_iterations` steps: with the same four steps float32 gives
#: float64's PSNR to the third decimal at 0.25 MP in a third of the time
#: (``benchmarks/RESULTS.md``); smaller images — Levin et al.'s and BSD's among them —
#: keep float64 and their exact results.
SINGLE_PRECISION_PIXELS = 1 << 18
#: σ_m, the error floor of a real capture (kernel mismatch, exposure, 8-bit steps)
#: that the noise estimate does not see: Levin et al. 2009 (σ̂_n ≈ 0.5/255) needs a
#: weight ten times ``λσ̂_n²``. With it the weight on Levin is what the old rule
#: ``0.23·max(σ_n, 2/255)²`` gave (same PSNR), and exactly modelled, almost noiseless
#: synthetic blur pays 0.5–0.7 dB for it (``benchmarks/RESULTS.md``).
PNP_MODEL_ERROR = 1.4 / 255
#: First and smallest last denoiser noise level of the PnP schedule ([0, 1] scale).
PNP_SIGMA_START = 49 / 255
PNP_SIGMA_FLOOR = 2 / 255
#: PnP's u-step CG iterations: the z-step moves u far (a denoiser, not a
#: shrinkage of small steps), so the warm start is poorer than in classical HQS.
PNP_CG_ITERATIONS = 16
#: Self-ensemble of a named denoiser in PnP, cycled through the eight symmetries
#: over the iterations (see ``LearnedPrior(ensemble=..., cycle=True)``). On Levin
#: et al. 2009 (λ = 0.23, 16 PCG steps, bf16): one pass of a fixed orientation
#: 33.77 dB, two fixed members 33.91, one cycled pass 33.97, two cycled 34.02.
PNP_ENSEMBLE = 2
#: ... and from ``SINGLE_PRECISION_PIXELS`` per channel on, one member: the network is
#: nearly all of a photograph's time, and on 0.5 MP colour photographs (astronaut and
#: coffee, 25-px kernel, 1 % noise) one cycled member gave 34.919 / 33.535 dB against
#: two members' 34.938 / 33.552 in 36 s instead of 68 s (``benchmarks/RESULTS.md``).
PNP_LARGE_ENSEMBLE = 1
PNP_CYCLE = True
#: Network arithmetic of a named denoiser in PnP: bfloat16 where native.
PNP_PRECISION = "auto"
#: CG iterations of the classical priors' u-step (Levin et al. 2009, hyper-Laplacian
#: defaults, one core: 2 → 33.70 dB in 0.15 s, 4 → 33.83 dB in 0.26 s,
#: 8 → 33.88 dB in 0.41 s, 16 → 33.93 dB).
CG_ITERATIONS = 4
#: ... and from ``SINGLE_PRECISION_PIXELS`` per channel on, by the *band*: the share of
#: the latent image that the frame does not observe, ``((H+k−1)(W+k−1) − HW) / HW``,
#: which the extra steps serve (the circulant preconditioner does the rest). Up to 5 %
#: one step (a steepest-descent step with exact line search, which cannot raise the
#: u-step's energy), up to 10 % two, beyond four. Measured on colour photographs
#: (astronaut and coffee, 25-px kernel with 1 % noise and 45-px with 0.5 %, 0.25–2 MP):
#: one step loses ≤ 0.02 dB against four up to a 6 % band, 0.1–0.16 dB at 9 %, 0.25 dB
#: at 19 % (``benchmarks/RESULTS.md``).
BAND_CG_ITERATIONS = ((0.05, 1), (0.10, 2))


def cg_iterations(image_shape, kernel_shape) -> int:
    """The classical priors' CG steps per u-step for an image and kernel of these shapes
    (``CG_ITERATIONS``, or by the unobserved band from ``SINGLE_PRECISION_PIXELS`` on,
    ``BAND_CG_ITERATIONS``)."""
    h, w = int(image_shape[0]), int(image_shape[1])
    if h * w < SINGLE_PRECISION_PIXELS:
        return CG_ITERATIONS
    band = ((h + kernel_shape[0] - 1) * (w + kernel_shape[1] - 1) - h * w) / (h * w)
    return next((steps for limit, steps in BAND_CG_ITERATIONS if band <= limit), CG_ITERATIONS)


def _is_denoiser(prior) -> bool:
    if isinstance(prior, str):  # a bundled name, or bundled names joined by "+"
        return all(part in DENOISER_NAMES for part in prior.split("+"))
    return isinstance(prior, Denoiser)


def pnp_schedule(noise_sigma: float, max_iter: int, lam: float = PNP_LAMBDA):
    """The DPIR schedule: denoiser levels ``σ_k`` falling geometrically from
    ``PNP_SIGMA_START`` to ``max(σ_n, PNP_SIGMA_FLOOR)``, the prior weight
    ``w = λ(σ_n² + σ_m²)`` with ``σ_m = PNP_MODEL_ERROR``, and the HQS penalties
    ``ρ_k = w / σ_k²`` (so that the z-step, ``prox`` of the weight ``w`` with step
    ``1/ρ_k``, denoises at exactly ``σ_k``). DPIR's weight is ``λσ_n²``; the
    floor ``σ_m`` stands for the errors of a real capture besides its noise.

    Returns ``(weight, sigmas, rhos)``.
    """
    noise_sigma = float(noise_sigma)
    sigma_end = max(noise_sigma, PNP_SIGMA_FLOOR)
    sigmas = np.geomspace(PNP_SIGMA_START, min(sigma_end, PNP_SIGMA_START), max_iter)
    weight = lam * (noise_sigma**2 + PNP_MODEL_ERROR**2)
    return weight, sigmas, weight / sigmas**2


def pnp_denoiser(denoiser="dncnn", *, precision: str | None = None,
                 ensemble: int | None = None, cycle: bool | None = None):
    """The denoiser :func:`deconvolve` runs for ``prior=denoiser``: a bundled name,
    names joined by ``+`` or a weights path, loaded with ``PNP_PRECISION``,
    ``PNP_ENSEMBLE`` and ``PNP_CYCLE`` (each overridable; with ``cycle`` a joined
    name alternates its networks over the iterations), or a :class:`LearnedPrior`
    or ``DenoiserEnsemble`` as given."""
    from .denoising import get_denoiser

    return get_denoiser(denoiser, precision=PNP_PRECISION if precision is None else precision,
                        ensemble=PNP_ENSEMBLE if ensemble is None else ensemble,
                        cycle=PNP_CYCLE if cycle is None else cycle)


def _pnp_deconvolve(y, k, prior, *, boundary, lam, noise, max_iter, cg_max_iter, large,
                    fidelity, caller, reference, callback, progress, return_result):
    """Plug-and-play HQS with a learned denoiser (see :func:`deconvolve`); ``large``: the
    image has ``SINGLE_PRECISION_PIXELS`` per channel or more."""
    denoiser = pnp_denoiser(prior, ensemble=PNP_LARGE_ENSEMBLE if large else None)
    lam = PNP_LAMBDA if lam is None else check_positive(lam, "lam")
    noise = estimate_noise(y) if noise is None else noise
    weight, sigmas, rhos = pnp_schedule(noise if np.isfinite(noise) else 0.0, max_iter, lam)
    plug = copy.copy(denoiser)  # the caller's denoiser keeps its own cycle
    if isinstance(plug, Cyclic):
        plug.reset_cycle()  # every run starts from the identity: reproducible
    growth = (rhos[-1] / rhos[0]) ** (1.0 / max(max_iter - 1, 1))
    if reference is not None:
        reference = as_image(reference, "reference", unit=True)
        if reference.shape != y.shape:
            raise InvalidArgumentError("reference", f"the image's shape {y.shape}", reference.shape)
    operator = Convolution(k, boundary)
    fit = operator if fidelity is None else Weighted(operator, fidelity)
    observation = y.astype(np.float64)
    result: SolverResult = hqs(
        fit, observation if fidelity is None else fit.observation(observation),
        DenoiserProx(plug, weight),
        x0=operator.initial_estimate(filled(observation, caller, float(max(k.shape)))),
        rho=float(rhos[0]),
        rho_growth=growth, rho_max=float(rhos[-1]), max_iter=max_iter, tol=0.0,
        callback=callback, reference=reference, cg_tol=1e-6, cg_max_iter=cg_max_iter,
        cg_precision="single" if large else "double", progress=progress,
        track_objective=False)
    restored = centre_crop(result.x, y.shape).astype(y.dtype, copy=True)
    return (restored, result) if return_result else restored


def _checked(prior, lam, p, boundary, max_iter, rho, cg_max_iter, noise=None,
             saturation=None, tone_curve=None, min_noise=0.0):
    """:func:`deconvolve`'s arguments that do not depend on the image, checked:
    ``(plug_and_play, max_iter, cg_max_iter, (rho_first, rho_last))``."""
    check_clip_level(saturation)
    check_tone_curve(tone_curve)
    if noise is not None and not (np.isfinite(noise) and noise >= 0):
        raise InvalidArgumentError("noise", "a finite number >= 0 (or None: estimated)", noise)
    if not (isinstance(min_noise, (int, float, np.number)) and np.isfinite(min_noise)
            and min_noise >= 0):
        raise InvalidArgumentError("min_noise", "a finite number >= 0", min_noise)
    if boundary not in BOUNDARY_MODES:
        raise InvalidArgumentError("boundary", f"one of {BOUNDARY_MODES}", repr(boundary))
    max_iter = check_int(max_iter, "max_iter")
    plug_and_play = _is_denoiser(prior)
    if cg_max_iter is None:
        cg_max_iter = PNP_CG_ITERATIONS if plug_and_play else CG_ITERATIONS
    cg_max_iter = check_int(cg_max_iter, "cg_max_iter")
    if len(rho) != 2:
        raise InvalidArgumentError("rho", "a pair (first, last)", rho)
    rho_first = check_positive(rho[0], "rho[0]")
    rho_last = check_positive(rho[1], "rho[1]")
    if rho_last < rho_first:
        raise InvalidArgumentError("rho", "last >= first", rho)
    if plug_and_play:
        if lam is not None:
            check_positive(lam, "lam")
    elif isinstance(prior, str):
        make_prior(prior, lam, p)  # validates the name, lam and p
    elif not isinstance(prior, (ProximalPrior, Prior)):
        raise InvalidArgumentError("prior", f"one of {PRIOR_NAMES + DENOISER_NAMES}, a prior "
                                   "or a denoiser", type(prior).__name__)
    elif lam is not None:
        raise InvalidArgumentError("lam", "None when prior is a Prior instance (set its weight)",
                                   lam)
    return plug_and_play, max_iter, cg_max_iter, (rho_first, rho_last)


def check_arguments(prior="hyper-laplacian", **options) -> None:
    """Check :func:`deconvolve`'s options without an image, before long work that ends
    in a deconvolution (:func:`~proxdeblur.deblur` calls it before estimating the kernel)."""
    import inspect

    try:
        bound = inspect.signature(deconvolve).bind(None, None, prior, **options)
    except TypeError as exc:
        raise InvalidArgumentError("deconvolve_options", "keywords of deconvolve", str(exc)) \
            from None
    bound.apply_defaults()
    a = bound.arguments
    _checked(a["prior"], a["lam"], a["p"], a["boundary"], a["max_iter"], a["rho"],
             a["cg_max_iter"], a["noise"], a["saturation"], a["tone_curve"], a["min_noise"])


def deconvolve(image, kernel, prior: str | Prior = "hyper-laplacian", *, lam: float | None = None,
               p: float = 0.8, noise: float | None = None, min_noise: float = 0.0,
               boundary: str = "valid",
               max_iter: int = 10,
               rho: tuple[float, float] = (1e-3, 10.0), cg_max_iter: int | None = None,
               saturation: float | None = CLIP_LEVEL, weights=None, tone_curve: str | None = None,
               reference=None, callback: Callable | None = None, progress: bool = False,
               return_result: bool = False):
    """Remove a known blur from an image.

    Solves ``min_u ½‖A u − y‖² + φ(u)`` by half-quadratic splitting
    (:func:`proxdeblur.solvers.hqs`) with a geometric continuation of the
    penalty ρ, channel by channel for colour images.

    Parameters
    ----------
    image : ndarray
        Blurred image, ``(H, W)`` or ``(H, W, C)``, values nominally in [0, 1].
    kernel : ndarray
        Blur kernel, odd-sized, non-negative; rescaled to sum to 1.
    prior : str, Prior, LearnedPrior or DenoiserEnsemble
        ``"hyper-laplacian"`` (default), ``"tv"``, ``"l0-gradient"``,
        ``"wavelet"``, or any prior object accepted by :func:`~proxdeblur.solvers.hqs`;
        or a bundled denoiser (``"dncnn"``, ``"drunet"``, or both in turn,
        ``"dncnn+drunet"``: one per iteration, alternating — the best of the three
        on Levin et al. 2009, see :mod:`proxdeblur.priors.denoiser_ensemble`) / a
        denoiser :class:`~proxdeblur.priors.learned.LearnedPrior` or
        :class:`~proxdeblur.priors.denoiser_ensemble.DenoiserEnsemble` for plug-and-play HQS:
        the z-step is the denoiser at levels falling geometrically from 49/255
        to the estimated noise level (at least
        2/255), with ``ρ_k = λ(σ_n² + σ_m²)/σ_k²`` (the DPIR schedule with an error
        floor σ_m, :func:`pnp_schedule`).
        A bundled name runs the network as a two-member self-ensemble
        whose members cycle through the eight symmetries of the square from
        one iteration to the next (``PNP_ENSEMBLE``, ``PNP_CYCLE``; one member from
        ``SINGLE_PRECISION_PIXELS`` per channel on, ``PNP_LARGE_ENSEMBLE``; Terris et
        al., CVPR 2024), in bfloat16 where the hardware has it natively
        (``precision="auto"``); a :class:`LearnedPrior` or ``DenoiserEnsemble``
        passed in keeps its own precision, ensemble and cycle.
    lam : float, optional
        Prior weight for a named prior. Default: ``DEFAULT_LAM`` (3e-4 for the
        hyper-Laplacian) times :func:`noise_scale` of the image, which grows
        with the estimated noise level. For a denoiser, DPIR's λ (default ``PNP_LAMBDA`` = 0.45).
    p : float
        Exponent of the hyper-Laplacian prior, in (0, 1].
    noise : float, optional
        Standard deviation of the noise ([0, 1] scale) that sets the default
        weight (:func:`noise_scale`) or the PnP schedule; None: estimated from the
        image. Pass it when known, or when pieces of one image must share it
        (:mod:`proxdeblur.chunked`).
    min_noise : float
        Floor of that noise level: the error of a capture that the estimate does not
        see — a JPEG's compression and in-camera processing (``JPEG_NOISE``, 0.01, as the
        kernel estimate's floor; :func:`~proxdeblur.deblurring.source_deconvolve_options`).
    boundary : str
        Observation model at the border (see
        :class:`~proxdeblur.operators.Convolution`); ``"valid"`` (default)
        treats what lies beyond the frame as unknown.
    max_iter : int
        HQS iterations; ρ grows geometrically from ``rho[0]`` to ``rho[1]``
        over them.
    rho : (float, float)
        First and last penalty of the continuation.
    cg_max_iter : int, optional
        Conjugate-gradient iterations per u-step when it is not closed-form
        (``"valid"``, ``"symmetric"``, ``"replicate"``), warm-started from the
        previous u. Default 4 for the classical priors (``CG_ITERATIONS``:
        consecutive u differ little; more gains up to 0.1 dB at up to 3× the
        time) and 16 for a denoiser (``PNP_CG_ITERATIONS``: 2 → 16 gains 0.5 dB
        on the first eight images of Levin et al. 2009). From a quarter megapixel per
        channel on (``SINGLE_PRECISION_PIXELS``) they run in float32, and the classical
        priors' default is 1, 2 or 4 by the share of the latent image the frame does
        not observe (:func:`cg_iterations`).
    saturation : float or None
        Clip level: observed pixels at or above it in any channel, and their neighbours,
        are left out of the data term (:func:`~proxdeblur.fidelity.data_weights`; 0.98, ``CLIP_LEVEL``, since
        an 8-bit file's clipped plateau sits at 255 and JPEG pulls it a few levels down).
        An image without such pixels is restored exactly as with None.
    weights : ndarray (H, W), optional
        The caller's weights in [0, 1] of every observed pixel in the data term
        ``½ Σᵢ wᵢ((k ∗ u)ᵢ − yᵢ)²`` (e.g. 0 on known outliers), combined with the
        saturation map. Solved by the same splitting with ``W^{1/2}`` folded into the
        blur (:class:`~proxdeblur.fidelity.Weighted`): the u-step runs conjugate
        gradients instead of its closed form where it had one.
    tone_curve : str, optional
        The camera's tone curve (``"srgb"``, ``"gamma2.2"``): the image is taken to
        linear light, where the blur happened, deconvolved there and encoded again
        (:mod:`proxdeblur.camera`). None (default): deconvolved as stored.
    reference : ndarray, optional
        Ground truth of the input's shape: adds ``"psnr"`` to the history.
    callback : callable, optional
        Called with each :class:`~proxdeblur.solvers.IterationState`.
    progress : bool
        Show a progress bar.
    return_result : bool
        Also return the :class:`~proxdeblur.solvers.SolverResult`. The
        objective is recorded in its history only then (or with a callback):
        it costs a blur and two penalty evaluations per iteration.

    Returns
    -------
    ndarray or (ndarray, SolverResult)
        The restored image, with the input's shape and float dtype (not
        clipped to [0, 1]).
    """
    y = as_image(image, "image", unit=True)
    k = as_kernel(kernel, "kernel", normalize=True)
    if k.shape[0] > y.shape[0] or k.shape[1] > y.shape[1]:
        raise InvalidArgumentError("kernel", f"a kernel no larger than the image {y.shape[:2]}",
                                   k.shape)
    large = y.shape[0] * y.shape[1] >= SINGLE_PRECISION_PIXELS
    if cg_max_iter is None and not _is_denoiser(prior):
        cg_max_iter = cg_iterations(y.shape, k.shape)
    plug_and_play, max_iter, cg_max_iter, (rho_first, rho_last) = _checked(
        prior, lam, p, boundary, max_iter, rho, cg_max_iter, noise, saturation, tone_curve,
        min_noise)
    if tone_curve is not None:
        encoded_dtype = y.dtype
        linear = to_linear(y, tone_curve).astype(y.dtype, copy=False)  # float32 stays so
        restored = deconvolve(linear, k, prior, lam=lam, p=p, noise=noise,
                              min_noise=min_noise,
                              boundary=boundary, max_iter=max_iter, rho=rho,
                              cg_max_iter=cg_max_iter, weights=weights,
                              saturation=None if saturation is None
                              else float(to_linear(saturation, tone_curve)),
                              callback=callback, progress=progress,
                              return_result=return_result,
                              reference=None if reference is None
                              else to_linear(as_image(reference, "reference", unit=True),
                                             tone_curve))
        if return_result:
            return from_linear(restored[0], tone_curve).astype(encoded_dtype), restored[1]
        return from_linear(restored, tone_curve).astype(encoded_dtype)
    if min_noise:
        noise = max(estimate_noise(y) if noise is None else noise, min_noise)
    fidelity = data_weights(y, saturation, weights)
    caller = None if weights is None else np.asarray(weights, dtype=np.float64)
    if plug_and_play:
        return _pnp_deconvolve(y, k, prior, boundary=boundary, lam=lam, noise=noise,
                               max_iter=max_iter, large=large, fidelity=fidelity,
                               caller=caller,
                               cg_max_iter=cg_max_iter, reference=reference, callback=callback,
                               progress=progress, return_result=return_result)
    if isinstance(prior, str):
        name = prior
        if lam is None:
            lam = DEFAULT_LAM[name] * noise_scale(y, noise)
        prior = make_prior(name, lam, p)
    operator = Convolution(k, boundary)
    fit = operator if fidelity is None else Weighted(operator, fidelity)
    growth = (rho_last / rho_first) ** (1.0 / max(max_iter - 1, 1))
    if reference is not None:
        reference = as_image(reference, "reference", unit=True)
        if reference.shape != y.shape:
            raise InvalidArgumentError("reference", f"the image's shape {y.shape}", reference.shape)
    track = return_result or callback is not None

    precision = "single" if large else "double"

    width = float(max(k.shape))

    def solve(observation: np.ndarray) -> SolverResult:
        start = operator.initial_estimate(filled(observation, caller, width))
        return hqs(fit, observation if fidelity is None else fit.observation(observation),
                   prior, x0=start, rho=rho_first,
                   rho_growth=growth,
                   rho_max=rho_last, max_iter=max_iter, tol=0.0, callback=callback,
                   reference=reference, cg_tol=1e-6, cg_max_iter=cg_max_iter,
                   cg_precision=precision, progress=progress, track_objective=track)

    if y.ndim == 3 and not (track or reference is not None):
        # The channels are independent problems (the prior is channel-wise): solved one
        # after the other on contiguous 2-D arrays, the same restoration to rounding
        # (1e-13) 1.6x faster than the batched solve, whose transforms and shrinkages
        # run over a strided channel axis. The batched solve keeps one history.
        # Each channel's restoration goes straight into the output (no list of
        # latents, no stack, no second copy for the dtype).
        restored = np.empty(y.shape, dtype=y.dtype)
        for c in range(y.shape[2]):
            latent = solve(np.ascontiguousarray(y[..., c], dtype=np.float64)).x
            restored[..., c] = centre_crop(latent, y.shape[:2])
            del latent
        return restored
    result = solve(y.astype(np.float64))
    restored = centre_crop(result.x, y.shape).astype(y.dtype, copy=True)
    return (restored, result) if return_result else restored
