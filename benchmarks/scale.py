"""Time and peak memory against megapixels, as a user runs the commands.

    python benchmarks/scale.py --out /tmp/scale [--megapixels 1,3,12] [--tasks deconv,deblur,
        denoise,restore,richardson_lucy] [--repeat 1] [--record FILE] [--batch 20]

For each size a colour photograph (scikit-image's astronaut, resized to 4:3 of that
many megapixels) is blurred by a 25×25 camera-shake kernel with the "valid" model,
gets 1 % Gaussian noise and is written as an 8-bit PNG, the kernel as ``.npy``.
Each task runs in a fresh process under GNU ``time -v`` (wall seconds and maximum
resident set size, the figures a user sees), the median of ``--repeat``:

* ``deconv`` — ``proxdeblur deconv IMG -k K -o OUT`` (hyper-Laplacian HQS);
* ``deblur`` — ``proxdeblur deblur IMG --kernel-size 25 -o OUT``;
* ``denoise`` — ``proxdeblur denoise IMG -o OUT --sigma 2.55`` (the default denoiser);
* ``restore`` — ``proxdeblur restore IMG -o OUT`` (the bundled DMPHN);
* ``pnp`` (only when named) — ``proxdeblur deconv IMG -k K -o OUT --prior dncnn+drunet``;
* ``richardson_lucy`` — scikit-image's ``richardson_lucy``, 30 iterations, float32, per
  channel, reading and writing the same files: the baseline of the ratios.

``--batch N`` (``--megapixels`` may then be empty) measures folders instead: N small colour
photographs (0.25 MP, each blurred by its own shake kernel, the same kernel file for all as a
user with one camera would pass it) deconvolved by a plain Python loop over the library in one
process (the baseline), and by ``proxdeblur batch --task deconv`` with 1 and 2 workers; images
per second, the speed-up over the loop, and the overhead per image of going through the
cluster: the wall time not spent in the images' own work (the report's seconds, divided among
the workers) over N — start-up, scheduling, transfers, the last image's tail.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

from _report import print_and_record

KERNEL = 25
TASKS = ("deconv", "deblur", "denoise", "restore", "richardson_lucy", "pnp")
#: What runs unless ``--tasks`` says otherwise (PnP takes minutes per megapixel).
DEFAULT_TASKS = TASKS[:-1]

RICHARDSON_LUCY = """
import sys, numpy as np
from skimage.restoration import richardson_lucy
from proxdeblur import io
image = io.read_image(sys.argv[1]).astype(np.float32)
kernel = np.load(sys.argv[2]).astype(np.float32)
out = np.stack([richardson_lucy(image[..., c], kernel, num_iter=30, clip=True)
                for c in range(image.shape[2])], axis=-1)
io.write_image(sys.argv[3], out)
"""


def make_photograph(folder: Path, megapixels: float) -> tuple[Path, Path]:
    """The blurred colour PNG and the kernel of one size (module docstring)."""
    import numpy as np
    from scipy.signal import fftconvolve
    from skimage import data, transform

    from proxdeblur import io
    from proxdeblur.kernels import motion_kernel

    image_path = folder / f"photo_{megapixels:g}mp.png"
    kernel_path = folder / "kernel25.npy"
    kernel = motion_kernel(KERNEL, seed=1)
    np.save(kernel_path, kernel)
    if image_path.exists():
        return image_path, kernel_path
    width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    height = int(round(width * 3 / 4))
    scene = transform.resize(data.astronaut() / 255.0, (height + KERNEL - 1, width + KERNEL - 1),
                             order=1).astype(np.float32)
    rng = np.random.default_rng(0)
    blurred = np.stack([fftconvolve(scene[..., c], kernel.astype(np.float32), mode="valid")
                        for c in range(3)], axis=-1)
    blurred += 0.01 * rng.standard_normal(blurred.shape, dtype=np.float32)
    io.write_image(image_path, np.clip(blurred, 0, 1))
    return image_path, kernel_path


PLAIN_LOOP = """
import sys, numpy as np
from pathlib import Path
from proxdeblur import deconvolve, io
kernel = io.read_kernel(sys.argv[2])
for path in sorted(Path(sys.argv[1]).glob("*.png")):
    io.write_image(Path(sys.argv[3]) / path.name, deconvolve(io.read_image(path), kernel))
