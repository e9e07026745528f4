"""Colour difference tolerant to sub-pixel shifts, resampling and tone changes.

A pixel of image 1 differs from image 2 only as far as it lies outside the range of colours that
image 2 shows in the pixel's ``(2r+1) x (2r+1)`` neighbourhood, and the other way round; the
distance is the smaller of the two directions, per channel, then Euclidean over the channels.
An edge moved by a fraction of a pixel, blurred by resampling or ringing from JPEG stays inside
the neighbourhood's range and gives 0; an object that appears, disappears or changes colour does
not. Image 2 enters as the interval ``[lo, hi]`` of image-1 levels each of its levels stands for
(:meth:`spotdiff.align.ToneMap.interval_luts`), so tone-curve quantization and clipped levels do
not count either.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["colour_difference"]


def colour_difference(
    img1: np.ndarray, lo2: np.ndarray, hi2: np.ndarray, *, radius: int = 1
) -> np.ndarray:
    """Per-pixel colour distance of image 1 to the neighbourhood of image 2 and back.

    Args:
        img1: uint8 (H, W, C), image 1.
        lo2, hi2: uint8 (H, W, C), image 2 aligned onto image 1 and mapped to image-1 levels:
            the lowest and highest image-1 level each pixel is consistent with (``lo2 <= hi2``;
            pass the same array twice for a plain image).
        radius: neighbourhood radius ``r`` in pixels (0: plain per-pixel difference).

    Returns:
        float32 (H, W) >= 0, in levels (0-255 per channel, Euclidean over channels, so at most
        ``255 * sqrt(C)``): ``sqrt(sum_c min(d1_c, d2_c) ** 2)`` with ``d1`` the distance of
        ``img1`` to ``[min, max]`` of image 2 over the neighbourhood and ``d2`` that of image 2's
        interval to ``[min, max]`` of ``img1``.
    """
    if radius > 0:
        k = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
        # into NumPy's buffers: fresh OpenCV outputs cost more at this size
        lo_n, hi_n = cv2.erode(lo2, k, dst=_like(lo2)), cv2.dilate(hi2, k, dst=_like(hi2))
        lo1, hi1 = cv2.erode(img1, k, dst=_like(img1)), cv2.dilate(img1, k, dst=_like(img1))
    else:
        lo_n, hi_n, lo1, hi1 = lo2, hi2, img1, img1
    # saturating uint8 subtraction: max(0, x - y); at most one term of each sum is non-zero.
    # Written into buffers already made (fresh pages are what costs at this size).
    d1 = cv2.subtract(img1, hi_n, dst=hi_n if radius > 0 else None)
    d1 = cv2.add(d1, cv2.subtract(lo_n, img1, dst=lo_n if radius > 0 else None), dst=d1)
    d2 = cv2.subtract(lo2, hi1, dst=hi1 if radius > 0 else None)
    d2 = cv2.add(d2, cv2.subtract(lo1, hi2, dst=lo1 if radius > 0 else None), dst=d2)
    d = cv2.min(d1, d2, dst=d1)
    if d.ndim == 2:
        return d.astype(np.float32)
    d = cv2.multiply(d, d, dst=np.empty(d.shape, np.float32), dtype=cv2.CV_32F)  # exact: to 255^2
    out = np.empty(d.shape[:2], np.float32)
    out = cv2.transform(d, np.ones((1, d.shape[2]), np.float32), dst=out)  # sum over channels
    return cv2.sqrt(out, dst=out)


def _like(img: np.ndarray) -> np.ndarray:
    return np.empty(img.shape, img.dtype)
