"""Merging fragments of one changed object; separate changes stay separate.

Two boxes join one region when the gap between them (the larger of the horizontal and vertical
empty distances, 0 when they touch or overlap) is at most
``max(min_gap, min(max_gap, rel_gap * sqrt(area of the larger box)))``, repeated on the merged
boxes until nothing changes. The relative term lets the pieces of a large object join across the gaps its
texture leaves; the absolute cap ``max_gap`` keeps two changes that lie further apart than that
as two regions, whatever their sizes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["box_gaps", "group_boxes", "union_roots"]


def union_roots(pairs: np.ndarray) -> np.ndarray:
    """(K,) root (smallest member) of each item's group under the (K, K) bool relation."""
    parent = np.arange(len(pairs))
    for i, j in zip(*np.nonzero(np.triu(pairs)), strict=True):
        while parent[i] != i:
            i = parent[i]
        while parent[j] != j:
            j = parent[j]
        if i != j:
            parent[max(i, j)] = min(i, j)
    for i in range(len(parent)):  # roots come first (parent[i] <= i): one pass resolves
        parent[i] = parent[parent[i]]
    return parent


def box_gaps(boxes: np.ndarray) -> np.ndarray:
    """(K, K) float64 Chebyshev gap between xyxy boxes (0 when they touch or overlap)."""
    b = np.asarray(boxes, dtype=np.float64)
    gx = np.maximum(b[:, None, 0], b[None, :, 0]) - np.minimum(b[:, None, 2], b[None, :, 2])
    gy = np.maximum(b[:, None, 1], b[None, :, 1]) - np.minimum(b[:, None, 3], b[None, :, 3])
    return np.maximum(np.maximum(gx, gy), 0.0)


def group_boxes(
    boxes: np.ndarray, *, max_gap: float, rel_gap: float = 0.25, min_gap: float = 2.0
) -> np.ndarray:
    """Group ids of (K, 4) xyxy boxes under the merging rule of the module docstring.

    Returns:
        (K,) int64 group id of each box, ``0..G-1`` in order of first appearance.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    k = len(boxes)
    group = np.arange(k)
    if k < 2:
        return group.astype(np.int64)
    while True:
        ids = np.unique(group)
        gb = np.array([[*boxes[group == g, :2].min(0), *boxes[group == g, 2:].max(0)] for g in ids])
        side = np.sqrt((gb[:, 2] - gb[:, 0]) * (gb[:, 3] - gb[:, 1]))
        allow = np.minimum(max_gap, rel_gap * np.maximum(side[:, None], side[None, :]))
        allow = np.maximum(allow, min(min_gap, max_gap))
        near = box_gaps(gb) <= allow
        np.fill_diagonal(near, False)
        if not near.any():
            break
        parent = union_roots(near)  # the connected groups of the "near" graph
        group = parent[np.searchsorted(ids, group)]
    _, first = np.unique(group, return_index=True)
    order = np.argsort(first)
    relabel = np.empty(len(order), np.int64)
    relabel[order] = np.arange(len(order))
    return relabel[np.searchsorted(np.unique(group), group)]
