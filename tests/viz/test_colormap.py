"""Colour-mapping maps and writing them (spotdiff.viz.colormap)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spotdiff import InvalidOptionError, LayoutError
from spotdiff.viz import COLORMAPS, _save, colorize, save_map

RAMP = np.tile(np.linspace(0, 2, 16, dtype=np.float32), (8, 1))


def _temps(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def test_colorize_scales_between_vmin_and_vmax():
    gray = colorize(RAMP, colormap="gray", vmin=0, vmax=2)
    assert gray.shape == (8, 16, 3) and gray.dtype == np.uint8
    assert gray[0, 0].tolist() == [0, 0, 0] and gray[0, -1].tolist() == [255, 255, 255]
    assert (np.diff(gray[0, :, 0].astype(int)) >= 0).all()
    assert np.array_equal(colorize(-RAMP, colormap="gray"), gray)  # signed: by magnitude
    assert np.array_equal(colorize(RAMP, colormap="gray"), gray)  # default: 0 .. max
    flat = colorize(np.ones((4, 4)), colormap="gray", vmin=1, vmax=1)
    assert not flat.any()  # a constant map is all vmin colour
    nan = RAMP.copy()
    nan[0, 0] = np.nan
    assert colorize(nan, colormap="gray", vmax=2)[0, 0].tolist() == [0, 0, 0]
    for name in COLORMAPS:
        assert colorize(RAMP, colormap=name).shape == (8, 16, 3)


def test_colorize_errors():
    with pytest.raises(InvalidOptionError, match="colormap must be one of"):
        colorize(RAMP, colormap="rainbowz")
    with pytest.raises(LayoutError, match="2-D"):
        colorize(np.zeros((2, 3, 4)))
    with pytest.raises(InvalidOptionError, match="vmax"):
        colorize(RAMP, vmin=2, vmax=1)


def test_save_map_writes_pictures_and_npy(tmp_path):
    png = save_map(RAMP, tmp_path / "m.png", colormap="gray", vmax=2)
    assert png == tmp_path / "m.png"
    assert np.array_equal(np.asarray(Image.open(png)), colorize(RAMP, colormap="gray", vmax=2))
    npy = save_map(RAMP, tmp_path / "m.npy")
    assert npy.name == "m.npy" and np.array_equal(np.load(npy), RAMP)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npy", "m.png"]
    with pytest.raises(InvalidOptionError, match=r"cannot write a \.xyz file"):
        save_map(RAMP, tmp_path / "m.xyz")


def test_save_map_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "m.png"
    save_map(RAMP, target)
    before = target.read_bytes()

    def half_then_fail(arr, path, fmt):
        path.write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(_save, "_write", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        save_map(RAMP * 0, target)
    assert target.read_bytes() == before and _temps(tmp_path) == []
    npy = tmp_path / "m.npy"
    npy.write_bytes(b"earlier values")
    monkeypatch.setattr(np, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError, match="disk gone"):
        save_map(RAMP, npy)
    assert npy.read_bytes() == b"earlier values" and _temps(tmp_path) == []
