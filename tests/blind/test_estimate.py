"""estimate_kernel and its iterator: options, schedule, latent steps, warnings; deblur."""


import numpy as np
import pytest

from proxdeblur import Convolution, deblur
from proxdeblur.blind import (
    GCMLatentStep,
    diagnose_kernel,
    estimate_kernel,
    estimate_kernel_iter,
    latent_step,
)
from proxdeblur.blind.pyramid import pyramid_levels
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import delta_kernel, kernel_extent, motion_kernel
from proxdeblur.metrics import kernel_similarity

from .scenes import alternation_states, camera_blurred_by_motion, make_scene


def test_estimate_kernel_fits_the_observed_interior_on_the_finer_levels():
    image = Convolution(motion_kernel(9, seed=1), "circular").forward(make_scene(2, (96, 80)))

    def observed_levels(**options):
        states, info = alternation_states(image, 9, max_iter=1, settle_max_iter=0, min_level_side=0,
                               **options)
        assert len(states) == len(info.levels)  # one kernel step per level
        return ([level.scale for level in info.levels],
                [tuple(level.image_shape) for level in info.levels], [s.observed for s in states])

    scales, shapes, observed = observed_levels()
    assert len(scales) >= 3 and min(scales) < 0.5
    assert observed == [shape if scale >= 0.5 else None
                        for scale, shape in zip(scales, shapes, strict=True)]
    assert observed[-1] == (96, 80)
    assert all(o is None for o in observed_levels(observed_min_scale=2.0)[2])
    assert all(o is not None for o in observed_levels(observed_min_scale=0.0)[2])
    with pytest.raises(InvalidArgumentError, match="^observed_max_iter:"):
        estimate_kernel(image, 9, observed_max_iter=0)
    with pytest.raises(InvalidArgumentError, match="^observed_min_scale:"):
        estimate_kernel(image, 9, observed_min_scale=-1.0)


def test_estimate_kernels_weight_is_per_input_pixel():
    image = Convolution(motion_kernel(5, seed=1), "circular").forward(make_scene(2, (48, 40)))
    states, _ = alternation_states(image, 5, eta=1e-3, max_iter=1)
    assert states and all(s.kernel_weight == pytest.approx(1e-3 * 48 * 40) for s in states)


def test_estimate_kernel_softens_the_latent_model_by_level():
    seen = []

    def step(blurred, kernel, lam, **kwargs):  # a user's latent step: the ℓ0 one, watched
        seen.append(kernel.shape)
        return latent_step(blurred, kernel, lam)

    image = Convolution(motion_kernel(9, seed=1), "circular").forward(make_scene(2, (64, 64)))
    states, info = alternation_states(image, 9, image_step=step, max_iter=1, settle_max_iter=0,
                           edge_softness=1.0)
    expected = [tuple(s + 2 * int(4.0 * level.scale + 0.5) for s in level.kernel_shape)
                for level in info.levels]
    assert seen == expected and expected[-1] == (17, 17)
    assert [s.edge_softness for s in states] == [level.scale for level in info.levels]
    seen.clear()
    _, info = estimate_kernel(image, 9, image_step=step, max_iter=1, settle_max_iter=0,
                              edge_softness=0.0)
    assert seen == [tuple(level.kernel_shape) for level in info.levels]
    with pytest.raises(InvalidArgumentError, match="^edge_softness:"):
        estimate_kernel(image, 9, edge_softness=-0.5)


def test_finest_level_settles_within_its_extra_alternations():
    image = Convolution(motion_kernel(7, seed=2), "circular").forward(make_scene(3, (64, 64)))
    _, info = estimate_kernel(image, 7, max_iter=1, settle_max_iter=0)
    assert [len(level.kernel_objective) for level in info.levels] == [1] * len(info.levels)
    _, info = estimate_kernel(image, 7, max_iter=1, settle_max_iter=6)
    runs = len(info.levels[-1].kernel_objective)
    assert all(len(level.kernel_objective) == 1 for level in info.levels[:-1])
    assert 1 <= runs <= 7
    assert info.converged or runs == 7  # stops early only once the kernel has settled
    assert info.converged == (info.levels[-1].kernel_change < 0.05)
    with pytest.raises(InvalidArgumentError, match="^settle_max_iter:"):
        estimate_kernel(image, 7, settle_max_iter=-1)


