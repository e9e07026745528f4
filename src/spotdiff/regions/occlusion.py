"""Changed pieces on drawings and photos: one object cut by an occluder joins, two changes
side by side stay two.

A cloud removed from behind a rope, a scarf given dots on both sides of an ear: the change is
one object, but the unchanged occluder cuts its evidence into pieces further apart than the
distance rule of :func:`~.group.group_components` allows (its allowance grows with the square
root of a piece's area: 8 px for a 30 x 35 px piece). Each piece's change is described by its
signature (:mod:`.signature`): two colours, the medians (8-bit CIELAB) of image 1 and of image
2 over its pixels that changed most, and its structure. Two pieces whose pixels come within twice the merge cap
of each other (an occluder can be wider than the gap the distance rule bridges), with the band
between their nearest pixels unchanged (at least :data:`UNCHANGED_SHARE` of it without
evidence), are

- one object seen through an occluder when they changed alike, one of their two colours within
  :data:`ALIKE` (the object they were part of, or the one they became), and the band is not
  their background: at most :data:`BACKGROUND_SHARE` of it has, in image 1, the pieces'
  image-1 colour or, in image 2, their image-2 colour. Two markers added 20 px apart on a map
  have the map between them, which is the pieces' image-1 colour: they stay two; removed, the
  map is their image-2 colour;
- two changes side by side when they changed otherwise
  (:func:`~.signature.changed_otherwise`: a recolour beside an object added, or other colours
  before and after beyond the structural window's reach: a lock removed from a chest beside a
  rope added on the floor, 12 px apart, joined by the rope's allowance before), or one was
  added and the other removed (:func:`~.kind.held_apart`: a figure drawn in image 2 beside a
  mark gone from image 1). They never join by distance.

On the real puzzles the pairs judged otherwise lay on two truth objects in 8 of 8 cases, at
9.8-42 px; two pairs on one object (a string of flags of three colours) lay 2-3 px apart.
:func:`occluded_objects` returns the joined sets, every piece and the pairs that never join by
distance as an :class:`~.group.ObjectMap`, the form :func:`~.group.group_components` takes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .components import Components, find_components
from .group import ObjectMap
from .kind import classify_kind, held_apart
from .merge import union_roots
from .signature import ALIKE, MIN_PIXELS, OTHERWISE, changed_otherwise, signatures

__all__ = [
    "ALIKE",
    "BACKGROUND_SHARE",
    "NEAR",
    "OTHERWISE",
    "UNCHANGED_SHARE",
    "around",
    "occluded_objects",
    "strip",
]

#: Smallest share of the band between two pieces without evidence (below the hysteresis level):
#: the occluder did not change.
UNCHANGED_SHARE = 0.9
#: Largest share of that band with the pieces' own colour in image 1 (or their colour in image
#: 2 in image 2): more, and the band is the background the pieces were drawn on or left, not an
#: occluder.
BACKGROUND_SHARE = 0.2
#: px of slack around the straight path between two pieces' nearest pixels (:func:`strip`)
NEAR = 2.0


def around(labels: np.ndarray, box, i: int, reach: float) -> tuple[tuple[slice, slice], np.ndarray]:
    """Piece ``i`` (label ``i + 1``, its ``box``) and what lies within ``reach`` px of it: the
    window (its box grown by ``reach``, clipped) and the distance (px) of each window pixel from
    the piece (float32, 0 on it)."""
    h, w = labels.shape
    r = math.ceil(reach)
    x0, y0, x1, y1 = (int(v) for v in box)
    win = (slice(max(0, y0 - r), min(h, y1 + r)), slice(max(0, x0 - r), min(w, x1 + r)))
    own = labels[win] == i + 1
    return win, cv2.distanceTransform((~own).view(np.uint8), cv2.DIST_L2, 5)


def strip(win: np.ndarray, di: np.ndarray, i: int, j: int) -> tuple[float, np.ndarray]:
    """The gap between pieces ``i`` and ``j`` in a window of labels ``win`` (``di``: distance
    from piece ``i``, :func:`around`): their pixel distance and the band (bool) of pixels, on
    neither piece, within :data:`NEAR` px of a shortest path between them."""
    own_j = win == j + 1
    d = float(di[own_j].min())
    dj = cv2.distanceTransform((~own_j).view(np.uint8), cv2.DIST_L2, 5)
    return d, (di + dj <= d + NEAR) & (win != i + 1) & ~own_j


def _sets(join, apart, near, colours, areas, *, allow) -> np.ndarray:
    """(K,) bool: the pieces that stay in their joined set: a piece within the set's distance
    allowance (:func:`~.group.group_components`: ``min(max_gap, rel_gap * sqrt(set area))``,
    at least ``min_gap``) of a piece outside the set, neither alike nor apart, would pull that
    neighbour in too, and leaves the set."""
    min_gap, rel_gap, max_gap = allow
    root = union_roots(join)
    size = np.bincount(root, weights=np.asarray(areas, float), minlength=len(root))[root]
    reach = np.maximum(min_gap, np.minimum(max_gap, rel_gap * np.sqrt(size)))
    alike = np.linalg.norm(colours[:, None] - colours[None], axis=-1).min(-1) <= ALIKE
    outside = (root[:, None] != root[None]) & ~alike & ~apart
    pulled = (outside & (near <= reach[:, None])).any(1)
    return (np.bincount(root, minlength=len(root))[root] >= 2) & ~pulled


def occluded_objects(
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    z: np.ndarray,
    *,
    low: float,
    max_gap: float,
    thin_reach: int | None = None,
    rel_gap: float = 0.25,
    min_gap: float = 2.0,
    components: Components | None = None,
) -> ObjectMap:
    """The changed pieces as objects: joined across occluders, apart where they changed
    otherwise (module docstring).

    Args:
        rgb1, rgb2: uint8 (H, W, 3) RGB working images (image 2 aligned, tone-matched).
        z: float32 (H, W) evidence (1 = seed), the map regions are found on.
        low: hysteresis level (:func:`~.components.find_components`).
        max_gap, rel_gap, min_gap: the distance rule (:func:`~.group.group_components`);
            pieces within twice ``max_gap`` are judged.
        thin_reach: as :func:`~.components.find_components`'s ``reach``.
        components: ``find_components(z, low=low, reach=thin_reach)`` when the caller has it
            (:func:`spotdiff.find` hands the same to :func:`~.extract.extract_regions`), or
            None: computed here.

    Returns:
        :class:`~.group.ObjectMap`: the sets of pieces that join (labels), every piece
        (pieces), and which pieces never join by distance.
    """
    comps = find_components(z, low=low, reach=thin_reach) if components is None else components
    labels, boxes, k = comps.labels, comps.boxes, len(comps)
    if k < 2:
        return ObjectMap(np.zeros_like(labels), labels, np.zeros((k + 1, k + 1), bool))
    lab1, lab2 = (cv2.cvtColor(x, cv2.COLOR_RGB2LAB).astype(np.float32) for x in (rgb1, rgb2))
    sig = signatures(rgb1, rgb2, labels, boxes)
    colours = sig.colours
    reach = 2.0 * max_gap
    join = np.zeros((k, k), bool)
    apart = np.zeros((k, k), bool)
    near = np.full((k, k), np.inf)  # pixel distance between pieces, within ``reach``
    kinds: dict[int, str] = {}  # :func:`~.kind.classify_kind` of the pieces judged, on demand

    def held(i: int, j: int) -> bool:
        """One piece added, the other removed, side by side (:func:`~.kind.held_apart`), both
        of :data:`~.signature.MIN_PIXELS` or more (over fewer, the kind comes by chance)."""
        if min(comps.areas[i], comps.areas[j]) < MIN_PIXELS:
            return False
        for n in (i, j):
            if n not in kinds:
                x0, y0, x1, y1 = (int(v) for v in boxes[n])
                kinds[n] = classify_kind(rgb1, rgb2, labels[y0:y1, x0:x1] == n + 1, (x0, y0))
        return bool(held_apart([kinds[i], kinds[j]], boxes[[i, j]])[0, 1])

    for i in range(k):
        cut, di = around(labels, boxes[i], i, reach)
        win = labels[cut]
        for j in np.unique(win[(di <= reach) & (win > i + 1)]):
            j = int(j) - 1
            d, band = strip(win, di, i, j)
            near[i, j] = near[j, i] = d
            if not band.any() or (z[cut][band] < low).mean() < UNCHANGED_SHARE:
                continue  # changed between them: one change, as far as this rule can tell
            if changed_otherwise(sig, i, j, distance=d) or held(i, j):
                apart[i, j] = apart[j, i] = True
                continue
            if np.linalg.norm(colours[i] - colours[j], axis=1).min() > ALIKE:
                continue
            c1, c2 = (colours[i] + colours[j]) / 2
            own1 = np.linalg.norm(lab1[cut][band] - c1, axis=1) <= ALIKE
            own2 = np.linalg.norm(lab2[cut][band] - c2, axis=1) <= ALIKE
            if max(own1.mean(), own2.mean()) <= BACKGROUND_SHARE:
                join[i, j] = join[j, i] = True
    keep = _sets(join, apart, near, colours, comps.areas, allow=(min_gap, rel_gap, max_gap))
    root = union_roots(join & keep[:, None] & keep[None])
    joined = np.bincount(root, minlength=k)[root] >= 2
    for one in np.unique(root[joined]):  # a set is apart from what any of its pieces is
        members = root == one
        apart[members] = apart[members].any(0)
        apart[:, members] = apart[members].T
    table = np.zeros((k + 1, k + 1), bool)
    table[1:, 1:] = apart
    _, dense = np.unique(root[joined], return_inverse=True)
    lut = np.zeros(k + 1, np.int32)
    lut[1:][joined] = dense.astype(np.int32) + 1
    return ObjectMap(lut[labels], labels, table)