"""
BATCH_MEGAPIXELS = 0.25


def make_folder(folder: Path, count: int) -> tuple[Path, Path]:
    """``count`` small blurred colour photographs (module docstring) and the kernel file."""
    import numpy as np
    from scipy.signal import fftconvolve
    from skimage import data, transform

    from proxdeblur import io
    from proxdeblur.kernels import motion_kernel

    images = folder / f"batch_{count}"
    kernel = motion_kernel(15, seed=2)
    np.save(folder / "kernel15.npy", kernel)
    if images.is_dir() and len(list(images.glob("*.png"))) == count:
        return images, folder / "kernel15.npy"
    images.mkdir(parents=True, exist_ok=True)
    width = int(round((BATCH_MEGAPIXELS * 1e6 * 4 / 3) ** 0.5))
    height = int(round(width * 3 / 4))
    sources = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    rng = np.random.default_rng(0)
    for i in range(count):
        scene = transform.resize(sources[i % len(sources)] / 255.0, (height + 14, width + 14),
                                 order=1)[:: (-1) ** (i // 4)]
        blurred = np.stack([fftconvolve(scene[..., c], kernel, mode="valid") for c in range(3)],
                           axis=-1) + 0.01 * rng.standard_normal((height, width, 3))
        io.write_image(images / f"photo{i:03d}.png", np.clip(blurred, 0, 1))
    return images, folder / "kernel15.npy"


def measure_batch(folder: Path, count: int) -> dict:
    """Images per second of the plain loop and of ``batch`` with 1 and 2 workers."""
    import shutil

    images, kernel = make_folder(folder, count)
    row = {"images": count, "megapixels_each": BATCH_MEGAPIXELS}
    runs = {"loop": [sys.executable, "-c", PLAIN_LOOP, str(images), str(kernel)]}
    for workers in (1, 2):
        runs[f"batch_{workers}"] = ["proxdeblur", "batch", str(images), "OUT", "--task", "deconv",
                                    "--kernel", str(kernel), "--workers", str(workers), "-q"]
    for name, argv in runs.items():
        out = folder / f"out_{name}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        argv = [str(out) if a == "OUT" else a for a in argv] + ([str(out)] if name == "loop" else [])
        seconds, peak = measure(argv)
        row[name] = {"seconds": seconds, "images_per_second": count / seconds, "peak_gib": peak}
        print(f"{name}: {seconds:.1f} s, {count / seconds:.2f} images/s, {peak:.2f} GiB", flush=True)
    for workers in (1, 2):
        run = row[f"batch_{workers}"]
        run["speedup_over_loop"] = row["loop"]["seconds"] / run["seconds"]
        report = json.loads((folder / f"out_batch_{workers}" / "batch_report.json").read_text())
        busy = sum(r["seconds"] for r in report["records"])
        # wall time not spent in the images' own work: start-up, scheduling, the tail
        run["overhead_seconds_per_image"] = (run["seconds"] - busy / workers) / count
    row["batch_1_minus_loop_per_image"] = (row["batch_1"]["seconds"] - row["loop"]["seconds"]) / count
    return row


def command(task: str, image: Path, kernel: Path, out: Path) -> list[str]:
    if task == "richardson_lucy":
        return [sys.executable, "-c", RICHARDSON_LUCY, str(image), str(kernel), str(out)]
    base = ["proxdeblur", task, str(image), "-o", str(out), "--force"]
    if task == "deconv":
        return base + ["-k", str(kernel)]
    if task == "deblur":
        return base + ["--kernel-size", str(KERNEL)]
    if task == "denoise":  # the photographs' 1 % noise, on the 0-255 scale
        return base + ["--sigma", "2.55"]
    if task == "pnp":
        return ["proxdeblur", "deconv", str(image), "-o", str(out), "--force", "-k", str(kernel),
                "--prior", "dncnn+drunet"]
    return base


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident GiB of one process under GNU time."""
    done = subprocess.run(["/usr/bin/time", "-v", *argv], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return 3600 * hours + 60 * minutes + seconds, rss / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="working folder (created)")
    parser.add_argument("--megapixels", default="1,3,12")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--record", type=Path, default=None)
    parser.add_argument("--batch", type=int, default=0, metavar="N",
                        help="also measure proxdeblur batch on N small images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tasks = args.tasks.split(",")
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"--tasks: unknown {unknown} (known: {', '.join(TASKS)})")
    rows = []
    for megapixels in (float(m) for m in args.megapixels.split(",") if m):
        image, kernel = make_photograph(args.out, megapixels)
        row = {"megapixels": megapixels}
        for task in tasks:
            runs = [measure(command(task, image, kernel, args.out / f"{task}_{megapixels:g}.png"))
                    for _ in range(max(1, args.repeat))]
            row[task] = {"seconds": statistics.median(r[0] for r in runs),
                         "peak_gib": max(r[1] for r in runs)}
            print(f"{megapixels:g} MP {task}: {row[task]['seconds']:.1f} s, "
                  f"{row[task]['peak_gib']:.2f} GiB", flush=True)
        if "richardson_lucy" in row:
            for task in tasks:
                row[task]["ratio_to_richardson_lucy"] = (row[task]["seconds"]
                                                         / row["richardson_lucy"]["seconds"])
        rows.append(row)
    summary = {"tasks": tasks, "repeat": args.repeat, "kernel": KERNEL}
    if args.batch:
        summary["batch"] = measure_batch(args.out, args.batch)
    print_and_record(rows, summary, args.record)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
