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

Objects of the image itself (renders: screenshots, UI, drawings): a change often shows as
fragments that no distance rule joins: a button whose rounded ends changed differs at its four
corners only, a text line re-flowed after a removed word differs word by word, a logo of touching
coloured bars differs bar by bar. :func:`image_objects` labels the image's own objects: the
connected sets of *inked* pixels (3x3 range above :data:`INK_LEVEL` in either image), bridged
across gaps of up to :data:`ROW_GAP` px along a row (the spaces between the words of a line) and
2 px across, text-like objects of one row (a row of links, a menu) joined across up to
:data:`ROW_WORD_GAP` heights, and runs of :data:`TOOLBAR_RUN` or more alike compact objects
drawn in both images, under :data:`TOOLBAR_GAP` heights apart, joined into one toolbar (icons
reordered are one change; markers added are not drawn in image 1); an object whose box covers more than :data:`MAX_OBJECT_SHARE` of the
image is layout (a page, a map, a card frame), not one object. Components that overlap the same
object join; components on two *sibling* objects (compact and alike in size: two map markers,
two icons) stay two whatever the distance rule says, unless an object of the image holds both
(the lines of one card, the text on a button). All of it serves renders only
(:func:`spotdiff.maps.antialias.looks_rendered`); photographs keep the distance rule alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .merge import union_roots

__all__ = [
    "INK_LEVEL",
    "MAX_OBJECT_SHARE",
    "ROW_GAP",
    "ROW_WORD_GAP",
    "SIBLING_RATIO",
    "TEXT_ASPECT",
    "TEXT_HEIGHT",
    "TOOLBAR_GAP",
    "TOOLBAR_RUN",
    "ObjectMap",
    "frame_artefacts",
    "group_components",
    "image_objects",
]

#: 3x3 grey range (levels) above which a pixel is inked (part of an edge, a glyph, a line): a
#: step of about 12 levels, well above a render's gradients (1-3 levels per pixel) and below
#: any visible outline.
INK_LEVEL = 12
#: Widest gap (px of the map) bridged along a row between the inked pixels of one object: the
#: space between words of 12-30 px text and between the icons of a toolbar at a working width of
#: 1024 px. Objects further apart stay separate.
ROW_GAP = 6
#: Largest ratio of width and of height between two objects of one kind (siblings: two
#: markers, two buttons): sibling objects with nothing of the image between them stay separate.
SIBLING_RATIO = 1.3
#: Text-like object: at least this many times wider than high ...
TEXT_ASPECT = 1.5
#: ... and at most this high (px of the map): a line of text at a working width of 1024 px.
TEXT_HEIGHT = 40
#: Widest gap between the words of one text row, in heights of the lower word.
ROW_WORD_GAP = 2.0
#: Toolbar: a run of at least this many alike compact objects in a row ...
TOOLBAR_RUN = 3
#: ... at most this many heights apart (icons closer than their own size).
TOOLBAR_GAP = 1.0
#: Share of the image above which an inked object's box is layout (page frame, map, card), not
#: one object: it joins nothing.
MAX_OBJECT_SHARE = 0.25


@dataclass(frozen=True)
class ObjectMap:
    """Objects for :func:`group_components` made of changed pieces, not of the image's own
    objects (:func:`spotdiff.regions.occlusion.occluded_objects`).

    Attributes:
        labels: int32 (H, W), ``1..M`` on the pixels of each object, 0 elsewhere: components
            overlapping one object join whatever their distance.
        pieces: int32 (H, W), ``1..P`` on the pixels of each changed piece, 0 elsewhere.
        apart: bool (P + 1, P + 1), symmetric: components on pieces ``a`` and ``b`` with
            ``apart[a, b]`` never join by distance (two changes side by side); others follow
            the distance rule (no sibling rule: that serves the image's own objects).
    """

    labels: np.ndarray
    pieces: np.ndarray
    apart: np.ndarray


def image_objects(gray1: np.ndarray, gray2: np.ndarray, *, row_gap: int = ROW_GAP) -> np.ndarray:
    """The image's own objects (see the module docstring), labelled.

    Args:
        gray1, gray2: uint8 (H, W) grey images of the pair (image 2 aligned).
        row_gap: widest gap (px) bridged along a row.

    Returns:
        int32 (H, W): ``1..M`` on the pixels of each object, 0 elsewhere (flat background and
        objects larger than :data:`MAX_OBJECT_SHARE` of the image).
    """
    k = np.ones((3, 3), np.uint8)
    ink1, ink2 = (
        (cv2.subtract(cv2.dilate(g, k), cv2.erode(g, k)) > INK_LEVEL).view(np.uint8)
        for g in (gray1, gray2)
    )
    ink = ink1 | ink2
    # the 3x3 range inks one pixel either side of an edge: a gap of g px leaves g - 2 uninked
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, row_gap - 1), 1))
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, bridge)
    _, lab, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8, ltype=cv2.CV_32S)
    h, w = gray1.shape
    big = stats[:, 2].astype(np.int64) * stats[:, 3] > MAX_OBJECT_SHARE * h * w
    big[0] = True
    lab[big[lab]] = 0
    n = len(stats)
    inked1 = np.bincount(lab.ravel(), weights=ink1.ravel(), minlength=n)
    inked2 = np.bincount(lab.ravel(), weights=ink2.ravel(), minlength=n)
    shared = np.minimum(inked1, inked2) >= 0.5 * np.maximum(inked1, inked2)
    return _rows(lab, stats, big, shared)


