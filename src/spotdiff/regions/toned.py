"""Differences the tone curves made: where image 2 as it is equals image 1, nothing changed.

The pair's tone curves (:mod:`spotdiff.align.tone`) are fitted over the whole picture, where
most of its pixels are; levels few pixels show are extrapolated. On a dark picture with sensor
noise (``aerial_oscd_bercy`` against a copy with noise of sigma 5: the noise clipped at black
lifts the dark levels) the fitted curves compressed the bright end by a fifth, and the few
bright roofs and cars of image 2, equal to image 1's within the noise, came out up to 3x the
colour threshold apart after the curves: three boxes.

A region is *made by the tone curves* (:func:`tone_made`) when, of the pixels of its box whose
colour differs by more than the colour threshold after the curves (*changed*), at most
:data:`MAX_RAW` differ by more than the threshold before them. An edit under a real
photometric change (a brightness, gamma or white-balance change of the whole picture) differs
by its own colour plus the picture's change before the curves, which cancel at almost no pixel.
"""

from __future__ import annotations

import numpy as np

from ..maps.colour import colour_difference
from ..result import DiffResult
from .veto import drop_rejected, window

__all__ = ["MAX_RAW", "drop_tone_made", "tone_made"]

#: Largest share of a region's changed pixels that may differ by more than the colour threshold
#: before the tone curves (the noise of a picture reaches the threshold at a few pixels).
MAX_RAW = 0.05


def tone_made(
    img1: np.ndarray,
    raw2: np.ndarray,
    toned2: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    threshold: float,
) -> bool:
    """True when the change inside ``box`` is only the tone curves' making (see the module).

    Args:
        img1: uint8 (H, W, 3) RGB image 1.
        raw2: uint8 (H, W, 3) image 2 aligned onto image 1, before the tone curves.
        toned2: uint8 (H, W, 3) the same through the tone curves.
        box: ``(x0, y0, x1, y1)`` in the images' pixels, ends exclusive.
        threshold: the colour threshold in levels.

    Returns:
        False as well when the box holds no changed pixel.
    """
    crop, _ = window(img1.shape, box, 0)
    one = img1[crop]
    changed = colour_difference(one, toned2[crop], toned2[crop], radius=0) > threshold
    n = int(changed.sum())
    if n == 0:
        return False
    raw = colour_difference(one, raw2[crop], raw2[crop], radius=0)[changed] > threshold
    return bool(np.count_nonzero(raw) <= MAX_RAW * n)


def drop_tone_made(
    regions: DiffResult,
    img1: np.ndarray,
    raw2: np.ndarray,
    toned2: np.ndarray,
    *,
    threshold: float,
) -> DiffResult:
    """``regions`` without those only the tone curves made (:func:`tone_made`); ``regions``
    itself when ``raw2`` and ``toned2`` are the same image (no curve fitted).

    Args:
        regions: :func:`~.extract.extract_regions`' result, boxes in image-1 pixels.
        img1, raw2, toned2: uint8 (h, w, 3) working images (see :func:`tone_made`); a box is
            taken to their grid by the ratio of their width to ``regions.image_size``.
        threshold: the colour threshold in levels.
    """
    if len(regions) == 0 or raw2 is toned2 or np.array_equal(raw2, toned2):
        return regions
    return drop_rejected(
        regions, img1.shape, lambda box: tone_made(img1, raw2, toned2, box, threshold=threshold)
    )
