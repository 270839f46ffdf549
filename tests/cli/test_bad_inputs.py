"""The bad-input matrix: every sub-command, bad files, options, scales and permissions.

Each bad invocation must end with exit status 2 and one line on stderr that names the
option the user typed, *before any computation* (the library's entry points are
replaced by a sentinel that fails the case if it is reached), and must leave the
folder exactly as it was: no file created, replaced or changed in mode.
"""

import hashlib
import os
import shlex

import numpy as np
import pytest
import scipy.io

from proxdeblur import Convolution, io
from proxdeblur.cli import main
from proxdeblur.kernels import motion_kernel


class Computation(Exception):
    """Raised by the sentinels: the invocation got past its checks."""


def _sentinel(*args, **kwargs):
    raise Computation


@pytest.fixture
def folder(tmp_path, monkeypatch, camera_small):
    """A working folder with good and bad inputs, and the library's entry points
    replaced by the sentinel."""
    import imageio.v3 as iio

    import proxdeblur.bench
    import proxdeblur.deblurring
    import proxdeblur.deconvolution
    import proxdeblur.denoising
    import proxdeblur.restoration

    for module, name in [(proxdeblur.deconvolution, "deconvolve"), (proxdeblur.deblurring, "deblur"),
                         (proxdeblur.denoising, "denoise"), (proxdeblur.bench, "run_levin"),
                         (proxdeblur.restoration, "restore")]:
        monkeypatch.setattr(module, name, _sentinel)
    monkeypatch.chdir(tmp_path)
    kernel = motion_kernel(5, seed=1)
    blurred = Convolution(kernel, "valid").forward(camera_small[:44, :44])
    io.write_image("blur.png", blurred)
    io.write_image("colour16.png", np.dstack([blurred, blurred ** 2, 1 - blurred]), bit_depth=16)
    io.write_kernel("k.npy", kernel)
    scipy.io.savemat("two.mat", {"a": kernel, "b": kernel})
    iio.imwrite("f255.tif", (blurred * 255).astype(np.float32))
    (tmp_path / "garbage.png").write_bytes(b"not an image")
    (tmp_path / "exists.png").write_bytes(b"keep me")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub2").mkdir()
    (tmp_path / "sub2" / "results.json").write_text("{}")
    (tmp_path / "data").mkdir()
    return tmp_path


