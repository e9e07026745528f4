"""Layout detection: unambiguous shapes, ambiguous ones warn, explicit layouts override."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest
from PIL import Image

from spotdiff import LayoutError, SpotdiffWarning
from spotdiff.io import (
    _layout,
    decode_pair,
    load_pair,
    load_tensor_pair,
    match_sizes,
    read_image,
    resolve_layout,
    to_rgb8,
    to_tensor,
)
from spotdiff.io._layout import known_layout, mark_layout


@pytest.mark.parametrize(
    ("shape", "channels_last", "expected"),
    [
        ((32, 48), True, "HW"),
        ((3, 32, 48), True, "CHW"),
        ((32, 48, 3), False, "HWC"),
        ((1, 32, 48), True, "CHW"),
        ((32, 48, 4), True, "HWC"),
        ((8, 3, 32, 48), True, "NCHW"),
        ((8, 32, 48, 3), False, "NHWC"),
        ((2, 1, 5, 7), True, "NCHW"),
    ],
)
def test_unambiguous_shapes(shape, channels_last, expected):
    assert resolve_layout(shape, "auto", channels_last=channels_last) == expected


@pytest.mark.parametrize(
    ("shape", "channels_last", "expected"),
    [
        ((3, 16, 3), True, "HWC"),
        ((3, 16, 3), False, "CHW"),
        ((3, 3, 3), True, "HWC"),
        ((2, 3, 4, 3), False, "NCHW"),
        ((1, 64, 1), True, "HWC"),
    ],
)
def test_ambiguous_shapes_warn_and_follow_convention(shape, channels_last, expected):
    with pytest.warns(SpotdiffWarning, match="Pass layout="):
        assert resolve_layout(shape, "auto", channels_last=channels_last) == expected


def test_explicit_layout_overrides_without_warning(recwarn):
    assert resolve_layout((3, 16, 3), "CHW", channels_last=True) == "CHW"
    assert resolve_layout((3, 16, 3), "HWC", channels_last=False) == "HWC"
    assert resolve_layout((8, 64, 64), "NHW", channels_last=True) == "NHW"
    assert not [w for w in recwarn if issubclass(w.category, SpotdiffWarning)]


@pytest.mark.parametrize(
    ("shape", "layout", "match"),
    [
        ((8, 64, 64), "auto", "layout='NHW'"),
        ((8, 64, 64, 9), "auto", "pass layout"),
        ((5,), "auto", "2-D"),
        ((2, 3, 4, 5, 6), "auto", "2-D"),
        ((3, 16, 16), "NCHW", "4-D"),
        ((0, 16, 3), "HWC", "empty"),
    ],
)
def test_unreadable_shapes(shape, layout, match):
    with pytest.raises(LayoutError, match=match):
        resolve_layout(shape, layout, channels_last=True)


def test_unknown_layout_name():
    with pytest.raises(ValueError, match="layout must be one of"):
        resolve_layout((4, 4), "WH", channels_last=True)


def _one_pixel_files(tmp_path):
    Image.new("RGB", (1, 1), (10, 20, 30)).save(tmp_path / "a.png")
    Image.new("RGB", (1, 1), (10, 20, 31)).save(tmp_path / "b.png")
    return tmp_path / "a.png", tmp_path / "b.png"


def test_decoded_one_pixel_files_are_never_guessed(tmp_path):
    # regression: `spotdiff find a.png b.png` on 1x1 files decoded them, then find() read the
    # (1, 1, 3) arrays again and warned "shape (1, 1, 3) reads as CHW or HWC"
    path1, path2 = _one_pixel_files(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img1, img2 = decode_pair(path1, path2)
        a, b = match_sizes(img1, img2, "resize")
        out1, out2 = load_pair(a, b)  # what spotdiff.find does with them
        assert out1.tolist() == [[[10, 20, 30]]] and out2.tolist() == [[[10, 20, 31]]]
        assert to_tensor(read_image(path1)).shape == (1, 3, 1, 1)
        assert to_tensor(to_tensor(path1)).shape == (1, 3, 1, 1)
        assert to_rgb8(to_rgb8(Image.open(path1))).shape == (1, 1, 3)
        t1, t2 = load_tensor_pair(path1, path2)
        assert load_tensor_pair(t1, t2)[0].shape == (1, 3, 1, 1)


def test_users_ambiguous_arrays_still_warn(tmp_path):
    path1, _ = _one_pixel_files(tmp_path)
    user = np.zeros((1, 1, 3), np.uint8)
    with pytest.warns(SpotdiffWarning, match=r"\(1, 1, 3\) reads as CHW or HWC"):
        to_rgb8(user)
    decoded = read_image(path1)
    view = decoded[:, :]  # a new object: its layout is not known
    with pytest.warns(SpotdiffWarning, match="reads as CHW or HWC"):
        to_rgb8(view)
    assert to_rgb8(decoded, layout="CHW").shape == (1, 3, 3)  # an explicit layout still wins


def test_known_layout_is_forgotten_with_its_object_or_a_changed_shape():
    array = mark_layout(np.zeros((3, 4, 3), np.uint8), "HWC")
    assert known_layout(array) == "HWC"
    array.shape = (4, 3, 3)
    assert known_layout(array) == "HWC"
    array.shape = (4, 9)
    assert known_layout(array) is None
    key = id(array)
    del array
    gc.collect()
    assert key not in _layout._KNOWN
    assert known_layout(np.zeros((3, 4, 3))) is None
    assert mark_layout(5, "HW") == 5  # not weakly referenceable: returned unrecorded
