"""``proxdeblur.batch``: folders of images on Dask distributed (threads of this process)."""

import json
import sys

import numpy as np
import pytest
from scipy.signal import fftconvolve

from proxdeblur import io
from proxdeblur.batch import REPORT_NAME, BatchTask, MissingDependencyError, local_client, run_batch
from proxdeblur.cli import main
from proxdeblur.errors import InvalidArgumentError
from proxdeblur.kernels import motion_kernel


@pytest.fixture(scope="module")
def client():
    client = local_client(2, processes=False)
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()


@pytest.fixture
def folder(tmp_path, camera_small):
    """Four blurred images, one corrupt file, a kernel; sharp references."""
    kernel = motion_kernel(7)
    np.save(tmp_path / "k.npy", kernel)
    (tmp_path / "in").mkdir()
    (tmp_path / "ref").mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        sharp = np.rot90(camera_small, i)
        blurred = fftconvolve(sharp, kernel, mode="same") + 0.005 * rng.standard_normal(sharp.shape)
        io.write_image(tmp_path / "in" / f"im{i}.png", blurred)
        io.write_image(tmp_path / "ref" / f"im{i}.png", sharp)
    (tmp_path / "in" / "broken.png").write_bytes(b"\x89PNG but not really")
    return tmp_path


def _statuses(records):
    return {r["file"]: r["status"] for r in records}


def test_batch_completes_around_a_corrupt_file_and_keeps_an_earlier_result(folder, client):
    out = folder / "out"
    out.mkdir()
    io.write_image(out / "im1.png", np.full((96, 96), 0.5))  # an earlier result, kept as is
    before = (out / "im1.png").read_bytes()
    records = run_batch(folder / "in", out, BatchTask("deconv", {"kernel": folder / "k.npy"}),
                        reference_dir=folder / "ref", client=client)
    assert _statuses(records) == {"broken.png": "error", "im0.png": "done", "im1.png": "skipped",
                                  "im2.png": "done", "im3.png": "done"}
    assert "broken.png" in records[0]["error"]
    assert (out / "im1.png").read_bytes() == before
    assert not (out / "broken.png").exists()
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["completed"] == report["images"] == 5
    assert report["options"]["kernel"] == str(folder / "k.npy")
    done = [r for r in report["records"] if r["status"] == "done"]
    assert all(r["seconds"] > 0 and r["psnr"] > 20 and 0 < r["ssim"] <= 1 for r in done)
    for name in ("im0.png", "im2.png", "im3.png"):  # a restoration, sharper than its input
        truth = io.read_image(folder / "ref" / name)
        gain = io.read_image(out / name) - truth
        assert np.mean(gain**2) < np.mean((io.read_image(folder / "in" / name) - truth) ** 2)


def test_batch_resumes_and_force_redoes(folder, client):
    task, out = BatchTask("denoise", {"sigma": 0.01}), folder / "out"
    first = run_batch(folder / "in", out, task, client=client)
    assert sum(r["status"] == "done" for r in first) == 4
    second = run_batch(folder / "in", out, task, client=client)
    assert _statuses(second) == {"broken.png": "error", **{f"im{i}.png": "skipped" for i in range(4)}}
    forced = run_batch(folder / "in", out, task, client=client, force=True)
    assert sum(r["status"] == "done" for r in forced) == 4


def test_a_file_in_the_way_is_left_alone(folder, client):
    out = folder / "out"
    out.mkdir()
    (out / "im0.png").write_bytes(b"someone else's file")
    records = run_batch(folder / "in", out, BatchTask("denoise", {"sigma": 0.01}), client=client)
    assert _statuses(records)["im0.png"] == "error"
    assert "force" in records[1]["error"]
    assert (out / "im0.png").read_bytes() == b"someone else's file"


