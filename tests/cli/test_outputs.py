"""What the commands write: file modes that follow the umask (or the replaced file's),
16-bit colour kept, and Ctrl-C: one line, exit 130, nothing left behind."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from proxdeblur import Convolution, io
from proxdeblur.cli import main
from proxdeblur.kernels import motion_kernel


@pytest.fixture
def inputs(tmp_path, camera_small):
    kernel = motion_kernel(5, seed=1)
    blurred = Convolution(kernel, "valid").forward(camera_small[:64, :64])
    io.write_image(tmp_path / "blur.png", blurred)
    io.write_image(tmp_path / "colour16.png", np.dstack([blurred, blurred ** 2, 1 - blurred]),
                   bit_depth=16)
    io.write_kernel(tmp_path / "k.npy", kernel)
    return tmp_path


@pytest.fixture
def umask():
    def set_mask(mask):
        os.umask(mask)

    old = os.umask(0o022)
    yield set_mask
    os.umask(old)


def _mode(path):
    return path.stat().st_mode & 0o777


def test_new_files_follow_the_umask(inputs, umask):
    for mask, expected in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        umask(mask)
        out, kernel = inputs / f"r{mask:o}.png", inputs / f"k{mask:o}.npy"
        assert main(["deblur", str(inputs / "blur.png"), "--kernel-size", "5", "-o", str(out),
                     "--kernel-out", str(kernel), "-q"]) == 0
        assert _mode(out) == expected and _mode(kernel) == expected
        io.write_json_atomic(inputs / f"j{mask:o}.json", {"a": 1})
        assert _mode(inputs / f"j{mask:o}.json") == expected


def test_a_replaced_file_keeps_its_mode(inputs, umask):
    out = inputs / "out.png"
    out.write_bytes(b"old")
    out.chmod(0o640)
    assert main(["deconv", str(inputs / "blur.png"), "-k", str(inputs / "k.npy"), "-o", str(out),
                 "--force", "-q"]) == 0
    assert _mode(out) == 0o640 and io.read_image(out).shape == (60, 60)
    assert [p.name for p in inputs.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("command", ["deconv", "deblur"])
def test_a_16_bit_colour_png_comes_back_16_bit(inputs, command):
    out = inputs / f"{command}.png"
    extra = ["-k", str(inputs / "k.npy")] if command == "deconv" else ["--kernel-size", "5"]
    assert main([command, str(inputs / "colour16.png"), *extra, "-o", str(out), "-q"]) == 0
    assert io.bit_depth(out) == 16 and io.read_image(out).shape == (60, 60, 3)
    assert main([command, str(inputs / "colour16.png"), *extra, "-o", str(inputs / "8.png"),
                 "--bit-depth", "8", "-q"]) == 0
    assert io.bit_depth(inputs / "8.png") == 8


def test_ctrl_c_is_one_line_exit_130_and_leaves_nothing(tmp_path, camera_small):
    from skimage import data

    big = np.tile(data.camera() / 255.0, (2, 2))  # a blind estimate of several seconds
    io.write_image(tmp_path / "big.png", Convolution(motion_kernel(15, seed=1), "valid")
                   .forward(big))
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = subprocess.Popen([sys.executable, "-m", "proxdeblur.cli", "deblur",
                             str(tmp_path / "big.png"), "--kernel-size", "31",
                             "-o", str(tmp_path / "r.png"), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6.0)  # past the imports (about 2 s), inside the estimate (over 15 s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip() == "proxdeblur: interrupted"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
