"""Changed words on a re-encoded render: a word or digit changed in small text on a screenshot
that was saved as JPEG, rescaled or photographed with sensor noise.

:mod:`.glyph` finds a reshaped character by its strongly changed pixels on a clean render; on
a re-encoded one every word has such pixels (JPEG ringing, noise, the blur of a rescaling), so
its clusters run together and "the text around changed too" holds everywhere. Re-encoding
moves no ink, though: JPEG keeps each block's mean, noise averages out, a rescaling blurs. So
here each *word* (the ink of either image, :data:`INK` levels off the page's background,
joined along the line, a line cut at its spaces) is compared as a whole at the text's own scale: both images smoothed by
a gaussian of :data:`SIGMA` px (a stroke's width), image 2 shifted by every half-pixel step
within 1 px, and the word's largest residual taken at its best shift (of the grey), over grey
and the two chroma channels (a link's colour may change little grey). Measured on Pillow text of 9-12 px (a
paragraph and a table; one digit, one word changed): a changed digit 12-19 levels ("78.75" ->
"79.75"), a changed word 19-78, a recoloured word 30 and more; unchanged words under JPEG q60,
noise sigma 3, a 0.9x / 1.1x rescaling: at most 10.

A word counts as changed when its residual reaches :data:`FLOOR` and :data:`RATIO` times the
page's own residue (the :data:`PAGE_SHARE` quantile of the residuals of its words under
:data:`FLOOR`: the rescaled page's blur lifts every word alike; a changed word never lifts
it, nor do two recoloured buttons alone on a page). When more words than :data:`MAX_CHANGED` reach
:data:`FLOOR`, the page was rasterized otherwise (another hinting, anti-aliasing on or off,
another layout) or re-encoded beyond what the rule tells apart, and it is left to the other
maps (nothing marked, nothing calmed). What is left carries its plain
difference into the colour map where that reaches the colour threshold and its residual is at
least half its largest; the re-encoding residue around the words that did not change is taken
out of the colour and structural maps (:func:`changed_words`).

:func:`spotdiff.maps.judge.judge_pair` applies it to renders, noisy or not
(:func:`looks_like_page`), whose image 2 the registration did not resample (a page turned by
1.5 degrees or moved by a fraction of a pixel: a long line's words drift by more than 1 px, a
rule's residue reaches the floor; ``benchmarks/bench_nochange.py``).
"""

from __future__ import annotations

import cv2
import numpy as np

from .._threads import map_threads
from .antialias import looks_rendered
from .colour import colour_difference

__all__ = [
    "BACKGROUND_SHARE",
    "BLOCK",
    "FLOOR",
    "INK",
    "MAX_CHANGED",
    "MAX_WORD",
    "MIN_WORDS",
    "PAGE_SHARE",
    "PIECE",
    "RATIO",
    "SIGMA",
    "SPACE",
    "changed_words",
    "looks_like_page",
]

#: Least grey distance (levels) of ink from the page's background (its most common level).
INK = 40
#: Gaussian sigma (px) both images are compared at: about a stroke's width in 9-12 px text.
SIGMA = 1.5
#: Least residual (levels) of a changed word: a changed digit 12 and more; labels a real
#: screenshot pair redrew (``ui_ydn_missing`` at 1024 px), 8-11.2.
FLOOR = 12.0
#: Least ratio of a changed word's residual to the page's residue.
RATIO = 2.0
#: Quantile of the residuals of the words under :data:`FLOOR` taken for the page's residue.
PAGE_SHARE = 0.75
#: Most words reaching :data:`FLOOR` on a page this rule judges (pieces side by side on a line
#: counted once). More is a page rasterized
#: otherwise (another hinting, anti-aliasing) or re-encoded harder than it tells apart (JPEG
#: q50's chroma on coloured UI text: 24 of 248 words at 12-24 levels; a page shifted by half a
#: pixel: 7 at 12-12.75).
MAX_CHANGED = 4
#: Fewest words of a page of text (the test pages: 30-60; a UI screenshot: 150-330).
MIN_WORDS = 10
#: Tallest ink (px) taken for a line of small text (9-12 px type: 10-15); taller (a heading,
#: a picture, a filled area, a figure) is left to the other maps.
MAX_WORD = 16
#: Longest line (px) compared whole; longer ones are cut at their spaces into words.
PIECE = 48
#: Columns (px) each side of a cut between two pieces that neither is judged on: the
#: smoothing spreads a changed word's residual about that far into the space beside it.
SPACE = 2
#: Least share of image 1 (smoothed) at the background level, within :data:`INK` / 5 levels, of
#: a page (:func:`looks_like_page`): text pages 0.92-0.95 under JPEG q60 and noise sigma 4;
#: photographs of smooth objects 0.29-0.51, satellite views 0.59-0.70.
BACKGROUND_SHARE = 0.8

