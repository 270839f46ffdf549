"""The bundled denoiser: proxdeblur.denoise, PnP-HQS deconvolution, the denoise/zoo commands."""

import numpy as np
import pytest

from proxdeblur import Convolution, InvalidArgumentError, deconvolve, denoise, io, psnr
from proxdeblur.cli import main
from proxdeblur.deconvolution import (
    DENOISER_NAMES,
    PNP_MODEL_ERROR,
    PNP_SIGMA_FLOOR,
    PNP_SIGMA_START,
    pnp_schedule,
)
from proxdeblur.kernels import motion_kernel


@pytest.mark.parametrize("name", DENOISER_NAMES)
def test_bundled_denoisers_remove_noise_at_every_trained_level(camera_small, name):
    rng = np.random.default_rng(0)
    for sigma in (5 / 255, 25 / 255, 50 / 255):
        noisy = camera_small + sigma * rng.standard_normal(camera_small.shape)
        gain = psnr(denoise(noisy, sigma, denoiser=name), camera_small) - psnr(noisy, camera_small)
        assert gain > 3.0, (sigma, gain)


def test_denoise_keeps_shape_dtype_and_does_colour_per_channel(camera_small):
    colour = np.dstack([camera_small, camera_small[::-1], camera_small.T]).astype(np.float32)
    out = denoise(colour, 0.05)
    assert out.shape == colour.shape and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 1], denoise(colour[..., 1], 0.05), atol=1e-5)


def test_denoise_rejects_sigma_outside_the_trained_range(camera_small):
    with pytest.raises(InvalidArgumentError, match="^sigma:.*50/255"):
        denoise(camera_small, 60 / 255)
    with pytest.raises(InvalidArgumentError, match="^sigma:"):
        denoise(camera_small, -0.1)


def test_pnp_schedule_ties_rho_to_sigma():
    weight, sigmas, rhos = pnp_schedule(0.01, 8, lam=0.23)
    assert sigmas[0] == pytest.approx(PNP_SIGMA_START) and sigmas[-1] == pytest.approx(0.01)
    assert np.all(np.diff(sigmas) < 0)
    assert weight == pytest.approx(0.23 * (0.01**2 + PNP_MODEL_ERROR**2))
    np.testing.assert_allclose(np.sqrt(weight / rhos), sigmas)  # the z-step denoises at sigma_k
    weight, sigmas, _ = pnp_schedule(0.0, 4, lam=0.5)
    assert sigmas[-1] == pytest.approx(PNP_SIGMA_FLOOR)
    assert weight == pytest.approx(0.5 * PNP_MODEL_ERROR**2)  # a noiseless image keeps a weight


@pytest.mark.parametrize("name", DENOISER_NAMES)
def test_deconvolve_with_a_bundled_denoiser_restores_a_blurred_image(camera_small, name):
    kernel = motion_kernel(9, seed=2)
    blurred = Convolution(kernel, "valid").forward(camera_small)
    blurred += 0.01 * np.random.default_rng(1).standard_normal(blurred.shape)
    truth = camera_small[4:-4, 4:-4]
    restored = deconvolve(blurred, kernel, prior=name, max_iter=8)
    assert restored.shape == blurred.shape
    assert psnr(restored, truth) > psnr(blurred, truth) + 3


def test_cli_denoise_and_zoo(tmp_path, camera_small, capsys):
    noisy = camera_small + 0.1 * np.random.default_rng(3).standard_normal(camera_small.shape)
    io.write_image(tmp_path / "noisy.png", noisy)
    assert main(["denoise", str(tmp_path / "noisy.png"), "-o", str(tmp_path / "out.png"),
                 "--sigma", "25", "--quiet"]) == 0
    assert psnr(io.read_image(tmp_path / "out.png"), camera_small) > psnr(noisy, camera_small) + 3
    assert main(["denoise", str(tmp_path / "noisy.png"), "-o", str(tmp_path / "pair.png"),
                 "--sigma", "25", "--weights", "dncnn+drunet", "--quiet"]) == 0
    assert psnr(io.read_image(tmp_path / "pair.png"), camera_small) > psnr(noisy, camera_small) + 3
    assert main(["denoise", str(tmp_path / "noisy.png"), "-o", str(tmp_path / "x.png"),
                 "--sigma", "60"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--sigma" in err
    assert main(["zoo"]) == 0
    out = capsys.readouterr().out
    assert "dncnn" in out and "training_command" in out
    assert "dncnn+drunet: the bundled denoisers together" in out


def test_pnp_keeps_the_callers_denoiser_settings(camera_small):
    from proxdeblur.denoising import get_denoiser
    from proxdeblur.priors.learned import LearnedPrior

    bundled = get_denoiser("dncnn")
    mine = LearnedPrior(bundled.module, "denoiser", device="cpu", weight=0.5, ensemble=4)
    kernel = motion_kernel(7, seed=1)
    blurred = Convolution(kernel, "valid").forward(camera_small[:48, :48])
    calls = []
    original = LearnedPrior._tiled

    def counting(self, batch, sigma):
        calls.append(self.ensemble)
        return original(self, batch, sigma)

    LearnedPrior._tiled = counting
    try:
        deconvolve(blurred, kernel, prior=mine, max_iter=3)
    finally:
        LearnedPrior._tiled = original
    assert calls == [4] * 12  # three z-steps of four members each
    assert mine.weight == 0.5  # PnP's weight went to a copy


def test_self_ensemble_improves_the_bundled_denoiser(camera_small):
    rng = np.random.default_rng(5)
    noisy = camera_small + 25 / 255 * rng.standard_normal(camera_small.shape)
    single = psnr(denoise(noisy, 25 / 255), camera_small)
    eight = psnr(denoise(noisy, 25 / 255, ensemble=8), camera_small)
    assert eight > single + 0.05, (single, eight)
