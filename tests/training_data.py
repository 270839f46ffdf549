"""Small image folders for the trainers' tests (users' data folders are not needed)."""

import numpy as np

from proxdeblur import io


def smooth_image_folder(folder, seed: int, count: int = 6, scale: int = 1):
    """``count`` random smooth gray PNGs (integrated noise, 40·``scale`` px square, each
    pixel repeated ``scale`` × ``scale`` times) written into the new ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    for i in range(count):
        smooth = np.cumsum(np.cumsum(rng.standard_normal((40, 40)), 0), 1)
        smooth = (smooth - smooth.min()) / np.ptp(smooth)
        io.write_image(folder / f"{i}.png", np.kron(smooth, np.ones((scale, scale))))
    return folder
