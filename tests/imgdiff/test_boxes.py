"""Box conventions and Data-Juicer's IoU suppression (step 7)."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff import InvalidOptionError
from spotdiff.imgdiff import crop_windows, cxcywh_to_xyxy, iou_filter, nms_indices, xyxy_to_cxcywh


def _reference_keep(cxcywh: np.ndarray, thresh: float) -> list[int]:
    """Greedy suppression written out pair by pair (inclusive-pixel areas, input order)."""
    x1 = cxcywh[:, 0] - cxcywh[:, 2] / 2
    y1 = cxcywh[:, 1] - cxcywh[:, 3] / 2
    x2 = cxcywh[:, 0] + cxcywh[:, 2] / 2
    y2 = cxcywh[:, 1] + cxcywh[:, 3] / 2
    alive = list(range(len(cxcywh)))
    keep = []
    while alive:
        i = alive.pop(0)
        keep.append(i)
        survivors = []
        for j in alive:
            iw = max(0.0, min(x2[i], x2[j]) - max(x1[i], x1[j]) + 1)
            ih = max(0.0, min(y2[i], y2[j]) - max(y1[i], y1[j]) + 1)
            inter = iw * ih
            area_i = (x2[i] - x1[i] + 1) * (y2[i] - y1[i] + 1)
            area_j = (x2[j] - x1[j] + 1) * (y2[j] - y1[j] + 1)
            if inter / (area_i + area_j - inter) <= thresh:
                survivors.append(j)
        alive = survivors
    return keep


def test_iou_filter_keeps_first_of_overlapping_boxes_in_input_order():
    boxes = np.array(
        [[50, 50, 20, 20], [51, 50, 20, 20], [100, 100, 10, 10], [50, 50, 40, 40]], np.float32
    )
    # box 1 overlaps box 0 (IoU 0.91): dropped; box 3 contains box 0 (IoU 441/1681 = 0.26): kept
    np.testing.assert_array_equal(nms_indices(boxes, 0.5), [0, 2, 3])
    out = iou_filter(boxes, 0.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, boxes[[0, 2, 3]])


def test_iou_filter_matches_reference_on_random_boxes():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(1, 30))
        boxes = np.column_stack([rng.uniform(0, 200, (n, 2)), rng.uniform(1, 80, (n, 2))]).astype(
            np.float32
        )
        for thresh in (0.1, 0.5, 0.9):
            assert nms_indices(boxes, thresh).tolist() == _reference_keep(boxes, thresh)


def test_iou_filter_threshold_is_strict():
    # two 10x10 boxes sharing half: inclusive areas 121 each, overlap 11 x 6 = 66, IoU 66/176
    boxes = np.array([[10, 10, 10, 10], [15, 10, 10, 10]], np.float32)
    iou = 66 / 176
    assert nms_indices(boxes, iou).tolist() == [0, 1]  # IoU <= thresh survives
    assert nms_indices(boxes, iou - 1e-6).tolist() == [0]


def test_iou_filter_empty():
    assert iou_filter(np.zeros((0, 4), np.float32), 0.5).shape == (0, 4)
    assert nms_indices(np.zeros((0, 4)), 0.5).tolist() == []


def test_conversions_round_trip():
    xyxy = np.array([[10, 20, 30, 60], [0, 0, 1, 1]], np.float32)
    c = xyxy_to_cxcywh(xyxy)
    np.testing.assert_array_equal(c, [[20, 40, 20, 40], [0.5, 0.5, 1, 1]])
    assert c.dtype == np.float32
    np.testing.assert_array_equal(cxcywh_to_xyxy(c), xyxy)
    with pytest.raises(InvalidOptionError, match=r"\(N, 4\)"):
        xyxy_to_cxcywh(np.zeros((3, 5)))


def test_crop_windows_truncate_and_clip():
    boxes = np.array(
        [[10.7, 5.2, 30.9, 25.99], [-5, -3, 12, 8], [90, 60, 130, 90], [50, 50, 50.5, 60]]
    )
    win = crop_windows(boxes, (100, 70))
    np.testing.assert_array_equal(
        win, [[10, 5, 30, 25], [0, 0, 12, 8], [90, 60, 100, 70], [50, 50, 50, 60]]
    )
    assert win.dtype == np.int64
