"""Light streaks: finding them in a night photograph, and the kernel step's pull towards one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from proxdeblur import deblur
from proxdeblur.blind import estimate_kernel, find_light_streak, kernel_step
from proxdeblur.camera import capture
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import motion_kernel
from proxdeblur.metrics import kernel_similarity

from ..strategies import seeds
from .scenes import make_scene, observed_objective, observed_problem

SUPPORT = 23


def night_scene(lights_at, *, seed=0, level=0.03, power=40.0, shape=(150, 170)):
    """A dark encoded scene (linear light about ``level``) and a map of point lights."""
    rng = np.random.default_rng(seed)
    from proxdeblur.camera import from_linear

    scene = from_linear(np.clip(level * (0.5 + rng.random(shape)), 0, 1))
    lights = np.zeros(shape)
    for y, x in lights_at:
        lights[y, x] = power
    return scene, lights


def photograph(scene, lights, kernel, seed=1):
    return capture(scene, kernel, rng=np.random.default_rng(seed), clip_fraction=0.0,
                   lights=lights, shot=1e-4, read=0.002, quality=None).blurred


THREE_LIGHTS = [(40, 40), (45, 120), (110, 80)]


@pytest.fixture(scope="module")
def truth():
    return motion_kernel(15, seed=7)


def test_three_agreeing_light_streaks_give_the_kernel(truth):
    blurred = photograph(*night_scene(THREE_LIGHTS), truth)
    streak = find_light_streak(blurred, SUPPORT)
    assert streak is not None and streak.partners == 2 and streak.candidates == 3
    # the chosen streak is one of the three lights (each drawn around its own position)
    assert min(abs(streak.centre[0] - y) + abs(streak.centre[1] - x)
               for y, x in THREE_LIGHTS) <= 12
    assert streak.kernel.shape == (SUPPORT, SUPPORT)
    assert np.all(streak.kernel >= 0) and streak.kernel.sum() == pytest.approx(1.0)
    # the core clips (power 40 × the kernel's peak 0.08 ≈ 3× full scale); the tails do not
    assert kernel_similarity(streak.kernel, truth) > 0.85


def test_a_single_light_is_not_trusted(truth):
    blurred = photograph(*night_scene(THREE_LIGHTS[:1]), truth)
    assert find_light_streak(blurred, SUPPORT) is None
    assert find_light_streak(blurred, SUPPORT, min_partners=1) is None  # still one candidate


def test_lights_on_a_bright_surround_are_not_streaks(truth):
    blurred = photograph(*night_scene(THREE_LIGHTS, level=0.4), truth)
    assert find_light_streak(blurred, SUPPORT) is None


def test_lit_plates_are_not_streaks():
    """Three identical lit windows agree with each other but are no shake's path."""
    scene, _ = night_scene([])
    for y, x in THREE_LIGHTS:
        scene[y - 5: y + 5, x - 7: x + 7] = 1.0
    assert find_light_streak(scene, SUPPORT) is None


def test_light_streak_arguments_are_checked():
    with pytest.raises(InvalidArgumentError, match="bright"):
        find_light_streak(np.zeros((80, 80)), 9, bright=1.5)
    with pytest.raises(InvalidArgumentError, match="kernel_size"):
        find_light_streak(np.zeros((80, 80)), 8)
    with pytest.raises(InvalidArgumentError, match="min_partners"):
        find_light_streak(np.zeros((80, 80)), 9, min_partners=0)


def _target_objective(latent, blurred, k, weight, target, pull):
    """The periodic kernel step's objective with the target term, evaluated directly."""
    from proxdeblur import Convolution

    grad = lambda x: (np.roll(x, -1, 0) - x, np.roll(x, -1, 1) - x)  # noqa: E731
    conv = Convolution(k, "circular")
    data = sum(0.5 * np.sum((conv.forward(gu) - gy) ** 2)
               for gu, gy in zip(grad(latent), grad(blurred), strict=True))
    return data + 0.5 * weight * np.sum(k**2) + 0.5 * pull * np.sum((k - target) ** 2)


