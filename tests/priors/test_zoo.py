import numpy as np
import pytest
import torch

from proxdeblur import ImageFileError, InvalidArgumentError
from proxdeblur.priors import zoo
from proxdeblur.priors.nets import DnCNN


def _save(path, net, **extra):
    torch.save({"architecture": "DnCNN", "config": net.config, "state_dict": net.state_dict(),
                "meta": {"note": "test"}, **extra}, path)


def test_round_trip_through_a_local_file(tmp_path, rng):
    torch.manual_seed(0)
    net = DnCNN(depth=3, width=8)
    torch.nn.init.normal_(net.body[-1].weight, std=0.3)  # not the identity it starts as
    _save(tmp_path / "w.pt", net)
    prior = zoo.load_prior(tmp_path / "w.pt", device="cpu")
    assert prior.role == "denoiser"
    x = rng.random((16, 16)).astype(np.float32)
    with torch.inference_mode():
        expected = net(torch.from_numpy(x)[None, None], 0.1)[0, 0].numpy()
    np.testing.assert_allclose(prior.denoise(x, 0.1), expected, atol=1e-6)
    _, meta = zoo.load_network(tmp_path / "w.pt")
    assert meta == {"note": "test"}


def test_missing_corrupt_and_mismatched_files(tmp_path):
    with pytest.raises(InvalidArgumentError, match="^name_or_path:"):
        zoo.load_prior(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ImageFileError, match="not a readable weights file"):
        zoo.load_prior(tmp_path / "junk.pt")
    net = DnCNN(depth=3, width=8)
    state = net.state_dict()
    state.pop(next(iter(state)))
    torch.save({"architecture": "DnCNN", "config": net.config, "state_dict": state},
               tmp_path / "short.pt")
    with pytest.raises(ImageFileError, match="do not match the DnCNN architecture"):
        zoo.load_prior(tmp_path / "short.pt")
    torch.save({"architecture": "Mystery", "config": {}, "state_dict": {}}, tmp_path / "m.pt")
    with pytest.raises(ImageFileError, match="unknown architecture"):
        zoo.load_prior(tmp_path / "m.pt")


def test_unsafe_pickles_are_refused(tmp_path):
    torch.save({"config": {}, "state_dict": {}, "hook": object()}, tmp_path / "evil.pt")
    with pytest.raises(ImageFileError, match="not a readable weights file"):
        zoo.load_prior(tmp_path / "evil.pt")


def test_bundled_files_match_their_checksums_and_cards():
    for name, entry in zoo.BUNDLED.items():
        path = zoo.bundled_path(name)
        assert zoo._sha256(path) == entry["sha256"]
        card = zoo.model_card(name)
        for key in ("architecture", "parameters", "training_command", "data", "training_seconds",
                    "scores"):
            assert key in card, (name, key)
        zoo.load_prior(name, device="cpu")


def test_classical_work_does_not_load_torch():
    import subprocess
    import sys

    script = (
        "import sys, numpy as np, proxdeblur\n"
        "from proxdeblur.kernels import motion_kernel\n"
        "k = motion_kernel(5)\n"
        "y = proxdeblur.Convolution(k, 'valid').forward(np.random.default_rng(0).random((40, 40)))\n"
        "proxdeblur.deconvolve(y, k)\n"
        "proxdeblur.deblur(y, 5, progress=False)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "proxdeblur.deconvolve(y, k, prior='dncnn', max_iter=2)\n"
        "assert 'torch' in sys.modules\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_bundled_denoiser_names_come_from_the_bundled_table():
    from proxdeblur.deconvolution import DENOISER_NAMES
    from proxdeblur.priors.bundled import DENOISER_COMBINATIONS

    bundled = {n for n, e in zoo.BUNDLED.items() if e["role"] == "denoiser"}
    assert set(DENOISER_NAMES) == bundled | set(DENOISER_COMBINATIONS)
    assert all(set(c.split("+")) <= bundled for c in DENOISER_COMBINATIONS)
    assert "gcm_generator" not in DENOISER_NAMES
