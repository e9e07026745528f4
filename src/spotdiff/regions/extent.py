"""Box extent by hysteresis: a change's faint ends, grown from its strong core.

A removed object whose tip fades into the background (a spire thinning into a hazy sky, an
antenna, a wisp of smoke) differs from the other image by less than the colour threshold along
that tip: the evidence map's hysteresis (down to half the threshold) stops where the tip gets
faint, and the box ends short of the object (``puzzle_ghats``' removed spire: the box stopped
7 px below the visible tip, IoU 0.44 with the truth).

Here, as Canny's low threshold does for edges, a small region's box grows through the pixels
connected to its strong core whose difference is well above the *local* noise but under the
threshold (:func:`grow_faint`). The difference is the full-resolution colour difference
(tolerant to 1-px shifts) or, for parts under 3 px across, the one-way thin difference
(:mod:`spotdiff.maps.thin`), whichever is larger. Guards:

- local noise: a faint pixel differs :data:`FAINT_MARGIN` times more than the
  :data:`BACKGROUND_QUANTILE` percentile of the ring around the core (the core grown by
  :data:`CORE_GAP` px left out; a tail is a small share of the ring), and by at least
  :data:`FAINT_FLOOR` of the threshold: a puzzle re-saved as JPEG after its edits carries
  re-encoding specks of 3-12 levels in the edited 8x8 blocks only, right around the change;
- under the threshold: a pixel that reaches it outside the region was judged apart from it;
- the same way: a faint pixel's grey difference has the sign of the core's (a removed dark
  spire's tip is darker in image 1 too; JPEG ringing around a change goes both ways);
- unchanged edges stop the growth: where both images show an edge steeper than the faint level
  (:func:`shared_edges`), an offset or resampled edge leaves a residue without a change;
- a box side moves outwards only when what grew passes it by :data:`MIN_TAIL` px or more: a
  tail, not the soft rim of a pasted object's edge (a gaussian feather of sigma <= 1.5 px reads
  as 1-2 px of faint difference around the whole object, which its truth box leaves out).

On the real pairs of ``../shared/realpairs`` the spire's box reaches its visible tip (IoU 0.53,
a TP); of the other boxes, one grows (``puzzle_traffic``: 3 px up over JPEG specks that passed
every guard, IoU 0.92 -> 0.73) and one false box on a Sentinel-2 pair.
"""

from __future__ import annotations

import cv2
import numpy as np

from .._gradient import magnitude
from ..maps.colour import colour_difference
from ..maps.thin import thin_difference

__all__ = [
    "BACKGROUND_QUANTILE",
    "CORE_GAP",
    "FAINT_FLOOR",
    "FAINT_MARGIN",
    "MIN_TAIL",
    "connected_to",
    "extend_box",
    "faint_level",
    "grow_faint",
    "shared_edges",
]

#: A pixel is faint evidence when its difference is this many times what the pixels around the
#: core reach at their :data:`BACKGROUND_QUANTILE` percentile (the difference of unchanged
#: pixels is mostly exactly 0, with a tone rounding or a shared edge's residue here and there:
#: a robust spread would be 0).
FAINT_MARGIN = 1.5
BACKGROUND_QUANTILE = 90.0

#: ... and at least this share of the threshold (on a noise-free pair the ring reads 0, and
#: JPEG specks of a few levels around an edited block are no change; 0.25 let them through).
FAINT_FLOOR = 0.5

#: Pixels around the core closer than this (px) do not say what the background looks like: the
#: difference's own 1-px tolerance and a soft edge's rim.
CORE_GAP = 2

#: Pixels (image 1) what grew must pass a box side by before the side moves outwards.
MIN_TAIL = 3


def faint_level(d: np.ndarray, background: np.ndarray, *, threshold: float) -> float:
    """The level above which a pixel of ``d`` is faint evidence.

    Args:
        d: float32 (h, w) difference in levels.
        background: (h, w) bool, the pixels that say what unchanged looks like around the region.
        threshold: the colour threshold (levels) of a changed pixel.

    Returns:
        ``FAINT_MARGIN x`` the :data:`BACKGROUND_QUANTILE` percentile of ``d[background]``, at
        least ``FAINT_FLOOR x threshold``, at most ``threshold`` (then nothing is faint); the
        threshold when the background holds no pixel.
    """
    v = d[background]
    if v.size == 0:
        return float(threshold)
    top = float(np.percentile(v, BACKGROUND_QUANTILE))
    return float(min(threshold, max(FAINT_FLOOR * threshold, FAINT_MARGIN * top)))


