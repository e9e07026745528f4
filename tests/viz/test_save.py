"""Writing pictures atomically: save_image, save_images, check_image_path (spotdiff.viz._save)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spotdiff import InvalidOptionError, LayoutError
from spotdiff.viz import IMAGE_FORMATS, _save, check_image_path, save_image, save_images

RGB = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)


def _temps(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name)


# ---------------------------------------------------------------------------- save_image
def test_save_image_round_trips_png_and_checks_suffix_and_layout(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    gray = (np.arange(12 * 16).reshape(12, 16) % 256).astype(np.uint8)
    assert save_image(rgb, tmp_path / "a.png") == tmp_path / "a.png"
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), rgb)
    save_image(gray, tmp_path / "g.png")
    loaded = Image.open(tmp_path / "g.png")
    assert loaded.mode == "L" and np.array_equal(np.asarray(loaded), gray)
    save_image(rgb, tmp_path / "a.jpg")
    assert Image.open(tmp_path / "a.jpg").size == (16, 12)
    with pytest.raises(InvalidOptionError, match=r"\.xyz"):
        save_image(rgb, tmp_path / "a.xyz")
    with pytest.raises(LayoutError, match="uint8"):
        save_image(rgb.astype(np.float32), tmp_path / "b.png")


def _half_then_fail(arr, path, fmt):
    path.write_bytes(b"\x89PNG half a picture")
    raise OSError(28, "No space left on device", str(path))


def test_save_image_failing_mid_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    target = tmp_path / "a.png"
    save_image(RGB, target)
    before = target.read_bytes()
    monkeypatch.setattr(_save, "_write", _half_then_fail)
    with pytest.raises(OSError, match="No space"):
        save_image(RGB[::-1].copy(), target)
    assert target.read_bytes() == before and _temps(tmp_path) == []


def test_save_image_refuses_a_directory_and_a_missing_parent(tmp_path):
    (tmp_path / "d.png").mkdir()
    with pytest.raises(InvalidOptionError, match="is a directory"):
        save_image(RGB, tmp_path / "d.png")
    with pytest.raises(FileNotFoundError):
        save_image(RGB, tmp_path / "missing" / "a.png")
    assert _temps(tmp_path) == []


def test_save_images_writes_all_or_none(tmp_path, monkeypatch):
    a, b = tmp_path / "a.png", tmp_path / "b.jpg"
    assert save_images({a: RGB, b: RGB}) == [a, b]
    assert np.array_equal(np.asarray(Image.open(a)), RGB) and Image.open(b).size == (16, 12)
    before = (a.read_bytes(), b.read_bytes())
    real = _save._write

    def fail_on_the_second(arr, path, fmt):
        if fmt == "JPEG":
            raise OSError(5, "I/O error", str(path))
        real(arr, path, fmt)

    monkeypatch.setattr(_save, "_write", fail_on_the_second)
    with pytest.raises(OSError, match="I/O error"):
        save_images([(a, RGB[::-1].copy()), (b, RGB)])
    assert (a.read_bytes(), b.read_bytes()) == before and _temps(tmp_path) == []
    # a bad member is refused before any file is written
    with pytest.raises(LayoutError):
        save_images([(a, RGB[::-1].copy()), (tmp_path / "c.png", RGB.astype(np.float32))])
    with pytest.raises(InvalidOptionError, match=r"\.gif"):
        save_images([(a, RGB[::-1].copy()), (tmp_path / "c.gif", RGB)])
    assert a.read_bytes() == before[0] and not (tmp_path / "c.png").exists()


def test_check_image_path(tmp_path):
    assert check_image_path(tmp_path / "x.PNG") == "PNG"
    assert {check_image_path(f"x{suffix}") for suffix in IMAGE_FORMATS} == {
        "PNG",
        "JPEG",
        "WEBP",
        "BMP",
        "TIFF",
    }
    with pytest.raises(InvalidOptionError, match="suffix-less"):
        check_image_path(tmp_path / "x")
