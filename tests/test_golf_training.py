"""The Golf trainer: N2 through its T-fold composition, then N1 through the frozen N2."""

import pytest
import torch

from proxdeblur import InvalidArgumentError
from proxdeblur.cli import main
from proxdeblur.priors.nets.golf import GolfNet
from proxdeblur.priors.zoo import load_network, load_prior
from proxdeblur.training import golf as golf_training
from proxdeblur.training.golf import StageLoss, train_golf, unroll

from .training_data import smooth_image_folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Six 80×80 smooth random images (a patch plus the largest training kernel)."""
    return smooth_image_folder(tmp_path_factory.mktemp("golf") / "data", 5, scale=2)


OPTIONS = dict(width=4, layers=1, batch=2, patch=24, holdout=1, progress=False,
               precision="fp32", bank=16, lr=3e-3)


def test_stage_loss_sums_content_and_perceptual_terms_over_the_iterates():
    torch.manual_seed(0)
    outputs, target = torch.rand(3, 2, 1, 8, 8), torch.rand(2, 1, 8, 8)
    mse = sum(torch.mean((o - target) ** 2) for o in outputs)
    torch.testing.assert_close(StageLoss(None, 0.5)(outputs, target), mse)

    def doubled(a, b):
        return 2 * torch.mean(torch.abs(a - b))

    expected = mse + 0.5 * sum(doubled(o, target) for o in outputs)
    torch.testing.assert_close(StageLoss(doubled, 0.5)(outputs, target), expected)


def test_unroll_is_the_t_fold_composition():
    torch.manual_seed(1)
    net = GolfNet(width=4, layers=1).eval()
    x = torch.rand(1, 1, 12, 12)
    steps = unroll(net, x, 3)
    torch.testing.assert_close(steps[2], net(net(net(x))))
    assert len(steps) == 3


def test_tiny_stage_n2_run_lowers_its_t_fold_loss(data, tmp_path, fixed_pairs):
    """On one fixed batch (random pairs of smooth images are mostly noise for a network
    this small), a seconds-long run lowers the loss summed over N2's three iterates."""
    torch.set_num_threads(1)
    options = dict(OPTIONS, validate_every=20, checkpoint_every=20, perceptual_weight=0.1,
                   lr=2e-2)
    train_golf(data, tmp_path / "first.pt", stage="n2", iterations=1, **options)
    train_golf(data, tmp_path / "n2.pt", stage="n2", iterations=40, **options)
    card = train_golf(data, tmp_path / "n2.pt", stage="n2", iterations=100, **options)
    assert card["iterations"] == 100 and card["stage"] == "n2" and card["steps"] == 3
    blurred, sharp = (torch.from_numpy(a)[:, None] for a in fixed_pairs[0])
    loss = StageLoss(None, 0.0)

    def t_fold_loss(path):
        net, _ = load_network(str(path))
        with torch.no_grad():
            return float(loss(torch.stack(unroll(net.float(), blurred, 3)), sharp))

    assert t_fold_loss(tmp_path / "n2.pt") < 0.7 * t_fold_loss(tmp_path / "first.pt")
    assert load_prior(tmp_path / "n2.pt", "gradient").role == "gradient"


def test_stage_n1_trains_n1_through_n2_and_leaves_n2_untouched(data, tmp_path, monkeypatch):
    torch.set_num_threads(1)
    torch.manual_seed(2)
    n2_file = tmp_path / "n2.pt"
    train_golf(data, n2_file, stage="n2", iterations=2, validate_every=2, checkpoint_every=2,
               perceptual_weight=0.0, **OPTIONS)
    before = {k: v.clone() for k, v in torch.load(n2_file, weights_only=True)["state_dict"].items()}
    loaded = []
    real = golf_training._load_n2

    def keep(path):
        loaded.append(real(path))
        return loaded[-1]

    monkeypatch.setattr(golf_training, "_load_n2", keep)
    card = train_golf(data, tmp_path / "n1.pt", stage="n1", n2=n2_file, iterations=6,
                      validate_every=3, checkpoint_every=3, perceptual_weight=0.0, **OPTIONS)
    assert card["stage"] == "n1" and card["n2"] == str(n2_file)
    (n2,) = loaded
    assert all(not p.requires_grad and p.grad is None for p in n2.parameters())
    for key, value in n2.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    trained = torch.load(tmp_path / "n1.pt", weights_only=True)
    assert trained["config"]["width"] == 4 and trained["architecture"] == "GolfNet"


@pytest.mark.parametrize("kwargs, argument", [
    ({"stage": "n3"}, "--stage"), ({"stage": "n1"}, "--n2"),
    ({"stage": "n2", "n2": "some.pt"}, "--n2"), ({"stage": "n2", "steps": 0}, "--steps"),
    ({"stage": "n2", "perceptual_weight": -1.0}, "--perceptual-weight")])
def test_bad_stage_options_are_refused_before_training(data, tmp_path, kwargs, argument):
    with pytest.raises(InvalidArgumentError) as info:
        train_golf(data, tmp_path / "x.pt", iterations=1, **kwargs)
    assert info.value.argument == argument
    assert not (tmp_path / "x.pt").exists()


def test_cli_stage_n1_without_n2_is_one_line_and_exit_2(data, tmp_path, capsys):
    code = main(["train", "golf", "--stage", "n1", "--data", str(data),
                 "--out", str(tmp_path / "n1.pt")])
    err = capsys.readouterr().err
    assert code == 2 and "--n2" in err and len(err.strip().splitlines()) == 1
