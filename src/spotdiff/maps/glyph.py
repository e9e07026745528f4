"""Reshaped glyphs: a small cluster of strongly changed pixels on a clean render whose ink
pattern no shift of at most one pixel explains ("1234" -> "1284" in 8 px text).

The colour map (:func:`~.colour.colour_difference`) forgives every pixel whose colour the other
image shows within 1 px, so that an edge re-rasterized a fraction of a pixel over is not a
change. In small text that tolerance hides a changed character: every new stroke of an "8" lies
within 1 px of a stroke of the "3" (or of the "2" beside it), so the colour map reads 0 although
39 pixels differ by up to 168 levels, and the anti-aliasing zone (:mod:`.antialias`) then takes
the structural map's faint evidence away as well.

The tolerance is per pixel; a re-rasterized glyph is explained by *one* shift. Here each cluster
of pixels whose plain colour difference reaches the threshold (8-connected after a 3x3
dilation, at most :data:`MAX_SIDE` px on a side: a glyph or a short word) is compared as a
whole: image 2 shifted by every step of half a pixel within 1 px (bilinear), the signed grey
difference smoothed by a gaussian of :data:`SIGMA` px (so anti-aliased ramps and a stroke's
half-pixel drift, which move ink without adding any, cancel), and the cluster's largest
residual taken at its best shift. At :data:`MIN_RESIDUAL` of the colour threshold or more, ink
appeared or vanished. Measured on rendered text (cv2 Hershey 0.35-0.6, Pillow 11 px): a changed
character 47-102 levels; the same text shifted by 0.25 / 0.5 px (a 4x supersampled render)
14-22, supersampled 4x against 3x (glyph vertices rounded otherwise) 15-28, JPEG q85 2.

Text rasterized otherwise (another hinting, monochrome against anti-aliased glyphs) changes
every glyph, and a bolder or thinner outline adds ink no shift explains. So a cluster counts
only where the text around it (:data:`AROUND` px) did not change: its other strongly changed
pixels at most :data:`MAX_AROUND` of the structure there (one changed character: 0;
re-rasterized lines: 0.16-0.29), up to :data:`MAX_BESIDE` other clusters around it that no
shift explains either not counted (characters changed side by side) where the pair has at
most :data:`MAX_EDITED` of them. And when such clusters with changed text around them
outnumber the rest, the page was re-rasterized, and a word standing alone is not taken for a
change either. What is left carries its plain difference into the colour map: the region's
box and score follow the changed pixels (:func:`spotdiff.regions.refine_boxes` counts them
too), and the re-traced-strokes rule (:mod:`spotdiff.regions.retrace`) spares it.

:func:`spotdiff.maps.judge.judge_pair` applies it only to clean renders that were not
resampled (:func:`~.antialias.looks_rendered`, noise sigma at most :data:`CLEAN_NOISE`). On
the real development pairs it changes no box.
"""

from __future__ import annotations

import cv2
import numpy as np

from .colour import colour_difference

__all__ = [
    "AROUND",
    "CLEAN_NOISE",
    "MAX_AROUND",
    "MAX_BESIDE",
    "MAX_CLUSTERS",
    "MAX_EDITED",
    "MAX_SIDE",
    "MIN_RESIDUAL",
    "SEEN",
    "SIGMA",
    "reshaped_glyphs",
]

#: Largest noise sigma (levels) of a pair this rule is applied to: a render compared with
#: itself, or re-encoded alike outside the edit.
CLEAN_NOISE = 1.0
#: Longest side (working px) of a cluster compared as a whole: a glyph or a short word. Larger
#: changes are the colour and structural maps' own.
MAX_SIDE = 48
#: Gaussian sigma (px) of the smoothed residual.
SIGMA = 1.0
#: Least residual at the best shift, as a share of the colour threshold, of a reshaped cluster.
MIN_RESIDUAL = 1.5
#: Width (px) of the context around a cluster whose text must be unchanged ...
AROUND = 12
#: ... its strongly changed pixels at most this share of its structure pixels (3x3 range of
#: either grey image at least the threshold). Text re-rasterized (another hinting, mono vs
#: anti-aliased, a sub-pixel offset) changes every glyph: 0.16-0.29 on Pillow and supersampled
#: renders; one character changed: 0.
MAX_AROUND = 0.05
#: Most other reshaped clusters within :data:`AROUND` px of a cluster that are not taken for
#: changed text around it: two or three characters changed side by side ("1234567" ->
#: "1284587" in 6 px digits: the "8" and the "8" 4 px apart each saw the other). More, with
#: the rest of the text around unchanged, is a line rasterized otherwise (bolder).
MAX_BESIDE = 2
#: ... only on a pair with at most this many such clusters in all: a page rasterized otherwise
#: (anti-aliased against not) has one at nearly every word (9 on a 640x360 test page).
MAX_EDITED = 4
#: A cluster the 1-px tolerant colour map already sees at this share of its strongly changed
#: pixels or more is left to it: a character changed at 0.35-0.6 (Hershey) or 11 px (Pillow):
#: 0-0.04 seen, a 3x3 px hub recoloured in a drawing 0.11; a checker block pasted into a page
#: (JPEG or not) 0.40-0.46, and the JPEG ringing around it is no glyph.
SEEN = 0.25
#: Most clusters of a pair tested: a pair with more strongly changed places than this is not
#: a render compared with itself up to a few edits (a photograph, a page re-rasterized).
MAX_CLUSTERS = 64


