"""The tolerant colour difference: shifts, resampling and clipping give 0; changes do not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.maps.colour import colour_difference


def _scene() -> np.ndarray:
    img = np.full((64, 80, 3), (40, 90, 160), np.uint8)
    cv2.rectangle(img, (10, 10), (40, 30), (230, 210, 30), -1)
    cv2.line(img, (45, 5), (75, 55), (0, 0, 0), 2)
    return img


def test_identical_is_zero():
    a = _scene()
    d = colour_difference(a, a, a)
    assert d.dtype == np.float32 and d.shape == (64, 80) and d.max() == 0


@pytest.mark.parametrize("shift", [(1, 0), (0, -1), (1, 1)])
def test_one_pixel_shift_is_tolerated_with_radius_1(shift):
    a = _scene()
    b = np.roll(a, shift, axis=(0, 1))
    assert colour_difference(a, b, b, radius=1)[2:-2, 2:-2].max() == 0
    assert colour_difference(a, b, b, radius=0).max() > 100  # a plain difference is not


def test_half_pixel_resampling_is_tolerated():
    a = cv2.GaussianBlur(_scene(), (0, 0), 0.8)
    m = np.float32([[1, 0, 0.5], [0, 1, 0.5]])
    b = cv2.warpAffine(a, m, (80, 64), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    assert colour_difference(a, b, b)[2:-2, 2:-2].max() <= 3


def test_a_colour_only_change_of_equal_grey_is_found():
    a = np.full((40, 40, 3), (200, 60, 60), np.uint8)  # red
    b = a.copy()
    b[10:30, 10:30] = (60, 116, 120)  # about the same grey level, another hue
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    assert abs(int(ga[20, 20]) - int(gb[20, 20])) <= 3
    d = colour_difference(a, b, b)
    assert d[12:28, 12:28].min() > 150  # interior: full distance
    assert d[:8].max() == 0 and d[32:].max() == 0  # outside: nothing
    # the 1-px tolerance takes one pixel off the changed area's border
    assert (d > 0).sum() == 18 * 18


def test_intervals_stand_for_clipped_levels():
    a = np.full((20, 20, 3), 240, np.uint8)
    b = np.full((20, 20, 3), 255, np.uint8)  # clipped by a brightness change
    assert colour_difference(a, b, b).min() > 20  # as plain levels: different
    lo = np.full_like(b, 215)  # tone map: 255 stands for "215 or more"
    assert colour_difference(a, lo, b).max() == 0


def test_grey_inputs():
    a = np.zeros((10, 10), np.uint8)
    b = a.copy()
    b[4:7, 4:7] = 50
    d = colour_difference(a, b, b)
    assert d.shape == (10, 10) and d[5, 5] == 50 and d[0, 0] == 0


@pytest.mark.parametrize("shape", [(54, 96, 3), (54, 96), (31, 17, 4)])
@pytest.mark.parametrize("radius", [0, 1, 2])
def test_colour_difference_equals_the_plain_formula(shape, radius):
    """Every pixel as the docstring's formula in float64: the buffers it writes into change
    nothing."""
    rng = np.random.default_rng(3)
    img1 = rng.integers(0, 256, shape, dtype=np.uint8)
    lo2 = rng.integers(0, 256, shape, dtype=np.uint8)
    hi2 = np.maximum(lo2, rng.integers(0, 256, shape, dtype=np.uint8))
    k = np.ones((2 * radius + 1,) * 2, np.uint8)
    lo_n, hi_n = cv2.erode(lo2, k), cv2.dilate(hi2, k)
    lo1, hi1 = cv2.erode(img1, k), cv2.dilate(img1, k)
    x1, l2, h2 = (v.astype(np.float64) for v in (img1, lo2, hi2))
    d1 = np.maximum(x1 - hi_n, 0) + np.maximum(lo_n - x1, 0)
    d2 = np.maximum(l2 - hi1, 0) + np.maximum(lo1 - h2, 0)
    d = np.minimum(d1, d2)
    want = np.sqrt((d * d).sum(-1)) if d.ndim == 3 else d
    got = colour_difference(img1, lo2, hi2, radius=radius)
    assert got.dtype == np.float32 and got.shape == shape[:2]
    np.testing.assert_array_equal(got, want.astype(np.float32))
