"""The do-no-harm check and deblur's fallbacks."""

import numpy as np
import pytest

from proxdeblur import Convolution, deconvolve
from proxdeblur.kernels import motion_kernel
from proxdeblur.safeguard import (
    AGREEMENT_LIMIT,
    AGREEMENT_MARGIN,
    AGREEMENT_OPTIONS,
    RESIDUAL_LIMIT,
    RINGING_LIMIT,
    check_restoration,
)


def _blurred_scene():
    from skimage import data, transform

    sharp = transform.resize(data.camera() / 255.0, (192, 192), anti_aliasing=True)
    kernel = motion_kernel(15, seed=3, length=12)
    blurred = Convolution(kernel, "valid").forward(sharp)
    blurred = blurred + 0.005 * np.random.default_rng(0).standard_normal(blurred.shape)
    return blurred, kernel


def _wrong(kernel):
    """The kernel turned by a quarter and shifted: a plausible stroke, the wrong one."""
    return np.roll(np.rot90(kernel), 3, axis=1)


def test_check_is_quiet_on_the_right_kernel_and_fires_on_a_wrong_one():
    blurred, kernel = _blurred_scene()
    right = check_restoration(blurred, deconvolve(blurred, kernel), kernel)
    assert not right.suspicious and right.reasons == []
    assert right.ringing < RINGING_LIMIT and right.residual < RESIDUAL_LIMIT
    wrong_kernel = _wrong(kernel)
    wrong = check_restoration(blurred, deconvolve(blurred, wrong_kernel), wrong_kernel)
    assert wrong.suspicious and wrong.reasons
    assert wrong.residual > right.residual and wrong.ringing > right.ringing


def test_check_fires_when_a_wider_search_disagrees_with_the_kernel():
    blurred, kernel = _blurred_scene()
    restored = deconvolve(blurred, kernel)
    unmeasured = check_restoration(blurred, restored, kernel)
    assert np.isnan(unmeasured.agreement) and not unmeasured.suspicious
    padded = np.pad(kernel, 5)  # the same kernel found in a wider window
    agreeing = check_restoration(blurred, restored, kernel, second_kernel=padded)
    assert agreeing.agreement == pytest.approx(1.0) and not agreeing.suspicious
    other = check_restoration(blurred, restored, kernel, second_kernel=np.pad(_wrong(kernel), 5))
    assert other.agreement < AGREEMENT_LIMIT and other.suspicious
    assert other.reasons == [r for r in other.reasons if "wider search" in r]


def test_identity_restoration_is_not_suspicious():
    blurred, kernel = _blurred_scene()
    check = check_restoration(blurred, blurred, np.ones((1, 1)))
    assert check.ringing == pytest.approx(1.0) and not check.suspicious


def test_deblur_falls_back_when_the_check_fires(monkeypatch):
    """A wrong kernel from the estimate: deblur restores again with a stronger prior or
    returns the input, and says so with safeguard="fallback"; the default reports the
    verdict and keeps the restoration; "off" does not check."""
    import proxdeblur.deblurring as deblurring
    from proxdeblur import deblur

    blurred, kernel = _blurred_scene()
    wrong_kernel = _wrong(kernel)
    real = deblurring.estimate_kernel

    def wrong_estimate(image, size, **options):
        _, estimate = real(image, size, **{**options, "max_iter": 1, "settle_max_iter": 0})
        return wrong_kernel, estimate

    monkeypatch.setattr(deblurring, "estimate_kernel", wrong_estimate)
    unguarded, _, info = deblur(blurred, 15, safeguard="off", warn=False)
    assert info.check is None and info.fallback is None
    np.testing.assert_array_equal(unguarded, deconvolve(blurred, wrong_kernel))
    with pytest.warns(deblurring.BlindDeblurWarning, match="may be worse"):
        reported, _, info = deblur(blurred, 15)  # the default reports, changes nothing
    assert info.check.suspicious and info.fallback is None
    np.testing.assert_array_equal(reported, unguarded)
    with pytest.warns(deblurring.BlindDeblurWarning, match="looked"):
        guarded, _, info = deblur(blurred, 15, safeguard="fallback")
    assert info.check.suspicious and info.fallback in ("stronger-prior", "input")
    if info.fallback == "input":
        np.testing.assert_array_equal(guarded, blurred)
    else:
        assert not np.array_equal(guarded, unguarded)