def _residual(g1: np.ndarray, g2: np.ndarray, inside: np.ndarray) -> float:
    """The smallest, over the shifts of image 2 by half-pixel steps within 1 px (bilinear), of
    the largest smoothed residual at ``inside``. Smoothing and shifting commute: each image is
    smoothed once, and a half-pixel step is the mean of its two whole-pixel neighbours."""
    h, w = g1.shape
    b1 = cv2.GaussianBlur(g1, (0, 0), SIGMA)
    b2 = cv2.copyMakeBorder(cv2.GaussianBlur(g2, (0, 0), SIGMA), 1, 1, 1, 1, cv2.BORDER_REPLICATE)
    whole = {
        (dy, dx): b2[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w][inside]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    }
    target = b1[inside]
    halves = [(-1,), (-1, 0), (0,), (0, 1), (1,)]  # -1, -0.5, 0, 0.5, 1 px
    best = np.inf
    for ys in halves:
        for xs in halves:
            moved = sum(whole[(dy, dx)] for dy in ys for dx in xs) / (len(ys) * len(xs))
            best = min(best, float(np.abs(target - moved).max()))
    return best


def reshaped_glyphs(img1: np.ndarray, img2: np.ndarray, *, threshold: float) -> np.ndarray:
    """Plain colour difference of the clusters whose ink pattern changed (see the module).

    Args:
        img1, img2: uint8 (H, W, 3) RGB images, image 2 aligned (not resampled) and
            tone-matched to image 1.
        threshold: the colour threshold (levels): the plain difference a changed pixel reaches.

    Returns:
        float32 (H, W) >= 0, in levels (as :func:`~.colour.colour_difference`): the plain
        per-pixel difference at the pixels of reshaped clusters, 0 elsewhere.
    """
    plain = colour_difference(img1, img2, img2, radius=0)
    out = np.zeros_like(plain)
    strong = (plain >= np.float32(threshold)).view(np.uint8)
    if not strong.any():
        return out
    k = np.ones((3, 3), np.uint8)
    joined = cv2.dilate(strong, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    h, w = plain.shape
    pad = int(np.ceil(3 * SIGMA)) + 2  # the gaussian's reach and the shift
    if np.count_nonzero(stats[1:, 2:4].max(axis=1) <= MAX_SIDE) > MAX_CLUSTERS:
        return out  # not a render compared with itself up to a few edits
    gray1 = gray2 = ink = seen = None
    candidates = []  # clusters whose ink no shift explains: (label, window, core)
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        if max(bw, bh) > MAX_SIDE:
            continue
        if gray1 is None:
            g1, g2 = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (img1, img2))
            ink = np.zeros(g1.shape, bool)  # structure: 3x3 range of either at the threshold
            for g in (g1, g2):
                ink |= cv2.subtract(cv2.dilate(g, k), cv2.erode(g, k)) >= threshold
            gray1, gray2 = g1.astype(np.float32), g2.astype(np.float32)
            seen = colour_difference(img1, img2, img2)  # the 1-px tolerant colour map
        y0, y1, x0, x1 = (
            max(0, y - pad),
            min(h, y + bh + pad),
            max(0, x - pad),
            min(w, x + bw + pad),
        )
        member = labels[y0:y1, x0:x1] == i
        core = member & (strong[y0:y1, x0:x1] > 0)
        if np.count_nonzero(core & (seen[y0:y1, x0:x1] >= threshold)) >= SEEN * core.sum():
            continue  # the colour map sees it already (an object pasted, JPEG ringing around)
        if _residual(gray1[y0:y1, x0:x1], gray2[y0:y1, x0:x1], member) < MIN_RESIDUAL * threshold:
            continue  # ink moved by a shift within 1 px: re-rasterized
        candidates.append((i, (y0, y1, x0, x1), core))
    labelled = np.zeros(n, bool)  # the candidates' labels
    labelled[[i for i, _, _ in candidates]] = True
    reshaped, rendered_again = [], 0
    for i, window, core in candidates:
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        cy0, cy1 = max(0, y - AROUND), min(h, y + bh + AROUND)
        cx0, cx1 = max(0, x - AROUND), min(w, x + bw + AROUND)
        around = labels[cy0:cy1, cx0:cx1]
        near = cv2.dilate((around == i).view(np.uint8), k) > 0
        beside = np.setdiff1d(around[labelled[around]], [i])  # other candidates around it
        if 0 < len(beside) <= MAX_BESIDE and len(candidates) <= MAX_EDITED:  # side by side
            near |= cv2.dilate(np.isin(around, beside).view(np.uint8), k) > 0
        others = np.count_nonzero((strong[cy0:cy1, cx0:cx1] > 0) & ~near)
        if others > MAX_AROUND * np.count_nonzero(ink[cy0:cy1, cx0:cx1] & ~near):
            rendered_again += 1  # the text around changed too: re-rasterized
            continue
        reshaped.append((*window, core))
    if rendered_again > len(reshaped):  # most of the text re-rasterized: a word alone too
        return out
    for y0, y1, x0, x1, inside in reshaped:
        win = out[y0:y1, x0:x1]
        win[inside] = plain[y0:y1, x0:x1][inside]
    return out
