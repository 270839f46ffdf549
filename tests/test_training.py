import numpy as np
import pytest
import torch

from proxdeblur import io
from proxdeblur.priors.nets import DnCNN, UNetDenoiser
from proxdeblur.priors.zoo import load_network
from proxdeblur.training.data import PatchSampler
from proxdeblur.training.denoiser import train_denoiser

from .training_data import smooth_image_folder


def test_dncnn_shapes_and_residual_form():
    torch.manual_seed(0)
    for downscale in (1, 2):
        net = DnCNN(channels=1, depth=3, width=8, noise_map=True, downscale=downscale)
        x = torch.rand(2, 1, 13, 17)  # odd sizes are padded and cropped back
        out = net(x, torch.tensor([0.1, 0.2]))
        assert out.shape == x.shape
    with_bn = DnCNN(depth=4, width=8, batch_norm=True).eval()
    assert with_bn(torch.rand(1, 1, 10, 10), 0.1).shape == (1, 1, 10, 10)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in with_bn.modules())
    x = torch.rand(1, 1, 8, 8)
    assert torch.equal(DnCNN(depth=3, width=8)(x, 0.1), x)  # untrained: noise estimate 0


def test_patch_sampler_is_seeded_and_augments():
    image = np.arange(100, dtype=np.float32).reshape(10, 10)
    a = PatchSampler([image], 4, seed=3).batch(16)
    b = PatchSampler([image], 4, seed=3).batch(16)
    assert a.shape == (16, 4, 4) and np.array_equal(a, b)


def test_tiny_training_run_lowers_its_loss_and_resumes(tmp_path):
    data = smooth_image_folder(tmp_path / "data", 0)
    torch.set_num_threads(1)
    out = tmp_path / "net" / "d.pt"
    options = dict(batch=8, patch=24, depth=3, width=8, holdout=1, validate_every=20,
                   checkpoint_every=20, progress=False, lr=3e-3)
    train_denoiser(data, out, iterations=40, **options)
    first = torch.load(out, weights_only=True)
    losses = first["meta"]["final_running_loss"]
    train_denoiser(data, out, iterations=120, **options)  # resumes from the checkpoint
    second = torch.load(out, weights_only=True)
    assert second["meta"]["iterations"] == 120
    assert second["meta"]["final_running_loss"] < losses
    net = DnCNN(**second["config"])
    net.load_state_dict(second["state_dict"])
    # fine-tuning from a weights file starts a new schedule from those weights
    tuned = tmp_path / "tuned.pt"
    train_denoiser(data, tuned, iterations=1, init=out, **{**options, "lr": 1e-12})
    start = torch.load(tuned, weights_only=True)
    assert start["meta"]["initialized_from"] == str(out)
    for key, value in second["state_dict"].items():
        torch.testing.assert_close(start["state_dict"][key], value, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="^init:"):
        train_denoiser(data, tmp_path / "wrong.pt", iterations=1, init=out,
                       **{**options, "width": 4})


def test_unet_denoiser_shapes_padding_and_noise_map():
    torch.manual_seed(0)
    net = UNetDenoiser(channels=1, widths=(4, 8, 16), blocks=1)
    x = torch.rand(2, 1, 13, 18)  # sizes that are not multiples of 4 are padded and cropped
    out = net(x, torch.tensor([0.1, 0.2]))
    assert out.shape == x.shape
    # the noise level is an input: the same image at another sigma gives another output
    assert not torch.allclose(net(x, 0.05), net(x, 0.15))
    # each sample of a batch sees its own sigma
    torch.testing.assert_close(out[1:], net(x[1:], 0.2))
    colour = UNetDenoiser(channels=3, widths=(4, 8, 16), blocks=1)
    assert colour(torch.rand(1, 3, 16, 16), 0.1).shape == (1, 3, 16, 16)
    for bad in ({"widths": (4, 8)}, {"blocks": 0}):
        with pytest.raises(ValueError):
            UNetDenoiser(**bad)