def test_edge_softness_recovers_the_kernel_of_an_image_with_soft_edges():
    from scipy import ndimage

    rng = np.random.default_rng(1)
    scene = np.full((120, 120), 0.3)
    for _ in range(30):
        y0, x0 = rng.integers(0, 110, 2)
        scene[y0:y0 + rng.integers(5, 30), x0:x0 + rng.integers(5, 30)] = rng.random()
    sharp = ndimage.gaussian_filter(scene, 0.8, mode="nearest")  # step edges softened by 0.8 px
    truth = motion_kernel(9, seed=1)
    blurred = Convolution(truth, "valid").forward(sharp)
    blurred += 0.002 * np.random.default_rng(1).standard_normal(blurred.shape)
    steps_only = kernel_similarity(estimate_kernel(blurred, 11, edge_softness=0.0)[0], truth)
    modelled = kernel_similarity(estimate_kernel(blurred, 11, edge_softness=0.8)[0], truth)
    assert modelled > steps_only + 0.03 and modelled > 0.93


def test_estimate_kernel_finds_a_motion_blur(camera_small):
    blurred, truth = camera_blurred_by_motion()
    kernel, info = estimate_kernel(blurred, 11)
    assert kernel.shape == (11, 11) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert kernel_similarity(kernel, truth) > 0.8
    assert len(info.levels) >= 3 and not info.collapsed
    assert all(a >= b for level in info.levels for a, b in level.kernel_objective)


def test_estimate_kernel_does_not_depend_on_an_oversized_support():
    """A 9-pixel blur searched in a 49-pixel support: the pyramid stops at 32-pixel
    images, the support follows the kernel, and the speckle is cleaned away."""
    blurred, truth = camera_blurred_by_motion()
    kernel, info = estimate_kernel(blurred, 49)
    assert kernel.shape == (49, 49) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert kernel_similarity(kernel, truth) > 0.8
    assert min(info.levels[0].image_shape) >= 32
    assert max(info.levels[-1].kernel_shape) < 49  # estimated on a support near its own size
    significant = kernel[kernel > 0]
    assert significant.min() >= 0.02 * kernel.max() * (1 - 1e-12)
    assert kernel_extent(kernel) < 25


def test_estimate_kernel_support_options_can_be_switched_off():
    blurred, _ = camera_blurred_by_motion()
    off = {"min_level_side": 0, "support_margin": 0, "final_threshold": 0, "final_prune": 0,
           "support_room": 0}
    _, info = estimate_kernel(blurred, 27, max_iter=1, settle_max_iter=0, **off)
    assert [tuple(level.kernel_shape) for level in info.levels] == [
        level.support for level in pyramid_levels((27, 27))]
    assert min(info.levels[0].image_shape) < 32
    for name, value in [("support_margin", -0.1), ("final_threshold", 1.5), ("final_prune", -1.0),
                        ("min_level_side", -3), ("support_room", -1)]:
        with pytest.raises(InvalidArgumentError, match=name):
            estimate_kernel(blurred, 9, **{name: value})


def test_estimate_kernel_searches_a_wider_support_and_cuts_back_to_the_requested_one():
    blurred, truth = camera_blurred_by_motion()
    off = {"min_level_side": 0, "support_margin": 0, "max_iter": 1, "settle_max_iter": 0}
    kernel, info = estimate_kernel(blurred, 11, support_room=3, **off)
    assert kernel.shape == (11, 11) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert [tuple(level.kernel_shape) for level in info.levels] == [
        level.support for level in pyramid_levels((17, 17))]
    # the room is capped at a third of the image's side: none is left for a 15-pixel
    # support on a 47-pixel image, and the estimate is that of support_room=0
    small = blurred[:47, :47]
    np.testing.assert_array_equal(estimate_kernel(small, 15, support_room=4, **off)[0],
                                  estimate_kernel(small, 15, support_room=0, **off)[0])


