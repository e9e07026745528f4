"""Model-free candidate boxes for the ImgDiff segmentation step: :func:`spotdiff.find` + contours.

FastSAM proposes every object of each image and leaves it to the image-text matching and the
second similarity gate to find the changed ones. Without FastSAM (or without its weights),
:func:`region_proposals` proposes the changed areas directly:

1. the regions of spotdiff's model-free engine (:func:`spotdiff.find`: alignment, tone
   matching, colour and structural evidence, merged regions), in decreasing score;
2. contour proposals: the engine merges nearby fragments into one region; when a region's mask
   holds two or more connected components (external contours) of at least ``min_area`` pixels,
   each component's box is proposed too (two objects changed side by side give the merged box
   and one box per object; the final IoU suppression keeps what does not overlap).

Boxes are in image-1 pixels (the engine resizes image 2 to image 1's size first).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import cv2
import numpy as np

__all__ = ["FindProposals", "region_proposals"]


def _component_boxes(mask: np.ndarray, origin: tuple[int, int], min_area: float) -> list:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    boxes = []
    for x, y, w, h, area in stats[1:n]:
        if area >= min_area:
            boxes.append((origin[0] + x, origin[1] + y, origin[0] + x + w, origin[1] + y + h))
    return boxes if len(boxes) >= 2 else []


def region_proposals(
    img1: np.ndarray, img2: np.ndarray, **find_options: Any
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Candidate difference boxes of a pair, without a model (module docstring).

    Args:
        img1, img2: (H, W, 3) uint8 RGB arrays (image 2 is resized to image 1's size).
        **find_options: options of :func:`spotdiff.find` (``sensitivity``, ``min_area``, ...).

    Returns:
        ``(boxes, sources, info)``: (M, 4) float32 ``x1, y1, x2, y2`` in image-1 pixels, (M,)
        str ``"find"`` or ``"contour"`` for each box, and ``{"regions": n, "contours": m}``.
    """
    from ..detect import find

    result = find(img1, img2, masks=True, diff_map=False, **find_options)
    min_area = float(result.metadata.get("options", {}).get("min_area") or 16.0)
    boxes = [tuple(b) for b in result.boxes.tolist()]
    extra: list = []
    if result.masks is not None:
        for i in range(len(result)):
            crop, origin = result.masks.crop(i)
            if crop.size:
                extra += _component_boxes(crop, origin, min_area)
    out = np.array(boxes + extra, dtype=np.float32).reshape(-1, 4)
    sources = np.array(["find"] * len(boxes) + ["contour"] * len(extra), dtype="<U7")
    return out, sources, {"regions": len(boxes), "contours": len(extra)}


class FindProposals:
    """The segmentation backend without a model (same ``propose`` as the FastSAM backend)."""

    name = "find"
    #: compares the two images, so image 2 must come at image 1's size
    needs_same_size = True

    def __init__(self, **find_options: Any) -> None:
        self.find_options = dict(find_options)

    def propose(
        self, img1: np.ndarray, img2: np.ndarray, *, tally: Counter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(boxes1, boxes2)``: the proposals as image-1 boxes, and no image-2 boxes."""
        boxes, _, _ = region_proposals(img1, img2, **self.find_options)
        return boxes, np.zeros((0, 4), dtype=np.float32)

    def __repr__(self) -> str:
        return f"FindProposals({self.find_options})"
