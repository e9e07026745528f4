"""Regions found on a reduced copy of a pair, expressed in the original image's pixels.

:func:`spotdiff.find` decodes very large files reduced (JPEG at 1/2, 1/4 or 1/8 scale inside the
decoder, other formats averaged by an integer factor; see :func:`spotdiff.io.decode_pair_reduced`)
because it compares at a working resolution of about 1024 px anyway. :func:`rescale`
then scales everything pixel-based back: boxes, masks, areas, the difference map and the
transform, so a result reads exactly as if the full image had been decoded (boxes are as precise
as one pixel of the reduced copy).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..align.warp import scale_transform
from ..result import DiffResult, RegionMasks

__all__ = ["rescale"]


def _scaled_masks(masks: RegionMasks, sx: float, sy: float, size: tuple[int, int]) -> RegionMasks:
    w, h = size
    crops, origins = [], []
    for i in range(len(masks)):
        crop, (x, y) = masks.crop(i)
        x1, y1 = min(w, round(x * sx)), min(h, round(y * sy))
        x2 = min(w, max(x1 + 1, round((x + crop.shape[1]) * sx)))
        y2 = min(h, max(y1 + 1, round((y + crop.shape[0]) * sy)))
        if crop.size == 0 or x2 <= x1 or y2 <= y1:
            crops.append(np.zeros((0, 0), bool))
            origins.append((x1, y1))
            continue
        big = cv2.resize(crop.view(np.uint8), (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
        crops.append(big > 0)
        origins.append((x1, y1))
    return RegionMasks(crops, np.asarray(origins, dtype=np.int64).reshape(-1, 2), size)


def rescale(result: DiffResult, original_size: tuple[int, int]) -> DiffResult:
    """``result`` in the pixels of image 1 at ``original_size`` (either way: a result found on a
    reduced copy to the original, or an original-pixel result down to a reduced copy's pixels
    for drawing on it).

    Args:
        result: a :class:`~spotdiff.result.DiffResult` with ``image_size``.
        original_size: ``(W, H)`` of image 1 in the target pixels.

    Returns:
        The same regions with boxes, masks, ``data["area"]``, ``diff_map`` (bilinear),
        ``transform`` and ``image_size`` in original pixels; ``result`` itself when the sizes
        are equal.
    """
    if result.image_size is None or tuple(result.image_size) == tuple(original_size):
        return result
    w0, h0 = original_size
    w, h = result.image_size
    sx, sy = w0 / w, h0 / h
    boxes = result.boxes * np.array([sx, sy, sx, sy], dtype=np.float32)
    boxes = np.minimum(boxes, np.array([w0, h0, w0, h0], dtype=np.float32))
    data = dict(result.data)
    masks = result.masks
    if isinstance(masks, np.ndarray):
        masks = RegionMasks.from_dense(masks)
    if masks is not None:
        masks = _scaled_masks(masks, sx, sy, (w0, h0))
        data["area"] = masks.area()
    elif "area" in data:
        data["area"] = np.rint(np.asarray(data["area"]) * sx * sy).astype(np.int64)
    diff_map = result.diff_map
    if diff_map is not None:
        diff_map = cv2.resize(diff_map, (w0, h0), interpolation=cv2.INTER_LINEAR)
    transform = result.transform
    if transform is not None:
        transform = scale_transform(transform, (w, h), (w0, h0))
    return replace(
        result,
        boxes=boxes,
        masks=masks,
        data=data,
        diff_map=diff_map,
        transform=transform,
        image_size=(w0, h0),
    )
