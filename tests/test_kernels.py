import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError
from proxdeblur.kernels import (
    centre_kernel,
    delta_kernel,
    heaviest_window,
    motion_kernel,
    project_simplex,
)
from tests.strategies import seeds

vectors = st.tuples(st.integers(1, 60), seeds, st.floats(0.01, 100))


def _vector(spec):
    n, seed, scale = spec
    return np.random.default_rng(seed).standard_normal(n) * scale


@given(spec=vectors)
def test_projection_lies_on_the_simplex_and_is_idempotent(spec):
    k = project_simplex(_vector(spec))
    assert np.all(k >= 0) and abs(k.sum() - 1) < 1e-12
    np.testing.assert_allclose(project_simplex(k), k, atol=1e-14)


@given(spec=vectors, seed=seeds)
def test_projection_is_the_closest_point(spec, seed):
    v = _vector(spec)
    k = project_simplex(v)
    rng = np.random.default_rng(seed)
    others = rng.dirichlet(np.ones(v.size) * 0.3, size=200)
    others = np.vstack([others, np.eye(v.size)])
    assert np.linalg.norm(v - k) <= np.min(np.linalg.norm(v - others, axis=1)) + 1e-12


def test_projection_keeps_shape_and_rejects_nan():
    k = project_simplex(np.ones((3, 5)))
    assert k.shape == (3, 5)
    np.testing.assert_allclose(k, 1 / 15)
    with pytest.raises(InvalidArgumentError, match="^v:"):
        project_simplex(np.array([np.nan, 1.0]))


def test_motion_kernel_is_a_valid_centred_kernel():
    k = motion_kernel(15, seed=3)
    assert k.shape == (15, 15) and np.all(k >= 0) and abs(k.sum() - 1) < 1e-12
    ys, xs = np.indices(k.shape)
    assert abs((ys * k).sum() - 7) <= 0.5 and abs((xs * k).sum() - 7) <= 0.5
    np.testing.assert_array_equal(motion_kernel(15, seed=3), k)


@settings(max_examples=40, deadline=None)
@given(seeds, st.integers(0, 3), st.integers(0, 4), st.floats(0.0, 0.9))
def test_heaviest_window_is_a_window_holding_the_most_mass(seed, half, extra, sparsity):
    rng = np.random.default_rng(seed)
    kernel = rng.random((2 * (half + extra) + 1, 2 * (half + 2 * extra) + 1))
    kernel[rng.random(kernel.shape) < sparsity] = 0.0
    kernel[0, 0] += 1e-3  # never all zero
    kernel /= kernel.sum()
    size = (2 * half + 1, 2 * half + 1)
    window = heaviest_window(kernel, size)
    assert window.shape == size and window.min() >= 0 and np.isclose(window.sum(), 1)
    masses = {(i, j): kernel[i:i + size[0], j:j + size[1]].sum()
              for i in range(kernel.shape[0] - size[0] + 1)
              for j in range(kernel.shape[1] - size[1] + 1)}
    matches = [m for (i, j), m in masses.items()
               if m > 0 and np.allclose(kernel[i:i + size[0], j:j + size[1]] / m, window)]
    assert matches and max(matches) >= max(masses.values()) - 1e-12


def test_heaviest_window_keeps_a_kernel_that_fits_whole_and_centred():
    k = np.zeros((15, 15))
    k[1:8, 2:9] = motion_kernel(7, seed=1)  # off-centre in its support
    window = heaviest_window(k, (9, 9))
    assert np.count_nonzero(window) == np.count_nonzero(k)
    np.testing.assert_array_equal(heaviest_window(delta_kernel(9), (3, 3)), delta_kernel(3))
    for size in [(4, 5), (17, 3), (3,)]:
        with pytest.raises(InvalidArgumentError, match="size"):
            heaviest_window(k, size)


def test_centre_kernel_moves_mass_to_the_centre():
    k = np.zeros((7, 7))
    k[1, 2] = 1.0
    np.testing.assert_array_equal(centre_kernel(k), delta_kernel(7))
