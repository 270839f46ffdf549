"""`proxdeblur deblur` and `proxdeblur bench levin` on small synthetic images."""

import json

import numpy as np
import pytest

from proxdeblur import Convolution, io
from proxdeblur.blind import (
    estimate_kernel,
)
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import motion_kernel


def test_cli_deblur_writes_image_and_kernel(tmp_path, camera_small):
    from proxdeblur.cli import main

    blurred = Convolution(motion_kernel(7, seed=1), "valid").forward(camera_small)
    io.write_image(tmp_path / "in.png", blurred)
    code = main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--kernel-size", "9",
                 "--kernel-out", str(tmp_path / "k.png"), "--quiet"])
    assert code == 0
    assert io.read_image(tmp_path / "out.png").shape == blurred.shape
    assert io.read_kernel(tmp_path / "k.png").shape == (9, 9)


def test_jpeg_input_sets_the_kernel_estimates_error_floor(tmp_path, camera_small, monkeypatch):
    """JPEG compression error counts as noise σ ≥ JPEG_NOISE for the λ floor; --noise overrides."""
    import proxdeblur.deblurring as deblurring
    from proxdeblur.blind import JPEG_NOISE
    from proxdeblur.cli import main
    from proxdeblur.deblurring import source_kernel_options

    assert source_kernel_options(tmp_path / "a.JPG") == {"min_noise": JPEG_NOISE}
    assert source_kernel_options(tmp_path / "a.png") == {}
    blurred = Convolution(motion_kernel(5, seed=2), "valid").forward(camera_small[:48, :48])
    _, info = estimate_kernel(blurred, 5, min_noise=JPEG_NOISE, max_iter=1, settle_max_iter=0)
    assert info.noise_sigma == JPEG_NOISE and np.isclose(info.lam_floor, 3 * JPEG_NOISE ** 2)
    with pytest.raises(InvalidArgumentError, match="min_noise"):
        estimate_kernel(blurred, 5, min_noise=-0.1)

    seen = []
    real = deblurring.deblur

    def spy(image, kernel_size, **options):
        seen.append(options["kernel_options"])
        return real(image, kernel_size, **options)

    monkeypatch.setattr(deblurring, "deblur", spy)
    io.write_image(tmp_path / "in.jpg", blurred)
    io.write_image(tmp_path / "in.png", blurred)
    for name, extra in [("in.jpg", []), ("in.png", []), ("in.jpg", ["--noise", "0.005"])]:
        assert main(["deblur", str(tmp_path / name), "-o", str(tmp_path / f"out{len(seen)}.png"),
                     "--kernel-size", "5", "--quiet", *extra]) == 0
    assert seen[0]["min_noise"] == JPEG_NOISE
    assert "min_noise" not in seen[1] and "noise" not in seen[1]
    assert seen[2]["noise"] == 0.005 and "min_noise" not in seen[2]


def test_cli_deblur_errors_are_one_line(tmp_path, camera_small, capsys):
    from proxdeblur.cli import main

    io.write_image(tmp_path / "in.png", camera_small)
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "8"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--kernel-size" in err
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "in.png"),
                 "--kernel-size", "9"]) == 2
    assert "input" in capsys.readouterr().err
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "9", "--edge-softness", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--edge-softness" in err
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "9", "--noise", "-0.01"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--noise" in err
    assert not (tmp_path / "out.png").exists()


def test_bench_levin_on_a_tiny_synthetic_set(tmp_path, camera_small):
    from proxdeblur.bench import format_table, run_levin

    data = tmp_path / "data"
    for sub in ("blurred", "sharp", "kernels"):
        (data / sub).mkdir(parents=True)
    entries = []
    for j in range(2):
        kernel = motion_kernel(7, seed=j)
        blurred = Convolution(kernel, "valid").forward(camera_small)
        sharp = camera_small[3:-3, 3:-3]
        name = f"im1_kernel{j + 1}"
        io.write_image(data / "blurred" / f"{name}.png", blurred)
        io.write_image(data / "sharp" / f"{name}.png", sharp)
        np.save(data / "kernels" / f"kernel{j + 1}.npy", kernel)
        entries.append({"blurred": f"blurred/{name}.png", "sharp": f"sharp/{name}.png",
                        "kernel": f"kernels/kernel{j + 1}.npy",
                        "kernel_aligned": f"kernels/kernel{j + 1}.npy", "kernel_size": [9, 9]})
    (data / "manifest.json").write_text(json.dumps({"entries": entries}))
    result = run_levin(data, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "im1_kernel1.png").is_file()
    assert (tmp_path / "out" / "gt_kernel" / "im1_kernel2.png").is_file()
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["summary"]["images"] == 2
    assert all(row["error_ratio"] > 0 for row in result["rows"])
    assert "error ratio" in format_table(result)
    cap = (min(camera_small.shape) - 6) // 3
    wide = run_levin(data, tmp_path / "wide", progress=False, limit=1, support_scale=3)
    expected = min(27, (cap - 1) | 1)
    assert wide["rows"][0]["support"] == [expected, expected]
    assert np.load(tmp_path / "wide" / "im1_kernel1_kernel.npy").shape == (expected, expected)
    with pytest.raises(InvalidArgumentError, match="support_scale"):
        run_levin(data, tmp_path / "bad", progress=False, support_scale=0)