def test_deblur_colour_returns_image_kernel_and_info(camera_small):
    truth = motion_kernel(7, seed=5)
    colour = np.dstack([camera_small, camera_small**2, 1 - camera_small])
    blurred = Convolution(truth, "valid").forward(colour)
    restored, kernel, info = deblur(blurred, 9, deconvolve_options={"max_iter": 4})
    assert restored.shape == blurred.shape
    assert kernel.shape == (9, 9)
    assert info.seconds >= info.kernel_seconds > 0


def test_deblur_reports_a_collapsed_kernel_as_a_warning(monkeypatch, camera_small):
    import proxdeblur.deblurring as deblurring
    from proxdeblur.blind import KernelEstimate

    def collapsed(image, kernel_size, **options):
        estimate = KernelEstimate()
        estimate.collapsed, estimate.converged, estimate.warnings = diagnose_kernel(delta_kernel(9), 0.0)
        return delta_kernel(9), estimate

    monkeypatch.setattr(deblurring, "estimate_kernel", collapsed)
    with pytest.warns(deblurring.BlindDeblurWarning, match="delta"):
        _, _, info = deblur(camera_small, 9, deconvolve_options={"max_iter": 2})
    assert info.estimate.collapsed and info.warnings


@pytest.mark.parametrize("size, match", [(8, "odd"), ((9, 10), "odd"), (41, "third"), (1, "odd"),
                                         ("seven", "odd int")])
def test_bad_kernel_size(camera_small, size, match):
    with pytest.raises(InvalidArgumentError, match="kernel_size.*" + match):
        estimate_kernel(camera_small, size)


def test_bad_images():
    with pytest.raises(InvalidArgumentError, match="image.*contrast"):
        estimate_kernel(np.full((64, 64), 0.5), 9)
    with pytest.raises(InvalidArgumentError, match="image.*at least 16"):
        estimate_kernel(np.random.default_rng(0).random((10, 64)), 3)
    nan = np.random.default_rng(0).random((64, 64))
    nan[3, 3] = np.nan
    with pytest.raises(InvalidArgumentError, match="image.*finite"):
        deblur(nan, 9)
    with pytest.raises(InvalidArgumentError, match="image_step"):
        estimate_kernel(np.random.default_rng(0).random((64, 64)), 9, image_step="l2")


def test_gcm_image_step_runs_with_a_generator_and_returns_gradients():
    scene = make_scene(4, (32, 36))
    blurred = Convolution(motion_kernel(5, seed=1), "circular").forward(scene)
    calls = []

    def generator(u):
        calls.append(u.shape)
        return u

    latent = GCMLatentStep(generator, max_iter=3)(blurred, motion_kernel(5, seed=1), 1e-3)
    assert latent.image is None and latent.gradients[0].shape == scene.shape
    assert calls == [(32, 36, 2)] * 3  # both gradient components at once, every stage
    kernel, info = estimate_kernel(np.pad(blurred, 8, mode="reflect"), 5,
                                   image_step=GCMLatentStep(max_iter=2), max_iter=2)
    assert kernel.shape == (5, 5) and np.isclose(kernel.sum(), 1) and kernel.min() >= 0
    assert info.latent.shape == (48, 52)


def test_gcm_latent_steps_start_from_the_observation_unless_told():
    starts = []

    def generator(warm):  # sees each stage's warm start; records the first of each step
        return warm

    class Watched(GCMLatentStep):
        def __call__(self, blurred, kernel, lam, *, lam_intensity=0.0, previous=None):
            starts.append(self.start == "observation" or previous is None
                          or previous.shape != blurred.shape)
            return super().__call__(blurred, kernel, lam, previous=previous)

    blurred = np.pad(Convolution(motion_kernel(5, seed=1), "circular").forward(make_scene(4, (32, 36))),
                     8, mode="reflect")
    options = {"max_iter": 2, "settle_max_iter": 0}
    estimate_kernel(blurred, 5, image_step=Watched(generator, max_iter=1), **options)
    assert starts and all(starts)  # Algorithm 1's u⁰ = ∇y at every latent step
    starts.clear()
    estimate_kernel(blurred, 5, image_step=Watched(generator, max_iter=1, start="previous"),
                    **options)
    assert starts.count(True) == len(starts) // 2  # one fresh start per level
    with pytest.raises(InvalidArgumentError, match="start"):
        GCMLatentStep(start="zero")


