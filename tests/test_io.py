import numpy as np
import pytest
import scipy.io

from proxdeblur import ImageFileError, InvalidArgumentError, io


@pytest.mark.parametrize("suffix, bit_depth", [(".png", 8), (".png", 16), (".tif", 8),
                                                (".tif", 16), (".bmp", 8)])
@pytest.mark.parametrize("colour", [False, True])
def test_image_round_trip(tmp_path, suffix, bit_depth, colour, rng):
    image = rng.random((9, 13, 3) if colour else (9, 13))
    path = tmp_path / f"image{suffix}"
    io.write_image(path, image, bit_depth=bit_depth)
    back = io.read_image(path)
    assert back.shape == image.shape and back.dtype == np.float64
    assert np.abs(back - image).max() <= 0.5 / (255 if bit_depth == 8 else 65535) + 1e-12


def test_jpeg_round_trip_is_close(tmp_path, rng):
    image = np.tile(np.linspace(0, 1, 32), (32, 1))
    io.write_image(tmp_path / "a.jpg", image)
    assert np.abs(io.read_image(tmp_path / "a.jpg") - image).mean() < 0.02


def test_alpha_is_dropped(tmp_path):
    import imageio.v3 as iio

    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    iio.imwrite(tmp_path / "rgba.png", rgba)
    assert io.read_image(tmp_path / "rgba.png").shape == (4, 5, 3)


def test_write_clips_and_leaves_no_temporary_files(tmp_path):
    io.write_image(tmp_path / "out.png", np.array([[-1.0, 0.5], [2.0, 1.0]]))
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]
    np.testing.assert_allclose(io.read_image(tmp_path / "out.png"), [[0, 128 / 255], [1, 1]])


def test_unreadable_files(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ImageFileError, match="not a readable image"):
        io.read_image(tmp_path / "bad.png")
    with pytest.raises(ImageFileError, match="no such file"):
        io.read_image(tmp_path / "missing.png")


@pytest.mark.parametrize("suffix", [".npy", ".txt", ".csv", ".mat", ".png"])
def test_kernel_round_trip(tmp_path, suffix, rng):
    kernel = rng.random((5, 7))
    kernel /= kernel.sum()
    path = tmp_path / f"k{suffix}"
    io.write_kernel(path, kernel)
    back = io.read_kernel(path)
    assert back.shape == kernel.shape and back.sum() == pytest.approx(1.0)
    tolerance = 1e-2 if suffix == ".png" else 1e-12
    np.testing.assert_allclose(back / back.max(), kernel / kernel.max(), atol=tolerance)


def test_kernel_from_mat_with_several_variables(tmp_path):
    scipy.io.savemat(tmp_path / "k.mat", {"f": np.ones((3, 3)), "g": np.ones((5, 5))})
    with pytest.raises(ImageFileError, match="exactly one"):
        io.read_kernel(tmp_path / "k.mat")
    assert io.read_kernel(tmp_path / "k.mat", variable="g").shape == (5, 5)


@pytest.mark.parametrize("array, message", [
    (np.ones((4, 4)), "odd"),
    (-np.ones((3, 3)), "non-negative"),
    (np.zeros((3, 3)), "positive sum"),
])
def test_invalid_kernel_files(tmp_path, array, message):
    np.save(tmp_path / "k.npy", array)
    with pytest.raises(ImageFileError, match=message):
        io.read_kernel(tmp_path / "k.npy")


def test_bad_write_arguments(tmp_path):
    with pytest.raises(InvalidArgumentError, match="bit_depth"):
        io.write_image(tmp_path / "a.jpg", np.zeros((4, 4)), bit_depth=16)
    with pytest.raises(InvalidArgumentError, match="^path:"):
        io.write_image(tmp_path / "a.xyz", np.zeros((4, 4)))
    with pytest.raises(InvalidArgumentError, match="^image:"):
        io.write_image(tmp_path / "a.png", np.full((4, 4), np.nan))


@pytest.mark.parametrize("shape", [(37, 23), (37, 23, 3), (1, 5)])
def test_blockwise_quantization_equals_the_whole_array_formula(monkeypatch, shape):
    """Writing quantizes a few rows at a time (bounded memory) to the same codes as
    round(clip(x, 0, 1) · peak), ties to even included."""
    import proxdeblur.io as io_module

    monkeypatch.setattr(io_module, "QUANTIZE_BLOCK", 50)  # several blocks, a ragged last one
    rng = np.random.default_rng(3)
    x = rng.random(shape) * 1.4 - 0.2
    x.flat[:3] = [0.5 / 255, 1.5 / 255, 2.5 / 255]  # exact ties
    for peak, dtype in ((255, np.uint8), (65535, np.uint16)):
        expected = np.round(np.clip(x, 0, 1) * peak).astype(dtype)
        np.testing.assert_array_equal(io_module._quantize(x, peak, dtype), expected)
