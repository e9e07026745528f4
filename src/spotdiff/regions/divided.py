"""Two changes in two segments of the picture: an unchanged line drawn between them.

The distance rule of :func:`~.group.group_components` joins changed pieces whose pixels come
within its allowance (a quarter of the square root of a piece's area, up to the merge cap): the
pieces of one object whose evidence has gaps. Two changes of the same kind side by side join
the same way: a gear added inside one wheel of a drawing and another inside the next wheel,
8 px apart. What parts them is the picture itself: each lies inside its own outlined shape, and
the outlines between them are drawn, unchanged, in both images.

Two pieces within ``reach`` px of each other are *divided* (:func:`divided_pairs`) when, in
the band between their nearest pixels (the pixels whose distances to both add up to at most
2 px more than theirs, as :func:`~.occlusion.occluded_objects` draws it),

- the evidence is below the hysteresis level over at least :data:`~.occlusion.UNCHANGED_SHARE`
  of it: nothing changed between them;
- a line inked in both images (3x3 grey range above :data:`~.group.INK_LEVEL`, as
  :func:`~.group.image_objects` inks) where nothing changed cuts the band: no path through the
  rest of the band leads from one piece to the other;
- each lies in its own segment of the drawing: the connected sets (4-connected) of the pixels
  not on such a line hold most of each piece's most-changed pixels (Lab difference at least
  its median) in two different sets. A line that only crosses the band between two pieces of
  one object (a cloud drawn behind the tip of a tree) leaves both in one segment;
- each is drawn in one image: more of its most-changed pixels are inked in one image only
  than in both (strokes that came or went), not a resampled line's residue, whose pieces lie
  along the drawing's own lines with those lines between them;
- the band is the pieces' background, unchanged: more than :data:`~.occlusion.BACKGROUND_SHARE`
  of it has, in both images, the pieces' image-1 colour (what added pieces were drawn on) or
  their image-2 colour (what removed ones left), within :data:`~.signature.ALIKE` (the colours
  of :func:`~.signature.piece_colours`). Otherwise the line is an occluder in front of one
  object: a rope across a cloud removed (:func:`~.occlusion.occluded_objects` joins its
  pieces), the white letters of a button recoloured (the button's colour inside the ``g`` is
  no background: it changed too).

The pieces of one object changed in pieces (the bars of a logo recoloured, the dots added on
a scarf) have no unchanged line between them, or the band is the object, not its background:
they still join.
"""

from __future__ import annotations

import cv2
import numpy as np

from .components import Components
from .group import INK_LEVEL
from .occlusion import BACKGROUND_SHARE, NEAR, UNCHANGED_SHARE, around, strip
from .signature import ALIKE, piece_colours

__all__ = ["divided_pairs"]

_SQUARE = np.ones((3, 3), np.uint8)


