"""Segmentation proposals for grounding: object boxes from a segmenter (FastSAM), kept where the
pair changed.

``find``'s regions are the default candidates; a segmenter adds the outline of whole objects
(a changed object found in pieces, or one whose change is faint), proposed in both images (image
2's boxes for what appeared, image 1's for what disappeared). A segment is kept only where the
pair changed: at least :data:`MIN_CHANGED` of its box is covered by ``find``'s regions, and it is
not a near-duplicate (IoU above :data:`DUPLICATE_IOU`) of a candidate already there. Kept
segments are marked ``data["source"] == "segment"``; ``find``'s regions ``"find"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..evaluation.metrics import box_iou
from ..result import DiffResult, RegionMasks

__all__ = ["DUPLICATE_IOU", "MIN_CHANGED", "auto_segmenter", "with_segments"]

#: Share of a segment's box that find's regions must cover for the segment to be a candidate.
MIN_CHANGED = 0.2
#: A segment overlapping a candidate by more than this IoU adds nothing.
DUPLICATE_IOU = 0.7


def auto_segmenter(*, device: Any = None) -> Any | None:
    """The FastSAM segmenter when ultralytics and FastSAM's weights are on this machine (nothing
    is downloaded to find out), else None."""
    import importlib.util

    if importlib.util.find_spec("ultralytics") is None:
        return None
    from .._errors import MissingDependencyError, WeightsNotFoundError
    from ..backends._spec import FASTSAM, local_candidates

    if not any(p.is_file() for p in local_candidates(FASTSAM.default)):
        return None
    from ..backends import get_backend

    try:
        return get_backend("segmentation", "fastsam", device=device)
    except (MissingDependencyError, WeightsNotFoundError):
        return None


def with_segments(
    proposals: DiffResult, img1: np.ndarray, img2: np.ndarray, segmenter: Any
) -> DiffResult:
    """``proposals`` plus the segmenter's boxes that lie on a change (module docstring).

    Args:
        proposals: ``find``'s regions of the pair (image-1 pixels, with masks).
        img1, img2: uint8 (h, w, 3) RGB, the compared pair (image 2 not warped; a reduced
            copy of a very large pair is fine: boxes are scaled to ``proposals``' image size,
            image 2's mapped through ``proposals.transform``).
        segmenter: a :class:`~spotdiff.backends.Segmenter` (``propose(img1, img2)`` ->
            ``(boxes1, boxes2)``, (K, 4) xyxy each, both images in one call).

    Returns:
        A DiffResult: the proposals first (``source`` "find"), then the kept segments (``source``
        "segment", score = the share of the box find covers x the best find score, kind
        ``"changed"``, mask = the box).
    """
    n = len(proposals)
    h, w = img1.shape[:2]
    size = proposals.image_size or (w, h)
    source = np.array(["find"] * n, dtype=object)
    boxes1, boxes2 = segmenter.propose(img1, img2)
    boxes2 = _to_image1(np.asarray(boxes2, float).reshape(-1, 4), proposals.transform)
    segments = np.concatenate([np.asarray(boxes1, float).reshape(-1, 4), boxes2])
    segments *= np.array([size[0] / w, size[1] / h] * 2)  # a reduced copy: to image-1 pixels
    if n == 0 or len(segments) == 0:
        return _with_source(proposals, source)
    changed = np.zeros((size[1], size[0]), bool)
    for i in range(n):
        changed |= (
            proposals.masks[i]
            if proposals.masks is not None
            else _box_mask(proposals.boxes[i], size)
        )
    integral = np.pad(changed.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    kept, shares = [], []
    current = proposals.boxes.astype(float)
    for box in segments:
        x1, y1, x2, y2 = np.clip(np.rint(box), 0, [size[0], size[1], size[0], size[1]]).astype(int)
        if x2 <= x1 or y2 <= y1:
            continue
        covered = integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]
        share = covered / ((x2 - x1) * (y2 - y1))
        candidate = np.array([x1, y1, x2, y2], float)
        if share < MIN_CHANGED or box_iou(candidate[None], current).max() > DUPLICATE_IOU:
            continue
        kept.append(candidate)
        shares.append(share)
        current = np.vstack([current, candidate])
    if not kept:
        return _with_source(proposals, source)
    extra = np.array(kept, np.float32)
    best = float(proposals.scores.max())
    scores = np.concatenate([proposals.scores, np.array(shares, np.float32) * best])
    data = {}
    for key, values in proposals.data.items():
        values = np.asarray(values)
        fill = "changed" if key == "kind" else 0
        if key == "area":
            fill = 0
        if values.dtype.kind in "US":  # strings: room for the longest value
            data[key] = np.array([*values.tolist(), *[fill] * len(extra)])
        else:
            data[key] = np.concatenate([values, np.full(len(extra), fill, dtype=values.dtype)])
    if "area" in data:
        data["area"][n:] = ((extra[:, 2] - extra[:, 0]) * (extra[:, 3] - extra[:, 1])).astype(
            data["area"].dtype
        )
    data["source"] = np.concatenate([source, np.array(["segment"] * len(extra), dtype=object)])
    masks = None
    if proposals.masks is not None:
        crops = [proposals.masks.crop(i)[0] for i in range(n)]
        origins = [proposals.masks.crop(i)[1] for i in range(n)]
        for b in extra.astype(int):
            crops.append(np.ones((b[3] - b[1], b[2] - b[0]), bool))
            origins.append((b[0], b[1]))
        masks = RegionMasks(crops, np.asarray(origins, np.int64), size)
    return DiffResult(
        boxes=np.concatenate([proposals.boxes, extra]),
        scores=scores,
        masks=masks,
        data=data,
        diff_map=proposals.diff_map,
        transform=proposals.transform,
        aligned=proposals.aligned,
        image_size=size,
        metadata=proposals.metadata,
    )


def _to_image1(boxes: np.ndarray, transform: np.ndarray | None) -> np.ndarray:
    """Image-2 boxes as the image-1 boxes around their warped corners."""
    if transform is None or len(boxes) == 0 or np.allclose(transform, np.eye(3)):
        return boxes
    corners = np.stack(
        [boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [0, 3]], boxes[:, [2, 3]]], axis=1
    )  # (K, 4, 2)
    ones = np.ones((*corners.shape[:2], 1))
    mapped = np.concatenate([corners, ones], axis=2) @ np.asarray(transform, float).T
    xy = mapped[..., :2] / mapped[..., 2:3]
    return np.concatenate([xy.min(axis=1), xy.max(axis=1)], axis=1)


def _box_mask(box: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    out = np.zeros((size[1], size[0]), bool)
    x1, y1, x2, y2 = np.rint(box).astype(int)
    out[max(0, y1) : y2, max(0, x1) : x2] = True
    return out


def _with_source(proposals: DiffResult, source: np.ndarray) -> DiffResult:
    return DiffResult(
        boxes=proposals.boxes,
        scores=proposals.scores,
        masks=proposals.masks,
        data={**proposals.data, "source": source},
        diff_map=proposals.diff_map,
        transform=proposals.transform,
        aligned=proposals.aligned,
        image_size=proposals.image_size,
        metadata=proposals.metadata,
    )
