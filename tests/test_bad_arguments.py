"""The public functions' bad-argument matrix: each bad value raises InvalidArgumentError
(a ValueError) whose message starts with the argument's name, before any work."""

import warnings

import numpy as np
import pytest

from proxdeblur import InvalidArgumentError, deblur, deconvolve, denoise, estimate_kernel
from proxdeblur.kernels import motion_kernel

IMAGE = np.random.default_rng(0).random((48, 48))
KERNEL = motion_kernel(5, seed=1)
NAN = IMAGE.copy()
NAN[3, 3] = np.nan

CASES = [
    ("image", lambda: deconvolve(NAN, KERNEL)),
    ("image", lambda: deconvolve(IMAGE * 255, KERNEL)),
    ("image", lambda: deconvolve(np.zeros((4, 4, 4, 4)), KERNEL)),
    ("image", lambda: deconvolve("an image", KERNEL)),
    ("kernel", lambda: deconvolve(IMAGE, np.ones((4, 4)))),
    ("kernel", lambda: deconvolve(IMAGE, -KERNEL)),
    ("kernel", lambda: deconvolve(IMAGE, np.ones((51, 51)))),
    ("prior", lambda: deconvolve(IMAGE, KERNEL, prior="nope")),
    ("prior", lambda: deconvolve(IMAGE, KERNEL, prior=3)),
    ("lam", lambda: deconvolve(IMAGE, KERNEL, lam=-1)),
    ("p", lambda: deconvolve(IMAGE, KERNEL, p=2)),
    ("max_iter", lambda: deconvolve(IMAGE, KERNEL, max_iter=0)),
    ("boundary", lambda: deconvolve(IMAGE, KERNEL, boundary="nope")),
    ("rho", lambda: deconvolve(IMAGE, KERNEL, rho=(1.0, 0.1))),
    ("kernel_size", lambda: deblur(IMAGE, 8)),
    ("kernel_size", lambda: deblur(IMAGE, 17)),
    ("lam", lambda: deblur(IMAGE, 5, deconvolve_options={"lam": 0})),
    ("kernel_region", lambda: deblur(IMAGE, 5, kernel_region="big")),
    ("kernel_region", lambda: deblur(IMAGE, 5, kernel_region=14)),
    ("kernel_region", lambda: deblur(IMAGE, 5, kernel_region=True)),
    ("kernel_region", lambda: deblur(IMAGE, 5, kernel_region=40.0)),
    ("deconvolve_options", lambda: deblur(IMAGE, 5, deconvolve_options={"colour": 1})),
    ("light_streaks", lambda: deblur(IMAGE, 5, light_streaks="yes")),
    ("streak_weight", lambda: estimate_kernel(IMAGE, 5, streak_weight=-0.1)),
    ("noise", lambda: estimate_kernel(IMAGE, 5, noise=-1)),
    ("colour", lambda: estimate_kernel(IMAGE, 5, colour=1)),
    ("image_step", lambda: estimate_kernel(IMAGE, 5, image_step="l2")),
    ("image", lambda: estimate_kernel(np.full((48, 48), 0.5), 5)),
    ("sigma", lambda: denoise(IMAGE, 0.5)),
    ("sigma", lambda: denoise(IMAGE, -0.1)),
    ("denoiser", lambda: denoise(IMAGE, 0.1, denoiser="nope")),
]


@pytest.mark.parametrize("argument, call", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_bad_arguments_name_themselves(argument, call):
    with pytest.raises(InvalidArgumentError, match=f"^{argument}:"):
        call()


def test_deblur_checks_the_final_step_before_estimating_the_kernel(monkeypatch):
    import proxdeblur.deblurring as deblurring

    def estimate(*args, **kwargs):
        raise AssertionError("the kernel estimate ran before the options were checked")

    monkeypatch.setattr(deblurring, "estimate_kernel", estimate)
    with pytest.raises(InvalidArgumentError, match="^lam:"):
        deblur(IMAGE, 5, deconvolve_options={"lam": -1})


def test_a_narrow_gray_image_raises_no_warning():
    """A gray image three pixels wide is not a colour image: no scikit-image warning."""
    narrow = np.random.default_rng(1).random((40, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        deconvolve(narrow, np.ones((3, 3)) / 9, max_iter=2)