def test_classical_generator_alone_is_the_classical_latent_step(camera_small):
    blurred = Convolution(motion_kernel(7, seed=3), "valid").forward(camera_small[:64, :64])
    options = {"max_iter": 2, "settle_max_iter": 0}
    classical, _ = estimate_kernel(blurred, 7, **options)
    proposed, _ = estimate_kernel(blurred, 7, image_step=GCMLatentStep(
        "l0", corrector=False, max_iter=2), **options)
    np.testing.assert_allclose(proposed, classical, atol=1e-10)
    corrected, info = estimate_kernel(blurred, 7, image_step=GCMLatentStep(
        "l0", p=0.0, max_iter=2), **options)
    assert np.isclose(corrected.sum(), 1) and not np.allclose(corrected, classical, atol=1e-4)
    with pytest.raises(InvalidArgumentError, match="generator"):
        GCMLatentStep("dncnn")


def test_lambda_floor_rises_with_the_estimated_noise():
    from skimage import data

    from proxdeblur.blind import ScheduleOptions

    sharp = data.camera()[100:260, 150:310] / 255.0
    blurred = Convolution(motion_kernel(9, seed=3), "valid").forward(sharp)
    noisy = blurred + 0.02 * np.random.default_rng(0).standard_normal(blurred.shape)
    states, info = alternation_states(noisy, 11)
    floor = ScheduleOptions().noise_floor
    assert info.noise_sigma == pytest.approx(0.02, rel=0.15)
    assert info.lam_floor == pytest.approx(floor * info.noise_sigma ** 2)
    assert min(s.lam for s in states) == pytest.approx(info.lam_floor) and info.lam_floor > 1e-3
    states, info = alternation_states(noisy, 11, noise_floor=0)
    assert info.lam_floor == 1e-4
    assert min(s.lam for s in states) < 0.5 * floor * 0.02 ** 2  # the decay goes on below it
    _, info = estimate_kernel(blurred, 11, noise=0.004)  # given, not estimated: 3·0.004² < 1e-4
    assert info.noise_sigma == 0.004 and info.lam_floor == 1e-4
    for name in ("noise_floor", "noise"):
        with pytest.raises(InvalidArgumentError, match=name):
            estimate_kernel(blurred, 11, **{name: -1.0})


def test_lambda_floor_keeps_the_noise_out_of_the_kernel():
    from skimage import data

    sharp = data.camera()[60:316, 120:376] / 255.0
    truth = motion_kernel(13, seed=5)
    blurred = Convolution(truth, "valid").forward(sharp)
    noisy = blurred + 0.02 * np.random.default_rng(1).standard_normal(blurred.shape)
    floored, _ = estimate_kernel(noisy, 15)
    plain, _ = estimate_kernel(noisy, 15, noise_floor=0)
    assert kernel_similarity(floored, truth) > kernel_similarity(plain, truth) + 0.05


def test_options_are_frozen_validated_and_routed_by_keyword():
    import dataclasses

    from proxdeblur.blind import EstimateOptions, KernelOptions, PyramidOptions, resolve_options

    options = resolve_options(noise=0.02, kernel_max_iter=7, max_iter=2)
    assert (options.schedule.noise, options.kernel.max_iter, options.pyramid.max_iter) == (0.02, 7, 2)
    assert resolve_options(options, lam=1e-3).schedule.noise == 0.02  # replaces, keeps the rest
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.pyramid.max_iter = 3
    with pytest.raises(InvalidArgumentError, match="^colour:"):
        resolve_options(colour=1)
    with pytest.raises(InvalidArgumentError, match="^kernel_max_iter:"):
        KernelOptions(max_iter=0)
    image = Convolution(motion_kernel(5, seed=1), "circular").forward(make_scene(2, (48, 40)))
    by_object, _ = estimate_kernel(image, 5, options=EstimateOptions(
        pyramid=PyramidOptions(max_iter=1, settle_max_iter=0)))
    by_keyword, _ = estimate_kernel(image, 5, max_iter=1, settle_max_iter=0)
    np.testing.assert_array_equal(by_object, by_keyword)


