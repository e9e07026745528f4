"""Pillow helpers: the reduction factor, and Pillow's warnings turned into SpotdiffWarnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from spotdiff import SpotdiffWarning
from spotdiff.io._pillow import (
    PillowNotes,
    draft_reduced,
    orient_array,
    orient_image,
    orientation_of,
    reducible,
    reduction_factor,
)


@pytest.mark.parametrize(
    ("long_side", "max_side", "factor"),
    [
        (1000, None, 1),
        (1000, 1000, 1),
        (1000, 2000, 1),
        (2000, 1000, 2),
        (1999, 1000, 2),  # ceil(1999 / 2) = 1000
        (1998, 1000, 1),
        (2001, 1000, 2),  # ceil(2001 / 2) = 1001
        (10000, 1024, 9),  # 1112 >= 1024, 1/10 would give 1000
        (7, 1, 7),
        (7, 2, 6),  # ceil(7 / 6) = 2
    ],
)
def test_reduction_factor_is_the_largest_that_keeps_max_side(long_side, max_side, factor):
    assert reduction_factor(long_side, max_side) == factor
    if max_side is not None and 1 < factor < long_side:
        assert math.ceil(long_side / factor) >= max_side > math.ceil(long_side / (factor + 1))


def _pillow_warns(message: str, category: type[Warning] = UserWarning) -> None:
    # raised from a Pillow module, as Pillow's own warnings are
    exec(
        compile(
            f"import warnings; warnings.warn({message!r}, {category.__name__})",
            TiffImagePlugin.__file__,
            "exec",
        ),
        {category.__name__: category},
    )


def test_notes_turn_pillow_warnings_into_spotdiff_warnings():
    notes = PillowNotes("x.tif")
    with notes.capture():
        _pillow_warns("Tag data larger than file. Skipping tag 270")
        _pillow_warns("Corrupt EXIF data.  Expecting to read 12 bytes but only got 4. ")
        _pillow_warns("Metadata Warning, tag 282 had too many entries: 2, expected 1")
        _pillow_warns("Image size exceeds limit", Image.DecompressionBombWarning)
        _pillow_warns("something else")
        _pillow_warns("something else")
        warnings.warn("not from Pillow", RuntimeWarning, stacklevel=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notes.emit(None)
    assert [(w.category, str(w.message)) for w in caught] == [
        (SpotdiffWarning, "x.tif: something else"),
        (RuntimeWarning, "not from Pillow"),
        (
            SpotdiffWarning,
            "x.tif: EXIF data is corrupt (Tag data larger than file. Skipping tag 270); "
            "orientation ignored",
        ),
    ]


def test_capture_restores_the_callers_warning_filters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        notes = PillowNotes("x")
        with notes.capture():
            warnings.warn("held back", UserWarning, stacklevel=1)
        with pytest.raises(UserWarning, match="held back"):
            notes.emit(None)  # passed on under the caller's own filters
        with pytest.raises(UserWarning):
            warnings.warn("after", UserWarning, stacklevel=1)


def test_orientation_of_an_unreadable_exif_is_none_and_noted():
    class Broken:
        def getexif(self):
            raise SyntaxError("not a TIFF file")

    notes = PillowNotes("b.jpg")
    assert orientation_of(Broken(), notes) is None  # type: ignore[arg-type]
    with pytest.warns(SpotdiffWarning, match=r"b\.jpg: EXIF data is corrupt \(SyntaxError"):
        notes.emit(None)
    image = Image.new("RGB", (2, 2))
    exif = image.getexif()
    exif[0x0112] = 9  # not an orientation
    assert orientation_of(image) is None
    exif[0x0112] = 3
    assert orientation_of(image) == 3


@pytest.mark.parametrize("orientation", [None, *range(1, 9)])
def test_array_orientation_matches_pillows(orientation):
    array = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    expected = np.asarray(orient_image(Image.fromarray(array), orientation))
    out = orient_array(array, orientation)
    np.testing.assert_array_equal(out, expected)
    assert out.flags.c_contiguous


@pytest.mark.parametrize(
    ("mode", "value", "reduced_mode"),
    [("1", 1, "L"), ("I;16", 1000, "I"), ("P", 3, "RGB"), ("PA", (3, 9), "RGBA"), ("L", 7, "L")],
)
def test_reducible_modes_average_values(mode, value, reduced_mode):
    image = Image.new(mode, (4, 4), value)
    out = reducible(image).reduce(2)
    assert out.mode == reduced_mode and out.size == (2, 2)


def test_draft_asks_for_a_power_of_two():
    import io as _io

    buffer = _io.BytesIO()
    Image.new("RGB", (3000, 1000)).save(buffer, format="JPEG")
    for max_side, size in [(None, (3000, 1000)), (1000, (1500, 500)), (300, (375, 125))]:
        image = Image.open(buffer)
        draft_reduced(image, max_side)
        image.load()
        assert image.size == size
    png = Image.new("RGB", (3000, 1000))
    draft_reduced(png, 300)  # no-op
    assert png.size == (3000, 1000)