@settings(max_examples=6, deadline=None)
@given(seed=seeds, pull=st.sampled_from([0.5, 5.0, 50.0]))
def test_periodic_kernel_step_with_a_target_solves_its_stated_problem(seed, pull):
    """The step's minimizer against a general-purpose constrained solver on a 3×3 support."""
    from proxdeblur import Convolution

    rng = np.random.default_rng(seed)
    latent = make_scene(seed, (24, 26))
    blurred = Convolution(rng.random((3, 3)) + 0.1, "circular", normalize=True).forward(latent)
    target = rng.random((3, 3)) ** 3
    target /= target.sum()
    weight = 0.1
    result = kernel_step(latent, blurred, np.full((3, 3), 1 / 9), max_iter=3000, tol=1e-12,
                         weight=weight, target=target, target_weight=pull)
    assert np.all(np.diff(result.objective) <= 1e-10 * abs(result.objective[0]) + 1e-12)
    reference = minimize(
        lambda k: _target_objective(latent, blurred, k.reshape(3, 3), weight, target, pull),
        np.full(9, 1 / 9), method="SLSQP", bounds=[(0, None)] * 9,
        constraints=({"type": "eq", "fun": lambda k: k.sum() - 1},),
        options={"ftol": 1e-14, "maxiter": 500})
    ours = _target_objective(latent, blurred, result.kernel, weight, target, pull)
    assert ours <= reference.fun + 1e-7 * abs(reference.fun) + 1e-9
    assert np.allclose(result.kernel.ravel(), reference.x, atol=2e-3)


@settings(max_examples=8, deadline=None)
@given(seed=seeds, pull=st.sampled_from([0.0, 0.3, 3.0]))
def test_observed_kernel_step_with_a_target_decreases_the_objective_it_states(seed, pull):
    latent, blurred, _ = observed_problem(seed, (5, 5))
    rng = np.random.default_rng(seed + 2)
    target = rng.random((5, 5))
    target /= target.sum()
    start = np.full((5, 5), 1 / 25)
    result = kernel_step(latent, blurred, start, max_iter=25, weight=0.2, observed=(40, 44),
                         target=target, target_weight=pull)
    assert np.all(np.diff(result.objective) <= 1e-6 * abs(result.objective[0]) + 1e-12)
    for k, value in ((start, result.objective[0]), (result.kernel, result.objective[-1])):
        stated = (observed_objective(latent, blurred, k, (40, 44), 0.2)
                  + 0.5 * pull * np.sum((k - target) ** 2))
        assert value == pytest.approx(stated, rel=1e-5, abs=1e-8)


def test_a_heavy_target_is_the_step_result_and_bad_targets_are_named():
    latent, blurred, _ = observed_problem(3, (5, 5))
    target = motion_kernel(5, seed=2)
    for observed in (None, (40, 44)):
        result = kernel_step(latent, blurred, np.full((5, 5), 1 / 25), max_iter=200, tol=0,
                             weight=0.0, observed=observed, target=target, target_weight=1e9)
        assert np.allclose(result.kernel, target, atol=1e-4)
    with pytest.raises(InvalidArgumentError, match="target"):
        kernel_step(latent, blurred, np.full((5, 5), 1 / 25), target=np.ones((3, 3)),
                    target_weight=1.0)
    with pytest.raises(InvalidArgumentError, match="target_weight"):
        kernel_step(latent, blurred, np.full((5, 5), 1 / 25), target=target, target_weight=-1)


def test_the_estimate_follows_a_light_streak(truth):
    blurred = photograph(*night_scene(THREE_LIGHTS), truth)
    streak = find_light_streak(blurred, SUPPORT)
    kernel, _ = estimate_kernel(blurred, SUPPORT, streak=streak.kernel, min_noise=0.01)
    assert kernel_similarity(kernel, truth) > 0.8
    heavy, _ = estimate_kernel(blurred, SUPPORT, streak=streak.kernel, streak_weight=10.0)
    assert kernel_similarity(heavy, streak.kernel) > 0.9
    with pytest.raises(InvalidArgumentError, match="streak"):
        estimate_kernel(blurred, SUPPORT, streak=np.ones((SUPPORT + 2, SUPPORT)))
    with pytest.raises(InvalidArgumentError, match="streak_weight"):
        estimate_kernel(blurred, SUPPORT, streak=streak.kernel, streak_weight=-1.0)


def test_deblur_without_light_streaks_in_the_image_is_unchanged():
    from skimage import data

    image = data.camera()[::3, ::3] / 255.0
    from proxdeblur import Convolution

    blurred = Convolution(motion_kernel(9, seed=1), "valid").forward(image)
    plain = deblur(blurred, 11, warn=False)
    looked = deblur(blurred, 11, light_streaks=True, warn=False)
    assert looked[2].streak is None
    assert np.array_equal(plain[0], looked[0]) and np.array_equal(plain[1], looked[1])


def test_deblur_reports_the_light_streak_it_followed(truth):
    blurred = photograph(*night_scene(THREE_LIGHTS), truth)
    _, kernel, info = deblur(blurred, SUPPORT, light_streaks=True, warn=False)
    assert info.streak is not None and info.streak.partners == 2