def test_the_iterator_ends_with_the_estimate_it_returns():
    image = Convolution(motion_kernel(5, seed=1), "circular").forward(make_scene(3, (48, 40)))
    states = list(estimate_kernel_iter(image, 5, max_iter=2, settle_max_iter=0))
    final = states[-1]
    assert final.stage == "final" and all(s.stage == "level" for s in states[:-1])
    kernel, estimate = estimate_kernel(image, 5, max_iter=2, settle_max_iter=0)
    np.testing.assert_array_equal(final.estimate.kernel, kernel)
    assert len(states) - 1 == sum(len(level.kernel_objective) for level in estimate.levels)
    assert [s.alternation for s in states[:2]] == [0, 1] and states[0].level == 0


def test_an_image_restorer_as_gcm_generator_proposes_its_outputs_gradients():
    """generator_domain="image": a restorer of images (Bi-Skip, DMPHN, Golf) proposes the
    gradients of its output on the blurred image; "Generator only" returns them as is."""
    from proxdeblur.blind.latent import gradients

    scene = make_scene(4, (32, 36))
    kernel = motion_kernel(5, seed=1)
    blurred = Convolution(kernel, "circular").forward(scene)
    seen = []

    class Oracle:  # a restorer that "restores" the scene exactly
        def restore(self, x):
            seen.append(x.shape)
            return scene

    latent = GCMLatentStep(Oracle(), corrector=False, generator_domain="image",
                           max_iter=2)(blurred, kernel, 1e-3)
    for got, expected in zip(latent.gradients, gradients(scene), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-12)
    assert seen == [blurred.shape]  # one restoration per latent step
    with pytest.raises(InvalidArgumentError, match="generator_domain"):
        GCMLatentStep(Oracle(), generator_domain="pixels")
    with pytest.raises(InvalidArgumentError, match="generator"):
        GCMLatentStep("l0", generator_domain="image")


def test_estimate_fits_without_clipped_pixels_and_survives_a_mostly_clipped_image():
    """With saturation on, the kernel step sees the clipped map; where the map would leave
    too little (a mostly white image), the level fits every pixel instead of failing."""
    from proxdeblur.blind import estimate_kernel_iter

    blurred, truth = camera_blurred_by_motion()
    bright = np.clip(blurred * 1.6, 0, 1)  # a sixth of the pixels clip
    assert (bright >= 0.98).mean() > 0.1
    states = list(estimate_kernel_iter(bright, 9, max_iter=2, settle_max_iter=0))
    assert states[-1].stage == "final" and states[-1].kernel.shape == (9, 9)
    assert all(s.observed is not None for s in states[:-1] if s.stage == "level")
    white = np.clip(blurred * 4.0, 0, 1)  # most of the image at full scale
    kernel, _ = estimate_kernel(white, 9, max_iter=1, settle_max_iter=0)
    assert kernel.shape == (9, 9) and np.isclose(kernel.sum(), 1.0)


def _srgb_photograph(size: int = 13, exposure: float = 1.0, noise: float = 0.002):
    """The camera image at ``exposure`` in linear light, blurred there by a motion kernel of
    ``size``, with Gaussian noise, sRGB-encoded: ``(encoded, kernel, noiseless linear blur)``."""
    from skimage import data

    from proxdeblur.camera import from_linear, to_linear

    sharp = exposure * to_linear(data.camera()[100:292, 150:342] / 255.0, "srgb")
    truth = motion_kernel(size, seed=3)
    linear = Convolution(truth, "valid").forward(sharp)
    noisy = linear + noise * np.random.default_rng(0).standard_normal(linear.shape)
    return from_linear(np.clip(noisy, 0, 1), "srgb"), truth, linear


