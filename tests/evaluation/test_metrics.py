"""Box IoU, matching, P/R/F1, AP and mask F1 against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError, LayoutError
from spotdiff.evaluation.metrics import (
    Counts,
    average_precision,
    box_iou,
    detection_counts,
    mask_counts,
    mask_f1,
    match_boxes,
    precision_recall_curve,
)


def test_box_iou_hand_numbers():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=np.float32)
    b = np.array([[5, 5, 15, 15], [0, 0, 10, 10], [20, 20, 30, 30]], dtype=np.float32)
    iou = box_iou(a, b)
    assert iou.shape == (2, 3)
    assert iou.dtype == np.float64
    # overlap 5x5 = 25, union 100 + 100 - 25 = 175
    np.testing.assert_allclose(iou[0], [25 / 175, 1.0, 0.0])
    # half-contained: [0,0,10,5] in [0,0,10,10] -> 50 / 100
    assert box_iou([[0, 0, 10, 5]], [[0, 0, 10, 10]])[0, 0] == pytest.approx(0.5)


def test_box_iou_empty_and_degenerate():
    assert box_iou(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    assert box_iou([[3, 3, 3, 3]], [[3, 3, 3, 3]])[0, 0] == 0.0  # zero-area boxes


@pytest.mark.parametrize(
    ("boxes", "error"),
    [(np.zeros((3, 3)), InvalidOptionError), ([[0, 0, np.nan, 1]], InvalidOptionError)],
)
def test_box_iou_rejects_bad_boxes(boxes, error):
    with pytest.raises(error):
        box_iou(boxes, [[0, 0, 1, 1]])


def test_match_is_greedy_by_score_and_one_to_one():
    truth = np.array([[0, 0, 10, 10]])
    # A overlaps less (IoU 0.6) but scores higher: it takes the truth box; B is a duplicate
    a = [0, 0, 10, 6]  # IoU 60 / 100
    b = [0, 0, 10, 9]  # IoU 90 / 100
    m = match_boxes(np.array([b, a]), np.array([0.8, 0.9]), truth)
    assert m.pred_to_truth.tolist() == [-1, 0]
    assert m.truth_to_pred.tolist() == [1]
    np.testing.assert_allclose(m.pred_iou, [0.0, 0.6])
    assert m.counts == Counts(tp=1, fp=1, fn=0)


def test_match_takes_best_free_truth():
    truth = np.array([[0, 0, 10, 10], [8, 0, 18, 10]])
    pred = np.array([[1, 0, 11, 10], [7, 0, 17, 10]])
    m = match_boxes(pred, np.array([0.9, 0.8]), truth)
    # the first prediction takes truth 0 (IoU 9/11), the second the other one (IoU 9/11)
    assert m.pred_to_truth.tolist() == [0, 1]
    assert m.counts == Counts(tp=2, fp=0, fn=0)


def test_match_iou_threshold_is_inclusive():
    truth = [[0, 0, 10, 10]]
    assert detection_counts([[0, 0, 10, 5]], None, truth, iou=0.5) == Counts(1, 0, 0)
    assert detection_counts([[0, 0, 10, 4]], None, truth, iou=0.5) == Counts(0, 1, 1)
    assert detection_counts(np.zeros((0, 4)), np.zeros(0), truth) == Counts(0, 0, 1)
    assert detection_counts([[0, 0, 1, 1]], [1.0], np.zeros((0, 4))) == Counts(0, 1, 0)


@pytest.mark.parametrize("iou", [0.0, 1.5, -1])
def test_match_rejects_bad_iou(iou):
    with pytest.raises(InvalidOptionError, match="iou"):
        match_boxes([[0, 0, 1, 1]], None, [[0, 0, 1, 1]], iou=iou)


def test_match_rejects_bad_scores():
    with pytest.raises(LayoutError, match="scores"):
        match_boxes([[0, 0, 1, 1]], [0.1, 0.2], [[0, 0, 1, 1]])


def test_counts_scores_and_empty_conventions():
    c = Counts(tp=6, fp=2, fn=4)
    assert c.precision == pytest.approx(0.75)
    assert c.recall == pytest.approx(0.6)
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert c.f1 == pytest.approx(12 / 18)
    assert Counts().f1 == 1.0 and Counts().precision == 1.0 and Counts().recall == 1.0
    assert Counts(fn=3).precision == 1.0 and Counts(fn=3).f1 == 0.0
    assert Counts(1, 2, 3) + Counts(4, 5, 6) == Counts(5, 7, 9)
    assert c.to_dict()["f1"] == pytest.approx(2 / 3)


def test_average_precision_hand_computed():
    scores = np.array([0.6, 0.9, 0.7, 0.8])
    matched = np.array([False, True, True, False])
    # ranked: T F T F ; precision 1, 1/2, 2/3, 1/2 ; recall 1/3, 1/3, 2/3, 2/3 (3 truth boxes)
    p, r, t = precision_recall_curve(scores, matched, 3)
    np.testing.assert_allclose(p, [1, 0.5, 2 / 3, 0.5])
    np.testing.assert_allclose(r, [1 / 3, 1 / 3, 2 / 3, 2 / 3])
    np.testing.assert_allclose(t, [0.9, 0.8, 0.7, 0.6])
    # envelope 1, 2/3, 2/3, 1/2 ; AP = 1/3 * 1 + 1/3 * 2/3
    assert average_precision(scores, matched, 3) == pytest.approx(1 / 3 + 2 / 9)


def test_average_precision_edges():
    assert average_precision([0.9, 0.1], [True, True], 2) == pytest.approx(1.0)
    assert average_precision([0.1, 0.9], [True, False], 1) == pytest.approx(0.5)
    assert average_precision([], [], 4) == 0.0
    assert average_precision([], [], 0) == 1.0
    assert average_precision([0.5], [False], 0) == 0.0
    with pytest.raises(InvalidOptionError):
        average_precision([], [], -1)


def test_mask_f1_hand_numbers():
    pred = np.zeros((4, 4), bool)
    true = np.zeros((4, 4), bool)
    pred[:2, :2] = True  # 4 pixels
    true[:2, :3] = True  # 6 pixels, 4 shared
    assert mask_counts(pred, true) == Counts(tp=4, fp=0, fn=2)
    assert mask_f1(pred, true) == pytest.approx(8 / 10)
    assert mask_f1(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    with pytest.raises(LayoutError, match="same shape"):
        mask_f1(np.zeros((2, 2)), np.zeros((2, 3)))