def _rows(lab: np.ndarray, stats: np.ndarray, dropped: np.ndarray, shared: np.ndarray):
    """``lab`` with the objects of one row as one object.

    Text rows: text-like objects (at least :data:`TEXT_ASPECT` times wider than high, at most
    :data:`TEXT_HEIGHT` px high) of heights within :data:`SIBLING_RATIO`, overlapping
    vertically by 70% of the lower one and at most :data:`ROW_WORD_GAP` heights apart (a row of
    links, a menu bar, a line re-flowed after a word was removed).

    Toolbars: runs of at least :data:`TOOLBAR_RUN` compact objects (at most 3x longer than
    wide) alike within :data:`SIBLING_RATIO` in width and height, in one row the same way and
    at most :data:`TOOLBAR_GAP` heights apart, each drawn in both images (``shared``: inked
    pixels of either image at least half the other's): a row of icons whose order changed is
    one change. Two icons, or markers added on a map (drawn in one image only), never join.
    """
    x, y, bw, bh = (stats[:, i].astype(np.int64) for i in range(4))
    text = ~dropped & (bw >= TEXT_ASPECT * bh) & (bh <= TEXT_HEIGHT)
    compact = ~dropped & shared & (np.maximum(bw, bh) <= 3 * np.minimum(bw, bh))
    pairs = []
    for cand, gap_ratio, run, alike in (
        (text, ROW_WORD_GAP, 2, False),
        (compact, TOOLBAR_GAP, TOOLBAR_RUN, True),
    ):
        ids = np.flatnonzero(cand)
        if len(ids) < run:
            continue
        row = _same_row(x[ids], y[ids], bw[ids], bh[ids], gap_ratio, alike_width=alike)
        parent = union_roots(row)
        sizes = np.bincount(parent, minlength=len(ids))
        keep = sizes[parent] >= run
        pairs.append((ids[keep], ids[parent[keep]]))
    if not any(len(i) for i, _ in pairs):
        return lab
    remap = np.arange(len(stats), dtype=np.int32)
    for ids, roots in pairs:
        remap[ids] = roots
    return remap[lab]


