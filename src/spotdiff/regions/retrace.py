"""Re-traced strokes: the same line drawing redrawn a pixel or two over is not a change.

Spot-the-difference puzzles are often redrawn or re-exported: besides the intended changes, many
strokes of image 2 are the same stroke traced again 1-2 px away, a little thicker or thinner,
with another JPEG halo. Each such place differs by a little over the colour threshold along its
lines and was boxed as a weak change (``puzzle_pirate`` of the real development set: a barrel's
wood grain and a beard's lines redrawn, scores 0.13-0.16).

A weak region (score below :data:`MAX_SCORE`) is *re-traced* (:func:`retraced`) when, over the
pixels of its box whose colour differs by more than the colour threshold (*changed*),

- they lie on strokes: at least :data:`MIN_ON_EDGES` of them within 2 px of an edge of either
  image (a faint fill, a shadow or a recoloured flat area is not a redrawn line);
- every edge has its counterpart: of the thin (Canny) edges of each image around them, at most
  :data:`MAX_UNMATCHED` have no edge of the other image within :data:`REACH` px running the
  same way (gradient direction within 22.5 degrees: a stroke traced again keeps its course
  and which side is dark), and at most :data:`MAX_LONG` lie in runs of :data:`MIN_RUN` px or
  more of such edge pixels (a line added, removed or moved beyond reach leaves runs along its
  sides; a redrawn stroke strays beyond reach a pixel or two at a time);
- no colour is new: at most :data:`MAX_NEW_COLOUR` of them have a colour more than
  :data:`NEW_COLOUR` x the colour threshold from every blend of the colours the other image
  shows within :data:`COLOUR_REACH` px (a stroke's pixels blend ink and paper, a thicker
  stroke is darker than the thinner one's blend; a recoloured patch, a removed white speck on
  a dark window are neither).

On a picture enlarged before it reached the working grid (:func:`~.enlarged.enlargement`, about
1.3 for a 1.5x cubic upscale) the reaches, :data:`MIN_RUN` and the edges' smoothing grow by
that factor: ``puzzle_pirate`` enlarged 1.5x kept 8 more re-traced boxes than at its size with
2 px (11 false boxes; 5 so). A picture reading at the bound (:data:`~.enlarged.MAX_ENLARGEMENT`)
keeps the reaches: the synthetic benchmark's soft photos read so, and 3 px reaches dropped 9 of
its 918 changes (4 px ones 21).

:func:`drop_retraced` removes such regions from :func:`spotdiff.find`'s result (before the
boxes are refined). What is still told apart, on constructed drawings re-traced by 1-2 px
(``tests/regions/test_retrace.py``): a short line added or removed, a line moved by 5 px, a
6 px tick drawn onto a re-traced stroke, a patch recoloured. On the real development set the
rule drops the 3 redrawn places of ``puzzle_pirate`` and nothing else, at any score.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..maps.colour import colour_difference
from ..result import DiffResult
from .enlarged import MAX_ENLARGEMENT, enlargement
from .veto import drop_rejected, window

__all__ = [
    "COLOUR_REACH",
    "EDGE_STEP",
    "MAX_LONG",
    "MAX_NEW_COLOUR",
    "MAX_SCORE",
    "MAX_UNMATCHED",
    "MIN_ON_EDGES",
    "MIN_RUN",
    "NEW_COLOUR",
    "REACH",
    "drop_retraced",
    "retraced",
]

#: Regions scoring at least this are never tested: a redrawn stroke differs by little over the
#: colour threshold along thin lines (``puzzle_pirate``: 0.13-0.16; strokes of 30-100 px
#: re-traced on constructed drawings: up to 0.5). No true region of the real development set,
#: of any score, passes the test.
MAX_SCORE = 0.5
#: px: how far a stroke may have been traced again (at the working resolution).
REACH = 2
#: px: how far the colours a changed pixel may be a mix of lie (a stroke shifted by
#: :data:`REACH` and thinned by a pixel leaves ink :data:`REACH` + 1 px from its new course).
COLOUR_REACH = REACH + 1
#: Canny's upper threshold in colour thresholds: a 3x3 Sobel gradient of ``EDGE_STEP x
#: threshold`` is a step of about one threshold (the Sobel kernel weighs a step by 4); the
#: lower threshold is half of it, and the other image's edges are taken at half of both.
EDGE_STEP = 4.0
#: Least share of the changed pixels within 2 px of an edge of either image (a redrawn stroke's
#: JPEG ringing reaches a little further: 0.82-0.99 on re-traced drawings; flat changes on the
#: real puzzles 0-0.51).
MIN_ON_EDGES = 0.8
#: Largest share of either image's edge pixels (in the changed area) with no counterpart.
MAX_UNMATCHED = 0.15
#: px: an 8-connected run of edge pixels with no counterpart this long is part of a line's side.
MIN_RUN = 4
#: Largest share of either image's edge pixels (in the changed area) in such runs. On drawings
#: re-traced 1-2 px over (thickness +-1 px, JPEG; ``tests/regions/test_retrace.py``), 8 pairs:
#: 1 keeps a box (67 without this module); a tick of 6 or 8 px drawn onto a re-traced stroke
#: is kept in all 8, one of 4 px in 6. At 0.1 (runs of 6 px) 3 of the 6 px ticks were lost; at
#: 0.05 the redrawn beard lines of ``puzzle_pirate`` stay.
MAX_LONG = 0.06
#: A colour is new when it is more than this many colour thresholds from every blend of the
#: other image's colours within :data:`COLOUR_REACH` px (:func:`_mix_distance`).
NEW_COLOUR = 3.0
#: Largest share of the changed pixels whose colour is new.
MAX_NEW_COLOUR = 0.05
_BINS = 16  # gradient direction bins of 22.5 degrees; a counterpart is the same or next bin
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _edges(
    gray: np.ndarray, high: float, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin edges of the grey smoothed by sigma ``0.7 * scale`` (Canny): bool (H, W) at
    thresholds ``high`` / 2 and ``high``, bool (H, W) at half of both (weaker ones, the
    counterparts the other image's edges may find), and uint8 (H, W) gradient direction bins
    (0-15)."""
    smooth = cv2.GaussianBlur(gray, (0, 0), 0.7 * scale)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    angle = cv2.phase(gx, gy, angleInDegrees=True)
    bins = (cv2.add(angle * np.float32(_BINS / 360.0), 0.5).astype(np.uint8)) % _BINS
    edges = cv2.Canny(smooth, high / 2, high, apertureSize=3, L2gradient=True) > 0
    weak = cv2.Canny(smooth, high / 4, high / 2, apertureSize=3, L2gradient=True) > 0
    return edges, weak, bins


