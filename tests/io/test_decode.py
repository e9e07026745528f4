"""File decoding: formats, modes, orientation, alpha, bit depth, and every kind of bad file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spotdiff import ImageReadError
from spotdiff.io import pil_to_array, read_image

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tiff", ".webp"])
def test_lossless_formats_round_trip(tmp_path, suffix):
    path = tmp_path / f"img{suffix}"
    kwargs = {"lossless": True} if suffix == ".webp" else {}
    Image.fromarray(RGB).save(path, **kwargs)
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == (12, 16, 3)
    np.testing.assert_array_equal(out, RGB)


def test_jpeg_decodes_close(tmp_path):
    smooth = np.tile(np.linspace(0, 255, 16, dtype=np.uint8)[None, :, None], (12, 1, 3))
    Image.fromarray(smooth).save(tmp_path / "a.jpg", quality=95)
    out = read_image(tmp_path / "a.jpg")
    assert np.abs(out.astype(int) - smooth).max() <= 8


def test_float32_output_in_unit_range(tmp_path):
    Image.fromarray(RGB).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png", dtype="float32")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, RGB / 255.0, atol=1e-6)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(RGB)  # 16 wide, 12 high
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    image.save(tmp_path / "o.jpg", exif=exif, quality=100)
    out = read_image(tmp_path / "o.jpg")
    assert out.shape == (16, 12, 3)


def test_alpha_composited_over_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200  # red channel
    rgba[:2, :, 3] = 255  # top half opaque, bottom transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(out[0, 0], [200, 0, 0])
    np.testing.assert_array_equal(out[3, 3], [255, 255, 255])
    black = read_image(tmp_path / "a.png", background=(0, 0, 0))
    np.testing.assert_array_equal(black[3, 3], [0, 0, 0])


def test_palette_with_transparency(tmp_path):
    image = Image.new("P", (4, 4), 0)
    image.putpalette([10, 20, 30, 250, 0, 0] + [0] * 762)
    image.putpixel((0, 0), 1)
    image.info["transparency"] = 0
    image.save(tmp_path / "p.png", transparency=0)
    out = read_image(tmp_path / "p.png")
    np.testing.assert_array_equal(out[0, 0], [250, 0, 0])
    np.testing.assert_array_equal(out[1, 1], [255, 255, 255])  # transparent index -> background


def test_grayscale_and_one_bit(tmp_path):
    gray = RNG.integers(0, 256, size=(5, 6), dtype=np.uint8)
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    out = read_image(tmp_path / "g.png")
    assert out.shape == (5, 6, 3)
    np.testing.assert_array_equal(out[..., 1], gray)
    Image.fromarray(gray > 127).save(tmp_path / "b.png")
    bits = read_image(tmp_path / "b.png")
    np.testing.assert_array_equal(bits[..., 0], np.where(gray > 127, 255, 0))


def test_cmyk_converted(tmp_path):
    Image.new("CMYK", (3, 3), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=100)
    out = read_image(tmp_path / "c.jpg")
    assert out.shape == (3, 3, 3)
    assert out[1, 1, 0] > 200 and out[1, 1, 1] < 60 and out[1, 1, 2] < 60  # red


def test_16bit_gray_keeps_precision_in_float(tmp_path):
    import cv2

    gray = np.array([[0, 1, 257, 65535]], dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), gray)
    out = read_image(tmp_path / "g16.png", dtype="float32")
    np.testing.assert_allclose(out[0, :, 0], gray[0] / 65535.0, atol=1e-7)
    assert out[0, 1, 0] > 0  # a value lost in 8 bits survives
    assert read_image(tmp_path / "g16.png")[0, 3, 0] == 255


def test_16bit_colour_png_keeps_precision_in_float(tmp_path):
    import cv2

    rgb16 = np.zeros((2, 2, 3), np.uint16)
    rgb16[0, 0] = (1000, 2000, 3000)
    cv2.imwrite(str(tmp_path / "c16.png"), rgb16[..., ::-1])
    out = read_image(tmp_path / "c16.png", dtype="float32")
    np.testing.assert_allclose(out[0, 0], np.array([1000, 2000, 3000]) / 65535.0, atol=1e-7)


def test_pil_image_input():
    out = pil_to_array(Image.fromarray(RGB))
    np.testing.assert_array_equal(out, RGB)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"this is not an image at all", "not an image"),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path, content, match):
    path = tmp_path / "bad.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=match) as info:
        read_image(path)
    assert "bad.png" in str(info.value)


def test_truncated_file(tmp_path):
    Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "t.png")
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="corrupt or truncated"):
        read_image(tmp_path / "t.png")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(ImageReadError, match="is a directory"):
        read_image(tmp_path)


def test_decompression_bomb_guard(tmp_path):
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError, match="decompression-bomb"):
        read_image(tmp_path / "big.png", max_pixels=5_000)
    assert read_image(tmp_path / "big.png", max_pixels=None).shape == (100, 100, 3)


def test_error_types_are_value_errors(tmp_path):
    with pytest.raises(ValueError):
        read_image(tmp_path / "missing.png")
