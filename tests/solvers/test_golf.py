"""The Golf optimizer: N1, N2's residual form, and the recurrent solver."""

import numpy as np
import pytest
import torch

from proxdeblur import InvalidArgumentError
from proxdeblur.priors.learned import LearnedPrior
from proxdeblur.priors.nets.golf import GolfNet, GolfResidual, parameter_count
from proxdeblur.solvers import golf


def _restorer(net):
    return LearnedPrior(net.eval(), "restorer", device="cpu")


@pytest.fixture
def image(camera_small):
    return camera_small[:45, :59]  # odd sides


def test_documented_parameter_counts():
    """The counts the module docstring compares with Table 1's totals."""
    assert parameter_count(GolfNet(3, 16, 4)) == 114_147
    assert parameter_count(GolfNet(3, 32, 4)) == 449_475
    assert parameter_count(GolfNet(3, 16, 3)) == 86_307
    assert parameter_count(GolfNet(3, 32, 3)) == 338_499


@pytest.mark.parametrize("shape", [(1, 1, 17, 23), (2, 3, 16, 31)])
def test_shapes_for_odd_sizes(shape):
    torch.manual_seed(0)
    net = GolfNet(channels=shape[1], width=4, layers=1)
    assert net(torch.rand(shape)).shape == shape


def test_zeroed_residual_branch_makes_n2_the_identity(image):
    torch.manual_seed(0)
    n1, n2 = GolfNet(width=4, layers=1), GolfNet(width=4, layers=1)
    with torch.no_grad():
        n2.last.weight.zero_()
        n2.last.bias.zero_()
    first = _restorer(n1).restore(image)
    result = golf(image, _restorer(n1), _restorer(n2), steps=3)
    np.testing.assert_allclose(result.x, first, atol=1e-6)
    assert result.iterations == 3 and len(result.history["seconds"]) == 4


def test_n2_as_gradient_or_as_restorer_is_the_same_step(image):
    torch.manual_seed(1)
    n1, n2 = GolfNet(width=4, layers=1), GolfNet(width=4, layers=1)
    as_restorer = golf(image, _restorer(n1), _restorer(n2), steps=2).x
    gradient = LearnedPrior(GolfResidual(n2).eval(), "gradient", device="cpu")
    as_gradient = golf(image, _restorer(n1), gradient, steps=2).x
    np.testing.assert_allclose(as_gradient, as_restorer, atol=1e-5)


class _Halfway:
    """A prior gradient that moves x half-way to a target: geometric convergence."""

    def __init__(self, target):
        self.target = target

    def gradient(self, x):
        return 0.5 * (self.target - x)


class _Identity:
    def restore(self, x):
        return np.array(x, copy=True)


def test_golf_stops_on_tol(image):
    target = np.full_like(image, 0.5)
    full = golf(image, _Identity(), _Halfway(target), steps=30)
    stopped = golf(image, _Identity(), _Halfway(target), steps=30, tol=1e-3)
    assert full.iterations == 30 and not full.converged
    assert stopped.converged and stopped.iterations < 30
    assert stopped.history["step_norm"][-1] < 1e-3 <= stopped.history["step_norm"][-2]
    # the corrections approach the target: PSNR against it rises at every step
    tracked = golf(image, _Identity(), _Halfway(target), steps=5, reference=target)
    assert np.all(np.diff(tracked.history["psnr"]) > 0)


@pytest.mark.parametrize("n1, n2, options, argument", [
    (object(), _Identity(), {}, "n1"), (_Identity(), object(), {}, "n2"),
    (_Identity(), _Identity(), {"steps": -1}, "steps"),
    (_Identity(), _Identity(), {"tol": -1.0}, "tol")])
def test_bad_arguments(image, n1, n2, options, argument):
    with pytest.raises(InvalidArgumentError, match=argument):
        golf(image, n1, n2, **options)


def test_a_golf_weights_file_loads_as_restorer_and_as_its_residual(tmp_path, image):
    from proxdeblur.priors.zoo import load_prior

    torch.manual_seed(2)
    net = GolfNet(width=4, layers=1)
    torch.save({"architecture": "GolfNet", "config": net.config, "state_dict": net.state_dict()},
               tmp_path / "n2.pt")
    restorer = load_prior(tmp_path / "n2.pt", device="cpu")
    gradient = load_prior(tmp_path / "n2.pt", "gradient", device="cpu")
    assert restorer.role == "restorer" and gradient.role == "gradient"
    np.testing.assert_allclose(image + gradient.gradient(image), restorer.restore(image),
                               atol=1e-5)
