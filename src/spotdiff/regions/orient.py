"""The direction a render's text runs in, so its object rules read rows along it.

:func:`~.group.image_objects` bridges the gaps between the words of a line along a *row* and
joins text-like objects (wider than high) of one row: the rules of text that runs left to
right. A render turned by 90 degrees (a page photographed or scanned sideways, a vertical
tab bar, a rotated label) has its lines running down the picture; read by rows, each glyph
column is an object of its own and one removed line came out as three boxes, each word one.
Here the direction is measured, and the objects are labelled on the transposed pair when the
text runs down: a turned picture gives the same objects, turned.

The measure: the inked pixels (a 3x3 grey range above :data:`~.group.INK_LEVEL` in either
image) are bridged across gaps of :data:`~.group.ROW_GAP` px along the rows, and (separately)
along the columns; the pixels of the objects that are text-like along that direction (at least
:data:`~.group.TEXT_ASPECT` times longer than thick, at most :data:`~.group.TEXT_HEIGHT` px
thick) are counted. The text runs down when the columns hold at least :data:`MIN_LINES` such
objects and :data:`DOWN_MARGIN` times the rows' pixels; otherwise (no text, one long line, a
mixed page) the rows are kept. On a picture enlarged before the working grid
(:func:`~.enlarged.enlargement`) the gaps between words grew with it: the objects bridge
``ROW_GAP`` times the enlargement (a drawing enlarged 1.5x reads 1.27: 8 px; at 6 px two discs
added 69 px apart on one chain of outlines joined, which at its size is one layout).
"""

from __future__ import annotations

import cv2
import numpy as np

from .enlarged import enlargement
from .group import INK_LEVEL, ROW_GAP, TEXT_ASPECT, TEXT_HEIGHT, image_objects

__all__ = ["DOWN_MARGIN", "MIN_LINES", "oriented_objects", "text_runs_down"]

#: Text-like objects along the columns needed before the text is read down: a few long shapes (a
#: pole, two tall strokes beside it) are not lines of text.
MIN_LINES = 4
#: How many times more text-like pixels the columns must hold than the rows: in between, the
#: rows are kept (the rules read rows by default, as they did before the direction was measured).
DOWN_MARGIN = 2.0


def _text_area(ink: np.ndarray, gap: int, *, down: bool) -> tuple[int, int]:
    """Pixels and number of the objects of ``ink`` (uint8 (H, W) 0/1), bridged across ``gap`` px
    along the rows (``down``: the columns), that are text-like in that direction."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, gap) if down else (gap, 1))
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8, ltype=cv2.CV_32S)
    stats = stats[1:].astype(np.int64)
    along, across = (stats[:, 3], stats[:, 2]) if down else (stats[:, 2], stats[:, 3])
    text = (along >= TEXT_ASPECT * across) & (across <= TEXT_HEIGHT)
    return int(stats[text, cv2.CC_STAT_AREA].sum()), int(text.sum())


def text_runs_down(gray1: np.ndarray, gray2: np.ndarray, *, row_gap: int = ROW_GAP) -> bool:
    """Whether the pair's text-like objects run down the columns rather than along the rows.

    Args:
        gray1, gray2: uint8 (H, W) grey images of the pair (image 2 aligned).
        row_gap: widest gap (px) bridged along a line, as in :func:`~.group.image_objects`.

    Returns:
        True when at least :data:`MIN_LINES` objects are text-like along the columns and they
        cover :data:`DOWN_MARGIN` times the pixels of those along the rows (see the module
        docstring). ``text_runs_down(g.T, g.T)`` is the opposite of ``text_runs_down(g, g)``
        when either is True; flips change nothing.
    """
    k = np.ones((3, 3), np.uint8)
    ink = np.zeros(gray1.shape, np.uint8)
    for g in (gray1, gray2):
        ink |= (cv2.subtract(cv2.dilate(g, k), cv2.erode(g, k)) > INK_LEVEL).view(np.uint8)
    gap = max(1, row_gap - 1)
    down, down_lines = _text_area(ink, gap, down=True)
    rows, _ = _text_area(ink, gap, down=False)
    return down_lines >= MIN_LINES and down > DOWN_MARGIN * rows


def oriented_objects(gray1: np.ndarray, gray2: np.ndarray) -> np.ndarray:
    """:func:`~.group.image_objects` with its rows along the text (:func:`text_runs_down`).

    Args:
        gray1, gray2: uint8 (H, W) grey images of the pair (image 2 aligned).

    Returns:
        int32 (H, W) object labels, ``1..M``, 0 elsewhere, as :func:`~.group.image_objects`.
    """
    row_gap = round(ROW_GAP * enlargement(gray1))
    if not text_runs_down(gray1, gray2):
        return image_objects(gray1, gray2, row_gap=row_gap)
    turned = image_objects(
        np.ascontiguousarray(gray1.T), np.ascontiguousarray(gray2.T), row_gap=row_gap
    )
    return np.ascontiguousarray(turned.T)
