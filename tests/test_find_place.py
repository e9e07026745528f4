"""Image 2 placed on image 1's grid: a crop by whole pixels is copied, not resampled."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest

import spotdiff
from spotdiff._errors import SpotdiffWarning
from spotdiff.align import Registration
from spotdiff.find_place import WHOLE_PX, interpolates, place_image2, whole_crop


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "transform,expected",
    [
        (_shift(2.0, -1.0), False),
        (_shift(-1.0 + 1e-9, 0.0), False),  # snapped in floating point
        (_shift(0.5, 0.0), True),
        (_shift(1.0, 0.3), True),
        (np.diag([1.01, 1.01, 1.0]), True),  # a zoom
        (np.array([[1.0, 0, 0], [0, 1.0, 0], [1e-4, 0, 1.0]]), True),  # a perspective
    ],
)
def test_interpolates(transform, expected):
    assert interpolates(transform) is expected


def test_whole_crop_snaps_translations_near_whole_pixels_only():
    np.testing.assert_array_equal(whole_crop(_shift(2.05, -0.97)), _shift(2.0, -1.0))
    assert whole_crop(_shift(2.0 + WHOLE_PX, 0.0)) is None
    assert whole_crop(_shift(0.5, 0.0)) is None
    assert whole_crop(np.diag([1.01, 1.01, 1.0])) is None


def test_place_image2_reduced_crop_is_placed_at_full_resolution():
    rng = np.random.default_rng(0)
    full = rng.integers(0, 256, (64, 97, 3), dtype=np.uint8)
    img1 = full[:, 1:]
    img2 = full[:, :96]  # image 2 one pixel to the right of image 1's view
    small = (48, 32)
    b = cv2.resize(img2, small, interpolation=cv2.INTER_AREA)
    reg = Registration(_shift(-0.5 + 0.02, 0.0), "translation", 0.9, 0.99, 0.48)  # working px
    placed = place_image2(reg, b, img2)
    np.testing.assert_array_equal(placed.transform, _shift(-1.0, 0.0))
    assert not placed.resampled
    want = cv2.resize(img1, small, interpolation=cv2.INTER_AREA)
    inside = ~placed.quiet
    assert placed.quiet[:, -1].all() and inside[:, :-1].all()
    np.testing.assert_array_equal(placed.img2[inside], want[inside])


def _scene(w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    img = np.full((h, w, 3), 245, np.uint8)
    for _ in range(60):
        x, y = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 30))
        colour = tuple(int(v) for v in rng.integers(0, 200, 3))
        size = int(rng.integers(10, 60)), int(rng.integers(6, 30))
        cv2.rectangle(img, (x, y), (x + size[0], y + size[1]), colour, -1)
        cv2.putText(img, "abc", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
    return img


@pytest.mark.parametrize("size", [(600, 400), (1400, 900)], ids=["full", "reduced"])
def test_a_pair_one_pixel_apart_gives_the_same_box_as_the_pair_in_place(size):
    """Image 2 one column wider, placed on image 1's canvas at its top-left corner: flipped,
    the pair is one whole pixel apart. Taken as a resampling before (image 1 blurred by half
    a pixel; reduced, a 0.95 px warp of image 2), now copied as it is."""
    w, h = size
    canvas = _scene(w + 1, h)
    a = canvas[:, :w].copy()
    b = canvas.copy()
    cv2.rectangle(b, (w // 3, h // 3), (w // 3 + 40, h // 3 + 30), (200, 30, 30), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpotdiffWarning)  # sizes differ by a pixel
        plain = spotdiff.find(a, b)
        flipped = spotdiff.find(np.ascontiguousarray(a[:, ::-1]), np.ascontiguousarray(b[:, ::-1]))
    assert plain.metadata["registration"]["method"] == "identity"
    assert flipped.metadata["registration"]["method"] == "translation"
    np.testing.assert_array_equal(flipped.transform[:2, 2], [-1.0, 0.0])
    assert flipped.metadata["sharpness_blur"] == [0.0, 0.0]
    mirrored = flipped.boxes.copy()
    mirrored[:, [0, 2]] = w - flipped.boxes[:, [2, 0]]
    np.testing.assert_array_equal(mirrored, plain.boxes)
    assert len(plain) == 1
