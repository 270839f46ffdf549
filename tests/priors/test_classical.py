import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxdeblur import L0, L1, TV, InvalidArgumentError, L0Gradient, Lp, LpGradient, Wavelet
from proxdeblur.priors import WaveletTransform
from tests.strategies import seeds


def _prox_objective(prior, z, x, tau):
    return prior.value(z) + np.sum((z - x) ** 2) / (2 * tau)


@given(seed=seeds, tau=st.floats(0.01, 2.0), which=st.sampled_from(["l1", "l0", "lp"]))
def test_elementwise_prox_is_a_minimizer(seed, tau, which):
    rng = np.random.default_rng(seed)
    prior = {"l1": L1(0.3), "l0": L0(0.3), "lp": Lp(0.3, 0.6)}[which]
    x = rng.standard_normal((6, 7))
    z = prior.prox(x, tau)
    base = _prox_objective(prior, z, x, tau)
    for scale in (1e-4, 1e-2, 1.0):
        for _ in range(5):
            assert base <= _prox_objective(prior, z + scale * rng.standard_normal(x.shape), x,
                                           tau) + 1e-12


@given(seed=seeds, tau=st.floats(0.05, 1.0))
def test_tv_prox_is_optimal_to_tolerance(seed, tau):
    rng = np.random.default_rng(seed)
    prior = TV(0.1)
    prior.prox_tol = 1e-9
    prior.prox_max_iter = 3000
    x = rng.random((12, 12))
    z = prior.prox(x, tau)
    base = _prox_objective(prior, z, x, tau)
    for scale in (1e-3, 1e-1):
        for _ in range(5):
            assert base <= _prox_objective(prior, z + scale * rng.standard_normal(x.shape), x,
                                           tau) + 1e-6


@given(seed=seeds, tau=st.floats(0.05, 2.0), p=st.sampled_from([0.0, 0.5, 1.0]))
def test_wavelet_prox_is_exact_on_dyadic_sizes(seed, tau, p):
    rng = np.random.default_rng(seed)
    prior = Wavelet(0.2, "db2", levels=2, p=p)
    x = rng.random((16, 16))
    z = prior.prox(x, tau)
    base = _prox_objective(prior, z, x, tau)
    for _ in range(10):
        assert base <= _prox_objective(prior, z + 1e-2 * rng.standard_normal(x.shape), x, tau) + 1e-10


@given(seed=seeds, shape=st.sampled_from([(16, 16), (13, 21), (9, 10, 3)]))
def test_wavelet_transform_is_an_isometry_with_exact_adjoint(seed, shape):
    rng = np.random.default_rng(seed)
    W = Wavelet(0.1, levels=2).bind(shape).analysis
    x = rng.standard_normal(shape)
    c = W.forward(x)
    assert abs(np.sum(c**2) - np.sum(x**2)) < 1e-9 * np.sum(x**2)
    y = rng.standard_normal(c.shape)
    assert abs(np.vdot(c, y) - np.vdot(x, W.adjoint(y))) < 1e-9 * max(1, abs(np.vdot(c, y)))


def test_wavelet_does_not_penalize_the_approximation_band():
    x = np.full((16, 16), 0.7)
    assert Wavelet(1.0, "haar", levels=2).value(x) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(Wavelet(1.0, "haar", levels=2).prox(x, 1.0), x, atol=1e-12)


def test_gradient_prior_values():
    x = np.zeros((4, 4))
    x[:, 2:] = 1.0  # one vertical edge, two with the circular wrap
    assert L0Gradient(1.0, isotropic=True).value(x) == 8
    assert TV(1.0).value(x) == pytest.approx(8.0)
    assert LpGradient(1.0, p=0.5).value(x) == pytest.approx(8.0)


def test_hyper_laplacian_analysis_parts():
    prior = LpGradient(0.01, p=0.7)
    assert prior.penalty.p == 0.7 and prior.penalty.group_axis == 0
    assert LpGradient(0.01, isotropic=False).penalty.group_axis is None


@pytest.mark.parametrize("p", [0.0, 1.2, -1])
def test_lp_rejects_bad_p(p):
    with pytest.raises(InvalidArgumentError, match="^p:"):
        Lp(0.1, p)


@pytest.mark.parametrize("tau", [0.0, -1.0])
def test_prox_rejects_bad_tau(tau):
    for prior in (L1(0.1), Lp(0.1, 0.5), TV(0.1), Wavelet(0.1)):
        with pytest.raises(InvalidArgumentError, match="^tau:"):
            prior.prox(np.ones((8, 8)), tau)


def test_wavelet_rejects_biorthogonal():
    with pytest.raises(InvalidArgumentError, match="^wavelet:"):
        WaveletTransform("bior2.2")


@given(seed=seeds, tau=st.floats(0.01, 5.0), isotropic=st.booleans(),
       boundary=st.sampled_from(["circular", "neumann"]),
       make=st.sampled_from([lambda i, b: LpGradient(0.05, 0.6, i, b), lambda i, b: TV(0.05, i, b),
                             lambda i, b: L0Gradient(0.01, i, b)]))
def test_fused_gradient_shrinkage_matches_the_composition(seed, tau, isotropic, boundary, make):
    prior = make(isotropic, boundary)
    x = np.random.default_rng(seed).random((11, 14, 2))
    expected = prior.penalty.prox(prior.analysis.forward(x), tau)
    np.testing.assert_allclose(prior.shrink_analysis(x, tau), expected, rtol=1e-13, atol=1e-15)


@given(seed=seeds, tau=st.floats(0.01, 5.0), alpha=st.floats(0.1, 10.0), isotropic=st.booleans(),
       boundary=st.sampled_from(["circular", "neumann"]), channels=st.sampled_from([None, 3]),
       make=st.sampled_from([lambda i, b: LpGradient(0.05, 0.6, i, b), lambda i, b: TV(0.05, i, b),
                             lambda i, b: L0Gradient(0.01, i, b)]))
def test_fused_shrink_adjoint_matches_the_composition(seed, tau, alpha, isotropic, boundary,
                                                      channels, make):
    prior = make(isotropic, boundary)
    rng = np.random.default_rng(seed)
    shape = (9, 13) if channels is None else (9, 13, channels)
    x, base = rng.random(shape), rng.standard_normal(shape)
    z = prior.penalty.prox(prior.analysis.forward(x), tau)
    expected = base + alpha * prior.analysis.adjoint(z)
    np.testing.assert_allclose(prior.shrink_adjoint(x, tau, alpha, base), expected,
                               rtol=1e-12, atol=1e-13)