def test_linear_light_estimate_of_a_dark_photograph_matches_the_encoded_contrast():
    """A dim scene blurred in linear light and sRGB-encoded: in linear light its gradients
    are weak for the estimate's weights, and the contrast gain recovers the kernel that
    the fixed weights lose; the latent is reported in linear light all the same."""
    encoded, truth, linear = _srgb_photograph(size=9, exposure=0.08, noise=5e-4)
    matched, info = estimate_kernel(encoded, 9, tone_curve="srgb")
    unmatched, _ = estimate_kernel(encoded, 9, tone_curve="srgb", match_contrast=False)
    assert kernel_similarity(matched, truth) > 0.85
    assert kernel_similarity(matched, truth) > kernel_similarity(unmatched, truth) + 0.2
    assert info.latent.mean() == pytest.approx(linear.mean(), rel=0.05)


def test_linear_levels_fit_the_coarse_levels_on_the_stored_values(monkeypatch):
    """With a tone curve, the levels before the ``linear_levels`` finest see the stored
    luminance and those see linear light; as many linear levels as there are levels is
    every level in linear light, exactly."""
    import proxdeblur.blind.estimate as estimate_module
    from proxdeblur.camera import to_linear

    encoded, _, _ = _srgb_photograph()
    seen = []
    original = estimate_module.downscale

    def spy(image, scale):
        seen.append(float(image.mean()))
        return original(image, scale)

    monkeypatch.setattr(estimate_module, "downscale", spy)
    hybrid, _ = estimate_kernel(encoded, 13, tone_curve="srgb", linear_levels=2,
                                match_contrast=False, max_iter=1, settle_max_iter=0)
    stored, linear = float(encoded.mean()), float(to_linear(encoded, "srgb").mean())
    assert len(seen) > 3
    np.testing.assert_allclose(seen[:-2], stored)
    np.testing.assert_allclose(seen[-2:], linear)
    seen.clear()
    every, _ = estimate_kernel(encoded, 13, tone_curve="srgb", linear_levels=None,
                               match_contrast=False, max_iter=1, settle_max_iter=0)
    np.testing.assert_allclose(seen, linear)
    levels = len(seen)
    as_many, _ = estimate_kernel(encoded, 13, tone_curve="srgb", linear_levels=levels,
                                 match_contrast=False, max_iter=1, settle_max_iter=0)
    np.testing.assert_array_equal(as_many, every)
    # the first level in linear light starts the latent's weight afresh
    from proxdeblur.blind import estimate_kernel_iter
    from proxdeblur.blind.options import ScheduleOptions

    states = [s for s in estimate_kernel_iter(encoded, 13, tone_curve="srgb", max_iter=2,
                                              settle_max_iter=0) if s.stage == "level"]
    first_linear = max(s.level for s in states) - 1
    lams = {s.level: s.lam for s in states if s.alternation == 0}
    assert lams[first_linear] == ScheduleOptions().lam > lams[first_linear - 1]
    # without a tone curve there is one domain, whatever linear_levels says
    plain, _ = estimate_kernel(encoded, 13, linear_levels=1, max_iter=1, settle_max_iter=0)
    again, _ = estimate_kernel(encoded, 13, linear_levels=None, max_iter=1, settle_max_iter=0)
    np.testing.assert_array_equal(plain, again)
    with pytest.raises(InvalidArgumentError, match="linear_levels"):
        estimate_kernel(encoded, 13, tone_curve="srgb", linear_levels=0)


def test_finest_levels_in_linear_light_recover_the_kernel_of_an_srgb_photograph():
    """A blur in linear light, stored through the sRGB curve: on the stored values the
    kernel is poor; continued in linear light over the two finest levels it is recovered."""
    encoded, truth, _ = _srgb_photograph()
    stored, _ = estimate_kernel(encoded, 13)
    hybrid, _ = estimate_kernel(encoded, 13, tone_curve="srgb")
    assert kernel_similarity(hybrid, truth) > 0.9
    assert kernel_similarity(hybrid, truth) > kernel_similarity(stored, truth) + 0.2
