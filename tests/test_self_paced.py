"""Self-paced weights (seed 000, eqs. 9–11): the properties of section 2.1, with hypothesis."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from proxdeblur.training.self_paced import SelfPacedSchedule, exponent_q, self_paced_weights

losses = st.floats(0.0, 1e3, allow_nan=False)
ages = st.floats(1e-3, 1e3, allow_nan=False)
qs = st.floats(1.01, 50.0)


def _v(loss, age, q):
    return float(self_paced_weights(torch.tensor([loss], dtype=torch.float64), age, q)[0])


@settings(max_examples=200, deadline=None)
@given(loss=losses, age=ages, q=qs)
def test_weights_lie_in_the_unit_interval(loss, age, q):
    assert 0.0 <= _v(loss, age, q) <= 1.0


@settings(max_examples=200, deadline=None)
@given(a=losses, b=losses, age=ages, q=qs)
def test_weights_do_not_increase_with_the_loss(a, b, age, q):
    low, high = sorted((a, b))
    assert _v(high, age, q) <= _v(low, age, q)


@settings(max_examples=200, deadline=None)
@given(loss=losses, a=ages, b=ages, q=qs)
def test_weights_do_not_decrease_with_the_age(loss, a, b, q):
    young, old = sorted((a, b))
    assert _v(loss, young, q) <= _v(loss, old, q)


@given(age=ages, q=qs)
def test_limits_of_section_2_1(age, q):
    assert _v(0.0, age, q) == 1.0                       # l -> 0: v -> 1
    assert _v(age, age, q) == 0.0 and _v(10 * age + 1, age, q) == 0.0  # l >= lambda: 0
    assert _v(1.0, math.inf, q) == 1.0                  # lambda -> infinity: v -> 1
    assert _v(1.0, 1e-9, q) == 0.0                      # lambda -> 0: v -> 0


def test_q_is_above_one_and_decreasing_over_the_rounds():
    values = [exponent_q(t, 10) for t in range(1, 11)]
    assert all(q > 1 for q in values)
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    with pytest.raises(ValueError):
        exponent_q(0, 10)
    with pytest.raises(ValueError, match="^q:"):
        self_paced_weights(torch.ones(2), 1.0, 0.5)


def test_schedule_starts_at_infinite_age_then_takes_the_last_rounds_largest_loss():
    schedule = SelfPacedSchedule(rounds=2, iterations=4)
    first = schedule.weights(torch.tensor([0.5, 2.0]), 0)
    assert torch.equal(first, torch.ones(2))               # round 1: lambda = infinity
    schedule.weights(torch.tensor([3.0, 1.0]), 1)
    second = schedule.weights(torch.tensor([1.5, 3.0, 4.0]), 2)   # round 2: lambda = 3
    assert schedule.age == 3.0 and schedule.round == 2
    assert second[0] > 0 and second[1] == 0 and second[2] == 0
    state = schedule.state_dict()
    resumed = SelfPacedSchedule(rounds=2, iterations=4)
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state
