"""Regions a test on their box rejects: the box on the working images, a window around it, and
the loop that drops the rejected ones (:mod:`.retrace`, :mod:`.lowpass`, :mod:`.toned`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from ..result import DiffResult

__all__ = ["drop_rejected", "window", "working_box"]

Box = tuple[int, int, int, int]


def working_box(regions: DiffResult, i: int, shape: tuple[int, ...]) -> Box:
    """Region ``i``'s box ``(x0, y0, x1, y1)`` (ends exclusive, whole pixels that cover it) on
    the grid of working images of ``shape`` ((h, w, ...)), by the ratio of their size to
    ``regions.image_size``."""
    sx, sy = shape[1] / regions.image_size[0], shape[0] / regions.image_size[1]
    x0, y0, x1, y1 = (float(v) for v in regions.boxes[i])
    return math.floor(x0 * sx), math.floor(y0 * sy), math.ceil(x1 * sx), math.ceil(y1 * sy)


def window(shape: tuple[int, ...], box: Box, margin: int) -> tuple[tuple[slice, slice], ...]:
    """``(outer, inner)``: the slices of images of ``shape`` ((h, w, ...)) that hold ``box``
    (clipped to them) grown by ``margin`` px (clipped), and the box's own slices inside that
    window."""
    h, w = shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    wx0, wy0 = max(0, x0 - margin), max(0, y0 - margin)
    wx1, wy1 = min(w, x1 + margin), min(h, y1 + margin)
    outer = (slice(wy0, wy1), slice(wx0, wx1))
    inner = (slice(y0 - wy0, y1 - wy0), slice(x0 - wx0, x1 - wx0))
    return outer, inner


def drop_rejected(
    regions: DiffResult,
    shape: tuple[int, ...],
    rejects: Callable[[Box], bool],
    *,
    among: Iterable[int] | None = None,
    spared: np.ndarray | None = None,
) -> DiffResult:
    """``regions`` without those whose :func:`working_box` on images of ``shape`` ``rejects``;
    ``regions`` itself when none is.

    Args:
        among: the indices of the regions to test (None: all).
        spared: (h, w) on the working images' grid, non-zero where a region is kept untested
            (a character reshaped on a clean render, :mod:`spotdiff.maps.glyph`), or None.
    """
    keep = np.ones(len(regions), bool)
    for i in range(len(regions)) if among is None else among:
        box = working_box(regions, i, shape)
        if spared is not None and spared[box[1] : box[3], box[0] : box[2]].any():
            continue
        keep[i] = not rejects(box)
    return regions if keep.all() else regions[keep]
