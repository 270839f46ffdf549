import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError
from proxdeblur.kernels import centre_kernel, delta_kernel, motion_kernel, project_simplex
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


def test_centre_kernel_moves_mass_to_the_centre():
    k = np.zeros((7, 7))
    k[1, 2] = 1.0
    np.testing.assert_array_equal(centre_kernel(k), delta_kernel(7))
