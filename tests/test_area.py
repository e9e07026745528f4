"""Tests of spotdiff._area: the fast area reduction equals OpenCV's INTER_AREA pixel for pixel."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff._area import MAX_P, _overlaps, reduce_area

# (input w, h) -> (output w, h): find's working sizes of common picture sizes (fast path, odd P)
# and cases left to OpenCV (integer factor, even P, P above MAX_P, enlarging, other dtypes)
SIZES = [
    ((1920, 1080), (1024, 576)),  # 15/8 both ways: P = 225
    ((3840, 2160), (1024, 576)),  # 15/4: P = 225
    ((1280, 720), (1024, 576)),  # 5/4: P = 25
    ((1280, 800), (1024, 640)),
    ((2560, 1440), (1024, 576)),  # 5/2
    ((1600, 900), (1024, 576)),  # 25/16: P = 625
    ((1920, 1080), (1024, 1080)),  # across only
    ((1920, 1080), (1920, 576)),  # down only
    ((1024, 768), (640, 480)),  # 8/5: P = 64, even: OpenCV
    ((1425, 1146), (1024, 824)),  # P far above MAX_P: OpenCV
    ((2048, 928), (1024, 464)),  # integer factor: OpenCV
]


@pytest.mark.parametrize(("shape", "size"), SIZES)
@pytest.mark.parametrize("channels", [None, 1, 3, 4])
def test_reduce_area_equals_opencv(shape, size, channels):
    rng = np.random.default_rng(sum(shape) + sum(size))
    w, h = shape
    img = rng.integers(0, 256, (h, w) if channels is None else (h, w, channels), dtype=np.uint8)
    # smooth areas too: neighbouring equal values are where rounding ties would show
    top = img[: h // 2]
    top[...] = cv2.GaussianBlur(top, (0, 0), 3).reshape(top.shape)
    want = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    got = reduce_area(img, size)
    assert got.dtype == np.uint8
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_reduce_area_other_inputs_equal_opencv():
    rng = np.random.default_rng(0)
    floats = rng.random((1080, 1920, 3), dtype=np.float32)
    np.testing.assert_array_equal(
        reduce_area(floats, (1024, 576)),
        cv2.resize(floats, (1024, 576), interpolation=cv2.INTER_AREA),
    )
    small = rng.integers(0, 256, (100, 150, 3), dtype=np.uint8)  # enlarged: OpenCV
    np.testing.assert_array_equal(
        reduce_area(small, (300, 200)),
        cv2.resize(small, (300, 200), interpolation=cv2.INTER_AREA),
    )


@pytest.mark.parametrize(("n_in", "n_out", "p", "q"), [(1920, 1024, 15, 8), (1280, 1024, 5, 4)])
def test_overlaps_are_whole_units(n_in, n_out, p, q):
    pp, qq, m = _overlaps(n_in, n_out)
    assert (pp, qq) == (p, q)
    np.testing.assert_array_equal(m.sum(axis=0), np.full(q, p))  # an output covers p units
    np.testing.assert_array_equal(m.sum(axis=1), np.full(p, q))  # an input gives all q units
    np.testing.assert_array_equal(m, np.round(m))
    assert (m > 0).sum() == p + q - 1  # each boundary splits one input pixel


def test_max_p_keeps_ties_away():
    # the margin of an exact value from a rounding tie, 1 / (2 P), stays far above float32 error
    assert 1 / (2 * MAX_P) >= 8e-4