def test_interrupted_batch_leaves_no_partial_file(folder, client):
    out = folder / "out"
    out.mkdir()
    stale = out / ".im2.x1y2z3.png"  # what a worker killed in the middle of a write leaves
    stale.write_bytes(b"half")

    def interrupt(record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(folder / "in", out, BatchTask("denoise", {"sigma": 0.01}), client=client,
                  on_record=interrupt)
    assert not stale.exists()
    leftovers = [p for p in out.iterdir() if p.name != REPORT_NAME]
    assert all(p.name.startswith("im") for p in leftovers)
    for path in leftovers:  # whatever was written is whole
        assert io.read_image(path).shape == (96, 96)
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["completed"] == 1 and report["images"] == 5


def test_one_worker_loads_the_network_once(folder):
    from proxdeblur import denoising

    denoising._cached.cache_clear()
    client = local_client(1, processes=False)
    try:
        records = run_batch(folder / "in", folder / "out", BatchTask("denoise", {"sigma": 0.02}),
                            client=client)
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    assert sum(r["status"] == "done" for r in records) == 4
    assert denoising._cached.cache_info().misses == 1


def test_kernel_folder_by_stem(folder, client):
    kernels = folder / "kernels"
    kernels.mkdir()
    for i in range(3):  # im3 has no kernel: its record says so
        np.save(kernels / f"im{i}.npy", motion_kernel(7))
    records = run_batch(folder / "in", folder / "out", BatchTask("deconv", {"kernel": kernels}),
                        client=client)
    statuses = _statuses(records)
    assert [statuses[f"im{i}.png"] for i in range(4)] == ["done", "done", "done", "error"]
    assert "im3" in records[-1]["error"]


@pytest.mark.parametrize("name, options, argument", [
    ("sharpen", {}, "task"), ("deconv", {}, "kernel"), ("deblur", {}, "kernel_size"),
    ("denoise", {"sigma": None}, "sigma")])
def test_bad_task(name, options, argument):
    with pytest.raises(InvalidArgumentError, match=argument):
        BatchTask(name, options)


def test_bad_folders_fail_before_a_cluster_starts(folder):
    task = BatchTask("denoise", {"sigma": 0.01})
    with pytest.raises(InvalidArgumentError, match="output_dir"):
        run_batch(folder / "in", folder / "in", task)
    with pytest.raises(InvalidArgumentError, match="input_dir"):
        run_batch(folder / "nowhere", folder / "out", task)
    with pytest.raises(InvalidArgumentError, match="report"):
        run_batch(folder / "in", folder / "out", task, report=folder / "report.txt")


def test_missing_extra_is_one_line(folder, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'proxdeblur\[distributed\]'"):
        local_client(1)
    status = main(["batch", str(folder / "in"), str(folder / "out"), "--task", "denoise",
                   "--sigma", "2"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "proxdeblur[distributed]" in err
    assert not (folder / "out").exists()


@pytest.mark.parametrize("argv, option", [
    (["--task", "denoise", "--sigma", "2", "--kernel", "k.npy"], "--kernel"),
    (["--task", "deconv"], "--kernel"),
    (["--task", "deconv", "--kernel", "missing.npy"], "--kernel"),
    (["--task", "denoise", "--sigma", "80"], "--sigma"),
    (["--task", "deblur", "--kernel-size", "4"], "--kernel-size"),
    (["--task", "restore", "--model", "nope"], "--model"),
    (["--task", "denoise", "--sigma", "2", "--lam", "0.1"], "--lam"),
    (["--task", "denoise", "--sigma", "2", "--suffix", ".gif"], "--suffix"),
    (["--task", "denoise", "--sigma", "2", "--workers", "0"], "--workers"),
    (["--task", "denoise", "--sigma", "2", "--tone-curve", "srgb"], "--tone-curve"),
    (["--task", "deconv", "--kernel", "k.npy", "--saturation", "2"], "--saturation"),
    (["--task", "deconv", "--kernel", "k.npy", "--kernel-tone-curve", "srgb"],
     "--kernel-tone-curve"),
    (["--task", "deconv", "--kernel", "k.npy", "--safeguard", "fallback"], "--safeguard"),
    (["--task", "denoise", "--sigma", "2", "--light-streaks", "off"], "--light-streaks"),
])
def test_cli_names_the_bad_option(folder, capsys, argv, option, monkeypatch):
    monkeypatch.chdir(folder)
    status = main(["batch", str(folder / "in"), str(folder / "out"), *argv])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and option in err
    assert not (folder / "out").exists()


def test_cli_batch_on_a_local_process_cluster(folder, capsys):
    """The command as a user runs it: worker processes, a report, exit 1 for the bad file."""
    status = main(["batch", str(folder / "in"), str(folder / "out"), "--task", "deconv",
                   "--kernel", str(folder / "k.npy"), "--workers", "1", "--suffix", ".tif",
                   "--reference", str(folder / "ref"), "-q"])
    err = capsys.readouterr().err
    assert status == 1 and "broken.png" in err
    assert sorted(p.name for p in (folder / "out").iterdir()) == [
        REPORT_NAME, "im0.tif", "im1.tif", "im2.tif", "im3.tif"]
    report = json.loads((folder / "out" / REPORT_NAME).read_text())
    assert [r["status"] for r in report["records"]] == ["error"] + ["done"] * 4


def test_a_jpeg_folder_is_restored_as_the_single_image_command_restores_it(tmp_path,
                                                                          camera_small, client):
    """The JPEG error floor and ``--tone-curve auto`` per file, as ``deconv`` applies them."""
    kernel = motion_kernel(7)
    np.save(tmp_path / "k.npy", kernel)
    (tmp_path / "in").mkdir()
    blurred = fftconvolve(camera_small, kernel, mode="same")
    io.write_image(tmp_path / "in" / "photo.jpg", np.clip(blurred, 0, 1))
    common = ["--kernel", str(tmp_path / "k.npy"), "--tone-curve", "auto", "--saturation",
              "0.95", "-q"]
    assert main(["deconv", str(tmp_path / "in" / "photo.jpg"), "-o", str(tmp_path / "one.png"),
                 *common]) == 0
    from proxdeblur.cli.batch import _task
    from proxdeblur.cli.parser import build_parser

    args = build_parser().parse_args(["batch", str(tmp_path / "in"), str(tmp_path / "out"),
                                      "--task", "deconv", *common])
    task = _task(args)
    assert task.options["tone_curve"] == "auto" and task.options["saturation"] == 0.95
    records = run_batch(tmp_path / "in", tmp_path / "out", task, client=client, suffix=".png",
                        progress=False)
    assert [r["status"] for r in records] == ["done"]
    single, batched = io.read_image(tmp_path / "one.png"), io.read_image(tmp_path / "out" /
                                                                        "photo.png")
    np.testing.assert_array_equal(batched, single)
    plain = run_batch(tmp_path / "in", tmp_path / "plain", BatchTask("deconv", {
        "kernel": tmp_path / "k.npy", "min_noise": 0.0}), client=client, suffix=".png",
        progress=False)
    assert plain[0]["status"] == "done"
    assert np.abs(io.read_image(tmp_path / "plain" / "photo.png") - single).max() > 2 / 255


def test_batch_deblur_takes_the_safeguard_as_deblur_does(tmp_path, camera_small, client):
    """``--safeguard fallback`` reaches deblur: the folder's result is deblur's with it."""
    from proxdeblur import deblur
    from proxdeblur.cli.batch import _task
    from proxdeblur.cli.parser import build_parser

    (tmp_path / "in").mkdir()
    blurred = np.clip(fftconvolve(camera_small, motion_kernel(7), mode="same"), 0, 1)
    io.write_image(tmp_path / "in" / "photo.png", blurred, bit_depth=16)
    args = build_parser().parse_args(["batch", str(tmp_path / "in"), str(tmp_path / "out"),
                                      "--task", "deblur", "--kernel-size", "9",
                                      "--safeguard", "fallback"])
    task = _task(args)
    assert task.options["safeguard"] == "fallback"
    records = run_batch(tmp_path / "in", tmp_path / "out", task, client=client, suffix=".tif",
                        progress=False)
    assert [r["status"] for r in records] == ["done"]
    stored = io.read_image(tmp_path / "in" / "photo.png")
    expected, _, info = deblur(stored, 9, safeguard="fallback", warn=False)
    assert not np.isnan(info.check.agreement)  # the wider search ran
    np.testing.assert_allclose(io.read_image(tmp_path / "out" / "photo.tif"),
                               np.clip(expected, 0, 1), atol=1 / 65535)  # a 16-bit TIFF
    # the report says what deblur decided about the photograph
    verdict = records[0]["deblur"]
    assert verdict["check"]["agreement"] == pytest.approx(info.check.agreement)
    assert verdict["check"]["suspicious"] == info.check.suspicious
    assert verdict["fallback"] == info.fallback and verdict["light_streak"] is None
    assert verdict["warnings"] == info.warnings
    json.dumps(records)  # the report is written as JSON


def test_batch_report_names_the_light_streak_a_night_photograph_followed(tmp_path, client):
    from .blind.test_streaks import SUPPORT, THREE_LIGHTS, night_scene, photograph

    (tmp_path / "in").mkdir()
    night = photograph(*night_scene(THREE_LIGHTS), motion_kernel(15, seed=7))
    io.write_image(tmp_path / "in" / "night.png", night, bit_depth=16)
    records = run_batch(tmp_path / "in", tmp_path / "out",
                        BatchTask("deblur", {"kernel_size": SUPPORT, "safeguard": "off"}),
                        client=client, progress=False)
    assert records[0]["status"] == "done"
    streak = records[0]["deblur"]["light_streak"]
    assert streak is not None and streak["partners"] == 2
    assert records[0]["deblur"]["check"] is None
