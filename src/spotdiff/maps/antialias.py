"""Anti-aliasing tolerance: structural difference that only comes from how an edge was rasterized.

The same circle or glyph drawn with and without anti-aliasing, or with another font hinting,
differs in the one- or two-pixel ramp across each edge. The colour map (:mod:`.colour`) already
accepts such a ramp (every ramp level lies between the neighbourhood's extremes in the other
image), but the structural (SSIM) map reads the changed ramp profile as changed structure, over
the whole 11-px window around the edge: a dozen faint boxes along a circle.

The detector follows pixelmatch's idea (a pixel on an edge with the same gradient direction in
the other image, whose value the neighbourhood explains, is anti-aliasing, not change), turned
into a zone: around each pixel, over the SSIM window, the share of edge pixels that are
*consistent* must be high (:data:`CONSISTENT_SHARE`); an edge pixel (gradient magnitude >=
:data:`MIN_GRADIENT`) of either image is consistent when the other image has an edge within 1 px
(the colour map's tolerance: a glyph hinted one pixel over) whose direction agrees (the same or a
neighbouring 22.5-degree bin, about :data:`MIN_COSINE` in cosine, on gradients of a slightly
smoothed copy, so a staircase and a smooth ramp point the same way) and the colour map finds nothing there (evidence < 1). Inside the zone the
structural map is set to 0: the colour map alone judges it. :func:`spotdiff.find` applies it to
renders (:func:`looks_rendered`: mostly exactly flat image 1) and to pairs whose image 2 the
registration warped (resampled: a spot-the-difference puzzle whose halves differ in size by a
pixel): there fine high-contrast texture (wood grain, hatching) is redrawn a fraction of a pixel
over and the structural map read it as change (``puzzle_pirate``: 4 false boxes on a barrel's
grain, scores 0.10-0.27). On photographs that were not warped it cost the synthetic benchmark
F1 (0.989 -> 0.978, 450 pairs: faint removals and resizes lost) and 60% of the time of a 1080p
``find``. A real change next to an edge keeps
its structural evidence, since its own edges are not consistent and pull the share down; and it
keeps its colour evidence anyway. An object inpainted away leaves edges in one image only; an
element faded (opacity, contrast) keeps its edges but not their step heights: the summed gradient
magnitude over the window must stay within :data:`MAX_STEP_CHANGE`.

Two guards keep real changes out of the zone: a thin stroke drawn or erased over background that
is flat in the other image (:func:`hard_changes`; an edge drawn one pixel over, a bitmap glyph
one pixel bolder, is not one), and a connected band of changed pixels that holds a colour seed
somewhere (:func:`moved_from_seed`: an outline moved by 3 px at one end and a fraction of a
pixel at the other is one change along its whole length).
"""

from __future__ import annotations

import cv2
import numpy as np

from .._threads import map_threads, workers
from .ssim_cv import gaussian_radius

__all__ = [
    "CONSISTENT_SHARE",
    "MAX_STEP_CHANGE",
    "MIN_COSINE",
    "MIN_GRADIENT",
    "RENDER_FLAT_SHARE",
    "antialias_zone",
    "hard_changes",
    "looks_rendered",
    "moved_from_seed",
]

#: Sobel magnitude (3x3 kernel on the sigma-0.7-smoothed grey, levels) of an edge pixel: about a
#: 20-level step.
MIN_GRADIENT = 40.0
#: About the cosine of the angle two gradients of a consistent edge pixel may differ by (37
#: degrees; applied as direction bins of 22.5 degrees, a bin and its neighbours).
MIN_COSINE = 0.8
#: Share of consistent pixels among the edge pixels of a window for the zone.
CONSISTENT_SHARE = 0.85
#: Largest relative change of the window's summed gradient magnitude (the step heights).
MAX_STEP_CHANGE = 0.3


#: Grey change (levels) above which a pixel that is a ramp step in neither image is a real change
#: (:func:`hard_changes`).
HARD_LEVEL = 16