def test_cli_deblur_gcm_uses_the_bundled_generator_and_checks_its_option(tmp_path, camera_small,
                                                                        capsys):
    from proxdeblur.cli import main

    blurred = Convolution(motion_kernel(5, seed=2), "valid").forward(camera_small[:48, :48])
    io.write_image(tmp_path / "in.png", blurred)
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "5", "--image-step", "gcm", "--quiet"]) == 0
    assert io.read_image(tmp_path / "out.png").shape == blurred.shape
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "model.png"),
                 "--kernel-size", "5", "--image-step", "gcm", "--generator", "l0", "--quiet"]) == 0
    assert io.read_image(tmp_path / "model.png").shape == blurred.shape
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "l0.png"),
                 "--kernel-size", "5", "--generator", "gcm_generator", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--generator" in err
    assert not (tmp_path / "l0.png").exists()


def test_camera_options_follow_the_file_and_are_checked(tmp_path, camera_small, monkeypatch,
                                                       capsys):
    """--tone-curve auto is srgb for a JPEG and the stored values otherwise (the default is
    the stored values); --saturation reaches both steps; a bad value is one line naming the
    option, before any work."""
    import proxdeblur.deblurring as deblurring
    from proxdeblur.cli import main

    seen = []
    real = deblurring.deblur

    def spy(image, kernel_size, **options):
        seen.append(options)
        return real(image, kernel_size, **options)

    monkeypatch.setattr(deblurring, "deblur", spy)
    blurred = Convolution(motion_kernel(5, seed=2), "valid").forward(camera_small[:48, :48])
    io.write_image(tmp_path / "in.jpg", blurred)
    io.write_image(tmp_path / "in.png", blurred)
    runs = [("in.jpg", ["--tone-curve", "auto"]), ("in.png", ["--tone-curve", "auto"]),
            ("in.png", ["--tone-curve", "gamma2.2"]),
            ("in.jpg", ["--tone-curve", "linear", "--saturation", "none"]),
            ("in.png", ["--saturation", "0.9"]), ("in.jpg", ["--kernel-tone-curve", "srgb"]),
            ("in.jpg", [])]
    for name, extra in runs:
        assert main(["deblur", str(tmp_path / name), "-o", str(tmp_path / f"out{len(seen)}.png"),
                     "--kernel-size", "5", "--quiet", *extra]) == 0
    assert [(s["tone_curve"], s["saturation"]) for s in seen] == [
        ("srgb", 0.98), (None, 0.98), ("gamma2.2", 0.98), (None, None), (None, 0.9),
        (None, 0.98), (None, 0.98)]
    assert [s["kernel_options"].get("tone_curve") for s in seen] == [None] * 5 + ["srgb", None]
    capsys.readouterr()
    for command in (["deblur", "--kernel-size", "5"], ["deconv", "--kernel", str(tmp_path / "k.npy")]):
        np.save(tmp_path / "k.npy", motion_kernel(5, seed=2))
        for bad, option in ((["--saturation", "1.5"], "--saturation"),
                            (["--saturation", "bright"], "--saturation")):
            assert main([command[0], str(tmp_path / "in.png"), "-o", str(tmp_path / "bad.png"),
                         *command[1:], *bad]) == 2
            err = capsys.readouterr().err.strip()
            assert "\n" not in err and option in err
    assert not (tmp_path / "bad.png").exists()


def test_cli_deconv_leaves_clipped_pixels_out(tmp_path, camera_small):
    """A clipped highlight: deconv's default restores it differently from --saturation none,
    and --tone-curve srgb changes the result of a PNG."""
    from proxdeblur.cli import main

    scene = camera_small.copy()
    scene[20:26, 20:26] = 4.0  # far brighter than full scale
    kernel = motion_kernel(7, seed=1)
    np.save(tmp_path / "k.npy", kernel)
    io.write_image(tmp_path / "in.png", np.clip(Convolution(kernel, "valid").forward(scene), 0, 1))
    outputs = {}
    for name, extra in (("default", []), ("none", ["--saturation", "none"]),
                        ("srgb", ["--tone-curve", "srgb"])):
        assert main(["deconv", str(tmp_path / "in.png"), "--kernel", str(tmp_path / "k.npy"),
                     "-o", str(tmp_path / f"{name}.png"), "--quiet", *extra]) == 0
        outputs[name] = io.read_image(tmp_path / f"{name}.png")
    assert not np.array_equal(outputs["default"], outputs["none"])
    assert not np.array_equal(outputs["default"], outputs["srgb"])


def test_cli_deblur_follows_light_streaks_unless_told_not_to(tmp_path, capsys):
    """A night photograph with three point lights: the command says it followed their
    streak and writes a kernel like it; ``--light-streaks off`` estimates without it."""
    from proxdeblur.blind import find_light_streak
    from proxdeblur.cli import main
    from proxdeblur.metrics import kernel_similarity

    from ..blind.test_streaks import SUPPORT, THREE_LIGHTS, night_scene, photograph

    blurred = photograph(*night_scene(THREE_LIGHTS), motion_kernel(15, seed=7))
    io.write_image(tmp_path / "night.png", blurred, bit_depth=16)
    streak = find_light_streak(io.read_image(tmp_path / "night.png"), SUPPORT)
    kernels = {}
    for mode in ("on", "off"):
        kernels[mode] = tmp_path / f"k_{mode}.npy"
        assert main(["deblur", str(tmp_path / "night.png"), "-o", str(tmp_path / f"{mode}.png"),
                     "--kernel-size", str(SUPPORT), "--kernel-out", str(kernels[mode]),
                     "--light-streaks", mode, "--safeguard", "off"]) == 0
        said = "light streak" in capsys.readouterr().out
        assert said == (mode == "on")
    assert kernel_similarity(io.read_kernel(kernels["on"]), streak.kernel) > 0.95
    assert kernel_similarity(io.read_kernel(kernels["off"]), streak.kernel) < 0.9