#: Margin (px) of a calm word's box: half a JPEG block, the reach of its ringing.
BLOCK = 4

_K3 = np.ones((3, 3), np.uint8)
_HALVES = [(-1,), (-1, 0), (0,), (0, 1), (1,)]  # -1, -0.5, 0, 0.5, 1 px
_SHIFTS = [(ys, xs) for ys in _HALVES for xs in _HALVES]
_QUARTERS = 4.0  # the grey residuals' steps a level


def looks_like_page(gray: np.ndarray, *, rendered: bool | None = None) -> bool:
    """True when the uint8 (H, W) grey image is a render (:func:`~.antialias.looks_rendered`)
    or a render under sensor noise or JPEG ringing: after a 3x3 median, at least
    :data:`BACKGROUND_SHARE` of it at one background level, and a render once smoothed by a
    gaussian of 1 px. ``rendered``: ``looks_rendered(gray)`` when the caller has it already."""
    if looks_rendered(gray) if rendered is None else rendered:
        return True
    smooth = cv2.medianBlur(gray, 3)
    background = int(np.bincount(smooth.ravel(), minlength=256).argmax())
    near = np.abs(smooth.astype(np.int16) - background) <= INK // 5
    return float(near.mean()) >= BACKGROUND_SHARE and looks_rendered(
        cv2.GaussianBlur(gray, (0, 0), 1.0)
    )


def _channels(img: np.ndarray) -> np.ndarray:
    """float32 (3, H, W): grey and the two chroma channels (YCrCb), smoothed by :data:`SIGMA`."""
    ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    return np.stack([cv2.GaussianBlur(ycc[..., c], (0, 0), SIGMA) for c in range(3)])


