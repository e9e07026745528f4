"""Evidence map -> DiffResult: scaling to image-1 pixels, merging, filters, order, masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.detect import find
from spotdiff.evaluation.metrics import match_boxes
from spotdiff.regions.extract import extract_regions, region_score


def _z() -> np.ndarray:
    z = np.zeros((60, 80), np.float32)
    z[10:20, 10:30] = 2.0  # 200 px, strong
    z[10:20, 32:40] = 1.2  # a fragment 2 px away: merges with it
    z[40:44, 60:64] = 1.1  # 16 px, weak and small
    return z


def test_regions_scaled_to_image_1_pixels():
    r = extract_regions(_z(), image_size=(160, 120))  # z is at half resolution
    assert len(r) == 2 and r.image_size == (160, 120)
    np.testing.assert_allclose(r.boxes[0], [20, 20, 80, 40])  # the merged object
    np.testing.assert_allclose(r.boxes[1], [120, 80, 128, 88])
    assert r.scores[0] > r.scores[1] and (np.diff(r.scores) <= 0).all()
    assert r.masks.shape == (2, 120, 160)
    assert r.area[1] == 64 and r.area[0] == (200 + 80) * 4
    assert r.data["evidence"][1] == np.float32(1.1)
    assert r.kind is None  # no images given


def test_min_area_and_max_regions():
    z = _z()
    assert len(extract_regions(z, image_size=(80, 60), min_area=17)) == 1
    top = extract_regions(z, image_size=(80, 60), max_regions=1)
    assert len(top) == 1 and top.boxes[0, 0] == 10
    apart = extract_regions(z, image_size=(80, 60), max_gap=1.0, rel_gap=0.0)
    assert len(apart) == 3  # no merging beyond touching pixels


def test_empty_and_without_masks():
    empty = extract_regions(np.zeros((20, 20), np.float32), image_size=(20, 20))
    assert len(empty) == 0 and set(empty.data) == {"kind", "area", "evidence"}
    r = extract_regions(_z(), image_size=(80, 60), masks=False)
    assert r.masks is None and len(r) == 2


def test_kinds_with_images():
    z = _z()
    a = np.full((60, 80, 3), 100, np.uint8)
    b = a.copy()
    b[10:20, 10:40] = (250, 30, 30)
    b[40:44, 60:64] = 180
    r = extract_regions(z, image_size=(80, 60), rgb1=a, rgb2=b)
    assert r.kind.tolist()[0] == "added"


def test_region_score():
    assert region_score(0.0, 100) == 0.0
    assert region_score(2.0, 400) > region_score(2.0, 16) > region_score(1.0, 16) > 0
    assert region_score(5.0, 10_000) < 1.0
    # calibrated, not saturated: 10x10 px at 3x the threshold 0.26, 40x40 at 4x 0.80
    assert abs(region_score(3.0, 100) - 0.259) < 1e-3
    assert abs(region_score(4.0, 1600) - 0.798) < 1e-3
    assert abs(region_score(5.0, 3600) - 0.950) < 1e-3


def _resized(img: np.ndarray, factor: float) -> np.ndarray:
    size = (round(img.shape[1] * factor), round(img.shape[0] * factor))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def _boxes_at(img1: np.ndarray, img2: np.ndarray, factor: float) -> np.ndarray:
    """find's boxes on both images resized by ``factor``, mapped back to the images' pixels."""
    a, b = _resized(img1, factor), _resized(img2, factor)
    sx, sy = img1.shape[1] / a.shape[1], img1.shape[0] / a.shape[0]
    return find(a, b).boxes * np.float32([sx, sy, sx, sy])


SCALE_CASES = [
    *((seed, factor) for seed in (0, 2, 3, 4) for factor in (0.75, 1.5)),
    pytest.param(
        1,
        0.75,
        marks=pytest.mark.xfail(
            strict=True,
            reason="open (issue 9): two discs 5 px apart reported apart at 1x join at 0.75x: "
            "7.2 px apart under an allowance of 6.4 px that group_components rounds up to a "
            "7-px disc; rounding to the nearest pixel splits a word on a noisy page "
            "(tests/maps/test_words.py) and graphic_people's tuft (4.1 px under 3.6)",
        ),
    ),
    # two discs 69 px apart joined at 1.5x (cubic) on a chain of outlines that is one layout at
    # 1x: the objects' row gap follows the enlargement (:mod:`spotdiff.regions.orient`)
    (7, 1.5),
]


@pytest.mark.parametrize(("seed", "factor"), SCALE_CASES)
def test_a_drawing_and_its_resized_copies_give_matching_boxes(puzzle_drawing, seed, factor):
    # the held-out real pairs come at other sizes: a small change's box must not depend on them
    img1, img2 = puzzle_drawing(seed)
    plain = find(img1, img2).boxes
    assert len(plain) >= 7  # most of the ten discs (overlapping ones are one change)
    counts = match_boxes(_boxes_at(img1, img2, factor), None, plain).counts
    assert (counts.fp, counts.fn) == (0, 0), counts
