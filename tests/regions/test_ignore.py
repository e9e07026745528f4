"""Ignore areas: rectangles, masks, images; clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spotdiff._errors import InvalidOptionError, SpotdiffWarning
from spotdiff.regions.ignore import ignore_mask, paint_rects, rect_pixels

SIZE = (40, 30)  # (W, H)


def test_none_and_empty():
    assert ignore_mask(None, SIZE) is None
    with pytest.warns(SpotdiffWarning, match="covers no pixel"):
        assert ignore_mask([[50, 50, 60, 60]], SIZE) is None  # entirely outside: nothing ignored


@pytest.mark.parametrize(
    ("rect", "text"),
    [
        ((5, 5, 5, 5), "5, 5, 5, 5"),  # empty
        ((5.5, 2, 5.5, 9), "5.5, 2, 5.5, 9"),  # zero width on a pixel
        ((50, 0, 60, 10), "50, 0, 60, 10"),  # right of the image
        ((-20, -20, -1, -1), "-20, -20, -1, -1"),  # above and left
        ((0, 30, 40, 31), "0, 30, 40, 31"),  # just below
    ],
)
def test_rectangles_covering_no_pixel_warn_and_are_skipped(rect, text):
    with pytest.warns(SpotdiffWarning) as caught:
        m = ignore_mask([rect, (1, 1, 3, 2)], SIZE)
    assert [str(w.message) for w in caught] == [
        f"ignore rectangle ({text}) covers no pixel of the 40x30 image; ignored"
    ]
    assert m is not None and m.sum() == 2 and m[1, 1:3].all()  # the other one still counts
    assert rect_pixels(rect, SIZE) is None


def test_rect_pixels_clips_to_the_image():
    assert rect_pixels((-5, 28.5, 3.2, 100), SIZE) == (0, 28, 4, 30)
    assert rect_pixels((0, 0, 40, 30), SIZE) == (0, 0, 40, 30)
    assert rect_pixels((39.5, 0, 45, 1), SIZE) == (39, 0, 40, 1)


def test_find_warns_and_goes_on_for_a_rectangle_covering_no_pixel():
    import spotdiff

    a = np.full((30, 40, 3), 90, np.uint8)
    b = a.copy()
    b[10:20, 10:20] = 250
    with pytest.warns(SpotdiffWarning, match=r"ignore rectangle \(5, 5, 5, 5\) covers no pixel"):
        result = spotdiff.find(a, b, ignore=[(5, 5, 5, 5)])
    assert len(result) == 1


@pytest.mark.parametrize(
    "rects", [(2, 3, 10, 8), [(2, 3, 10, 8)], np.array([[2, 3, 10, 8]], np.float32)]
)
def test_rectangles(rects):
    m = ignore_mask(rects, SIZE)
    assert m.shape == (30, 40) and m.dtype == bool
    assert m[3:8, 2:10].all() and m.sum() == 8 * 5


def test_fractional_and_clipped_rectangles_cover_touched_pixels():
    m = ignore_mask([[-5, 28.5, 3.2, 100], [39.5, 0, 45, 1]], SIZE)
    assert m[28:30, 0:4].all() and m[0, 39] and m.sum() == 2 * 4 + 1


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float32])
def test_mask_arrays(dtype):
    raw = np.zeros((30, 40), dtype)
    raw[5:9, 6:12] = 1
    m = ignore_mask(raw, SIZE)
    assert m.sum() == 24 and m[5, 6]
    colour = np.zeros((30, 40, 3), np.uint8)
    colour[0, 0, 2] = 255
    assert ignore_mask(colour, SIZE).sum() == 1


def test_pil_image_mask():
    raw = np.zeros((30, 40), np.uint8)
    raw[10:20, 10:20] = 255
    assert ignore_mask(Image.fromarray(raw), SIZE).sum() == 100


@pytest.mark.parametrize(
    ("ignore", "match"),
    [
        (np.zeros((31, 40)), "ignore mask is 40x31 but image 1 is 40x30"),
        ([[10, 10, 5, 20]], "x2 >= x1"),
        ([[0, 0, np.inf, 3]], "finite"),
        ([1, 2, 3], "rectangles"),
        ([[1, 2], [3, 4, 5, 6]], "rectangles"),
    ],
)
def test_errors(ignore, match):
    with pytest.raises(InvalidOptionError, match=match):
        ignore_mask(ignore, SIZE)


def test_paint_rects_names_rectangles_as_told_and_blames_the_callers_caller():
    mask = np.zeros((30, 40), bool)

    def cli_like():  # calls paint_rects, as ignore_mask and the CLI do
        paint_rects(mask, [(1, 1, 3, 2), (5, 5, 5, 5)], label=lambda r: f"--ignore {r[0]:g}")

    with pytest.warns(SpotdiffWarning) as caught:
        cli_like()
    assert [str(w.message) for w in caught] == [
        "--ignore 5 covers no pixel of the 40x30 image; ignored"
    ]
    assert caught[0].filename == __file__ and mask.sum() == 2 and mask[1, 1:3].all()
    with pytest.warns(SpotdiffWarning) as caught:
        ignore_mask([(5, 5, 5, 5)], SIZE)
    assert caught[0].filename == __file__  # the warning points at ignore_mask's caller