def _unmatched(
    edges: np.ndarray, bins: np.ndarray, other: np.ndarray, other_bins: np.ndarray, reach: int
) -> np.ndarray:
    """bool (H, W): the ``edges`` with no ``other`` edge within ``reach`` px whose direction
    bin is the same or a neighbouring one."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    out = np.zeros_like(edges)
    other_bins = np.where(other, other_bins, np.uint8(_BINS))  # no edge: a bin of its own
    for k in np.unique(bins[edges]).tolist():
        table = np.zeros(_BINS + 1, np.uint8)
        table[[(k - 1) % _BINS, k, (k + 1) % _BINS]] = 1
        reached = cv2.dilate(table[other_bins], disc) > 0
        out |= edges & (bins == k) & ~reached
    return out


def _in_runs(mask: np.ndarray, min_run: int) -> int:
    """Pixels of a bool mask in 8-connected runs of at least ``min_run`` pixels."""
    if not mask.any():
        return 0
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    sizes = stats[1:, cv2.CC_STAT_AREA]
    return int(sizes[sizes >= min_run].sum())


def _mix_distance(
    img: np.ndarray, other: np.ndarray, ys: np.ndarray, xs: np.ndarray, r: int
) -> np.ndarray:
    """float32 (n,): distance (RGB levels) of the colour of ``img`` at each pixel ``(ys, xs)``
    to the colours ``other`` shows within ``r`` px of it: the nearest one, or
    the segment between the darkest and the lightest of them, prolonged beyond the darkest by
    its length (a line's edge pixels blend ink and paper; a line drawn thicker is darker than
    its thinner self's blend)."""
    dy, dx = (v.ravel() for v in np.mgrid[-r : r + 1, -r : r + 1])
    near = dx * dx + dy * dy <= r * r
    pad = cv2.copyMakeBorder(other, r, r, r, r, cv2.BORDER_REPLICATE)
    around = pad[ys[:, None] + r + dy[near], xs[:, None] + r + dx[near]].astype(np.float32)
    a = img[ys, xs].astype(np.float32)[:, None]  # (n, 1, 3) against (n, k, 3)
    nearest = np.sqrt(((around - a) ** 2).sum(axis=2)).min(axis=1)
    luma = around @ _LUMA
    rows = np.arange(len(ys))
    lo, hi = around[rows, luma.argmin(axis=1)], around[rows, luma.argmax(axis=1)]
    a = a[:, 0]
    span = hi - lo
    t = ((a - lo) * span).sum(axis=1) / np.maximum((span * span).sum(axis=1), 1e-6)
    t = np.clip(t, -1.0, 1.0)[:, None]
    segment = np.sqrt(((a - lo - t * span) ** 2).sum(axis=1))
    return np.minimum(nearest, segment)


def retraced(
    img1: np.ndarray,
    img2: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    threshold: float,
    scale: float = 1.0,
) -> bool:
    """True when the change inside ``box`` is only strokes traced again (see the module).

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 aligned onto image 1 and tone-matched.
        box: ``(x0, y0, x1, y1)`` in the images' pixels, ends exclusive.
        threshold: the colour threshold in levels: a pixel whose colour moved by more is
            changed.
        scale: how far the images were enlarged before they reached this grid
            (:func:`~.enlarged.enlargement`): the reaches (:data:`REACH`, :data:`COLOUR_REACH`,
            the 2 px of an edge), :data:`MIN_RUN` and the edges' smoothing grow with it.

    Returns:
        False as well when the box holds no changed pixel or no edge.
    """
    # context of the edges (and their counterparts) and of the colours
    reach = round(REACH * scale)
    outer, inner = window(img1.shape, box, reach + 4)
    a, b = img1[outer], img2[outer]
    diff = colour_difference(a, b, b, radius=0)
    changed = np.zeros(diff.shape, bool)
    changed[inner] = diff[inner] > threshold
    n = int(changed.sum())
    if n == 0:
        return False
    ys, xs = np.nonzero(changed)  # the colour test first: most real changes fail it
    mix = reach + COLOUR_REACH - REACH
    new = np.maximum(_mix_distance(a, b, ys, xs, mix), _mix_distance(b, a, ys, xs, mix))
    if np.count_nonzero(new > NEW_COLOUR * threshold) > MAX_NEW_COLOUR * n:
        return False
    g1, g2 = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
    high = EDGE_STEP * threshold
    e1, f1, d1 = _edges(g1, high, scale)
    e2, f2, d2 = _edges(g2, high, scale)
    near = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    near_edge = cv2.dilate((e1 | e2).view(np.uint8), near) > 0
    if np.count_nonzero(changed & near_edge) < MIN_ON_EDGES * n:
        return False
    area = cv2.dilate(changed.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    for edges, bins, other, other_bins in ((e1, d1, f2, d2), (e2, d2, f1, d1)):
        edges = edges & area
        if not edges.any():
            continue
        lost = _unmatched(edges, bins, other, other_bins, reach)
        total = np.count_nonzero(edges)
        runs = _in_runs(lost, round(MIN_RUN * scale))
        if lost.sum() > MAX_UNMATCHED * total or runs > MAX_LONG * total:
            return False
    return True


def drop_retraced(
    regions: DiffResult,
    img1: np.ndarray,
    img2: np.ndarray,
    *,
    threshold: float,
    spared: np.ndarray | None = None,
    scale: float | None = None,
) -> DiffResult:
    """``regions`` without the weak ones (score below :data:`MAX_SCORE`) that are only strokes
    traced again (:func:`retraced`).

    Args:
        regions: :func:`~.extract.extract_regions`' result, boxes in image-1 pixels.
        img1, img2: uint8 (h, w, 3) RGB working images (image 2 aligned and tone-matched); a
            box is taken to their grid by the ratio of their width to ``regions.image_size``.
        threshold: the colour threshold in levels.
        spared: (h, w) on the working images' grid, non-zero where a region is no re-tracing
            (a character reshaped on a clean render, :mod:`spotdiff.maps.glyph`: no shift
            within 1 px explains its ink), or None: a region whose box holds such a pixel is
            kept untested.
        scale: how far the images were enlarged (:func:`retraced`), or None: measured on image 1
            (:func:`~.enlarged.enlargement`).
    """
    among = np.flatnonzero(regions.scores < MAX_SCORE)
    if scale is None and len(among):  # measured only when a region is to be tested
        scale = enlargement(cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY))
        # at the bound: a soft photograph (the synthetic benchmark's), not a resampled drawing
        scale = 1.0 if scale >= MAX_ENLARGEMENT else scale
    return drop_rejected(
        regions,
        img1.shape,
        lambda box: retraced(img1, img2, box, threshold=threshold, scale=scale),
        among=among,
        spared=spared,
    )
