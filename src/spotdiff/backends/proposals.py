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

Boxes are in image-1 pixels (the engine resizes image 2 to image 1's size first). ``min_area``
is the engine's own smallest region for image 1's size, read from its public configuration
(:class:`spotdiff.detect.FindConfig`), never from a result's metadata.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields, replace
from typing import Any

import cv2
import numpy as np

from .._errors import InvalidOptionError
from ._registry import register_backend

__all__ = ["FIND_OPTIONS", "FindProposals", "proposal_min_area", "region_proposals"]

#: Options of :func:`spotdiff.find` the proposals pass on (``masks`` and ``diff_map`` are set by
#: the proposals themselves).
FIND_OPTIONS = frozenset(
    {
        "sensitivity", "threshold", "min_area", "max_regions", "align", "photometric",
        "sharpness", "structure", "max_side", "merge_gap", "ignore", "size_mismatch", "layout",
        "config",
    }
)  # fmt: skip


def check_find_options(find_options: dict[str, Any]) -> dict[str, Any]:
    """``find_options`` unchanged, or :class:`InvalidOptionError` naming the unknown keys."""
    unknown = sorted(set(find_options) - FIND_OPTIONS)
    if unknown:
        raise InvalidOptionError(
            f"find_options got unknown option(s) {', '.join(unknown)}; valid options: "
            + ", ".join(sorted(FIND_OPTIONS))
        )
    return find_options


def proposal_min_area(find_options: dict[str, Any], width: int, height: int) -> float:
    """Smallest component (image-1 pixels) of a ``width`` x ``height`` image 1: find's own
    ``min_area`` for these options and that size (:meth:`spotdiff.detect.FindConfig.for_size`).
    """
    from ..detect import FindConfig

    base = find_options.get("config") or FindConfig()
    names = {f.name for f in fields(FindConfig)}
    given = {k: v for k, v in find_options.items() if k in names and v is not None}
    return float(replace(base, **given).for_size(int(width), int(height)).min_area)


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

    check_find_options(find_options)
    result = find(img1, img2, masks=True, diff_map=False, **find_options)
    min_area = proposal_min_area(find_options, result.image_size[0], result.image_size[1])
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


@register_backend("segmentation", "find", model=False)
class FindProposals:
    """Model-free segmentation: the changed regions of :func:`spotdiff.find`, plus contours.

    Args:
        **find_options: options of :func:`spotdiff.find` (:data:`FIND_OPTIONS`).

    Raises:
        InvalidOptionError: an option find does not take (the message names the valid ones).
    """

    name = "find"
    #: compares the two images, so image 2 must come at image 1's size
    needs_same_size = True

    def __init__(self, **find_options: Any) -> None:
        self.find_options = check_find_options(dict(find_options))

    def propose(
        self, img1: np.ndarray, img2: np.ndarray, *, tally: Counter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(boxes1, boxes2)``: the proposals as image-1 boxes, and no image-2 boxes."""
        boxes, _, _ = region_proposals(img1, img2, **self.find_options)
        return boxes, np.zeros((0, 4), dtype=np.float32)

    def __repr__(self) -> str:
        return f"FindProposals({self.find_options})"