def _snapshot(root):
    return {str(p.relative_to(root)): (p.stat().st_mode, hashlib.sha256(p.read_bytes()).hexdigest()
                                       if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


CASES = [
    # deconv: outputs
    ("deconv blur.png -k k.npy -o blur.png --force", "--output"),
    ("deconv blur.png -k k.npy -o k.npy --force", "--output"),
    ("deconv blur.png -k k.npy -o exists.png", "--output"),
    ("deconv blur.png -k k.npy -o out.gif", "--output"),
    ("deconv blur.png -k k.npy -o out.xyz", "--output"),
    ("deconv blur.png -k k.npy -o out", "--output"),
    ("deconv blur.png -k k.npy -o sub", "--output"),
    ("deconv blur.png -k k.npy -o blur.png/out.png", "--output"),
    ("deconv blur.png -k k.npy -o missing/out.png", "--output"),
    ("deconv colour16.png -k k.npy -o out.jpg", "--output"),
    ("deconv blur.png -k k.npy -o out.jpg --bit-depth 16", "--bit-depth"),
    ("deconv blur.png -k k.npy -o out.png --bit-depth 12", "--bit-depth"),
    # deconv: inputs
    ("deconv missing.png -k k.npy -o out.png", "input"),
    ("deconv sub -k k.npy -o out.png", "input"),
    ("deconv blur.png -k missing.npy -o out.png", "--kernel"),
    ("deconv blur.png -k sub -o out.png", "--kernel"),
    # deconv: options
    ("deconv blur.png -k k.npy -o out.png --lam -1", "--lam"),
    ("deconv blur.png -k k.npy -o out.png --lam nan", "--lam"),
    ("deconv blur.png -k k.npy -o out.png --prior nope", "--prior"),
    ("deconv blur.png -k k.npy -o out.png --boundary nope", "--boundary"),
    ("deconv blur.png -k k.npy -o out.png --max-iter x", "--max-iter"),
    # deblur
    ("deblur blur.png --kernel-size 9 -o r.png --kernel-out r.png", "--kernel-out"),
    ("deblur blur.png --kernel-size 9 -o r.png --kernel-out blur.png", "--kernel-out"),
    ("deblur blur.png --kernel-size 9 -o r.png --kernel-out k.xyz", "--kernel-out"),
    ("deblur blur.png --kernel-size 9 -o r.png --kernel-out exists.png", "--kernel-out"),
    ("deblur blur.png --kernel-size 9 -o exists.png --kernel-out new.png", "--output"),
    ("deblur blur.png --kernel-size 8 -o r.png", "--kernel-size"),
    ("deblur blur.png --kernel-size 1 -o r.png", "--kernel-size"),
    ("deblur blur.png --kernel-size 9 9 9 -o r.png", "--kernel-size"),
    ("deblur blur.png --kernel-size 41 -o r.png", "--kernel-size"),
    ("deblur blur.png --kernel-size 9 -o r.png --noise 50", "--noise"),
    ("deblur blur.png --kernel-size 9 -o r.png --noise -0.01", "--noise"),
    ("deblur blur.png --kernel-size 9 -o r.png --noise nan", "--noise"),
    ("deblur blur.png --kernel-size 9 -o r.png --edge-softness -1", "--edge-softness"),
    ("deblur blur.png --kernel-size 9 -o r.png --lam 0", "--lam"),
    ("deblur blur.png --kernel-size 9 -o r.png --generator gcm_generator", "--generator"),
    ("deblur blur.png --kernel-size 9 -o r.png --image-step gcm --generator nope", "--generator"),
    ("deblur sub --kernel-size 9 -o r.png", "input"),
    ("deblur blur.png --kernel-size 9 -o r.png --kernel-region big", "--kernel-region"),
    ("deblur blur.png --kernel-size 9 -o r.png --kernel-region 26", "--kernel-region"),
    # denoise
    ("denoise blur.png --sigma 60 -o d.png", "--sigma"),
    ("denoise blur.png --sigma -1 -o d.png", "--sigma"),
    ("denoise blur.png --sigma nan -o d.png", "--sigma"),
    ("denoise blur.png --sigma 10 -o d.png --weights nope", "--weights"),
    ("denoise blur.png --sigma 10 -o d.png --ensemble 3", "--ensemble"),
    ("denoise blur.png --sigma 10 -o blur.png --force", "--output"),
    # restore
    ("restore blur.png -o r.png --model nope", "--model"),
    ("restore blur.png -o blur.png --force", "--output"),
    ("restore blur.png -o r.png --model k.npy", "--model"),
    ("restore blur.png -o r.png --steps 2", "--steps"),
    ("restore blur.png -o r.png --model golf --steps -1", "--steps"),
    ("train golf --stage n1 --data data --out w.pt", "--n2"),
    ("deblur blur.png --kernel-size 9 -o r.png --model nope", "--model"),
    ("deblur blur.png --kernel-size 9 -o r.png --image-step restorer --model nope", "--model"),
    # demo
    ("demo --out d --noise -1", "--noise"),
    ("demo --out d --kernel-size 4", "--kernel-size"),
    ("demo --out d --kernel-size 301", "--kernel-size"),
    ("demo --out d --seed -1", "--seed"),
    ("demo --out blur.png", "--out"),
    # bench, train
    ("bench levin --data missing --out o", "--data"),
    ("bench levin --data data --out o --limit 0", "--limit"),
    ("bench levin --data data --out o --support-scale 0", "--support-scale"),
    ("bench levin --data data --out blur.png", "--out"),
    ("bench levin --data data --out sub2", "--out"),
    ("train denoiser --data missing --out w.pt", "--data"),
    ("train denoiser --data data --out w.txt", "--out"),
    ("train restorer --data data --out w.txt", "--out"),
    ("train restorer --data missing --out w.pt", "--data"),
    ("train restorer --architecture biskip --levels 1,2 --data data --out w.pt", "--levels"),
    ("train restorer --scheme A1 --data data --out w.pt", "--scheme"),
    ("train restorer --architecture biskip --scheme AX --data data --out w.pt", "--scheme"),
    ("train restorer --architecture biskip --jpeg 0.5 --data data --out w.pt", "--jpeg"),
]


def _run(argv) -> int:
    """main's exit status, also where argparse refuses an option (a choice, a type)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize("command, option", CASES, ids=[c for c, _ in CASES])
def test_bad_invocations_fail_early_in_one_line_and_touch_nothing(folder, capsys, command, option):
    before = _snapshot(folder)
    assert _run(shlex.split(command)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and option in err, err
    assert _snapshot(folder) == before


@pytest.mark.parametrize("command, message", [
    ("deconv garbage.png -k k.npy -o out.png", "garbage.png: not a readable image"),
    ("deconv f255.tif -k k.npy -o out.png", "not on the [0, 1] scale"),
    ("deconv blur.png -k two.mat -o out.png", "--kernel-variable"),
])
def test_bad_file_contents_are_one_line(folder, capsys, command, message):
    before = _snapshot(folder)
    assert _run(shlex.split(command)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err
    assert _snapshot(folder) == before


def test_a_good_invocation_reaches_the_computation(folder):
    """The matrix can fail: a valid invocation gets past the checks to the sentinel."""
    for command in ("deconv blur.png -k k.npy -o out.png", "deblur blur.png --kernel-size 5 "
                    "-o r.png --kernel-out r.npy", "denoise blur.png --sigma 10 -o d.png",
                    "deconv blur.png -k two.mat --kernel-variable a -o out.png",
                    "demo --out d"):
        with pytest.raises(Computation):
            main(shlex.split(command))


def test_an_unwritable_folder_is_named_before_any_work(folder, capsys, monkeypatch):
    """(As root every folder is writable, so the check is shown with os.access denied.)"""
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path).endswith("sub")
                        else real(path, mode))
    assert main(["deconv", "blur.png", "-k", "k.npy", "-o", "sub/out.png"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--output" in err and "not writable" in err and ".out." not in err
