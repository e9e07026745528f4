"""Thin changes: colour that one image has and the other's neighbourhood does not explain.

The shift-tolerant colour difference (:func:`~.colour.colour_difference`) takes the smaller of
two directions: a pixel of image 1 against the range of image 2's 3x3 neighbourhood, and back.
An object at most 3 px across (a strand of hair, a rivet recoloured, a spire's tip) has no
pixel whose 3x3 neighbourhood lies inside it, so the direction that looks from the *other*
image always finds the object's surroundings and reads 0: the object is invisible to the colour
cue, and only the structural (SSIM) map, spread over its 11-px window, sees it.

Here each direction counts alone, less the other image's own spread: per channel, the distance
of a pixel to the range ``[min, max]`` of the other image's neighbourhood minus the width of
that range. On flat surroundings (a strand removed from a wall, a dot recoloured on a plain
disc) the width is near 0 and the whole distance counts; where the other image has an edge there
(a thin line resampled half a pixel over: its two half-strength pixels span half the line's
contrast and the line's pixel lies half its contrast outside) the width cancels the distance.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["thin_difference"]


def _norm(d: np.ndarray) -> np.ndarray:
    """float32 (H, W): Euclidean norm over the channels of a uint8 (H, W[, C]) array. The
    squares of 8-bit levels and their sums are integers float32 holds exactly, so the order of
    the sum does not matter: OpenCV's channel sum (``cv2.transform``, 1 to 4 channels) gives
    the bits NumPy's would."""
    d = d.astype(np.float32).reshape(d.shape[0], d.shape[1], -1)
    c = d.shape[2]
    if c > 4 or d.size == 0:
        return np.sqrt(np.einsum("hwc,hwc->hw", d, d))
    return cv2.sqrt(cv2.transform(cv2.multiply(d, d), np.ones((1, c), np.float32)))


def _one_way(lo: np.ndarray, hi: np.ndarray, lo_n: np.ndarray, hi_n: np.ndarray) -> np.ndarray:
    """float32 (H, W): how far the interval ``[lo, hi]`` lies outside the neighbourhood range
    ``[lo_n, hi_n]``, per channel less the range's width, Euclidean over the channels."""
    outside = cv2.add(cv2.subtract(lo, hi_n), cv2.subtract(lo_n, hi))
    return _norm(cv2.subtract(outside, cv2.subtract(hi_n, lo_n)))


def thin_difference(
    img1: np.ndarray, lo2: np.ndarray, hi2: np.ndarray, *, radius: int = 1
) -> np.ndarray:
    """Per-pixel one-way colour distance of each image to the other's neighbourhood.

    Args:
        img1: uint8 (H, W, C), image 1.
        lo2, hi2: uint8 (H, W, C), image 2 aligned onto image 1, as the interval of image-1
            levels each pixel stands for (as in :func:`~.colour.colour_difference`; the same
            array twice for a plain image).
        radius: neighbourhood radius in pixels (>= 1).

    Returns:
        float32 (H, W) >= 0, in levels (Euclidean over channels): the larger of the two
        directions, each ``sqrt(sum_c max(0, d_c - w_c) ** 2)`` with ``d_c`` the distance of
        one image's pixel to ``[min, max]`` of the other's neighbourhood and ``w_c`` that
        range's width (see the module docstring). 0 where both images agree up to a 1-px shift.
    """
    k = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    lo_n, hi_n = cv2.erode(lo2, k), cv2.dilate(hi2, k)
    lo1, hi1 = cv2.erode(img1, k), cv2.dilate(img1, k)
    return np.maximum(_one_way(img1, img1, lo_n, hi_n), _one_way(lo2, hi2, lo1, hi1))
