"""Tight boxes: each region's box shrunk, at full resolution, to the pixels whose colour differs.

The evidence map that finds regions is wider than the change: the structural (SSIM) map spreads
a change over its gaussian window (a few working pixels on each side), and the working
resolution rounds outward when the region is scaled back to image-1 pixels. An 8x8 px change at
1920x1080 came out as a 26 px box. Here the box is refined from a tight per-pixel cue: the
shift-tolerant colour difference (:func:`~.colour.colour_difference`) of the full-resolution
images inside the box plus a margin, divided by the colour threshold, kept where it is at least
``low`` and inside the region's own (slightly dilated) support.

Guards, so that a large object is never cut (and :func:`spotdiff.find` refines only boxes whose
longer side is at most 3x the SSIM window's reach, where the halo is a large share of the box):

- only shrink: the refined box lies inside the region's box;
- a side moves inwards only when the colour cue ends within ``max_shrink`` pixels of it (the
  reach of the SSIM window and the rounding, in image-1 pixels); further in, the structural map
  sees something the colour cue does not (texture without a change of colour) and the side stays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tight_box"]


def tight_box(
    tight: np.ndarray,
    box: tuple[int, int, int, int],
    origin: tuple[int, int],
    *,
    max_shrink: float,
    min_pixels: int = 1,
) -> tuple[int, int, int, int]:
    """The region's box shrunk to the pixels of ``tight``, each side by at most ``max_shrink``.

    Args:
        tight: (h, w) bool, pixels that differ at full resolution, in a window of image 1 placed
            at ``origin`` ``(x0, y0)`` (image-1 pixels) and covering ``box``.
        box: ``(x1, y1, x2, y2)`` int, exclusive ends, the region's box in image-1 pixels.
        max_shrink: most pixels a side may move inwards (>= 0); a side that would move further
            stays where it is.
        min_pixels: fewer tight pixels than this inside ``box`` leave the box unchanged.

    Returns:
        ``(x1, y1, x2, y2)`` int inside ``box`` (``box`` itself when nothing may shrink).
    """
    x1, y1, x2, y2 = box
    ox, oy = origin
    inner = tight[y1 - oy : y2 - oy, x1 - ox : x2 - ox]
    if int(inner.sum()) < max(1, min_pixels):
        return box
    ys = np.flatnonzero(inner.any(axis=1))
    xs = np.flatnonzero(inner.any(axis=0))
    cuts = (int(xs[0]), int(ys[0]), (x2 - x1) - int(xs[-1]) - 1, (y2 - y1) - int(ys[-1]) - 1)
    # a side the colour cue leaves further in than the structural map can reach keeps its place
    c = [v if v <= max_shrink else 0 for v in cuts]
    return x1 + c[0], y1 + c[1], x2 - c[2], y2 - c[3]
