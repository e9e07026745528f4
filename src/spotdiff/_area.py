"""Area reduction of a uint8 image, equal to OpenCV's ``INTER_AREA`` and about twice as fast at
the factors find's working copies use.

``cv2.resize(img, size, interpolation=cv2.INTER_AREA)`` at a non-integer factor (1920x1080 ->
1024x576 is 15/8 per axis) runs OpenCV's generic area loop: every full-size row is averaged
across, then the rows are combined (~14 ms of one core for a 1080p RGB image). :func:`reduce_area`
combines the rows first, while the pixels are still uint8, with OpenCV's vectorized arithmetic
(one weighted sum per output row phase over all blocks at once), then leaves only the across
step to OpenCV, on the already shorter image.

Why the result is the same, pixel for pixel: reducing ``n_in`` -> ``n_out`` pixels along an axis
is a factor ``p / q`` in lowest terms (``p`` input pixels make ``q`` output pixels); counted in
``1 / q`` of an input pixel, an output pixel covers ``p`` units, each input pixel ``q``, so every
overlap is a whole number of units and an output pixel is ``sum(v * m) / (p_x * p_y)`` with
integer ``m``: an exact multiple of ``1 / P`` (``P = p_x * p_y``). When ``P`` is odd that value
is never halfway between two integers (it is at least ``1 / (2 P)`` from it), and both OpenCV's
float arithmetic and this module's (exact integer sums in float32, then one scaling) are far
closer than that to the exact value (errors below 1e-4 of a level, the margin at least 8e-4 for
``P`` <= :data:`MAX_P`), so both round to the same integer. Other cases (an even ``P``, where a tie could round either way, a
large ``P``, an integer factor, which OpenCV already reduces fast, other dtypes) call OpenCV.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import cv2
import numpy as np

__all__ = ["MAX_P", "reduce_area"]

#: Largest ``p_x * p_y`` (see the module docstring) reduced here (1600 -> 1024 is 25/16: 625);
#: above it, an exact value's distance from a rounding tie (``1 / (2 P)`` levels) is no longer
#: far above float32 error.
MAX_P = 625


@lru_cache(maxsize=16)
def _overlaps(n_in: int, n_out: int) -> tuple[int, int, np.ndarray]:
    """``(p, q, m)`` of an axis reduced from ``n_in`` to ``n_out`` pixels: the factor ``p / q`` in
    lowest terms and ``m`` (p, q) float32, the overlap of input pixel ``i`` of a block with its
    output pixel ``j``, in units of ``1 / q`` input pixel (whole numbers, each column sums to
    ``p``)."""
    f = Fraction(n_in, n_out)
    p, q = f.numerator, f.denominator
    start = np.arange(q)[None, :] * p  # output pixel j covers [j p, (j + 1) p) units
    first = np.arange(p)[:, None] * q  # input pixel i covers [i q, (i + 1) q)
    m = np.minimum(start + p, first + q) - np.maximum(start, first)
    m = np.clip(m, 0, None).astype(np.float32)
    m.setflags(write=False)
    return p, q, m


def _combine_rows(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Rows of ``img`` (uint8 (H, K)) combined block by block: output row ``j`` of block ``b`` is
    ``sum_i m[i, j] * img[b p + i]``, float32 (H / p * q, K), exact (whole numbers < 2**24)."""
    p, q = m.shape
    rows = img.reshape(img.shape[0] // p, p, -1)
    out = np.empty((rows.shape[0], q, rows.shape[2]), np.float32)
    for j in range(q):
        (src,) = np.nonzero(m[:, j])
        acc = out[:, j, :]
        if len(src) == 1:
            cv2.multiply(rows[:, src[0]], float(m[src[0], j]), dst=acc, dtype=cv2.CV_32F)
            continue
        w0, w1 = float(m[src[0], j]), float(m[src[1], j])
        cv2.addWeighted(rows[:, src[0]], w0, rows[:, src[1]], w1, 0.0, dst=acc, dtype=cv2.CV_32F)
        for i in src[2:]:
            cv2.scaleAdd(rows[:, i].astype(np.float32), float(m[i, j]), acc, dst=acc)
    return out.reshape(-1, rows.shape[2])


def reduce_area(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` reduced to ``size`` (w, h) by area averaging: equal to
    ``cv2.resize(img, size, interpolation=cv2.INTER_AREA)`` for every input (see the module
    docstring for when it is computed here).

    Args:
        img: (H, W) or (H, W, C) array; the fast path takes uint8 with C <= 4 and
            ``size`` at most (W, H).
        size: (w, h) of the result.

    Returns:
        The reduced image, the dtype of ``img``, shaped as OpenCV returns it ((h, w) for one
        channel, else (h, w, C)).
    """
    h, w = img.shape[:2]
    out_w, out_h = size
    fast = img.dtype == np.uint8 and img.ndim in (2, 3) and (img.ndim == 2 or img.shape[2] <= 4)
    if fast and 0 < out_w <= w and 0 < out_h <= h and (out_w, out_h) != (w, h):
        px, qx, _ = _overlaps(w, out_w)
        py, qy, my = _overlaps(h, out_h)
        whole = qx == 1 and qy == 1  # OpenCV's own integer-factor path is fast
        if not whole and (px * py) % 2 == 1 and px * py <= MAX_P:
            rows = _combine_rows(np.ascontiguousarray(img).reshape(h, -1), my)
            rows = rows.reshape(out_h, w, *img.shape[2:])
            # across: OpenCV's area average of exact sums (each the p_y-unit total of a column)
            shape = _shape(img, size)
            across = np.empty(shape, np.float32)
            across = cv2.resize(rows, (out_w, out_h), dst=across, interpolation=cv2.INTER_AREA)
            return cv2.convertScaleAbs(across, dst=np.empty(shape, np.uint8), alpha=1.0 / py)
    out = np.empty(_shape(img, size), img.dtype) if img.ndim in (2, 3) else None
    return cv2.resize(img, size, dst=out, interpolation=cv2.INTER_AREA)


def _shape(img: np.ndarray, size: tuple[int, int]) -> tuple[int, ...]:
    """The shape OpenCV gives ``img`` resized to ``size`` (w, h): (h, w[, C > 1]); the result
    is written into a NumPy buffer of it (a fresh OpenCV output costs more at these sizes)."""
    channels = img.shape[2:] if img.ndim == 3 and img.shape[2] > 1 else ()
    return (size[1], size[0], *channels)