def divided_pairs(
    z: np.ndarray,
    comps: Components,
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    *,
    low: float,
    reach: float,
) -> np.ndarray:
    """bool (K, K), symmetric: the pairs of components within ``reach`` px of each other
    that an unchanged line divides (module docstring).

    Args:
        z: float32 (H, W) evidence the components were found on (1 = seed).
        comps: the components (labels ``1..K``).
        rgb1, rgb2: uint8 (H, W, 3) RGB working images (image 2 aligned, tone-matched).
        low: hysteresis level: evidence below it is no change.
        reach: px, the farthest pairs judged (the distance rule's cap: further apart, pieces
            never join by distance).
    """
    labels, boxes, k = comps.labels, comps.boxes, len(comps)
    out = np.zeros((k, k), bool)
    if k < 2 or reach <= 0:
        return out
    grey = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (rgb1, rgb2)]
    inked = [cv2.subtract(cv2.dilate(g, _SQUARE), cv2.erode(g, _SQUARE)) > INK_LEVEL for g in grey]
    ink = inked[0] & inked[1] & (z < low)  # the lines drawn in both where nothing changed
    colours: dict[int, np.ndarray] = {}
    segment: dict[int, int] = {}
    drawn: dict[int, bool] = {}
    segments = None
    for i in range(k):
        cut, di = around(labels, boxes[i], i, reach)
        win, lines = labels[cut], ink[cut]
        if not (lines & (di <= reach + NEAR)).any():
            continue  # no line near enough to lie between it and another
        quiet = z[cut] < low
        for j in np.unique(win[(di <= reach) & (win > i + 1)]):
            j = int(j) - 1
            _, band = strip(win, di, i, j)
            if not band.any() or quiet[band].mean() < UNCHANGED_SHARE:
                continue
            line = band & lines
            if not line.any() or _passage(band & ~line, win == i + 1, win == j + 1):
                continue
            if segments is None:
                segments = cv2.connectedComponents((~ink).view(np.uint8), connectivity=4)[1]
            for c in (i, j):
                if c not in segment:
                    segment[c], drawn[c] = _measure(
                        (rgb1, rgb2), inked, segments, labels, boxes[c], c
                    )
            if segment[i] == segment[j] or not (drawn[i] and drawn[j]):
                continue
            for c in (i, j):
                if c not in colours:
                    x0, y0, x1, y1 = (int(v) for v in boxes[c])
                    cw = (slice(y0, y1), slice(x0, x1))
                    colours[c] = piece_colours(*_lab((rgb1, rgb2), cw), labels[cw] == c + 1)
            c1, c2 = (colours[i] + colours[j]) / 2
            lab = _lab((rgb1, rgb2), cut)
            both = np.stack([lab[0][band], lab[1][band]], axis=1)
            own1, own2 = ((np.linalg.norm(both - c, axis=2) <= ALIKE).all(1) for c in (c1, c2))
            if max(own1.mean(), own2.mean()) > BACKGROUND_SHARE:
                out[i, j] = out[j, i] = True
    return out


def _passage(free: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a connected set of ``free`` (bool) touches both ``a`` and ``b`` (bool, 8-connected
    neighbours): a path from one to the other that crosses no line."""
    if not free.any():
        return False
    _, sets = cv2.connectedComponents(free.view(np.uint8), connectivity=8)
    near_a = cv2.dilate(a.view(np.uint8), _SQUARE) > 0
    near_b = cv2.dilate(b.view(np.uint8), _SQUARE) > 0
    touch_a = np.unique(sets[near_a & free])
    touch_b = np.unique(sets[near_b & free])
    return bool(np.intersect1d(touch_a, touch_b).size)


def _lab(rgb, win) -> list[np.ndarray]:
    """float32 (h, w, 3): the window ``win`` of both RGB images ``rgb`` in 8-bit CIELAB."""
    return [cv2.cvtColor(x[win], cv2.COLOR_RGB2LAB).astype(np.float32) for x in rgb]


def _measure(rgb, inked, segments: np.ndarray, labels: np.ndarray, box, c: int):
    """Component ``c`` (its ``box``; ``rgb`` the two RGB images): the segment (label of
    ``segments``, 0 on the lines) holding most of its most-changed pixels (Lab difference at
    least its median over the component), and whether it is drawn in one image: more of those
    pixels are inked (``inked``: bool (H, W) per image) in one image only than in both."""
    x0, y0, x1, y1 = (int(v) for v in box)
    win = (slice(y0, y1), slice(x0, x1))
    own = labels[win] == c + 1
    a, b = _lab(rgb, win)
    d = np.linalg.norm(a - b, axis=2)
    top = own & (d >= np.median(d[own]))
    seg = segments[win][top]
    seg = seg[seg > 0]
    one, both = inked[0][win][top], inked[1][win][top]
    drawn = np.count_nonzero(one ^ both) > np.count_nonzero(one & both)
    return int(np.bincount(seg).argmax()) if len(seg) else 0, drawn
