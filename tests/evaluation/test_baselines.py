"""The two naive baselines find an obvious planted square; registry and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError, LayoutError, UnknownNameError
from spotdiff.evaluation import (
    Detection,
    absdiff_otsu,
    as_detection,
    box_iou,
    get_detector,
    list_detectors,
    ssim_otsu,
)


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = np.full((120, 160, 3), 120, dtype=np.float64)
    base += rng.normal(0, 2.0, base.shape)
    img1 = np.clip(base, 0, 255).astype(np.uint8)
    img2 = img1.copy()
    img2[40:80, 60:100] = (250, 30, 30)  # an obvious red square, 40x40 at x=60, y=40
    return img1, img2


def test_absdiff_finds_the_exact_square():
    det = absdiff_otsu(*_pair())
    assert isinstance(det, Detection)
    np.testing.assert_array_equal(det.boxes, [[60, 40, 100, 80]])
    assert det.boxes.dtype == np.float32
    assert det.scores.tolist() == [39 * 39]  # contour area of the 40x40 blob's outline
    assert det.mask.shape == (120, 160) and det.mask.sum() == 1600


def test_ssim_finds_the_square_grown_by_its_window():
    pytest.importorskip("skimage")
    det = ssim_otsu(*_pair())
    assert len(det) == 1
    # the 7x7 SSIM window spreads the change by up to 3 px on each side
    x0, y0, x1, y1 = det.boxes[0]
    assert 56 <= x0 <= 60 and 36 <= y0 <= 40 and 100 <= x1 <= 104 and 80 <= y1 <= 84
    assert box_iou(det.boxes, [[60, 40, 100, 80]])[0, 0] > 0.7


def test_identical_images_give_no_box():
    img1, _ = _pair()
    assert len(absdiff_otsu(img1, img1.copy())) == 0
    pytest.importorskip("skimage")
    assert len(ssim_otsu(img1, img1.copy())) == 0


def test_min_area_drops_small_contours():
    img1, img2 = _pair()
    img2[5:9, 5:9] = 255  # a 4x4 speck, contour area 9
    assert len(absdiff_otsu(img1, img2, min_area=0)) == 2
    assert len(absdiff_otsu(img1, img2)) == 1  # default min_area=40
    big_first = absdiff_otsu(img1, img2, min_area=0)
    assert big_first.scores[0] > big_first.scores[1]


def test_registry_and_aliases():
    assert {"absdiff", "ssim", "spotdiff"} <= set(list_detectors())
    det = get_detector("absdiff_otsu", min_area=0)
    assert len(as_detection(det(*_pair()))) == 1
    with pytest.raises(UnknownNameError, match="absdiff"):
        get_detector("absdif")
    with pytest.raises(InvalidOptionError, match="min_area"):
        get_detector("ssim", min_area=-1)


def test_bad_inputs_raise_layout_errors():
    img1, img2 = _pair()
    with pytest.raises(LayoutError, match="same shape"):
        absdiff_otsu(img1, img2[:100])
    with pytest.raises(LayoutError, match="uint8"):
        absdiff_otsu(img1.astype(np.float32), img2)
