"""``proxdeblur.chunked``: block-by-block deconvolution agrees with the whole-image solve."""

import numpy as np
import pytest
from scipy.signal import fftconvolve

from proxdeblur import deconvolve, psnr
from proxdeblur.chunked import chunk_sizes, deconvolve_chunked, deconvolve_tiff, image_noise
from proxdeblur.cli import main
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import motion_kernel

tifffile = pytest.importorskip("tifffile")


@pytest.fixture(scope="module")
def photograph():
    """A 300×340 colour scene blurred by a 9-px kernel with the "valid" model, 1 % noise."""
    from skimage import data

    scene = data.astronaut()[40:348, 60:408] / 255.0
    kernel = motion_kernel(9, seed=3)
    blurred = np.stack([fftconvolve(scene[..., c], kernel, mode="valid") for c in range(3)], -1)
    blurred += 0.01 * np.random.default_rng(0).standard_normal(blurred.shape)
    return scene[4:-4, 4:-4], np.clip(blurred, 0, 1), kernel


@pytest.mark.parametrize("length, chunk, halo, expected", [
    (1000, 300, 50, (300, 300, 300, 100)), (1000, 300, 150, (300, 300, 400)),
    (600, 300, 50, (300, 300)), (200, 300, 50, (200,))])
def test_chunk_sizes_merge_a_sliver(length, chunk, halo, expected):
    assert chunk_sizes(length, chunk, halo) == expected
    assert sum(expected) == length


def test_chunked_equals_whole_within_tolerance(photograph):
    sharp, blurred, kernel = photograph
    whole = deconvolve(blurred, kernel)
    lazy = deconvolve_chunked(blurred, kernel, chunk=128, halo=48)
    assert lazy.numblocks[:2] == (2, 3) and lazy.dtype == np.float32
    chunked = lazy.compute(scheduler="sync")
    assert chunked.shape == blurred.shape
    # the blocks' seams cost nothing measurable against the truth ...
    assert abs(psnr(np.clip(chunked, 0, 1), sharp) - psnr(np.clip(whole, 0, 1), sharp)) < 0.1
    # ... and differ from the whole solve by little, mostly near the seams
    assert psnr(chunked, whole) > 45
    assert np.abs(chunked - whole).mean() < 2e-3


def test_a_larger_halo_agrees_better(photograph):
    _, blurred, kernel = photograph
    gray = blurred[..., 0]
    noise = image_noise(gray)
    whole = deconvolve(gray, kernel, noise=noise)
    errors = [np.abs(deconvolve_chunked(gray, kernel, chunk=128, halo=h, noise=noise).compute(
        scheduler="sync") - whole).mean() for h in (9, 27, 64)]
    assert errors[2] < errors[1] < errors[0]


def test_one_block_is_the_whole_solve_with_the_images_noise(photograph):
    _, blurred, kernel = photograph
    gray = blurred[..., 1]
    one = deconvolve_chunked(gray, kernel, chunk=512).compute(scheduler="sync")
    whole = deconvolve(gray, kernel, noise=image_noise(gray))
    np.testing.assert_allclose(one, whole, atol=1e-6)  # float32 output


def test_the_noise_level_is_in_the_units_a_tone_curve_solves_in(photograph):
    from proxdeblur.camera import to_linear
    from proxdeblur.noise import estimate_noise

    _, blurred, kernel = photograph
    gray = blurred[..., 1]
    linear = image_noise(gray, "srgb")
    # the whole solve estimates on the linear image; the blocks' shared level agrees with it
    assert linear == pytest.approx(estimate_noise(to_linear(gray, "srgb")), rel=0.15)
    assert abs(linear - image_noise(gray)) > 0.2 * image_noise(gray)
    one = deconvolve_chunked(gray, kernel, chunk=512, tone_curve="srgb").compute(scheduler="sync")
    whole = deconvolve(gray, kernel, noise=linear, tone_curve="srgb")
    np.testing.assert_allclose(one, whole, atol=1e-6)


def test_integer_codes_are_scaled(photograph):
    _, blurred, kernel = photograph
    codes = np.round(blurred[..., 0] * 65535).astype(np.uint16)
    from_codes = deconvolve_chunked(codes, kernel, chunk=512).compute(scheduler="sync")
    from_floats = deconvolve_chunked(codes / 65535.0, kernel, chunk=512).compute(scheduler="sync")
    np.testing.assert_allclose(from_codes, from_floats, atol=1e-6)


@pytest.mark.parametrize("options, argument", [
    ({"chunk": 32}, "chunk"), ({"halo": 4}, "halo"), ({"halo": 600, "chunk": 512}, "halo"),
    ({"lam": -1.0}, "lam"), ({"callback": print}, "callback"), ({"noise": -0.1}, "noise"),
    ({"tone_curve": "sRGB"}, "tone_curve")])
def test_bad_arguments_before_work(photograph, options, argument):
    _, blurred, kernel = photograph
    with pytest.raises(InvalidArgumentError, match=argument):
        deconvolve_chunked(blurred, kernel, **options)


def test_tiff_to_tiff_is_whole_like_and_atomic(photograph, tmp_path):
    _, blurred, kernel = photograph
    source = tmp_path / "blurred.tif"
    tifffile.imwrite(source, np.round(blurred * 65535).astype(np.uint16), tile=(64, 64))
    info = deconvolve_tiff(source, kernel, tmp_path / "out.tif", chunk=128, halo=48)
    out = tifffile.imread(tmp_path / "out.tif")
    assert out.shape == blurred.shape and out.dtype == np.uint16  # the input's bit depth
    assert info["blocks"] == 6 and info["halo"] == 48
    whole = np.clip(deconvolve(np.round(blurred * 65535) / 65535, kernel), 0, 1)
    assert psnr(out / 65535.0, whole) > 45
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blurred.tif", "out.tif"]


def test_cli_chunk(photograph, tmp_path, capsys):
    _, blurred, kernel = photograph
    source = tmp_path / "blurred.tif"
    tifffile.imwrite(source, np.round(blurred * 255).astype(np.uint8))  # stripped, not tiled
    np.save(tmp_path / "k.npy", kernel)
    argv = ["deconv", str(source), "-k", str(tmp_path / "k.npy"), "-q"]
    assert main([*argv, "-o", str(tmp_path / "out.tif"), "--chunk", "128"]) == 0
    assert tifffile.imread(tmp_path / "out.tif").shape == blurred.shape
    assert main([*argv, "-o", str(tmp_path / "out.png"), "--chunk", "128"]) == 2
    assert main([*argv, "-o", str(tmp_path / "o2.tif"), "--chunk", "100"]) == 2
    assert main([*argv, "-o", str(tmp_path / "o3.tif"), "--halo", "50"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[2].strip() for line in err] == ["--output", "--chunk", "--halo"]
    assert not any((tmp_path / n).exists() for n in ("out.png", "o2.tif", "o3.tif"))


@pytest.mark.parametrize("chunk, tile", [(2048, 256), (1024, 256), (128, 128), (96, 96), (80, 80)])
def test_tiff_tiles_divide_the_block(chunk, tile):
    from proxdeblur.chunked import tiff_tile

    assert tiff_tile(chunk) == tile
