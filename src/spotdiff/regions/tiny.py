"""Tiny strong changes: a region too small for the score's area term, kept when its colour stands
far above the difference around it on a clean pair.

A region's score (:func:`~.extract.region_score`) multiplies its mean evidence by the side of its
area, and :data:`~.extract.MIN_SCORE` drops the specks that resampling and JPEG leave. A change
of a few pixels falls under it however strong it is: ``puzzle_animalfarm``'s windmill hub, a
3x3 px yellow centre recoloured orange inside a ring that stayed, scores 0.034. The colour cue
(tolerant to 1-px shifts) is blind to it, the centre being under 3 px across
(:mod:`spotdiff.maps.thin`); only the structural map sees it, spread over its 11-px window (17
px at 0.85x the threshold). Its one-way colour difference is 54-93 levels.

Such a region is kept (:func:`tiny_strong`) when three things hold:

- the pair is clean: its noise sigma (:func:`spotdiff.maps.noise.noise_sigma`) is at most
  :data:`CLEAN_NOISE` levels: a render, a drawing, or two pictures encoded alike outside their
  edits; on a noisy pair (a photograph, a satellite pass) a few strong pixels are no evidence;
- at least :data:`MIN_CORE` of its pixels differ by the colour threshold or more (the larger of
  the colour and the thin difference, :func:`~spotdiff.maps.colour.colour_difference`,
  :func:`~spotdiff.maps.thin.thin_difference`);
- their median difference is at least :data:`STRONG_RATIO` times the 90th percentile of the
  plain per-pixel difference in the ring :data:`RING` px wide around the region: a resampled or
  re-encoded copy differs around a lost detail as well (a half-size thumbnail scaled back up
  blurs the letters next to a lost dot, JPEG rings around every stroke), an edit does not.

and, where it is kept (:func:`apart`), no reported region lies within the merge gap: a piece
of a reported change that the grouping left apart (the lower end of an added object on the
synthetic benchmark) is not a change of its own. :func:`spotdiff.find` looks for tiny strong
changes only where image 2 was not resampled by the registration (a rotated or scaled copy's
interpolated pixels leave strong specks the dense flow does not follow).

Measured on the no-change benchmark's pictures (``benchmarks/bench_nochange.py``: 25 real
pictures x 10 nuisances) and the real pairs: of the regions under ``MIN_SCORE`` on clean pairs,
the hub's ratio is 6.5, every no-change one's at most 2.0.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..maps.colour import colour_difference
from ..maps.thin import thin_difference

__all__ = ["CLEAN_NOISE", "MIN_CORE", "RING", "STRONG_RATIO", "apart", "tiny_strong"]

#: Largest noise sigma (levels) of a clean pair: JPEG re-encoding gives 1-3.
CLEAN_NOISE = 1.0
#: Fewest pixels at or above the colour threshold (one pixel may be a stray sample).
MIN_CORE = 3
#: Width (px) of the ring around the region whose difference says what unchanged looks like.
RING = 3
#: Least ratio of the core's median difference to the ring's 90th percentile.
STRONG_RATIO = 4.0


def tiny_strong(
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    crop: np.ndarray,
    origin: tuple[int, int],
    *,
    threshold: float,
    noise: float,
) -> bool:
    """Whether a region is a tiny strong change (see the module docstring).

    Args:
        rgb1, rgb2: uint8 (h, w, 3) working images, image 2 aligned and tone-matched.
        crop: (ch, cw) bool, the region's pixels in a window of the working images placed at
            ``origin`` ``(x0, y0)``.
        threshold: the colour threshold (levels).
        noise: the pair's noise sigma (levels).

    Returns:
        True when the pair is clean and the region's strongest pixels stand far above the
        difference around it.
    """
    if noise > CLEAN_NOISE:
        return False
    h, w = rgb1.shape[:2]
    x0, y0 = origin
    pad = RING + 2  # the ring and the differences' own 1-px neighbourhoods
    wx0, wy0 = max(0, x0 - pad), max(0, y0 - pad)
    wx1, wy1 = min(w, x0 + crop.shape[1] + pad), min(h, y0 + crop.shape[0] + pad)
    a, b = rgb1[wy0:wy1, wx0:wx1], rgb2[wy0:wy1, wx0:wx1]
    region = np.zeros(a.shape[:2], np.uint8)
    region[y0 - wy0 : y0 - wy0 + crop.shape[0], x0 - wx0 : x0 - wx0 + crop.shape[1]] = crop
    d = np.maximum(colour_difference(a, b, b), thin_difference(a, b, b))
    core = d[(region > 0) & (d >= threshold)]
    if core.size < MIN_CORE:
        return False
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1,) * 2)
    ring = (cv2.dilate(region, disc) > 0) & (cv2.dilate(region, np.ones((3, 3), np.uint8)) == 0)
    plain = colour_difference(a, b, b, radius=0)[ring]
    around = float(np.percentile(plain, 90)) if plain.size else 0.0
    return float(np.median(core)) >= STRONG_RATIO * max(around, 1.0)


def apart(boxes, reported: np.ndarray, gap: float) -> np.ndarray:
    """(N,) bool: boxes further than ``gap`` (px, both axes) from every ``reported`` box.

    Args:
        boxes: (N, 4) ``x1, y1, x2, y2`` (exclusive ends), any sequence of rows.
        reported: (N,) bool, the boxes reported anyway.
        gap: the merge gap, in the boxes' pixels.
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    r = b[np.asarray(reported, bool)]
    if len(r) == 0:
        return np.ones(len(b), bool)
    dx = np.maximum(r[None, :, 0] - b[:, None, 2], b[:, None, 0] - r[None, :, 2])
    dy = np.maximum(r[None, :, 1] - b[:, None, 3], b[:, None, 1] - r[None, :, 3])
    return ~((dx <= gap) & (dy <= gap)).any(axis=1)
