"""File decoding: formats, modes, orientation, alpha, bit depth, and every kind of bad file."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest
from PIL import Image

from spotdiff import ImageReadError, InvalidOptionError, SpotdiffWarning
from spotdiff.io import pil_to_array, read_image, read_image_reduced

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


# --- reduced decoding (max_side) -----------------------------------------------------------------


def test_large_jpeg_decodes_reduced_with_its_original_size(tmp_path):
    ramp = np.linspace(0, 255, 6000, dtype=np.float32).astype(np.uint8)
    big = np.empty((4000, 6000, 3), np.uint8)
    big[...] = ramp[None, :, None]
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=80)
    reduced = read_image_reduced(tmp_path / "big.jpg", max_side=1024)
    height, width = reduced.image.shape[:2]
    assert 1024 <= max(height, width) < 2048
    assert (width, height) == (1500, 1000)  # 1/4 scale in the JPEG decoder
    assert reduced.original_size == (6000, 4000)
    assert reduced.scale == (4.0, 4.0)
    assert np.abs(reduced.image[500, ::150, 0].astype(int) - ramp[::600]).max() <= 8
    assert read_image(tmp_path / "big.jpg", max_side=1024).shape == (1000, 1500, 3)


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((800, 600), 1024, (800, 600)),  # not larger: full size
        ((2048, 1000), 1024, (1024, 500)),  # exactly twice: 1/2
        ((2047, 1000), 1024, (1024, 500)),  # 1/2 rounds up to 1024
        ((2046, 1000), 1024, (2046, 1000)),  # 1/2 would fall below max_side
        ((3000, 100), 1000, (1500, 50)),  # JPEG scales by powers of two: 1/2, not 1/3
        ((9000, 4000), 500, (563, 250)),  # JPEG 1/8 = 1125 wide, then reduce(2)
    ],
)
def test_reduced_jpeg_sizes(tmp_path, size, max_side, expected):
    Image.new("RGB", size, (10, 200, 30)).save(tmp_path / "a.jpg")
    reduced = read_image_reduced(tmp_path / "a.jpg", max_side=max_side)
    assert (reduced.image.shape[1], reduced.image.shape[0]) == expected
    assert max(expected) >= min(max_side, max(size))
    assert reduced.original_size == size


def test_reduced_png_is_a_block_mean_of_the_full_image(tmp_path):
    rng = np.random.default_rng(5)
    full = rng.integers(0, 256, (300, 450, 3), dtype=np.uint8)
    Image.fromarray(full).save(tmp_path / "a.png")
    reduced = read_image_reduced(tmp_path / "a.png", max_side=100)
    # the largest integer factor keeping the longer side >= 100 is 4 (450 / 4 -> 113)
    assert reduced.image.shape == (75, 113, 3) and reduced.original_size == (450, 300)
    block = full[:4, :4].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(reduced.image[0, 0], block, atol=1)


def test_reduced_palette_png_averages_colours_not_indices(tmp_path):
    image = Image.new("P", (40, 20), 0)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    for x in range(0, 40, 2):  # alternate columns black / white
        for y in range(20):
            image.putpixel((x, y), 1)
    image.save(tmp_path / "p.png")
    reduced = read_image_reduced(tmp_path / "p.png", max_side=20).image
    assert reduced.shape == (10, 20, 3)
    assert np.abs(reduced.astype(int) - 128).max() <= 1  # mean of black and white


def test_reduced_16bit_colour_keeps_precision(tmp_path):
    import cv2

    rgb16 = np.full((4, 6, 3), 1000, np.uint16)
    rgb16[:2, :2] = (1000, 2000, 3000)
    cv2.imwrite(str(tmp_path / "c16.png"), rgb16[..., ::-1])
    reduced = read_image_reduced(tmp_path / "c16.png", max_side=3, dtype="float32")
    assert reduced.image.shape == (2, 3, 3) and reduced.original_size == (6, 4)
    np.testing.assert_allclose(reduced.image[0, 0] * 65535, [1000, 2000, 3000], atol=0.1)


def test_reduced_keeps_exif_orientation_and_reports_the_displayed_size(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    Image.new("RGB", (4000, 1000), (0, 0, 255)).save(tmp_path / "o.jpg", exif=exif)
    reduced = read_image_reduced(tmp_path / "o.jpg", max_side=1000)
    assert reduced.image.shape == (1000, 250, 3)  # displayed 1000 wide, 4000 high; 1/4 scale
    assert reduced.original_size == (1000, 4000)


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "1024"])
def test_max_side_must_be_a_positive_integer(tmp_path, bad):
    Image.fromarray(RGB).save(tmp_path / "a.png")
    with pytest.raises(InvalidOptionError, match="max_side"):
        read_image(tmp_path / "a.png", max_side=bad)


# --- decompression bombs -------------------------------------------------------------------------


def test_pillow_bomb_warning_does_not_escape(tmp_path, monkeypatch):
    Image.new("RGB", (40, 40)).save(tmp_path / "a.png")
    Image.new("RGB", (40, 40)).save(tmp_path / "a.jpg")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1600 px: Pillow warns, below 2x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_image(tmp_path / "a.png").shape == (40, 40, 3)
        assert read_image(tmp_path / "a.jpg", max_side=10).shape == (10, 10, 3)


def test_above_pillows_limit_one_error_names_the_limit_and_how_to_raise_it(tmp_path, monkeypatch):
    Image.new("RGB", (50, 50)).save(tmp_path / "a.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 2500 px > 2 x 1000
    with pytest.raises(
        ImageReadError, match=r"a\.png: .*2,000 pixels.*PIL\.Image\.MAX_IMAGE_PIXELS"
    ):
        read_image(tmp_path / "a.png", max_pixels=None)


def test_own_guard_names_the_limit_and_both_ways_to_raise_it(tmp_path):
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    with pytest.raises(
        ImageReadError, match=r"10,000 pixels exceeds the limit of 5,000 pixels.*max_pixels=None"
    ):
        read_image(tmp_path / "big.png", max_pixels=5_000, max_side=10)


# --- Pillow's warnings on bad files --------------------------------------------------------------


def _exif(entries: list[bytes], count: int | None = None) -> bytes:
    """Raw little-endian EXIF: IFD0 with ``entries`` (12 bytes each, or cut short)."""
    ifd = struct.pack("<H", len(entries) if count is None else count) + b"".join(entries)
    return b"Exif\0\0II*\0" + struct.pack("<L", 8) + ifd + struct.pack("<L", 0)


ORIENT_6 = struct.pack("<HHL4s", 0x0112, 3, 1, b"\x06\0\0\0")
# an ImageDescription claiming 1000 bytes at offset 40: more than the EXIF block holds
DESCRIPTION_TOO_LONG = struct.pack("<HHLL", 0x010E, 2, 1000, 40)


@pytest.mark.parametrize(
    ("exif", "pillow_says", "shape", "note"),
    [
        (_exif([ORIENT_6, DESCRIPTION_TOO_LONG]), "Tag data larger", (16, 12, 3), "orientation 6"),
        (_exif([ORIENT_6], count=3), "Corrupt EXIF", (16, 12, 3), "orientation 6"),
        (_exif([ORIENT_6[:6]], count=1), "Corrupt EXIF", (12, 16, 3), "orientation ignored"),
    ],
)
@pytest.mark.parametrize("max_side", [None, 8])
def test_broken_exif_is_one_spotdiff_warning_naming_the_file(
    tmp_path, exif, pillow_says, shape, note, max_side
):
    Image.fromarray(RGB).save(tmp_path / "a.jpg", exif=exif)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Image.open(tmp_path / "a.jpg").getexif()  # Pillow itself warns on this file
    assert any(pillow_says in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = read_image(tmp_path / "a.jpg", max_side=max_side)
    assert [w.category for w in caught] == [SpotdiffWarning]
    message = str(caught[0].message)
    assert message.startswith(f"{tmp_path / 'a.jpg'}: EXIF data is corrupt")
    assert pillow_says in message and note in message
    assert out.shape == (shape if max_side is None else (shape[0] // 2, shape[1] // 2, 3))


def test_broken_exif_in_a_pil_image_is_one_spotdiff_warning(tmp_path):
    # a PNG's EXIF is parsed lazily: Pillow warns only when pil_to_array reads the orientation
    Image.fromarray(RGB).save(tmp_path / "a.png", exif=_exif([ORIENT_6, DESCRIPTION_TOO_LONG]))
    image = Image.open(tmp_path / "a.png")
    with pytest.warns(SpotdiffWarning, match="PIL image: EXIF data is corrupt") as caught:
        assert pil_to_array(image).shape == (16, 12, 3)
    assert len(caught) == 1


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_files_fail_with_one_error_and_no_warning(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for max_side in (None, 16):
            with pytest.raises(ImageReadError, match=f"t\\{suffix}: corrupt or truncated"):
                read_image(path, max_side=max_side)
    assert caught == []


def test_float_tiff_with_nan_names_the_file(tmp_path):
    values = np.array([[0.0, np.nan], [0.5, np.inf]], dtype=np.float32)
    Image.fromarray(values, "F").save(tmp_path / "f.tiff")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageReadError, match=r"f\.tiff: .*2 non-finite values"):
            read_image(tmp_path / "f.tiff")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
@pytest.mark.parametrize("max_side", [None, 8])
def test_decoded_arrays_are_writable(tmp_path, suffix, max_side):
    # regression: arrays were read-only views of Pillow's bytes (torch.from_numpy warned)
    Image.fromarray(RGB).save(tmp_path / f"a{suffix}")
    out = read_image(tmp_path / f"a{suffix}", max_side=max_side)
    assert out.flags.writeable and out.flags.c_contiguous
    out[0, 0] = 0


def test_16bit_colour_png_applies_exif_orientation(tmp_path):
    import zlib

    import cv2

    rgb16 = np.zeros((2, 4, 3), np.uint16)
    rgb16[0, 0] = (1000, 2000, 3000)
    cv2.imwrite(str(tmp_path / "c16.png"), rgb16[..., ::-1])
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display; an eXIf chunk before IDAT keeps the 16 bits
    data = exif.tobytes()
    chunk = struct.pack(">I", len(data)) + b"eXIf" + data
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + data) & 0xFFFFFFFF)
    png = (tmp_path / "c16.png").read_bytes()
    at = png.index(b"IDAT") - 4
    (tmp_path / "c16.png").write_bytes(png[:at] + chunk + png[at:])
    out = read_image_reduced(tmp_path / "c16.png", max_side=None, dtype="float32")
    assert out.image.shape == (4, 2, 3) and out.original_size == (2, 4)
    np.testing.assert_allclose(out.image[0, 1] * 65535, [1000, 2000, 3000], atol=0.1)
