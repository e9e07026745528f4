"""Box conventions and the IoU suppression of the ImgDiff generator (its step 7).

Data-Juicer stores boxes as ultralytics ``xywh``: centre-x, centre-y, width, height, in pixels.
spotdiff's currency is ``xyxy`` (:class:`~spotdiff.result.DiffResult`); the conversions live here,
at the edge.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_boxes

__all__ = [
    "crop_windows",
    "cxcywh_to_xyxy",
    "iou_filter",
    "nms_indices",
    "xyxy_to_cxcywh",
]


def _as_boxes(boxes: np.ndarray, name: str, box_format: str = "xyxy") -> np.ndarray:
    return check_boxes(name, boxes, box_format=box_format)


def xyxy_to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) ``x1, y1, x2, y2`` -> (N, 4) float32 ``cx, cy, w, h`` (same pixel units)."""
    b = _as_boxes(boxes, "boxes")
    out = np.stack(
        [(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]],
        axis=1,
    )
    return out.astype(np.float32).reshape(-1, 4)


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) ``cx, cy, w, h`` -> (N, 4) float32 ``x1, y1, x2, y2``."""
    b = _as_boxes(boxes, "boxes", "cxcywh")
    half_w, half_h = b[:, 2] / 2, b[:, 3] / 2
    out = np.stack([b[:, 0] - half_w, b[:, 1] - half_h, b[:, 0] + half_w, b[:, 1] + half_h], 1)
    return out.astype(np.float32).reshape(-1, 4)


def nms_indices(samples: np.ndarray, iou_thresh: float) -> np.ndarray:
    """Indices kept by Data-Juicer's greedy IoU suppression, in input order (not by score).

    The first remaining box is kept and every later box whose IoU with it exceeds
    ``iou_thresh`` is dropped; repeat. IoU uses Data-Juicer's inclusive-pixel areas
    ``(x2 - x1 + 1) * (y2 - y1 + 1)``, so results equal its ``iou_filter`` exactly.

    Args:
        samples: (N, 4) ``cx, cy, w, h`` boxes (any real dtype).
        iou_thresh: boxes with IoU ``> iou_thresh`` to a kept box are dropped.

    Returns:
        (K,) int64 indices into ``samples``, increasing.
    """
    b = _as_boxes(samples, "samples", "cxcywh")
    x1, y1 = b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2
    x2, y2 = b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2
    areas = (y2 - y1 + 1) * (x2 - x1 + 1)
    keep: list[int] = []
    order = np.arange(len(b))
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(int(i))
        w = np.maximum(0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        order = rest[iou <= iou_thresh]
    return np.asarray(keep, dtype=np.int64)


def iou_filter(samples: np.ndarray, iou_thresh: float) -> np.ndarray:
    """Data-Juicer's ``iou_filter``: the boxes of ``samples`` kept by :func:`nms_indices`.

    Args:
        samples: (N, 4) ``cx, cy, w, h`` array.
        iou_thresh: IoU above which a later box is dropped (the operator uses 0.5).

    Returns:
        ``samples[nms_indices(samples, iou_thresh)]``: same dtype, (K, 4).
    """
    arr = np.asarray(samples)
    return arr[nms_indices(arr, iou_thresh)]


def crop_windows(boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Integer crop windows of ``xyxy`` boxes, as Data-Juicer slices them, inside the image.

    Data-Juicer crops ``image[int(cy - h/2):int(cy + h/2), int(cx - w/2):int(cx + w/2)]``
    (``int`` truncates toward zero); the windows are clipped to ``[0, W] x [0, H]`` here (a
    negative start would wrap around in NumPy).

    Args:
        boxes: (N, 4) ``x1, y1, x2, y2`` in pixels.
        size: ``(W, H)`` of the image.

    Returns:
        (N, 4) int64 ``x0, y0, x1, y1`` with ``0 <= x0 <= x1 <= W`` and ``0 <= y0 <= y1 <= H``;
        an empty window has ``x1 == x0`` or ``y1 == y0``.
    """
    b = _as_boxes(boxes, "boxes")
    w, h = size
    win = np.trunc(b).astype(np.int64)
    win[:, [0, 2]] = np.clip(win[:, [0, 2]], 0, w)
    win[:, [1, 3]] = np.clip(win[:, [1, 3]], 0, h)
    win[:, 2] = np.maximum(win[:, 2], win[:, 0])
    win[:, 3] = np.maximum(win[:, 3], win[:, 1])
    return win
