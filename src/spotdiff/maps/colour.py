"""Colour difference tolerant to sub-pixel shifts, resampling and tone changes.

A pixel of image 1 differs from image 2 only as far as it lies outside the range of colours that
image 2 shows in the pixel's ``(2r+1) x (2r+1)`` neighbourhood, and the other way round; the
distance is the smaller of the two directions, per channel, then Euclidean over the channels.
An edge moved by a fraction of a pixel, blurred by resampling or ringing from JPEG stays inside
the neighbourhood's range and gives 0; an object that appears, disappears or changes colour does
not. Image 2 enters as the interval ``[lo, hi]`` of image-1 levels each of its levels stands for
(:meth:`spotdiff.align.ToneMap.interval_luts`), so tone-curve quantization and clipped levels do
not count either. A pixel more chromatic than every colour of the other image's neighbourhood is
no blend of them and counts even inside the per-channel range (a word turned red among black
letters on white), and so does a hue no pixel of the other image's neighbourhood has (a word
turned from teal to red: each direction passes the range on some channel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

__all__ = [
    "CHROMA_MIN",
    "CHROMA_REACH",
    "CHROMA_SHARE",
    "HUE_CHROMA",
    "HUE_COS",
    "HUE_GAIN",
    "colour_difference",
]

#: A pixel's chroma (largest less smallest channel) counts as colour no blend made when it exceeds
#: CHROMA_SHARE times the most chroma within CHROMA_REACH px of it in the other image, by at least
#: CHROMA_MIN levels. JPEG keeps only a mean of the colour over 2 x 2 pixels: a 1-px coloured
#: stroke comes back with a quarter of its chroma or more, spread a pixel or two.
CHROMA_SHARE = 4
CHROMA_REACH = 2
CHROMA_MIN = 32
#: A hue (opponent colour: the pixel less its grey) is read from HUE_CHROMA levels of chroma up;
#: two hues are alike when their cosine is HUE_COS or more (about 37 degrees apart at most).
HUE_CHROMA = 24
HUE_COS = 0.8
#: Least gain (levels) of the whole distances over the per-channel one worth a hue test.
HUE_GAIN = 8


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
        interval to ``[min, max]`` of ``img1``; with ``radius > 0`` raised where a pixel is more
        chromatic than the other image's neighbourhood (:func:`_add_chroma_excess`) or has a hue
        it lacks (:func:`_add_new_hue`).
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
    if d1.ndim == 2:
        return cv2.min(d1, d2, dst=d1).astype(np.float32)
    out = _norm(cv2.min(d1, d2, dst=_like(d1)))
    if radius > 0:
        _add_chroma_excess(out, img1, lo2, hi2, d1, d2)
        _add_new_hue(out, img1, lo2, hi2, d1, d2, radius)
    return out


def _add_new_hue(
    out: np.ndarray,
    img1: np.ndarray,
    lo2: np.ndarray,
    hi2: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    radius: int,
) -> None:
    """Raise ``out`` to the smaller of the two directions' whole distances where a pixel's hue is
    absent from the other image's neighbourhood.

    The smaller of the two directions is taken channel by channel, so a word turned from teal to
    red passes: the red lies inside the teal-and-white range on the red channel, the teal inside
    the red-and-white range on green and blue. Their whole distances are both large, but so are
    a thin red stroke's under JPEG, whose averaged colour planes move its channels apart; what
    JPEG keeps is the hue. So where the whole distances exceed the per-channel one by
    :data:`HUE_GAIN` levels, the whole distance counts when the pixel of either image has a hue
    (:data:`HUE_CHROMA`) that no pixel of the other's neighbourhood has (:data:`HUE_COS`).
    """
    m = cv2.min(_channels_max(d1), _channels_max(d2))  # a lower bound of the whole distances
    cv2.threshold(m, HUE_GAIN, 0, cv2.THRESH_TOZERO, dst=m)
    xy = cv2.findNonZero(m)
    if xy is None:
        return
    xs, ys = xy.reshape(-1, 2).T
    whole = np.minimum(_norm_at(d1, ys, xs), _norm_at(d2, ys, xs))
    gain = whole > out[ys, xs] + HUE_GAIN
    ys, xs, whole = ys[gain], xs[gain], whole[gain]
    if not len(ys):
        return
    mid2 = lo2 if lo2 is hi2 else ((lo2.astype(np.uint16) + hi2) // 2).astype(np.uint8)
    new = _hue_absent(img1, mid2, ys, xs, radius) | _hue_absent(mid2, img1, ys, xs, radius)
    out[ys[new], xs[new]] = whole[new]


def _channels_max(d: np.ndarray) -> np.ndarray:
    """uint8 (H, W): the largest channel of uint8 (H, W, C)."""
    return _over_planes(cv2.split(d), cv2.max)


def _over_planes(planes: Sequence[np.ndarray], op: Callable[..., np.ndarray]) -> np.ndarray:
    """uint8 (H, W): ``op`` (cv2.max / cv2.min) over the planes (NumPy reduces axis 2 slowly)."""
    out = planes[0].copy()
    for plane in planes[1:]:
        op(out, plane, dst=out)
    return out


def _opponent(c: np.ndarray) -> np.ndarray:
    """float32 (..., C): colours less their grey (the mean of their channels)."""
    c = c.astype(np.float32)
    return c - c.mean(-1, keepdims=True)


def _hue_absent(
    a: np.ndarray, b: np.ndarray, ys: np.ndarray, xs: np.ndarray, radius: int
) -> np.ndarray:
    """bool (K,): pixel ``(ys, xs)`` of ``a`` has a hue (chroma of :data:`HUE_CHROMA` or more)
    that no pixel of ``b`` within ``radius`` px has (cosine of the opponent colours under
    :data:`HUE_COS`, or too little chroma to have one)."""
    u = _opponent(a[ys, xs])
    cu = np.linalg.norm(u, axis=-1)
    h, w = b.shape[:2]
    present = cu < HUE_CHROMA  # no hue to compare
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            v = _opponent(b[np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)])
            cv = np.linalg.norm(v, axis=-1)
            cos = (u * v).sum(-1) / np.maximum(cu * cv, 1e-6)
            present |= (cv >= HUE_CHROMA) & (cos >= HUE_COS)
    return ~present


def _add_chroma_excess(
    out: np.ndarray,
    img1: np.ndarray,
    lo2: np.ndarray,
    hi2: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
) -> None:
    """Raise ``out`` where a pixel is more chromatic than all of the other image's neighbourhood.

    An anti-aliased or resampled pixel is a blend of its neighbours' colours, and a blend is no
    more chromatic (largest less smallest channel) than the more chromatic of the colours it
    blends. The per-channel range test accepts any colour between black and white, so a word
    turned red among black letters on white would pass it; its chroma does not. The excess counts
    only where the other direction differs too (``min`` with that direction's distance, as the
    range test does), and against :data:`CHROMA_SHARE` times the neighbourhood's chroma within
    :data:`CHROMA_REACH` px, so JPEG's averaged colour planes (a thin stroke keeps a quarter of
    its chroma or more) are no change.
    """
    plain = lo2 is hi2  # a plain image 2: one chroma; else the bounds of its interval's
    c1, low2 = _chroma(img1), _chroma(lo2, None if plain else hi2)
    high2 = low2 if plain else _chroma(hi2, lo2)
    reach = np.ones((2 * CHROMA_REACH + 1,) * 2, np.uint8)
    e1 = cv2.subtract(c1, _bleed(high2, reach))
    e2 = cv2.subtract(low2, _bleed(c1, reach))
    for e in (e1, e2):  # from CHROMA_MIN levels
        cv2.threshold(e, CHROMA_MIN - 1, 0, cv2.THRESH_TOZERO, dst=e)
    xy = cv2.findNonZero(cv2.max(e1, e2))  # few pixels, if any: the distances there only
    if xy is None:
        return
    xs, ys = xy.reshape(-1, 2).T
    n1, n2 = _norm_at(d1, ys, xs), _norm_at(d2, ys, xs)
    e1, e2 = (e[ys, xs].astype(np.float32) for e in (e1, e2))
    out[ys, xs] = np.maximum(out[ys, xs], np.maximum(np.minimum(n1, e2), np.minimum(e1, n2)))


def _bleed(chroma: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """CHROMA_SHARE times the most chroma within CHROMA_REACH px: what a blend can have lost."""
    grown = cv2.dilate(chroma, reach)
    return cv2.convertScaleAbs(grown, dst=grown, alpha=CHROMA_SHARE)  # saturates at 255


def _norm(d: np.ndarray) -> np.ndarray:
    """float32 (H, W): the Euclidean norm over the channels of uint8 (H, W, C)."""
    sq = cv2.multiply(d, d, dst=np.empty(d.shape, np.float32), dtype=cv2.CV_32F)  # exact
    out = np.empty(d.shape[:2], np.float32)
    out = cv2.transform(sq, np.ones((1, d.shape[2]), np.float32), dst=out)  # sum over channels
    return cv2.sqrt(out, dst=out)


def _norm_at(d: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """float32 (K,): :func:`_norm` of uint8 (H, W, C) at the pixels ``(ys, xs)`` only."""
    return _norm(d[ys, xs][None])[0]


def _chroma(high: np.ndarray, low: np.ndarray | None = None) -> np.ndarray:
    """uint8 (H, W): the largest channel of ``high`` less the smallest of ``low`` (saturating).

    With ``high = low`` the pixel's chroma; with an interval's ends its highest or lowest bound.
    """
    top = cv2.split(high)
    bottom = top if low is None else cv2.split(low)
    hi = _over_planes(top, cv2.max)
    return cv2.subtract(hi, _over_planes(bottom, cv2.min), dst=hi)


def _like(img: np.ndarray) -> np.ndarray:
    return np.empty(img.shape, img.dtype)
