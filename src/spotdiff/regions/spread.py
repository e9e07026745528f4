"""Spread changes: evidence judged relative to its own level inside a large, sparse component.

A component of the evidence map whose *box* covers more than :data:`SPREAD_BOX_SHARE` of the
picture while its pixels fill less than :data:`SPREAD_FILL` of that box is not one object that
changed: it is a change spread over a large area (a river that turned from green to brown, fields
after a season, a re-lit slope between two satellite passes), with whatever stands out from it
(buildings that appeared on its banks) chained into it through the low support. Reported as it
is, it gives one region over a third of the picture and a change mask dominated by the spread
change.

Inside such a component the evidence is divided by :data:`RELATIVE_SEED` times the component's
own median evidence (its *level*): a pixel there is a seed when it is ``RELATIVE_SEED`` x the
level (and above the ordinary seed threshold), and support when it is at least ``low`` (0.5) of
that, 1.25 x the level, so the typical pixel of the spread change is not. What stands out from the spread change stays, as regions of its own; the
uniform remainder falls below the support and is not reported. The rest of the map is unchanged.

Compact changes never qualify, however large: a recoloured panel (a full box), an object of a
synthetic edit (at most 12% of the picture in ``spotdiff bench``) or a changed UI block. On the
real pairs of ``../shared/realpairs`` one component qualifies, the river of
``aerial_oscd_bordeaux`` (box 34% of the picture, filled 21%): its mask F1 against the
dataset's change mask goes from 0.09 to 0.22 (the labels count urban change, not the water).
"""

from __future__ import annotations

import numpy as np

from .components import Components

__all__ = ["RELATIVE_SEED", "SPREAD_BOX_SHARE", "SPREAD_FILL", "relative_to_spread", "spread"]

#: Smallest share of the map's area a component's box must cover to be a spread change.
SPREAD_BOX_SHARE = 0.25

#: Largest share of its box a spread change's pixels fill (a compact change fills more).
SPREAD_FILL = 0.5

#: Inside a spread change, a seed is this many times the change's own median evidence (2: the
#: support would sit at the median and keep half of the spread change; 3 lost a block beside the
#: river of the constructed aerial pair of ``tests/regions/test_spread.py``).
RELATIVE_SEED = 2.5


def spread(boxes: np.ndarray, areas: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(G,) bool: the regions that are spread changes (see the module docstring).

    Args:
        boxes: (G, 4) xyxy (exclusive ends) of the regions, in the map's pixels.
        areas: (G,) pixel count of each region.
        shape: the map's ``(h, w)``.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    share = box_area / float(shape[0] * shape[1])
    fill = np.asarray(areas, dtype=np.float64) / np.maximum(box_area, 1.0)
    return (share > SPREAD_BOX_SHARE) & (fill < SPREAD_FILL)


def relative_to_spread(z: np.ndarray, comps: Components, groups: np.ndarray) -> np.ndarray | None:
    """The evidence map with every spread region divided by its own seed level.

    Args:
        z: float32 (h, w) evidence (1 = seed threshold).
        comps: :func:`~.components.find_components` of ``z``.
        groups: (K,) group id of each component (:func:`~.group.group_components`): a region
            is a group (the pieces of a river cut by bridges are one spread change).

    Returns:
        A float32 copy of ``z`` where each spread region's pixels are divided by
        ``max(1, RELATIVE_SEED x its median evidence)``; None when no region is a spread
        change (the caller keeps ``z`` and its components).
    """
    if len(comps) == 0:
        return None
    n = int(groups.max()) + 1
    boxes = np.zeros((n, 4), np.int64)
    for g in range(n):
        b = comps.boxes[groups == g]
        boxes[g] = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    areas = np.bincount(groups, weights=comps.areas, minlength=n)
    which = np.flatnonzero(spread(boxes, areas, z.shape))
    if len(which) == 0:
        return None
    out = z.copy()
    for g in which:
        x0, y0, x1, y1 = (int(v) for v in boxes[g])
        inside = np.isin(comps.labels[y0:y1, x0:x1], np.flatnonzero(groups == g) + 1)
        patch = out[y0:y1, x0:x1]
        level = float(np.median(patch[inside]))
        patch[inside] *= np.float32(1.0 / max(1.0, RELATIVE_SEED * level))
    return out