def shared_edges(gray1: np.ndarray, gray2: np.ndarray) -> np.ndarray:
    """float32 (h, w) >= 0, levels per pixel: the edge both images show at a pixel, the smaller
    of their Sobel gradient magnitudes (divided by 8, the kernel's gain), each the largest
    within 1 px (a thin line's middle, where the gradient is 0, counts as its edges; so does an
    edge moved by 1 px)."""
    square = np.ones((3, 3), np.uint8)
    out = None
    for g in (gray1, gray2):
        mag = magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
        mag = cv2.dilate(mag, square)
        out = mag if out is None else np.minimum(out, mag, out=out)
    return np.multiply(out, np.float32(1.0 / 8.0), out=out)


def grow_faint(
    img1: np.ndarray,
    lo2: np.ndarray,
    hi2: np.ndarray,
    core: np.ndarray,
    *,
    threshold: float,
    ring: int,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """The core and its faint ends (see the module docstring).

    Args:
        img1: uint8 (h, w, 3), a window of image 1.
        lo2, hi2: uint8 (h, w, 3), image 2 over the same window, aligned and mapped to image-1
            levels (the interval of :func:`~spotdiff.maps.colour.colour_difference`).
        core: (h, w) bool, the region's strong pixels (its difference reaches ``threshold``).
        threshold: the colour threshold (levels) of a changed pixel.
        ring: outer radius (px) of the ring around the core whose pixels give the local noise.
        allowed: (h, w) bool, pixels that may be reported (None: all).

    Returns:
        bool (h, w): ``core`` and the faint pixels 8-connected to it through faint pixels.
    """
    if not core.any():
        return core
    colour = colour_difference(img1, lo2, hi2)
    d = np.maximum(colour, thin_difference(img1, lo2, hi2))
    c8 = core.view(np.uint8)
    gap = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * CORE_GAP + 1,) * 2)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * max(ring, CORE_GAP + 1) + 1,) * 2)
    background = (cv2.dilate(c8, disc) > 0) & (cv2.dilate(c8, gap) == 0)
    low = faint_level(d, background, threshold=threshold)
    if low >= threshold:
        return core
    gray1 = cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY)
    gray2 = cv2.cvtColor(lo2, cv2.COLOR_RGB2GRAY)
    faint = (d >= low) & (d < threshold) & (shared_edges(gray1, gray2) < low)
    signed = gray1.astype(np.int16) - gray2.astype(np.int16)  # the way the core changed
    faint &= np.sign(signed) == np.sign(np.median(signed[core]))
    if allowed is not None:
        faint &= allowed
    return connected_to(core, faint)


def connected_to(core: np.ndarray, more: np.ndarray) -> np.ndarray:
    """bool (h, w): ``core`` and the pixels of ``more`` 8-connected to it through ``more``
    (both bool (h, w))."""
    n, labels = cv2.connectedComponents((core | more).view(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[labels[core]] = True
    keep[0] = False
    return keep[labels]


def extend_box(
    box: tuple[int, int, int, int],
    grown: np.ndarray,
    origin: tuple[int, int],
    *,
    min_tail: int = MIN_TAIL,
) -> tuple[int, int, int, int]:
    """``box`` grown to the pixels of ``grown`` on each side they pass by ``min_tail`` or more.

    Args:
        box: ``(x1, y1, x2, y2)`` int, exclusive ends, image-1 pixels.
        grown: (h, w) bool, a window of image 1 placed at ``origin`` ``(x0, y0)``.
        min_tail: least overhang (px) that moves a side.

    Returns:
        ``(x1, y1, x2, y2)`` containing ``box``.
    """
    if not grown.any():
        return box
    ys = np.flatnonzero(grown.any(axis=1)) + origin[1]
    xs = np.flatnonzero(grown.any(axis=0)) + origin[0]
    x1, y1, x2, y2 = box
    lo_x, lo_y, hi_x, hi_y = int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1
    return (
        lo_x if x1 - lo_x >= min_tail else x1,
        lo_y if y1 - lo_y >= min_tail else y1,
        hi_x if hi_x - x2 >= min_tail else x2,
        hi_y if hi_y - y2 >= min_tail else y2,
    )
