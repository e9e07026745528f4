"""Detection metrics for difference regions: box IoU, one-to-one matching, P/R/F1, AP, mask F1.

Conventions (the ones of PASCAL VOC and COCO):

- Boxes are (N, 4) ``x1, y1, x2, y2`` in pixels with exclusive right/bottom edges (pixel ``(x, y)``
  covers ``[x, x + 1)``), as :class:`spotdiff.DiffResult` stores them; area ``(x2-x1)*(y2-y1)``.
- A prediction is a true positive when it is matched to a ground-truth box with IoU ``>= iou``.
  Matching is greedy by decreasing score (ties keep the input order): each prediction takes the
  still unmatched truth box it overlaps most, so every truth box is matched at most once and a
  second prediction on the same change is a false positive.
- Datasets are scored by summing TP / FP / FN over pairs (micro average), never by averaging
  per-pair F1 (a pair with one box would weigh as much as a pair with ten).
- AP is the area under the all-point interpolated precision-recall curve (PASCAL VOC 2010+:
  precision made monotone from the right, summed over every recall step), computed over the
  scores of all predictions of a dataset. COCO's 101-point sampling of the same curve differs
  by at most about 1 point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import InvalidOptionError, LayoutError
from .._validate import check_boxes

__all__ = [
    "Counts",
    "Match",
    "average_precision",
    "box_iou",
    "detection_counts",
    "mask_counts",
    "mask_f1",
    "match_boxes",
    "precision_recall_curve",
]


def _boxes(name: str, boxes: object) -> np.ndarray:
    return check_boxes(name, boxes)


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives, with the scores derived from them.

    Empty cases follow the rule "nothing claimed, nothing wrong": precision is 1 when nothing
    was predicted, recall is 1 when there was nothing to find, and F1 ``2TP / (2TP + FP + FN)``
    is 1 when all three counts are 0.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """``TP / (TP + FP)``, 1.0 when nothing was predicted."""
        n = self.tp + self.fp
        return self.tp / n if n else 1.0

    @property
    def recall(self) -> float:
        """``TP / (TP + FN)``, 1.0 when there was nothing to find."""
        n = self.tp + self.fn
        return self.tp / n if n else 1.0

    @property
    def f1(self) -> float:
        """``2TP / (2TP + FP + FN)``, the harmonic mean of precision and recall (1.0 if empty)."""
        n = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / n if n else 1.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class Match:
    """Result of :func:`match_boxes` for one image.

    Attributes:
        pred_to_truth: (N,) int64, index of the truth box each prediction matched, -1 if none.
        truth_to_pred: (M,) int64, index of the prediction each truth box matched, -1 if none.
        pred_iou: (N,) float64, IoU of each prediction with its matched truth box (0 if none).
    """

    pred_to_truth: np.ndarray
    truth_to_pred: np.ndarray
    pred_iou: np.ndarray

    @property
    def matched(self) -> np.ndarray:
        """(N,) bool, True for the predictions that are true positives."""
        return self.pred_to_truth >= 0

    @property
    def counts(self) -> Counts:
        tp = int(self.matched.sum())
        return Counts(tp=tp, fp=len(self.pred_to_truth) - tp, fn=len(self.truth_to_pred) - tp)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of two sets of boxes.

    Args:
        a: (N, 4) boxes ``x1, y1, x2, y2`` (any real dtype).
        b: (M, 4) boxes.

    Returns:
        (N, M) float64 in [0, 1]; 0 where the union is empty (two zero-area boxes).
    """
    a = _boxes("a", a)
    b = _boxes("b", b)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
    return iou


def match_boxes(
    pred: np.ndarray,
    scores: np.ndarray | None,
    truth: np.ndarray,
    *,
    iou: float = 0.5,
) -> Match:
    """Match predictions to ground truth one to one, greedily by decreasing score.

    Args:
        pred: (N, 4) predicted boxes xyxy.
        scores: (N,) confidence, larger first; None keeps the input order.
        truth: (M, 4) ground-truth boxes xyxy.
        iou: minimum IoU for a match, in (0, 1].

    Returns:
        The :class:`Match`; ``match.counts`` gives TP / FP / FN.
    """
    if not 0.0 < float(iou) <= 1.0:
        raise InvalidOptionError(f"iou must be in (0, 1], got {iou!r}")
    pred = _boxes("pred", pred)
    truth = _boxes("truth", truth)
    n, m = len(pred), len(truth)
    order = np.arange(n) if scores is None else _order(scores, n)
    ious = box_iou(pred, truth)
    pred_to_truth = np.full(n, -1, dtype=np.int64)
    truth_to_pred = np.full(m, -1, dtype=np.int64)
    pred_iou = np.zeros(n, dtype=np.float64)
    if m == 0:
        return Match(pred_to_truth, truth_to_pred, pred_iou)
    for i in order:
        row = np.where(truth_to_pred < 0, ious[i], -1.0)
        j = int(np.argmax(row))
        if row[j] >= iou:
            pred_to_truth[i] = j
            truth_to_pred[j] = i
            pred_iou[i] = row[j]
    return Match(pred_to_truth, truth_to_pred, pred_iou)


