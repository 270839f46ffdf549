import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxdeblur import InvalidArgumentError, shrinkage
from tests.strategies import seeds

values = st.floats(-5, 5, allow_nan=False)
lams = st.floats(1e-3, 2.0)
exponents = st.floats(0.05, 1.0)


def _scalar_objective(z, y, lam, p):
    magnitude = np.abs(z)
    penalty = (magnitude > 0).astype(float) if p == 0 else magnitude**p
    return 0.5 * (z - y) ** 2 + lam * penalty


@given(y=values, lam=lams, p=st.one_of(st.just(0.0), exponents))
def test_scalar_prox_beats_a_dense_grid(y, lam, p):
    z = shrinkage.prox_lp_reference(np.array([y]), lam, p)[0]
    fast = (shrinkage.prox_l0(np.array([y]), lam) if p == 0
            else shrinkage.prox_lp(np.array([y]), lam, p))[0]
    grid = np.concatenate([np.linspace(-6, 6, 120001), [0.0, y]])
    best = _scalar_objective(grid, y, lam, p).min()
    assert _scalar_objective(z, y, lam, p) <= best + 1e-10
    assert _scalar_objective(fast, y, lam, p) <= best + 1e-10


@given(seed=seeds, lam=lams, p=exponents)
def test_prox_beats_random_nearby_points(seed, lam, p):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(50) * 2
    z = shrinkage.prox_lp(y, lam, p)
    base = _scalar_objective(z, y, lam, p)
    for _ in range(20):
        other = z + rng.standard_normal(z.shape) * rng.choice([1e-6, 1e-3, 1e-1, 1])
        assert np.all(base <= _scalar_objective(other, y, lam, p) + 1e-12)


@given(seed=seeds, lam=lams, p=st.one_of(st.just(0.0), exponents), scale=st.floats(0.01, 10))
def test_numba_matches_numpy(seed, lam, p, scale):
    y = np.random.default_rng(seed).standard_normal((13, 17)) * scale
    if p == 0:
        fast = shrinkage.prox_l0(y, lam)
    else:
        fast = shrinkage.prox_lp(y, lam, p)
    # both stop at a step below 1e-13 |y|: they agree to that scale of the input
    assert np.all(np.abs(fast - shrinkage.prox_lp_reference(y, lam, p)) <= 1e-11 * np.abs(y) + 1e-15)
    np.testing.assert_array_equal(shrinkage.soft_threshold(y, lam),
                                  shrinkage.soft_threshold_reference(y, lam))
    np.testing.assert_array_equal(shrinkage.hard_threshold(y, lam),
                                  shrinkage.hard_threshold_reference(y, lam))


@given(seed=seeds, lam=lams, p=st.one_of(st.just(0.0), exponents), axis=st.sampled_from([0, -1]))
def test_group_prox_matches_numpy_and_minimizes(seed, lam, p, axis):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((2, 9, 11)) if axis == 0 else rng.standard_normal((9, 11, 3))
    fast = shrinkage.prox_group(v, lam, p, axis=axis)
    reference = shrinkage.prox_group_reference(v, lam, p, axis=axis)
    norms = np.sqrt(np.sum(v * v, axis=axis, keepdims=True))
    assert np.all(np.abs(fast - reference) <= 1e-11 * norms + 1e-15)

    def objective(z):
        norms = np.sqrt(np.sum(z * z, axis=axis))
        penalty = np.count_nonzero(norms) if p == 0 else np.sum(norms**p)
        return 0.5 * np.sum((z - v) ** 2) + lam * penalty

    base = objective(fast)
    for _ in range(10):
        assert base <= objective(fast + 1e-2 * rng.standard_normal(v.shape)) + 1e-12


def test_exact_l0_threshold_is_sqrt_2_lam():
    lam = 0.5  # threshold sqrt(2 * 0.5) = 1
    y = np.array([0.999, 1.0, 1.001, -1.001, -0.5])
    np.testing.assert_array_equal(shrinkage.prox_l0(y, lam), [0, 0, 1.001, -1.001, 0])


def test_soft_threshold_values():
    np.testing.assert_array_equal(shrinkage.soft_threshold(np.array([-3.0, -0.5, 0.5, 2.0]), 1.0),
                                  [-2.0, 0.0, 0.0, 1.0])


def test_gisa_threshold_is_where_zero_stops_being_optimal():
    lam, p = 0.3, 0.5
    t = shrinkage.gisa_threshold(lam, p)
    below = shrinkage.prox_lp(np.array([t - 1e-9]), lam, p)[0]
    above = shrinkage.prox_lp(np.array([t + 1e-6]), lam, p)[0]
    assert below == 0 and above > 0


def test_float32_stays_float32():
    y = np.linspace(-2, 2, 11, dtype=np.float32)
    assert shrinkage.prox_lp(y, 0.1, 0.5).dtype == np.float32


@pytest.mark.parametrize("p", [0.0, -0.5, 1.5, float("nan")])
def test_bad_p_is_rejected(p):
    with pytest.raises(InvalidArgumentError, match="^p:"):
        shrinkage.prox_lp(np.ones(3), 0.1, p)


def test_negative_lam_is_rejected():
    with pytest.raises(InvalidArgumentError, match="^lam:"):
        shrinkage.prox_lp(np.ones(3), -0.1, 0.5)


def _halley(y, lam, p):
    """The kernel's exact path (Halley's method on every kept entry), entry by entry."""
    threshold = shrinkage.gisa_threshold(lam, p)
    return np.array([np.sign(v) * shrinkage._halley_magnitude(abs(v), lam, p)
                     if abs(v) > threshold else 0.0 for v in y])


@given(seed=seeds, lam=st.floats(1e-6, 10.0), p=st.floats(0.01, 0.999))
def test_interpolated_lp_prox_matches_halley_to_4e_12(seed, lam, p):
    # |y|/s spans the threshold region, the table and beyond it (Halley fallback)
    s = lam ** (1 / (2 - p))
    rng = np.random.default_rng(seed)
    unit = shrinkage.gisa_threshold(1.0, p) + np.concatenate(
        [rng.uniform(-1e-3, 1e-3, 20), rng.uniform(0, 1, 40) ** 4, rng.uniform(0, 64, 40),
         rng.uniform(64, 1e4, 10)])
    y = s * unit * rng.choice([-1.0, 1.0], unit.size)
    exact = _halley(y, lam, p)
    assert np.all(np.abs(shrinkage.prox_lp(y, lam, p) - exact) <= 4e-12 * np.abs(y))
    assert np.all(np.abs(shrinkage.prox_group(y[None], lam, p) - exact) <= 4e-12 * np.abs(y))


def test_lp_table_falls_back_to_halley_where_interpolation_is_not_accurate():
    assert shrinkage._unit_table(0.8).shape == (8 * 1024 + 1, 2)
    assert shrinkage._unit_table(0.999).shape == (0, 2)  # p near 1: every entry by Halley
