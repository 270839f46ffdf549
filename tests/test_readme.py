"""Every Python snippet of the README runs, in order, as a user would paste them."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
WEIGHTS = Path(__file__).resolve().parent.parent / "proxdeblur" / "priors" / "weights"


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_has_snippets():
    assert len(_snippets()) >= 5


def test_every_readme_snippet_runs(tmp_path, monkeypatch):
    """The files and arrays the snippets name are made first: a blurred photograph and its
    kernel (``blurred.png``, ``kernel.png``), a weights file, and ``noisy``, ``y``, ``grad_y``."""
    from skimage import data

    from proxdeblur import Convolution, io
    from proxdeblur.kernels import motion_kernel

    monkeypatch.chdir(tmp_path)
    sharp = data.camera()[120:300, 160:340] / 255.0
    kernel = motion_kernel(9, seed=3)
    blurred = Convolution(kernel, "valid").forward(sharp)
    blurred += 0.005 * np.random.default_rng(0).standard_normal(blurred.shape)
    io.write_image("blurred.png", np.clip(blurred, 0, 1))
    io.write_kernel("kernel.npy", kernel)
    io.write_image("kernel.png", kernel / kernel.max())
    shutil.copy(WEIGHTS / "dncnn_gray.pt", "my_dncnn.pt")
    namespace = {
        "noisy": sharp + 0.1 * np.random.default_rng(1).standard_normal(sharp.shape),
        "y": blurred,
        "grad_y": np.diff(blurred, axis=1, append=blurred[:, :1]),
    }
    for index, snippet in enumerate(_snippets()):
        try:
            exec(compile(snippet, f"README python snippet {index + 1}", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - report which snippet failed
            pytest.fail(f"README python snippet {index + 1} failed: {exc!r}\n{snippet}")
