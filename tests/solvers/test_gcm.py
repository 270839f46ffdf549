"""GCM (Liu et al. 2018, Algorithm 1): Theorems 2 and 3 as property tests."""

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from proxdeblur import L0, L1, TV, Convolution, InvalidArgumentError, Lp
from proxdeblur.solvers import gcm

from ..strategies import kernels, seeds


def _problem(seed, kernel, shape=(12, 13)):
    rng = np.random.default_rng(seed)
    truth = (rng.random(shape) < 0.2) * rng.standard_normal(shape)  # sparse: the prior's model
    operator = Convolution(kernel, "circular")
    y = operator.forward(truth) + 0.05 * rng.standard_normal(shape)
    return operator, y, rng


def _generators(kind, rng, operator, y):
    if kind == "identity":
        return lambda u: u
    if kind == "noise":
        return lambda u: rng.standard_normal(u.shape)
    if kind == "adversarial":  # pushes Ψ up: far along the data residual's gradient
        return lambda u: u + 10.0 * (operator.adjoint(operator.forward(u) - y))
    if kind == "network":  # a small untrained CNN as a restorer
        import torch

        from proxdeblur.priors.learned import LearnedPrior
        from proxdeblur.priors.nets import DnCNN

        torch.manual_seed(int(rng.integers(1 << 30)))
        net = DnCNN(depth=3, width=4, noise_map=False, downscale=1)
        torch.nn.init.normal_(net.body[-1].weight, std=0.5)
        return LearnedPrior(net, "restorer", device="cpu")
    raise AssertionError(kind)


priors = st.one_of(
    st.builds(Lp, lam=st.floats(1e-3, 0.5), p=st.floats(0.05, 1.0)),
    st.builds(L1, lam=st.floats(1e-3, 0.5)),
    st.builds(L0, lam=st.floats(1e-3, 0.5)),
)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, kernel=kernels(max_side=5), prior=priors,
       kind=st.sampled_from(["identity", "noise", "adversarial", "network"]),
       gamma=st.floats(0.01, 10.0), step_fraction=st.floats(0.05, 0.99))
def test_theorem_2_monotone_and_sufficient_decrease_for_any_generator(seed, kernel, prior, kind,
                                                                      gamma, step_fraction):
    operator, y, rng = _problem(seed, kernel)
    step = step_fraction / operator.lipschitz(y.shape)
    result = gcm(operator, y, prior, _generators(kind, rng, operator, y), gamma=gamma, step=step,
                 max_iter=8)
    psi_u, psi_v = result.history["objective"], result.history["objective_v"]
    scale = 1e-10 * (1.0 + abs(psi_u[0]))
    assert np.all(psi_u[1:] <= psi_v[1:] + scale)           # Ψ(uᵗ⁺¹) ≤ Ψ(vᵗ⁺¹)
    assert np.all(psi_v[1:] <= psi_u[:-1] + scale)          # Ψ(vᵗ⁺¹) ≤ Ψ(uᵗ)
    assert np.all(psi_u[1:] <= result.history["decrease_bound"][1:] + scale)


def test_theorem_3_critical_point_on_a_convex_problem():
    operator, y, rng = _problem(3, np.array([[0.1, 0.2, 0.1], [0.1, 0.3, 0.1], [0.05, 0.0, 0.05]]))
    prior = L1(0.02)
    result = gcm(operator, y, prior, lambda u: u, gamma=1.0, max_iter=3000, tol=1e-13)
    distances = result.history["distance_uv"]
    assert distances[-1] < 1e-6 * distances[1]              # ‖uᵗ⁺¹ − vᵗ⁺¹‖ → 0
    u = result.x
    mu = result.history["step"][-1]
    gradient = operator.adjoint(operator.forward(u) - y)
    fixed_point = prior.prox(u - mu * gradient, mu)         # first-order condition of Ψ
    assert np.linalg.norm(fixed_point - u) < 1e-7 * np.linalg.norm(u)
    # 0 ∈ ∇f(u) + λ∂‖u‖₁: |∇f| ≤ λ where u = 0, ∇f = −λ sign(u) elsewhere
    nonzero = u != 0
    np.testing.assert_allclose(gradient[nonzero], -0.02 * np.sign(u[nonzero]), atol=1e-6)
    assert np.all(np.abs(gradient[~nonzero]) <= 0.02 + 1e-6)


def _increases(params, check: bool, step_fraction: float, with_generator: bool) -> bool:
    seed, kernel = params
    operator, y, rng = _problem(seed, kernel)
    generator = (lambda u: u + rng.standard_normal(u.shape)) if with_generator else None
    result = gcm(operator, y, Lp(0.05, 0.8), generator, step=step_fraction / operator.lipschitz(y.shape),
                 max_iter=5, check=check)
    return bool(np.any(np.diff(result.history["objective"]) > 1e-9))


@pytest.mark.parametrize("broken", [
    {"check": False, "step_fraction": 0.9, "with_generator": True},   # no corrector check
    {"check": True, "step_fraction": 3.0, "with_generator": False},   # μ well above 1/L
])
def test_without_its_hypotheses_the_objective_can_increase(broken):
    example = find(st.tuples(seeds, kernels(max_side=5)), lambda params: _increases(params, **broken),
                   settings=settings(max_examples=200, database=None))
    assert _increases(example, **broken)
    if not broken["check"]:  # the same case with the check restored is monotone
        assert not _increases(example, **{**broken, "check": True})


def test_history_and_generator_forms():
    operator, y, rng = _problem(0, np.ones((3, 3)) / 9)
    stages = [lambda u: u, lambda u: 0 * u]
    result = gcm(operator, y, Lp(0.01), stages, max_iter=4)
    for key in ("objective", "objective_v", "accepted", "distance_uv", "decrease_bound", "seconds"):
        assert len(result.history[key]) == 5
    assert np.isnan(result.history["accepted"][0])
    plain = gcm(operator, y, Lp(0.01), None, max_iter=3)
    assert np.all(np.isnan(plain.history["accepted"]))


def test_refuses_inexact_priors_and_bad_generators():
    operator, y, _ = _problem(0, np.ones((3, 3)) / 9)
    with pytest.raises(InvalidArgumentError, match="^prior:.*exact"):
        gcm(operator, y, TV(0.01), lambda u: u)
    with pytest.raises(InvalidArgumentError, match="^generator:"):
        gcm(operator, y, L1(0.01), lambda u: u[:-1], max_iter=1)
    with pytest.raises(InvalidArgumentError, match="^generator:"):
        gcm(operator, y, L1(0.01), 42, max_iter=1)


def test_generator_only_variant_takes_the_generators_output():
    operator, y, _ = _problem(3, np.ones((3, 3)) / 9)
    seen = []

    def generator(u):
        seen.append(u.copy())
        return 0.5 * u

    result = gcm(operator, y, Lp(0.05), generator, gamma=0.3, max_iter=3, corrector=False)
    assert len(seen) == 3
    warm = operator.solve_normal(operator.adjoint(y) + 0.6 * (0.5 * seen[-2]), 0.6)
    np.testing.assert_allclose(seen[-1], warm, atol=1e-8)  # the warm start of the last stage
    np.testing.assert_allclose(result.x, 0.5 * seen[-1])
    with pytest.raises(InvalidArgumentError, match="generator"):
        gcm(operator, y, Lp(0.05), None, corrector=False)
