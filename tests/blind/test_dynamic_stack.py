"""Dynamic stacking (seed 003): the single gradient x-step, the kernel on the simplex,
the static variant, and the limits the reading of eqs. 6 and 10 promises."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import Convolution, InvalidArgumentError
from proxdeblur.blind import dynamic_stack, dynamic_stack_iter
from proxdeblur.kernels import motion_kernel

from ..strategies import seeds


def _blurred(camera_small, seed=3):
    sharp = camera_small[:64, :64]
    return sharp, Convolution(motion_kernel(7, seed=seed), "symmetric").forward(sharp)


def _x_objective(x, y, v, kernel, mu):
    blur = Convolution(kernel, "symmetric")
    return 0.5 * np.sum((blur.forward(x) - y) ** 2) + 0.5 * mu * np.sum((x - v) ** 2)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, mu=st.floats(0.01, 10.0), fraction=st.floats(0.05, 0.99))
def test_the_x_step_never_increases_its_objective_below_one_over_l(seed, mu, fraction):
    """Eq. 6 as a gradient step of ½‖Ax − y‖² + (μ/2)‖x − v‖², L = ‖A‖² + μ ≤ 1 + μ."""
    rng = np.random.default_rng(seed)
    y, v = rng.random((24, 24)), rng.random((24, 24))
    kernel = motion_kernel(5, seed=seed % 50)  # A fixed at a blur: ‖A‖ ≤ 1 on the simplex
    states = dynamic_stack_iter(y, lambda x: v, max_iter=1, mu=mu, step=fraction / (1 + mu),
                                adaptive=False, kernel=kernel)
    first, second = next(states), next(states)
    assert _x_objective(second.x, y, v, kernel, mu) <= \
        _x_objective(first.x, y, v, kernel, mu) + 1e-12


def test_a_too_long_step_can_increase_the_objective():
    """The bound is needed: δ = 3/L overshoots (the check can fail)."""
    rng = np.random.default_rng(0)
    y, v, mu = rng.random((24, 24)), rng.random((24, 24)), 1.0
    states = dynamic_stack_iter(y, lambda x: v, max_iter=1, mu=mu, step=3.0 / (1 + mu),
                                adaptive=False, kernel_size=5)
    first, second = next(states), next(states)
    assert _x_objective(second.x, y, v, np.ones((1, 1)), mu) > \
        _x_objective(first.x, y, v, np.ones((1, 1)), mu)


def test_with_an_identity_restorer_and_a_tiny_step_the_input_comes_back(camera_small):
    _, y = _blurred(camera_small)
    result = dynamic_stack(y, lambda x: x, max_iter=5, step=1e-12, kernel_size=5)
    np.testing.assert_allclose(result.x, y, atol=1e-9)


def test_the_kernel_stays_on_the_simplex_and_the_static_variant_keeps_the_delta(camera_small):
    from proxdeblur.kernels import delta_kernel
    from proxdeblur.metrics import psnr

    sharp, y = _blurred(camera_small)
    kernels = []

    class Watch:
        def restore(self, x):
            return 0.5 * x + 0.5 * sharp  # a restorer that removes half the blur

    def watch(state):
        kernels.append(state.arrays["kernel"].copy())

    adaptive = dynamic_stack(y, Watch(), max_iter=4, mu=1.0, kernel_size=9, callback=watch)
    for kernel in kernels:  # every k(t), the delta k(0) first
        assert kernel.shape == (9, 9) and kernel.min() >= 0 and np.isclose(kernel.sum(), 1.0)
    np.testing.assert_array_equal(kernels[0], delta_kernel(9))
    changes = adaptive.history["kernel_change"][1:]
    assert np.all(changes >= 0) and changes.max() > 0
    np.testing.assert_allclose(changes, [np.linalg.norm(b - a) for a, b in
                                         zip(kernels[:-1], kernels[1:], strict=True)])
    np.testing.assert_array_equal(adaptive.arrays["kernel"], kernels[-1])
    static = dynamic_stack(y, Watch(), max_iter=4, mu=1.0, kernel_size=9, adaptive=False)
    assert np.all(static.history["kernel_change"][1:] == 0)
    np.testing.assert_array_equal(static.arrays["kernel"], delta_kernel(9))
    assert psnr(adaptive.x, sharp) > psnr(y, sharp)  # the iteration moves towards the sharp
    from proxdeblur.blind.dynamic_stack import _fit_kernel, _periodic_grid
    from proxdeblur.padding import periodic_extension

    target = periodic_extension(y, _periodic_grid(y.shape, (9, 9)))
    fitted = _fit_kernel(delta_kernel(9), sharp, target, 30, 0.0)
    assert fitted.min() >= 0 and np.isclose(fitted.sum(), 1.0)


def test_bad_arguments(camera_small):
    _, y = _blurred(camera_small)
    with pytest.raises(InvalidArgumentError, match="^mu_growth:"):
        dynamic_stack(y, lambda x: x, mu_growth=0.5)
    with pytest.raises(InvalidArgumentError, match="^kernel_size:"):
        dynamic_stack(y, lambda x: x, kernel_size=4)
    with pytest.raises(InvalidArgumentError, match="^prior:"):
        dynamic_stack(y, 3)
    with pytest.raises(InvalidArgumentError, match="^image:"):
        dynamic_stack(y * 255, lambda x: x)