def _shifted(s2: np.ndarray, shift: tuple[tuple[int, ...], tuple[int, ...]], h: int, w: int):
    """``s2`` (C, h + 2, w + 2; one pixel more each side) moved by a half-pixel ``shift``
    (the whole-pixel steps it averages, rows and columns): (C, h, w)."""
    ys, xs = shift
    views = [s2[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy in ys for dx in xs]
    return sum(views[1:], views[0]) / np.float32(len(views))


def _bands(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The row spans ``(start, stop)`` merged where they touch or overlap, in order."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(rows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _grey_residuals(
    s1: np.ndarray, s2: np.ndarray, rows: list[tuple[int, int]] | None = None
) -> np.ndarray:
    """uint8 (25, H, W): the absolute smoothed grey residual at each half-pixel shift of image 2
    within 1 px (:data:`_SHIFTS`), in quarter levels (saturated at 63.75 levels, far above any
    limit a word is held to). ``s1``: (H, W); ``s2``: (H + 2, W + 2). ``rows``: the row spans
    ``(start, stop)`` to compute (the words' rows; 0 elsewhere), None: every row."""
    h, w = s1.shape
    out = np.zeros((len(_SHIFTS), h, w), np.uint8)
    bands = [(0, h)] if rows is None else _bands(rows)

    def fill(ks: range) -> None:
        for k in ks:
            for r0, r1 in bands:  # image 2's rows r0 .. r1 + 2: one pixel more each side
                moved = _shifted(s2[None, r0 : r1 + 2], _SHIFTS[k], r1 - r0, w)[0]
                cv2.convertScaleAbs(
                    cv2.subtract(s1[r0:r1], moved), dst=out[k, r0:r1], alpha=_QUARTERS
                )

    half = len(_SHIFTS) // 2  # the shifts on the two cores
    map_threads(fill, [range(half), range(half, len(_SHIFTS))])
    return out


def _words(gray1: np.ndarray, gray2: np.ndarray) -> list[tuple]:
    """Boxes ``(x, y, w, h, (left, right), line)`` of the words, in order along each line:
    ink of either image joined along the line, lines longer than :data:`PIECE` cut at image 1's
    spaces; ``left`` / ``right``: the columns (:data:`SPACE` at a cut, else 0) of the space
    each side, not the word's own; ``line``: the line's number."""
    background = int(np.bincount(cv2.medianBlur(gray1, 3).ravel(), minlength=256).argmax())
    ink1, ink2 = (  # a 1-px stroke too (noise reaches 40 levels hardly ever)
        (np.abs(g.astype(np.int16) - background) > INK).view(np.uint8) for g in (gray1, gray2)
    )
    ink = ink1 | ink2
    joined = cv2.dilate(ink, np.ones((1, 5), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = []
    for line, (x, y, bw, bh) in enumerate(stats[1:, :4].tolist()):
        if bh > MAX_WORD:
            continue  # not a line of text
        cuts = [x, x + bw]
        if bw > PIECE:  # cut at the middle of image 1's spaces (2 empty columns or more)
            empty = np.concatenate([[0], ink1[y : y + bh, x : x + bw].any(axis=0) == 0, [0]])
            edges = np.flatnonzero(np.diff(empty.astype(np.int8)))
            for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
                if stop - start >= 2 and start > 0 and stop < bw:
                    cuts.insert(-1, x + (start + stop) // 2)
        cuts = np.array(cuts)
        for i, (a, b) in enumerate(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True)):
            trim = (SPACE if i > 0 else 0, SPACE if i < len(cuts) - 2 else 0)
            boxes.append((a, y, b - a, bh, trim, line))
    return boxes


def changed_words(
    img1: np.ndarray, img2: np.ndarray, *, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Plain colour difference of the words whose ink changed, and the words that did not
    (see the module).

    Args:
        img1, img2: uint8 (H, W, 3) RGB images, image 2 aligned and tone-matched to image 1.
        threshold: the colour threshold (levels).

    Returns:
        ``(changed, calm)``: float32 (H, W) >= 0, in levels: on each changed word, where its
        residual is at least half its largest, the plain per-pixel difference where it
        reaches ``threshold``, 0 elsewhere; and (H, W) bool, the boxes (:data:`SIGMA` x 2 +
        :data:`BLOCK` px around) of the words that did not change, less the changed words'
        pixels: what differs there is re-encoding residue (none on a page
        rasterized otherwise).
    """
    h, w = img1.shape[:2]
    out = np.zeros((h, w), np.float32)
    calm = np.zeros((h, w), bool)
    gray1, gray2 = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (img1, img2))
    boxes = _words(gray1, gray2)
    if len(boxes) < MIN_WORDS:  # not a page of text (a drawing, a few buttons)
        return out, calm
    s1, s2 = map_threads(_channels, [img1, img2])
    s2 = np.pad(s2, ((0, 0), (1, 1), (1, 1)), mode="edge")
    pad = int(np.ceil(2 * SIGMA))
    rows = [(max(0, y - pad), min(h, y + bh + pad)) for _, y, _, bh, _, _ in boxes]
    grey = _grey_residuals(s1[0], s2[0], rows)  # read only in the words' windows
    found = []
    for x, y, bw, bh, (left, right), _ in boxes:
        y0, y1 = max(0, y - pad), min(h, y + bh + pad)
        x0, x1 = max(0, x - pad), min(w, x + bw + pad)
        own = slice(x + left, x + max(left + 1, bw - right))  # the word's own columns
        k = int(np.argmin(grey[:, y0:y1, own].max(axis=(1, 2))))  # its best shift
        moved = _shifted(s2[1:, y0 : y1 + 2, x0 : x1 + 2], _SHIFTS[k], y1 - y0, x1 - x0)
        res = np.maximum(
            grey[k, y0:y1, x0:x1] / np.float32(_QUARTERS),
            np.abs(s1[1:, y0:y1, x0:x1] - moved).max(axis=0),
        )
        top = float(res[:, own.start - x0 : own.stop - x0].max())
        found.append((top, (y0, y1, x0, x1), res))
    tops = np.array([f[0] for f in found])
    raised = tops >= FLOOR  # runs of them side by side on a line count once (a word's letters)
    # the page's residue: of the words under the floor (a changed one never lifts it)
    residue = float(np.quantile(tops[~raised], PAGE_SHARE)) if not raised.all() else 0.0
    limit = max(FLOOR, RATIO * residue)
    lines = np.array([b[-1] for b in boxes])
    runs = raised & ~(np.r_[False, raised[:-1]] & np.r_[False, lines[1:] == lines[:-1]])
    if np.count_nonzero(runs) > MAX_CHANGED:  # the page's residue may be their own
        return out, calm  # the page rasterized or re-encoded otherwise
    changed = [f for f in found if f[0] >= limit]
    for top, (y0, y1, x0, x1), _ in found:
        if top < limit:  # JPEG's ringing reaches across its 8x8 block
            calm[max(0, y0 - BLOCK) : y1 + BLOCK, max(0, x0 - BLOCK) : x1 + BLOCK] = True
    plain = colour_difference(img1, img2, img2, radius=0)
    for top, (y0, y1, x0, x1), res in changed:
        where = cv2.dilate((res >= 0.5 * top).view(np.uint8), _K3) > 0
        calm[y0:y1, x0:x1][where] = False
        where &= plain[y0:y1, x0:x1] >= np.float32(threshold)  # what differs, not the shift
        out[y0:y1, x0:x1][where] = plain[y0:y1, x0:x1][where]
    return out, calm
