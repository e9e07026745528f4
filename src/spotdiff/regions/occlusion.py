"""Changed objects seen in pieces: one object behind an unchanged occluder joins across it.

A cloud removed from behind a rope, the stripes of a shirt recoloured under a crossing arm: the
change is one object, but the unchanged occluder cuts its evidence into pieces further apart
than the distance rule of :func:`~.group.group_components` allows (its allowance grows with the
square root of a piece's area: 8 px for a 30 x 35 px piece). Two pieces ``i`` and ``j`` are
one object seen through an occluder when

- they changed alike: the colour of image 1 and the colour of image 2 over the pixels that
  changed most (the upper half of each piece's Lab difference, medians) lie within
  :data:`ALIKE` of the other piece's, in both images;
- their pixels come within ``reach`` of each other (:func:`spotdiff.find` passes twice the
  merge cap: the occluder can be wider than the gap the distance rule bridges);
- the band between their nearest pixels is an occluder: at least :data:`UNCHANGED_SHARE` of it
  has no evidence, and at most :data:`BACKGROUND_SHARE` of it has, in image 1, the pieces'
  image-1 colour or, in image 2, their image-2 colour. Two markers added 10 px apart on a map
  have the map between them, which is the pieces' image-1 colour: they stay two; removed, the
  map is their image-2 colour.

:func:`occluded_objects` returns the joined sets as an object map, the form
:func:`~.group.group_components` takes (components overlapping one object join).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .components import find_components
from .merge import union_roots

__all__ = ["ALIKE", "BACKGROUND_SHARE", "UNCHANGED_SHARE", "occluded_objects"]

#: Largest distance (8-bit CIELAB, L scaled to 0-255) between two pieces' colours, in image 1
#: and in image 2, for a change "alike": a cloud's two halves differ by 1-2, a cloud and a
#: rope beside it by 80 and more.
ALIKE = 20.0
#: Smallest share of the band between two pieces without evidence (below the hysteresis level):
#: the occluder did not change.
UNCHANGED_SHARE = 0.9
#: Largest share of that band with the pieces' own colour in image 1 (or their colour in image
#: 2 in image 2): more, and the band is the background the pieces were drawn on or left, not an
#: occluder.
BACKGROUND_SHARE = 0.2
_NEAR = 2.0  # px of slack around the straight path between the nearest pixels (the band)


def _colours(lab1: np.ndarray, lab2: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(2, 3) median Lab colour in image 1 and image 2 over the pixels that changed most."""
    a, b = lab1[pixels], lab2[pixels]
    d = np.linalg.norm(a - b, axis=1)
    top = d >= np.median(d)
    return np.stack([np.median(a[top], 0), np.median(b[top], 0)])


def _sets(join, near, colours, areas, *, allow) -> np.ndarray:
    """(K,) bool: the pieces that stay in their joined set: a piece within the set's distance
    allowance (:func:`~.group.group_components`: ``min(max_gap, rel_gap * sqrt(set area))``,
    at least ``min_gap``) of a piece outside the set that changed otherwise would pull that
    neighbour in too, and leaves the set."""
    min_gap, rel_gap, max_gap = allow
    root = union_roots(join)
    size = np.bincount(root, weights=np.asarray(areas, float), minlength=len(root))[root]
    reach = np.maximum(min_gap, np.minimum(max_gap, rel_gap * np.sqrt(size)))
    alike = np.linalg.norm(colours[:, None] - colours[None], axis=-1).max(-1) <= ALIKE
    outside = (root[:, None] != root[None]) & ~alike
    pulled = (outside & (near <= reach[:, None])).any(1)
    return (np.bincount(root, minlength=len(root))[root] >= 2) & ~pulled


def occluded_objects(
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    z: np.ndarray,
    *,
    low: float,
    reach: float,
    thin_reach: int | None = None,
    rel_gap: float = 0.25,
    min_gap: float = 2.0,
) -> np.ndarray:
    """Object map of changed pieces that join across an occluder (module docstring).

    Args:
        rgb1, rgb2: uint8 (H, W, 3) RGB working images (image 2 aligned, tone-matched).
        z: float32 (H, W) evidence (1 = seed), the map regions are found on.
        low: hysteresis level (:func:`~.components.find_components`).
        reach: largest distance (px) between the pieces' pixels: twice the merge cap.
        thin_reach: as :func:`~.components.find_components`'s ``reach``.
        rel_gap, min_gap: the distance rule's other terms (:func:`~.group.group_components`).

    Returns:
        int32 (H, W): ``1..M`` on the pixels of pieces that join (a set of at least two
        pieces per label), 0 elsewhere.
    """
    comps = find_components(z, low=low, reach=thin_reach)
    out = np.zeros(z.shape, np.int32)
    k = len(comps)
    if k < 2:
        return out
    lab1, lab2 = (cv2.cvtColor(x, cv2.COLOR_RGB2LAB).astype(np.float32) for x in (rgb1, rgb2))
    labels, boxes = comps.labels, comps.boxes
    colours = np.stack([_colours(lab1, lab2, labels == i + 1) for i in range(k)])
    h, w = z.shape
    r = math.ceil(reach)
    join = np.zeros((k, k), bool)
    near = np.full((k, k), np.inf)  # pixel distance between pieces, within ``reach``
    for i in range(k):
        x0, y0, x1, y1 = (int(v) for v in boxes[i])
        wx0, wy0, wx1, wy1 = max(0, x0 - r), max(0, y0 - r), min(w, x1 + r), min(h, y1 + r)
        win = labels[wy0:wy1, wx0:wx1]
        di = cv2.distanceTransform((win != i + 1).view(np.uint8), cv2.DIST_L2, 5)
        for j in np.unique(win[(di <= reach) & (win > i + 1)]):
            j = int(j) - 1
            d = float(di[win == j + 1].min())
            near[i, j] = near[j, i] = d
            if np.linalg.norm(colours[i] - colours[j], axis=1).max() > ALIKE:
                continue
            dj = cv2.distanceTransform((win != j + 1).view(np.uint8), cv2.DIST_L2, 5)
            band = (di + dj <= d + _NEAR) & (win != i + 1) & (win != j + 1)
            if not band.any():
                continue
            zs = z[wy0:wy1, wx0:wx1][band]
            c1, c2 = (colours[i] + colours[j]) / 2
            own1 = np.linalg.norm(lab1[wy0:wy1, wx0:wx1][band] - c1, axis=1) <= ALIKE
            own2 = np.linalg.norm(lab2[wy0:wy1, wx0:wx1][band] - c2, axis=1) <= ALIKE
            if (zs < low).mean() >= UNCHANGED_SHARE and max(own1.mean(), own2.mean()) <= (
                BACKGROUND_SHARE
            ):
                join[i, j] = join[j, i] = True
    if not join.any():
        return out
    keep = _sets(join, near, colours, comps.areas, allow=(min_gap, rel_gap, reach / 2))
    root = union_roots(join & keep[:, None] & keep[None])
    keep &= np.bincount(root, minlength=k)[root] >= 2
    ids = np.zeros(k + 1, np.int32)
    _, dense = np.unique(root[keep], return_inverse=True)
    ids[1:][keep] = dense.astype(np.int32) + 1
    return ids[labels]