def test_tiny_unet_training_run_lowers_its_loss_and_loads_from_the_zoo(tmp_path):
    data = smooth_image_folder(tmp_path / "data", 1)
    torch.set_num_threads(1)
    out = tmp_path / "unet.pt"
    options = dict(batch=8, patch=24, holdout=1, validate_every=20, checkpoint_every=1000,
                   progress=False, lr=3e-3, architecture="drunet", widths=(4, 8, 8), blocks=1)
    early = train_denoiser(data, tmp_path / "early.pt", iterations=5, **options)
    late = train_denoiser(data, out, iterations=80, **options)
    assert late["final_running_loss"] < early["final_running_loss"]
    network, meta = load_network(out)
    assert isinstance(network, UNetDenoiser) and meta["iterations"] == 80
    with pytest.raises(ValueError, match="^architecture:"):
        train_denoiser(data, tmp_path / "x.pt", iterations=1, **{**options, "architecture": "x"})


def test_gcm_generator_is_the_identity_untrained_and_has_seven_bn_blocks():
    from proxdeblur.priors.nets import GCMGenerator

    net = GCMGenerator().eval()
    x = torch.randn(2, 1, 9, 11)
    assert torch.equal(net(x), x)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) == 7


def test_warm_start_pairs_solve_the_warm_start_equation():
    from proxdeblur.kernels import transfer_function
    from proxdeblur.training.gcm_generator import _gradients, warm_start_pairs

    rng = np.random.default_rng(0)
    sharp = rng.random((32, 32))
    warm, target, gamma = warm_start_pairs(sharp, np.random.default_rng(5), kernel_seed=3)
    np.testing.assert_allclose(target, _gradients(sharp))
    # replay the draws to get the kernel and observation, then check (KᵀK + 2γ)u = Kᵀg + 2γ g
    replay = np.random.default_rng(5)
    size = int(replay.choice((5, 7, 9, 11, 13, 15, 17, 19)))
    from proxdeblur.kernels import motion_kernel

    K = transfer_function(motion_kernel(size, seed=3), sharp.shape)
    blurred = np.fft.irfft2(K * np.fft.rfft2(sharp), s=sharp.shape)
    blurred = blurred + replay.uniform(0, 0.01) * replay.standard_normal(sharp.shape)
    g = _gradients(blurred)
    U, G = np.fft.rfft2(warm), np.fft.rfft2(g)
    np.testing.assert_allclose((np.abs(K) ** 2 + 2 * gamma) * U, np.conj(K) * G + 2 * gamma * G,
                               atol=1e-9)


def test_perturbed_kernels_are_centred_simplex_points_near_the_true_one():
    from proxdeblur.kernels import motion_kernel
    from proxdeblur.metrics import kernel_similarity
    from proxdeblur.training.gcm_generator import perturb_kernel

    rng = np.random.default_rng(2)
    for seed in range(6):
        kernel = motion_kernel(15, seed=seed)
        estimate = perturb_kernel(kernel, rng)
        assert estimate.shape == kernel.shape and estimate.min() >= 0
        assert estimate.sum() == pytest.approx(1.0)
        rows, cols = np.indices(estimate.shape)
        centre = ((rows * estimate).sum(), (cols * estimate).sum())
        assert np.allclose(centre, (7, 7), atol=0.5)
        assert 0.5 < kernel_similarity(estimate, kernel) < 0.999


