"""Object-level grouping: fragments of one changed object join, separate objects stay separate.

:func:`spotdiff.regions.merge.group_boxes` joins boxes by the gap between their *boxes*; once a
box is large (a diagonal line, an L-shaped region) its box covers empty space, the allowed gap
grows with it, and on a dense pair (a spot-the-difference puzzle with 15 changes) every
fragment chains into one box over the whole picture. Here two components join only when their
*pixels* come within the allowed distance of each other:

``allow_k = max(min_gap, min(max_gap, rel_gap * sqrt(pixel area of component k)))``,

components ``j`` and ``k`` join when a pixel of ``j`` lies within ``max(allow_j, allow_k)`` of a
pixel of ``k`` (chains of such pairs form one group). The distance is measured on the pixels, so
two markers 10 px apart with nothing changed between them stay two regions while the pieces of a
textured object (whose gaps are small next to its size) join.

Frame artefacts: a component that lies entirely in the border band of the image (within
``band`` px of an edge) and runs along that edge (at least 3x longer than thick) is the trace of
a resampled or re-encoded frame, not a change; it joins nothing and is dropped
(:func:`frame_artefacts`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["frame_artefacts", "group_components"]


def frame_artefacts(boxes: np.ndarray, size: tuple[int, int], *, band: float) -> np.ndarray:
    """(K,) bool: components that lie in the image's border band and run along the edge.

    Args:
        boxes: (K, 4) xyxy (exclusive ends) of the components, in the map's pixels.
        size: ``(W, H)`` of the map.
        band: width of the border band in pixels (>= 1).
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    w, h = size
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    left, right = b[:, 2] <= band, b[:, 0] >= w - band
    top, bottom = b[:, 3] <= band, b[:, 1] >= h - band
    vertical = (left | right) & (bh >= 3 * bw)
    horizontal = (top | bottom) & (bw >= 3 * bh)
    return vertical | horizontal


def group_components(
    labels: np.ndarray,
    boxes: np.ndarray,
    areas: np.ndarray,
    *,
    max_gap: float,
    rel_gap: float = 0.25,
    min_gap: float = 2.0,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """Group ids of labelled components under the rule of the module docstring.

    Args:
        labels: (H, W) int32, ``1..K`` on component pixels, 0 elsewhere.
        boxes: (K, 4) int xyxy (exclusive ends) of each component.
        areas: (K,) pixel count of each component.
        max_gap, rel_gap, min_gap: the allowed distance (pixels of ``labels``).
        exclude: (K,) bool, components that join nothing (each stays its own group).

    Returns:
        (K,) int64 group id of each component, ``0..G-1`` in order of first appearance.
    """
    k = len(areas)
    parent = np.arange(k)
    if k < 2:
        return parent.astype(np.int64)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    allow = np.maximum(
        min(min_gap, max_gap), np.minimum(max_gap, rel_gap * np.sqrt(np.asarray(areas, float)))
    )
    skip = np.zeros(k, bool) if exclude is None else np.asarray(exclude, bool)
    h, w = labels.shape
    for i in np.argsort(-allow, kind="stable"):
        if skip[i]:
            continue
        r = max(1, math.ceil(allow[i]))
        x0, y0, x1, y1 = (int(v) for v in boxes[i])
        wx0, wy0, wx1, wy1 = max(0, x0 - r), max(0, y0 - r), min(w, x1 + r), min(h, y1 + r)
        win = labels[wy0:wy1, wx0:wx1]
        own = (win == i + 1).view(np.uint8)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        near = cv2.dilate(own, kernel) > 0
        for j in np.unique(win[near]):
            j = int(j) - 1
            if j < 0 or j == i or skip[j]:
                continue
            ri, rj = root(int(i)), root(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([root(i) for i in range(k)])
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    relabel = np.empty(len(order), np.int64)
    relabel[order] = np.arange(len(order))
    return relabel[inverse]
