"""The Bi-Skip trainer: Table 1's scheme names, and a seconds-long GAN run end to end."""

import pytest
import torch

from proxdeblur import InvalidArgumentError
from proxdeblur.training.biskip import BiLevelLoss, parse_scheme, train_biskip
from proxdeblur.training.perceptual import PerceptualLoss

from .training_data import smooth_image_folder


@pytest.mark.parametrize("name, expected", [
    ("SA1P", (True, True, "l1", True)), ("A1P", (False, True, "l1", True)),
    ("A2P", (False, True, "l2", True)), ("A2", (False, True, "l2", False)),
    ("A1", (False, True, "l1", False)), ("1", (False, False, "l1", False)),
    ("2", (False, False, "l2", False)), ("P", (False, False, None, True)),
    ("S1", (True, False, "l1", False))])
def test_every_scheme_of_table_1_parses(name, expected):
    scheme = parse_scheme(name)
    assert (scheme.self_paced, scheme.adversarial, scheme.pixel, scheme.perceptual) == expected


@pytest.mark.parametrize("name", ["", "A", "S", "SA", "12", "1A", "PA1", "SA1PX", "sa1p"])
def test_an_unknown_scheme_is_one_line_naming_the_option(name):
    with pytest.raises(InvalidArgumentError) as info:
        parse_scheme(name)
    assert info.value.argument == "--scheme" and "\n" not in str(info.value)


def test_bi_level_loss_is_per_sample_and_weighted_as_eq_4():
    outputs, targets = torch.rand(3, 1, 8, 8), torch.rand(3, 1, 8, 8)

    class Doubling(torch.nn.Module):
        def forward(self, x):
            return torch.cat([x, 2 * x], 1)

    features = Doubling()
    losses = BiLevelLoss(parse_scheme("1P"), PerceptualLoss(features))(outputs, targets)
    pixel = (outputs - targets).abs().flatten(1).mean(1)
    perceptual = ((features(outputs) - features(targets)) ** 2).flatten(1).mean(1)
    torch.testing.assert_close(losses, 100 * pixel + 0.1 * perceptual)


def test_seconds_long_gan_run_lowers_the_content_loss(tmp_path, fixed_pairs):
    """SA1P on one fixed batch: the generator's L1 content loss falls while the critic
    trains two steps per generator step and the self-paced rounds advance."""
    folder = smooth_image_folder(tmp_path / "data", 3, count=4, scale=2)
    torch.set_num_threads(1)
    options = dict(scheme="SA1P", depth=2, widths=(8, 8, 8), skip_widths=(4, 4), batch=2,
                   patch=32, holdout=1, progress=False, precision="fp32", bank=16, lr=3e-3,
                   validate_every=10, checkpoint_every=10, critic_width=8, rounds=3)
    train_biskip(folder, tmp_path / "first.pt", iterations=1, **options)
    card = train_biskip(folder, tmp_path / "g.pt", iterations=60, **options)
    assert card["scheme"] == "SA1P" and card["iterations"] == 60
    saved = torch.load(tmp_path / "g.ckpt", weights_only=False)
    assert saved["extra"]["schedule"]["round"] == 3 and saved["extra"]["critic"] is not None
    blurred, sharp = (torch.from_numpy(a)[:, None] for a in fixed_pairs[0])

    def l1(path):
        from proxdeblur.priors.zoo import load_network

        net, _ = load_network(str(path))
        with torch.no_grad():
            return float((net.float()(blurred) - sharp).abs().mean())

    assert l1(tmp_path / "g.pt") < 0.8 * l1(tmp_path / "first.pt")