def test_deblur_returns_the_input_when_the_wider_search_disagrees(monkeypatch):
    """Under safeguard="fallback" the kernel is estimated again with a support wider by
    AGREEMENT_MARGIN; two kernels that disagree make deblur return the input, since a
    stronger prior cannot mend the kernel. The default does not pay for the second
    estimate."""
    import proxdeblur.deblurring as deblurring
    from proxdeblur import deblur

    blurred, kernel = _blurred_scene()
    real, sizes, settling = deblurring.estimate_kernel, [], []

    def estimate(image, size, **options):
        sizes.append(size)
        settling.append(options.get("settle_max_iter"))
        _, info = real(image, size, **{**options, "max_iter": 1, "settle_max_iter": 0})
        return (kernel if len(sizes) == 1 else np.pad(_wrong(kernel), 5)), info

    monkeypatch.setattr(deblurring, "estimate_kernel", estimate)
    with pytest.warns(deblurring.BlindDeblurWarning, match="wider search"):
        guarded, found, info = deblur(blurred, 15, safeguard="fallback")
    assert sizes == [15, (15 + AGREEMENT_MARGIN,) * 2]
    assert settling == [None, AGREEMENT_OPTIONS["settle_max_iter"]]  # the second: unsettled
    np.testing.assert_array_equal(found, kernel)
    assert info.check.agreement < AGREEMENT_LIMIT and info.fallback == "input"
    np.testing.assert_array_equal(guarded, blurred)
    sizes.clear()
    _, _, info = deblur(blurred, 15, warn=False)  # "report": one estimate, no agreement
    assert len(sizes) == 1 and np.isnan(info.check.agreement)


def test_cli_deblur_reports_the_check(tmp_path, capsys):
    from proxdeblur import io
    from proxdeblur.cli import main

    blurred, _ = _blurred_scene()
    io.write_image(tmp_path / "in.png", np.clip(blurred, 0, 1))
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "15"]) == 0
    out = capsys.readouterr().out
    assert "do-no-harm check: ringing" in out and "noise levels:" in out
    assert main(["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"),
                 "--kernel-size", "15", "--force", "--safeguard", "off"]) == 0
    assert "do-no-harm" not in capsys.readouterr().out
    with pytest.raises(Exception, match="safeguard"):
        from proxdeblur import deblur

        deblur(blurred, 15, safeguard="always")


def test_residual_reblurs_in_linear_light_and_compares_stored_values():
    """A photograph blurred in linear light and stored through sRGB: its sharp image,
    re-blurred in linear light and encoded again, explains it exactly (residual 0, grey
    and colour); re-blurred on the stored values it misses by the tone curve's misfit."""
    from skimage import data, transform

    from proxdeblur.camera import LUMINANCE, from_linear, to_linear

    kernel = motion_kernel(15, seed=3, length=12)
    colour = transform.resize(data.astronaut() / 255.0, (160, 160), anti_aliasing=True)
    for sharp in (colour @ LUMINANCE, colour):
        channels = [to_linear(sharp)] if sharp.ndim == 2 else [
            to_linear(sharp[..., c]) for c in range(3)]
        linear_blur = np.stack([Convolution(kernel, "circular").forward(c) for c in channels], -1)
        stored = from_linear(np.squeeze(linear_blur, -1) if sharp.ndim == 2 else linear_blur)
        in_light = check_restoration(stored, sharp, kernel, tone_curve="srgb")
        as_stored = check_restoration(stored, sharp, kernel)
        assert in_light.residual < 1e-6
        assert as_stored.residual > 0.5
        assert in_light.ringing == as_stored.ringing  # measured on the stored values alike