def test_warm_start_from_an_iterate_with_a_wrong_kernel_solves_its_equation():
    from proxdeblur.kernels import motion_kernel, transfer_function
    from proxdeblur.training.gcm_generator import _gradients, perturb_kernel, warm_start_pairs

    sharp = np.random.default_rng(0).random((32, 32))
    warm, target, gamma = warm_start_pairs(sharp, np.random.default_rng(5), kernel_seed=3,
                                           kernel_error=1.0, iterate_mix=1.0)
    plain, _, _ = warm_start_pairs(sharp, np.random.default_rng(5), kernel_seed=3)
    assert not np.allclose(warm, plain)
    # replay the draws: (K̂ᵀK̂ + 2γ)u = K̂ᵀg + 2γ(β∇x + (1 − β)g) with K̂ the perturbed kernel
    replay = np.random.default_rng(5)
    size = int(replay.choice((5, 7, 9, 11, 13, 15, 17, 19)))
    kernel = motion_kernel(size, seed=3)
    K = transfer_function(kernel, sharp.shape)
    blurred = np.fft.irfft2(K * np.fft.rfft2(sharp), s=sharp.shape)
    blurred = blurred + replay.uniform(0, 0.01) * replay.standard_normal(sharp.shape)
    assert gamma == pytest.approx(np.exp(replay.uniform(*np.log((0.002, 0.2)))))
    g = _gradients(blurred)
    replay.uniform()
    beta = replay.uniform()
    replay.uniform()
    wrong = transfer_function(perturb_kernel(kernel, replay), sharp.shape)
    iterate = beta * _gradients(sharp) + (1 - beta) * g
    U, G, S = np.fft.rfft2(warm), np.fft.rfft2(g), np.fft.rfft2(iterate)
    np.testing.assert_allclose((np.abs(wrong) ** 2 + 2 * gamma) * U,
                               np.conj(wrong) * G + 2 * gamma * S, atol=1e-9)
    np.testing.assert_allclose(target, _gradients(sharp))


def test_tiny_gcm_generator_training_lowers_its_loss(tmp_path):
    import json

    from proxdeblur.priors.zoo import load_prior
    from proxdeblur.training.gcm_generator import train_gcm_generator

    rng = np.random.default_rng(1)
    data = tmp_path / "data"
    data.mkdir()
    for i in range(5):
        blocks = np.kron(rng.random((5, 5)), np.ones((8, 8)))  # sharp edges to learn
        io.write_image(data / f"{i}.png", blocks)
    torch.set_num_threads(1)
    out = tmp_path / "g.pt"
    meta = train_gcm_generator(data, out, iterations=60, batch=4, patch=24, blocks=2, width=8,
                               lr=3e-3, holdout=1, validate_every=30, progress=False)
    log = json.loads(out.with_suffix(".log.json").read_text())
    scores = [score for _, _, score in log["validation"]]  # generator error / warm-start error
    assert meta["iterations"] == 60 and scores[-1] < scores[0] < 1.0
    prior = load_prior(out, device="cpu")
    assert prior.role == "restorer"
    assert prior.restore(rng.random((20, 20))).shape == (20, 20)


def test_blur_pairs_are_seeded_aligned_and_valid():
    from proxdeblur.training.pairs import BlurPairSampler, kernel_bank

    rng = np.random.default_rng(0)
    images = [rng.random((80, 80)).astype(np.float32) for _ in range(3)]
    a, b = BlurPairSampler(images, 24, seed=5, bank=16), BlurPairSampler(images, 24, seed=5, bank=16)
    pa, pb = a.batch(4), b.batch(4)
    assert np.array_equal(pa[0], pb[0]) and np.array_equal(pa[1], pb[1])
    assert pa[0].shape == pa[1].shape == (4, 24, 24)
    bank = kernel_bank(64, seed=1)
    assert all(k.shape[0] % 2 == 1 and 7 <= k.shape[0] <= 35 and np.isclose(k.sum(), 1)
               and k.min() >= 0 for k in bank)
    # noise-free, the blurred patch is centred on the sharp one: of all small shifts of the
    # sharp patch, the unshifted one is nearest the blurred patch (kernels centred by mass)
    clean = BlurPairSampler([rng.random((80, 80)) for _ in range(2)], 32, seed=2, bank=32,
                            noise_max=0.0, sizes=(7, 15))
    errors = np.zeros((5, 5))
    for _ in range(40):
        blurred, sharp = clean.pair()
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = np.roll(sharp, (dy, dx), axis=(0, 1))
                errors[dy + 2, dx + 2] += np.mean((blurred - shifted)[4:-4, 4:-4] ** 2)
    assert np.unravel_index(errors.argmin(), errors.shape) == (2, 2)


