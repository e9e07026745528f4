"""One rule per mistake, one error type per rule: boxes -> InvalidOptionError, images ->
LayoutError, options -> InvalidOptionError; every message names the argument and what to do."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError, LayoutError
from spotdiff._validate import (
    check_boxes,
    check_choice,
    check_finite,
    check_image,
    check_number,
    check_same_shape,
)


@pytest.mark.parametrize(
    ("boxes", "options", "error", "match"),
    [
        ([[0, 0, 10, 10]], {}, None, None),
        ([0, 0, 10, 10], {}, None, None),  # one box as a flat list
        ([], {}, None, None),
        ([[5, 5, 5, 5]], {}, None, None),  # an empty box is allowed by default
        ([[5, 5, 5, 5]], {"allow_empty_boxes": False}, InvalidOptionError, "x2 > x1"),
        ([[0, 0, 10]], {}, InvalidOptionError, r"shape \(N, 4\)"),
        (np.zeros((2, 4, 1)), {}, InvalidOptionError, r"shape \(N, 4\)"),
        ([[0, 0, np.nan, 1]], {}, InvalidOptionError, "rows 0 hold NaN or inf"),
        ([[0, 0, 1, 1], [10, 0, 5, 4]], {}, InvalidOptionError, "rows 1 are not"),
        ([["a", 0, 1, 1]], {}, InvalidOptionError, "must be numbers"),
        ([[0, 0, 20, 10]], {"image_size": (16, 16)}, InvalidOptionError, "inside the 16x16"),
        ([[-1, 0, 2, 2]], {"image_size": (16, 16)}, InvalidOptionError, "inside the 16x16"),
        ([[8, 8, -3, 4]], {"box_format": "cxcywh"}, InvalidOptionError, "w >= 0"),
        ([[8, 8, 3, 4]], {"box_format": "cxcywh"}, None, None),
    ],
)
def test_check_boxes(boxes, options, error, match):
    if error is None:
        out = check_boxes("boxes", boxes, **options)
        assert out.ndim == 2 and out.shape[1] == 4 and out.dtype == np.float64
        return
    with pytest.raises(error, match=match) as info:
        check_boxes("boxes", boxes, **options)
    assert str(info.value).startswith("boxes")


@pytest.mark.parametrize(
    ("image", "options", "match"),
    [
        ([[1, 2], [3, 4]], {}, "must be a numpy array"),
        (np.zeros((2, 4, 4, 3)), {}, "not a batch"),
        (np.zeros((0, 4, 3)), {}, "is empty"),
        (np.zeros((4, 4, 4)), {"channels": (3,)}, r"\(H, W, 3\)"),
        (np.zeros((4, 4), np.uint8), {"channels": (3,)}, r"\(H, W, 3\)"),
        (np.zeros((4, 4, 3), np.float32), {"dtype": np.uint8}, "must be uint8"),
        (np.zeros((4, 4), dtype=complex), {}, "integers or floats"),
    ],
)
def test_check_image_rejects_with_a_layout_error(image, options, match):
    with pytest.raises(LayoutError, match=match):
        check_image("img1", image, **options)


def test_check_image_accepts_grey_and_colour():
    for image in (np.zeros((4, 5)), np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5, 1))):
        assert check_image("img1", image) is image
    assert check_image("img1", np.zeros((4, 5)), channels=(0, 3)).shape == (4, 5)


def test_check_same_shape_names_both():
    check_same_shape("img1", np.zeros((2, 3)), "img2", np.zeros((2, 3)))
    with pytest.raises(LayoutError, match=r"img1 and img2 .* \(2, 3\) and \(3, 2\).*size_mismatch"):
        check_same_shape("img1", np.zeros((2, 3)), "img2", np.zeros((3, 2)))


def test_option_checks():
    assert check_choice("mode", "FAST", ["fast", "slow"]) == "fast"
    with pytest.raises(InvalidOptionError, match="mode must be one of 'fast', 'slow'; got 'x'"):
        check_choice("mode", "x", ["fast", "slow"])
    assert check_number("n", 3, low=1, integer=True) == 3
    for bad, match in ((True, "an integer"), (0, ">= 1"), (2.5, "an integer")):
        with pytest.raises(InvalidOptionError, match=match):
            check_number("n", bad, low=1, integer=True)
    with pytest.raises(InvalidOptionError, match="NaN"):
        check_number("x", float("nan"))
    with pytest.raises(InvalidOptionError, match="finite"):
        check_finite("sigma", float("inf"), low=0)