#: Share of flat pixels (3x3 range <= 2 levels) above which image 1 is taken for a render
#: (screenshot, UI, drawing, vector graphic): 0.79-0.94 on the real UI / graphic pairs, 0.07-0.59
#: on photographs (the rocket's sky: 0.59), 0.02-0.74 on JPEG puzzles and scenes.
RENDER_FLAT_SHARE = 0.65

#: Tile side (px) of the restricted computation (``where``).
TILE = 64
_BINS = 16  # direction bins of 22.5 degrees; a match is the same or a neighbouring bin


def _gradients(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude (float32) and direction bin (uint8, 0-15) of the smoothed grey's gradient."""
    g = cv2.GaussianBlur(gray, (0, 0), 0.7)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    mag, ang = cv2.cartToPolar(gx, gy, angleInDegrees=True)
    return mag, (ang * (_BINS / 360.0)).astype(np.uint8) % _BINS


def looks_rendered(gray: np.ndarray) -> bool:
    """True when the uint8 (H, W) grey image is mostly exactly flat, as renders are and photos
    (sensor noise, JPEG) are not: the share of pixels whose 3x3 range is at most 2 levels is at
    least :data:`RENDER_FLAT_SHARE`."""
    k = np.ones((3, 3), np.uint8)
    spread = cv2.subtract(cv2.dilate(gray, k), cv2.erode(gray, k))
    return float((spread <= 2).mean()) >= RENDER_FLAT_SHARE


def antialias_zone(
    gray1: np.ndarray,
    gray2: np.ndarray,
    colour_evidence: np.ndarray,
    *,
    sigma: float = 1.5,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Pixels whose structural difference is explained by edge rasterization (see the module).

    Args:
        gray1, gray2: uint8 (H, W) grey images (image 2 aligned and tone-matched).
        colour_evidence: float32 (H, W) >= 0, the colour map divided by its threshold (1 = seed).
        sigma: the SSIM window's gaussian sigma (px); the zone is judged over its width.
        where: (H, W) bool, the pixels the answer is needed at (None: all): only tiles of
            :data:`TILE` px holding one are computed (a photo pair with a few changes costs a
            few tiles, not the whole image); elsewhere the zone is False.

    Returns:
        bool (H, W): True where the structural map should not count.
    """
    anchored = moved_from_seed(gray1, gray2, colour_evidence)
    if where is None:
        return _zone(gray1, gray2, colour_evidence, sigma) & ~anchored
    h, w = gray1.shape
    out = np.zeros((h, w), dtype=bool)
    margin = gaussian_radius(sigma) + 4  # window, dilation and gradient reach

    def run(windows: list[tuple[int, int, int, int, np.ndarray]]) -> None:
        # windows write to disjoint parts of ``out``: the tiles each selected
        for ty0, tx0, ty1, tx1, selected in windows:
            y, x, y_end, x_end = ty0 * TILE, tx0 * TILE, min(h, ty1 * TILE), min(w, tx1 * TILE)
            y0, x0 = max(0, y - margin), max(0, x - margin)
            y1, x1 = min(h, y_end + margin), min(w, x_end + margin)
            z = _zone(
                gray1[y0:y1, x0:x1], gray2[y0:y1, x0:x1], colour_evidence[y0:y1, x0:x1], sigma
            )
            for i, j in zip(*np.nonzero(selected), strict=True):
                ya, xa = (ty0 + i) * TILE, (tx0 + j) * TILE
                out[ya : ya + TILE, xa : xa + TILE] = z[
                    ya - y0 : ya - y0 + TILE, xa - x0 : xa - x0 + TILE
                ]

    windows = _tile_windows(where)
    n = workers()
    map_threads(run, [windows[i::n] for i in range(n)])  # the windows spread over the threads
    return out & ~anchored


def _tile_windows(where: np.ndarray) -> list[tuple[int, int, int, int, np.ndarray]]:
    """The :data:`TILE` px tiles holding a pixel of ``where`` ((H, W) bool), as windows of
    tiles ``(ty0, tx0, ty1, tx1, selected)`` (tile rows / columns ``[ty0, ty1)``, ``[tx0,
    tx1)``; ``selected`` bool (ty1 - ty0, tx1 - tx0), the tiles holding one), largest first.

    Touching tiles make one window (their bounding box, when the tiles fill at least half of
    it; else each is its own): the zone is local (every pixel depends on the pixels within the
    margin around it, which each window reads), so a window gives each of its tiles what the
    whole image would, once for a group of tiles instead of once per tile with its margin.
    """
    h, w = where.shape
    rows, cols = -(-h // TILE), -(-w // TILE)
    padded = np.zeros((rows * TILE, cols * TILE), np.uint8)
    padded[:h, :w] = where
    grid = padded.reshape(rows, TILE, cols, TILE).max(axis=(1, 3))  # 1: the tile holds one
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    windows = []
    for k in range(1, n):
        tx0, ty0, tw, th, count = (int(v) for v in stats[k])
        selected = labels[ty0 : ty0 + th, tx0 : tx0 + tw] == k
        if 2 * count >= tw * th:
            windows.append((ty0, tx0, ty0 + th, tx0 + tw, selected))
        else:
            windows.extend(
                (ty0 + i, tx0 + j, ty0 + i + 1, tx0 + j + 1, np.ones((1, 1), bool))
                for i, j in zip(*np.nonzero(selected), strict=True)
            )
    windows.sort(key=lambda win: -(win[2] - win[0]) * (win[3] - win[1]))
    return windows


def moved_from_seed(
    gray1: np.ndarray, gray2: np.ndarray, colour_evidence: np.ndarray
) -> np.ndarray:
    """bool (H, W): the connected bands of pixels changed by more than :data:`HARD_LEVEL` that
    hold a colour seed (evidence >= 1), widened by 1 px. An outline redrawn further out (a
    hair line reshaped, a shape's edge moved by 2 px at one end, tapering to a fraction of a
    pixel at the other) is one such band: where it moved by more than the colour map's 1-px
    tolerance it seeds, and its sub-pixel rest belongs to the same change, not to
    anti-aliasing. Re-rasterized edges move by at most a pixel and seed nowhere."""
    moved = (cv2.absdiff(gray1, gray2) > HARD_LEVEL).view(np.uint8)
    n, lab = cv2.connectedComponents(moved, connectivity=8, ltype=cv2.CV_32S)
    if n < 2:
        return np.zeros(gray1.shape, bool)
    seeded = np.zeros(n, bool)
    seeded[lab[(colour_evidence >= 1.0) & (moved > 0)]] = True
    seeded[0] = False
    if not seeded.any():
        return np.zeros(gray1.shape, bool)
    return cv2.dilate(seeded[lab].view(np.uint8), np.ones((3, 3), np.uint8)) > 0


def _zone(
    gray1: np.ndarray, gray2: np.ndarray, colour_evidence: np.ndarray, sigma: float
) -> np.ndarray:
    m1, d1 = _gradients(gray1)
    m2, d2 = _gradients(gray2)
    edge1, edge2 = m1 >= MIN_GRADIENT, m2 >= MIN_GRADIENT
    n_edge = edge1.astype(np.float32) + edge2.astype(np.float32)
    if not n_edge.any():
        return np.zeros(gray1.shape, dtype=bool)
    calm = colour_evidence < 1.0
    ok1 = _matched(d1, edge1 & calm, d2, edge2)
    ok2 = _matched(d2, edge2 & calm, d1, edge1)
    n_ok = ok1.astype(np.float32) + ok2.astype(np.float32)
    k = 2 * gaussian_radius(sigma) + 1
    n_edges = cv2.boxFilter(n_edge, -1, (k, k), normalize=False)
    n_ok = cv2.boxFilter(n_ok, -1, (k, k), normalize=False)
    # a ramp redrawn keeps its step height, so the summed gradient over the window stays; a
    # contrast change (an element faded, recoloured in tone) does not
    s1 = cv2.boxFilter(m1, -1, (k, k), normalize=False)
    s2 = cv2.boxFilter(m2, -1, (k, k), normalize=False)
    same_step = np.abs(s1 - s2) <= MAX_STEP_CHANGE * np.maximum(s1, s2)
    zone = (n_edges > 0) & (n_ok >= CONSISTENT_SHARE * n_edges) & same_step
    return zone & ~cv2.dilate(
        hard_changes(gray1, gray2).view(np.uint8), np.ones((3, 3), np.uint8)
    ).astype(bool)


def hard_changes(gray1: np.ndarray, gray2: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels that changed by more than :data:`HARD_LEVEL` and are a ramp step in
    neither image, pixelmatch's test (an anti-aliased pixel has both a darker and a brighter
    neighbour: it lies on the ramp between two sides of an edge in one of the images), and are
    a *thin* stroke in one of them (darker or brighter than both neighbours across some
    direction: row, column or a diagonal) over background that is flat in the other (3x3 range
    at most :data:`HARD_LEVEL`). A thin line drawn or erased is such a stroke: a real change,
    whatever the edges around it. A glyph stroke drawn 1 px wide in a bitmap font and as a
    2-px ramp anti-aliased is a stroke in both images, not on flat background.
    An edge drawn one pixel over (a bitmap glyph one pixel bolder than its anti-aliased
    version, an aliased disc's top row) is not: its changed pixels continue the solid on one
    side in one image and the background in the other."""
    k = np.ones((3, 3), np.uint8)
    ramp = np.zeros(gray1.shape, bool)
    for g in (gray1, gray2):
        ramp |= (g > cv2.erode(g, k)) & (g < cv2.dilate(g, k))
    flat1, flat2 = (
        cv2.subtract(cv2.dilate(g, k), cv2.erode(g, k)) <= HARD_LEVEL for g in (gray1, gray2)
    )
    thin = (_stroke(gray1) & flat2) | (_stroke(gray2) & flat1)
    return (cv2.absdiff(gray1, gray2) > HARD_LEVEL) & ~ramp & thin


#: The neighbour pairs across a pixel: row, column and the two diagonals (dy, dx of one side).
_ACROSS = ((0, 1), (1, 0), (1, 1), (1, -1))


def _stroke(gray: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels darker or brighter than both neighbours across some direction (a
    stroke at most one pixel wide there); the image's border counts as the pixel's own value."""
    g = cv2.copyMakeBorder(gray, 1, 1, 1, 1, cv2.BORDER_REPLICATE).astype(np.int16)
    h, w = gray.shape
    mid = g[1 : h + 1, 1 : w + 1]
    out = np.zeros((h, w), bool)
    for dy, dx in _ACROSS:
        a = g[1 + dy : h + 1 + dy, 1 + dx : w + 1 + dx]
        b = g[1 - dy : h + 1 - dy, 1 - dx : w + 1 - dx]
        out |= ((a > mid) & (b > mid)) | ((a < mid) & (b < mid))
    return out


def _matched(bins: np.ndarray, edge: np.ndarray, other: np.ndarray, other_edge: np.ndarray):
    """True at the ``edge`` pixels where the other image has an edge of the same direction
    (same or neighbouring 22.5-degree bin) within 1 px: the colour map's own tolerance, so a
    glyph hinted one pixel over is not a change.

    Each of the 3x3 neighbours is compared in turn (what a per-bin dilation by a 3x3 square
    finds, outside the image nothing)."""
    h, w = edge.shape
    # the other image's bin + 1 at its edge pixels (0: no edge), a 1-px border of no edge
    near_all = np.zeros((h + 2, w + 2), np.uint8)
    np.add(other, np.uint8(1), out=near_all[1:-1, 1:-1], where=other_edge)
    base = np.uint8(_BINS) - bins  # (neighbour's bin + 1 + 16 - bin) mod 16 is 0, 1 or 2 ...
    out = np.zeros((h, w), dtype=bool)
    t = np.empty((h, w), np.uint8)
    for dy in range(3):
        for dx in range(3):
            near = near_all[dy : dy + h, dx : dx + w]
            np.add(near, base, out=t)
            t &= np.uint8(_BINS - 1)  # mod 16
            out |= (t <= 2) & (near > 0)  # ... for the same or a neighbouring bin
    return out & edge