def _order(scores: object, n: int) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if s.shape != (n,):
        raise LayoutError(f"scores must have shape ({n},) (one per box), got {s.shape}")
    return np.argsort(-s, kind="stable")


def detection_counts(
    pred: np.ndarray, scores: np.ndarray | None, truth: np.ndarray, *, iou: float = 0.5
) -> Counts:
    """TP / FP / FN of one image: ``match_boxes(pred, scores, truth, iou=iou).counts``."""
    return match_boxes(pred, scores, truth, iou=iou).counts


def precision_recall_curve(
    scores: np.ndarray, matched: np.ndarray, n_truth: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of the top-k predictions of a dataset, for every k.

    Args:
        scores: (P,) scores of every prediction of every image.
        matched: (P,) bool, True where the prediction is a true positive (from :func:`match_boxes`
            run per image; the matching must be done per image, before pooling).
        n_truth: number of ground-truth boxes in the dataset.

    Returns:
        ``precision`` (P,), ``recall`` (P,) and ``thresholds`` (P,) (the scores, decreasing),
        float64; recall is 0 everywhere when ``n_truth`` is 0.
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    tp = np.asarray(matched, dtype=bool).reshape(-1)
    if s.shape != tp.shape:
        raise LayoutError(f"scores {s.shape} and matched {tp.shape} must have the same length")
    order = np.argsort(-s, kind="stable")
    ctp = np.cumsum(tp[order])
    k = np.arange(1, len(s) + 1)
    precision = ctp / k
    recall = ctp / n_truth if n_truth > 0 else np.zeros(len(s))
    return precision, recall, s[order]


def average_precision(scores: np.ndarray, matched: np.ndarray, n_truth: int) -> float:
    """All-point interpolated average precision over a dataset (PASCAL VOC 2010+ definition).

    ``AP = sum_i (r_i - r_{i-1}) * max_{j >= i} p_j`` over the predictions sorted by decreasing
    score. Truth boxes never matched count as missed (recall stays below 1).

    Args:
        scores: (P,) scores of every prediction of every image.
        matched: (P,) bool true-positive flags (per-image matching, see :func:`match_boxes`).
        n_truth: number of ground-truth boxes in the dataset.

    Returns:
        AP in [0, 1]; 1.0 when there is no truth and no prediction, 0.0 when there is truth but
        no prediction or no truth but predictions.
    """
    if n_truth < 0:
        raise InvalidOptionError(f"n_truth must be >= 0, got {n_truth}")
    precision, recall, _ = precision_recall_curve(scores, matched, n_truth)
    if n_truth == 0:
        return 1.0 if len(precision) == 0 else 0.0
    if len(precision) == 0:
        return 0.0
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate(([0.0], recall)))
    return float(np.sum(steps * envelope))


def _masks(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred)
    t = np.asarray(truth)
    if p.ndim != 2 or p.shape != t.shape:
        raise LayoutError(
            f"masks must be two (H, W) arrays of the same shape, got {p.shape} and {t.shape}"
        )
    return p.astype(bool, copy=False), t.astype(bool, copy=False)


def mask_counts(pred_mask: np.ndarray, true_mask: np.ndarray) -> Counts:
    """Pixel TP / FP / FN of a predicted change mask, both (H, W) bool (nonzero = changed)."""
    p, t = _masks(pred_mask, true_mask)
    tp = int(np.count_nonzero(p & t))
    return Counts(tp=tp, fp=int(np.count_nonzero(p)) - tp, fn=int(np.count_nonzero(t)) - tp)


def mask_f1(pred_mask: np.ndarray, true_mask: np.ndarray) -> float:
    """Pixel F1 (Dice) ``2|P & T| / (|P| + |T|)`` of two (H, W) masks; 1.0 when both are empty."""
    return mask_counts(pred_mask, true_mask).f1
