"""Layout detection: unambiguous shapes, ambiguous ones warn, explicit layouts override."""

from __future__ import annotations

import pytest

from spotdiff import LayoutError, SpotdiffWarning
from spotdiff.io import resolve_layout


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