def _same_row(x, y, bw, bh, gap_ratio: float, *, alike_width: bool) -> np.ndarray:
    """(K, K) bool: objects of heights (and, with ``alike_width``, widths) within
    :data:`SIBLING_RATIO`, overlapping vertically by 70% of the lower one and at most
    ``gap_ratio`` heights of the lower one apart along the row."""
    x0, x1, y0, y1 = x, x + bw, y, y + bh
    lo, hi = np.minimum(bh[:, None], bh[None]), np.maximum(bh[:, None], bh[None])
    overlap = np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None])
    gap = np.maximum(x0[:, None], x0[None]) - np.minimum(x1[:, None], x1[None])
    row = (hi <= SIBLING_RATIO * lo) & (overlap >= 0.7 * lo) & (gap <= gap_ratio * lo)
    if alike_width:
        wlo, whi = np.minimum(bw[:, None], bw[None]), np.maximum(bw[:, None], bw[None])
        row &= whi <= SIBLING_RATIO * wlo
    np.fill_diagonal(row, False)
    return row


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
    objects: np.ndarray | ObjectMap | None = None,
    linked: np.ndarray | None = None,
    separate: np.ndarray | None = None,
) -> np.ndarray:
    """Group ids of labelled components under the rule of the module docstring.

    Args:
        labels: (H, W) int32, ``1..K`` on component pixels, 0 elsewhere.
        boxes: (K, 4) int xyxy (exclusive ends) of each component.
        areas: (K,) pixel count of each component.
        max_gap, rel_gap, min_gap: the allowed distance (pixels of ``labels``).
        exclude: (K,) bool, components that join nothing (each stays its own group).
        objects: (H, W) int32 object labels of the image (:func:`image_objects`), or None:
            components overlapping one object join whatever their distance; or an
            :class:`ObjectMap` (joined pieces, and which pieces never join by distance).
        linked: (K,) int, components with the same non-zero id join (they were grouped
            before the halo was removed, :func:`~.components.flat_halo`) unless they lie on
            sibling objects (:func:`_related`).
        separate: (K, K) bool, symmetric: components that never join, by any rule, nor do
            the groups holding them (two changes that touch: :mod:`~.split`); None: none.

    Returns:
        (K,) int64 group id of each component, ``0..G-1`` in order of first appearance.
    """
    k = len(areas)
    parent = np.arange(k)
    if k < 2:
        return parent.astype(np.int64)
    pieces = apart = None
    if isinstance(objects, ObjectMap):
        objects, pieces, apart = objects.labels, objects.pieces, objects.apart

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    held = None if separate is None else {i: [i] for i in range(k)}  # root -> its group

    def join(a: int, b: int) -> None:
        ri, rj = root(a), root(b)
        if ri == rj:
            return
        lo, hi = min(ri, rj), max(ri, rj)
        if held is not None:
            if separate[np.ix_(held[lo], held[hi])].any():
                return
            held[lo] += held.pop(hi)
        parent[hi] = lo

    allow = np.maximum(
        min(min_gap, max_gap), np.minimum(max_gap, rel_gap * np.sqrt(np.asarray(areas, float)))
    )
    skip = np.zeros(k, bool) if exclude is None else np.asarray(exclude, bool)
    on = _overlaps(labels, objects, k)  # the objects each component overlaps
    on_piece = _overlaps(labels, pieces, k)
    obj_box = np.zeros((0, 4), np.int64) if objects is None else _object_boxes(objects)
    first: dict[int, int] = {}  # object -> the first component on it
    for c in range(k):
        if skip[c]:
            continue
        for o in on[c]:
            join(first.setdefault(o, c), c)
    if linked is not None:
        ids = np.asarray(linked)
        for g in np.unique(ids[ids > 0]):
            members = [int(c) for c in np.flatnonzero(ids == g) if not skip[c]]
            for n, c in enumerate(members):
                for d in members[:n]:
                    if not (on[c] and on[d]) or _related(on[c], on[d], obj_box):
                        join(c, d)
    if first:  # the pieces of one object are judged by the object's size
        roots = np.array([root(i) for i in range(k)])
        size = np.bincount(roots, weights=np.asarray(areas, float), minlength=k)[roots]
        allow = np.maximum(allow, np.minimum(max_gap, rel_gap * np.sqrt(size)))
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
            if apart is not None:
                a, b = sorted(on_piece[i]), sorted(on_piece[j])
                if a and b and apart[np.ix_(a, b)].any():
                    continue  # two changes side by side
            elif on[i] and on[j] and not _related(on[i], on[j], obj_box):
                continue  # on different objects of the image: near, yet separate things
            join(int(i), j)
    roots = np.array([root(i) for i in range(k)])
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    relabel = np.empty(len(order), np.int64)
    relabel[order] = np.arange(len(order))
    return relabel[inverse]


def _overlaps(labels: np.ndarray, objects: np.ndarray | None, k: int) -> list[set[int]]:
    """The object labels each of the ``k`` components of ``labels`` overlaps."""
    on: list[set[int]] = [set() for _ in range(k)]
    if objects is not None:
        inked = (labels > 0) & (objects > 0)
        for o, c in np.unique(np.stack([objects[inked], labels[inked] - 1], axis=1), axis=0):
            on[int(c)].add(int(o))
    return on


def _object_boxes(objects: np.ndarray) -> np.ndarray:
    """(M + 1, 4) int64 xyxy (exclusive ends) of each object label (row 0 unused)."""
    m = int(objects.max())
    out = np.zeros((m + 1, 4), np.int64)
    out[:, :2] = np.iinfo(np.int64).max
    ys, xs = np.nonzero(objects)
    lab = objects[ys, xs]
    np.minimum.at(out[:, 0], lab, xs)
    np.minimum.at(out[:, 1], lab, ys)
    np.maximum.at(out[:, 2], lab, xs + 1)
    np.maximum.at(out[:, 3], lab, ys + 1)
    return out


def _related(a: set[int], b: set[int], box: np.ndarray) -> bool:
    """Whether components on the objects ``a`` and on the objects ``b`` may still join by
    distance: False only for *sibling* objects (compact boxes, at most 3x longer than wide,
    within :data:`SIBLING_RATIO` in width and height: two markers, two icons) that share nothing, where neither holds the
    other and no object holds both (the lines of one card, the text on a button)."""
    if a & b:
        return True
    ia, ib = np.fromiter(a, np.int64), np.fromiter(b, np.int64)
    ba, bb = box[ia], box[ib]
    lo = np.minimum(ba[:, :2].min(0), bb[:, :2].min(0))
    hi = np.maximum(ba[:, 2:].max(0), bb[:, 2:].max(0))
    if ((box[1:, :2] <= lo).all(1) & (box[1:, 2:] >= hi).all(1)).any():
        return True  # one object holds both (or one holds the other)
    sa, sb = ba[:, 2:] - ba[:, :2], bb[:, 2:] - bb[:, :2]
    ratio = np.maximum(sa[:, None], sb[None]) / np.maximum(np.minimum(sa[:, None], sb[None]), 1)
    alike = (ratio <= SIBLING_RATIO).all(-1)
    compact = (sa.max(1) <= 3 * sa.min(1))[:, None] & (sb.max(1) <= 3 * sb.min(1))[None]
    return not (alike & compact).any()