def test_tiny_restorer_training_resumes_to_the_same_state(tmp_path, monkeypatch):
    """A run killed after its checkpoint at step 4 and started again ends where an
    uninterrupted run ends, weight for weight."""
    from proxdeblur.priors.zoo import load_prior
    from proxdeblur.training import pairs
    from proxdeblur.training.restorer import train_restorer

    # larger images: a patch plus the largest kernel
    data = smooth_image_folder(tmp_path / "data", 1, scale=2)
    torch.set_num_threads(1)
    options = dict(width=4, batch=2, patch=16, holdout=1, validate_every=4, progress=False,
                   precision="fp32", lr=1e-3, checkpoint_every=4, iterations=8, bank=16)
    straight = train_restorer(data, tmp_path / "a" / "r.pt", **options)
    real, calls = pairs.BlurPairSampler.batch, []

    def killed_after_five(self, size):
        calls.append(size)
        if len(calls) == 5:
            raise KeyboardInterrupt  # the session ends between two checkpoints
        return real(self, size)

    monkeypatch.setattr(pairs.BlurPairSampler, "batch", killed_after_five)
    with pytest.raises(KeyboardInterrupt):
        train_restorer(data, tmp_path / "b" / "r.pt", **options)
    monkeypatch.setattr(pairs.BlurPairSampler, "batch", real)
    resumed = train_restorer(data, tmp_path / "b" / "r.pt", **options)
    a = torch.load(tmp_path / "a" / "r.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "r.pt", weights_only=True)
    for key in a["state_dict"]:
        torch.testing.assert_close(a["state_dict"][key], b["state_dict"][key], rtol=0, atol=0)
    assert resumed["iterations"] == straight["iterations"] == 8
    assert b["meta"]["validation_psnr"] == pytest.approx(a["meta"]["validation_psnr"])
    assert load_prior(tmp_path / "a" / "r.pt").role == "restorer"


def test_tiny_restorer_training_lowers_its_loss_and_bundles_in_float16(tmp_path):
    """Training on small kernels lowers the running loss; the bundled file is float16 with
    a model card that states the run and what float16 storage costs on its validation."""
    import json

    from proxdeblur.priors.zoo import load_prior
    from proxdeblur.training.bundle import bundle
    from proxdeblur.training.restorer import train_restorer

    data = smooth_image_folder(tmp_path / "data", 2, scale=2)
    torch.set_num_threads(1)
    out = tmp_path / "run" / "r.pt"
    options = dict(width=4, batch=4, patch=24, holdout=1, validate_every=30, progress=False,
                   precision="fp32", lr=3e-3, checkpoint_every=30, bank=16, kernel_sizes=(7, 9),
                   command="tiny")
    early = train_restorer(data, out, iterations=30, **options)
    late = train_restorer(data, out, iterations=150, **options)
    assert late["iterations"] == 150
    assert late["final_running_loss"] < 0.8 * early["final_running_loss"]
    (tmp_path / "b").mkdir()
    card = bundle(out, tmp_path / "b" / "tiny.pt", name="tiny", role="restorer",
                  extra={"scores": {"note": "measured elsewhere"}})
    saved = torch.load(tmp_path / "b" / "tiny.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in saved["state_dict"].values())
    assert card["training_iterations"] == 150 and card["training_command"] == "tiny"
    assert card["scores"] == {"note": "measured elsewhere"} and "float16" in card["storage"]
    assert [row[0] for row in card["validation_curve"]] == [30, 60, 90, 120, 150]
    assert json.loads((tmp_path / "b" / "tiny.json").read_text()) == card
    assert load_prior(tmp_path / "b" / "tiny.pt").role == "restorer"
