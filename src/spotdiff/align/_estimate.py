"""Transform estimators of :func:`.register.register`: a similarity or affine fitted to tile
shifts (RANSAC), OpenCV's ECC refinement, whether the tile shifts show a tiny scale
(:func:`tile_scale`), and the test every estimate passes before it is used (finite,
non-degenerate: a NaN or singular transform never reaches a warp).

Conventions as in :mod:`.register`: (3, 3) float64 matrices at the registration scale mapping
image-1 coordinates to image-2 coordinates.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._shift import MIN_RESPONSE, projective, tile_shifts, warp_inv
from .warp import displacement

__all__ = [
    "ECC_EPS",
    "SCALE_EXPLAINS",
    "beyond_shift",
    "ecc",
    "fit_tiles",
    "tile_scale",
    "usable",
]

#: ECC stops when an update moves the transform's parameters by less than this (their
#: Euclidean norm; the translation in pixels at the registration scale): 1e-4 px is far below
#: what any later step resolves, and a start from the tile fit converges there in a few
#: iterations (1e-5 ran the 30-iteration cap on a rotated 1080p pair for the same transform).
ECC_EPS = 1e-4

#: The tile shifts show a scale when a scale and shift per axis fitted to them leaves at most
#: this share of their rms deviation from their median. The two images of a puzzle 1 px apart
#: in size, each resized to 0.75x (a 0.08% / 0.18% uneven scale): 0.51; a drawing with ten
#: local changes, both images resized alike (no scale at all): 0.89-0.98.
SCALE_EXPLAINS = 0.6
#: ... and that scale moves the outer tiles apart by at least this much (px, registration scale)
#: on one axis, with at least :data:`_SCALE_TILES` tiles responding.
_SCALE_SPAN = 0.2
_SCALE_TILES = 8


def usable(t: np.ndarray | None) -> bool:
    """A finite, non-degenerate transform (anything else never reaches a warp)."""
    if t is None or not np.all(np.isfinite(t)):
        return False
    det = float(np.linalg.det(t[:2, :2]))
    return 1e-3 < abs(det) < 1e3 and abs(float(t[2, 2])) > 1e-6


def beyond_shift(w_ab: np.ndarray, size: tuple[int, int]) -> float:
    """Largest corner displacement (px) of ``w_ab`` beyond the translation of the image centre."""
    w, h = size
    centre = np.array([(w - 1) / 2, (h - 1) / 2, 1.0])
    moved = w_ab @ centre
    back = np.eye(3)
    back[:2, 2] = centre[:2] - moved[:2] / moved[2]
    return displacement(back @ w_ab, size)


def _compose(w_ab: np.ndarray, a_small: np.ndarray) -> np.ndarray:
    out = np.eye(3)
    out[:2] = a_small
    return w_ab @ out


def fit_tiles(a: np.ndarray, b: np.ndarray, w_ab: np.ndarray, affine: bool) -> np.ndarray | None:
    """``w_ab`` composed with the similarity (or, with ``affine``, the affine) that RANSAC fits
    to the tile shifts left after it; None when too few tiles respond or the fit is unusable."""
    centres, shifts, resp = tile_shifts(a, warp_inv(b, w_ab))
    ok = resp > MIN_RESPONSE
    if ok.sum() < 3:
        return None
    src = centres[ok].astype(np.float32)
    dst = (centres[ok] + shifts[ok]).astype(np.float32)
    fit = cv2.estimateAffine2D if affine else cv2.estimateAffinePartial2D
    m, _ = fit(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0, maxIters=2000)
    if m is None or not np.all(np.isfinite(m)):
        return None
    out = _compose(w_ab, m)
    return out if usable(out) else None


def ecc(a: np.ndarray, b: np.ndarray, w_ab: np.ndarray) -> np.ndarray | None:
    """``w_ab`` refined by OpenCV's ECC (affine, or homography for a perspective start); None
    when ECC fails or its result is unusable."""
    if not usable(w_ab):
        return None
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, ECC_EPS)
    perspective = projective(w_ab)
    start = w_ab.astype(np.float32) if perspective else w_ab[:2].astype(np.float32)
    motion = cv2.MOTION_HOMOGRAPHY if perspective else cv2.MOTION_AFFINE
    try:
        _, m = cv2.findTransformECC(a, b, start, motion, crit, None, 3)
    except cv2.error:
        return None
    out = np.eye(3)
    if perspective:
        out = m.astype(np.float64)
    else:
        out[:2] = m
    return out if usable(out) else None


def tile_scale(
    w_ab: np.ndarray, centres: np.ndarray, shifts: np.ndarray, ok: np.ndarray
) -> np.ndarray | None:
    """``w_ab`` composed with the scale and shift per axis that the tile shifts left after it
    show (a resized copy's rounding: two images 1 px apart in size), or None when they are
    scatter (local changes, re-rendering) rather than a scale.

    Args:
        w_ab: (3, 3) the translation the tiles were measured after.
        centres, shifts: (K, 2) float tile centres and their phase-correlation shifts (px).
        ok: (K,) bool, tiles whose shift is usable.

    Returns:
        (3, 3) float64, or None unless a line per axis (``shift_x ~ x``, ``shift_y ~ y``)
        explains the shifts -- its rms residual at most :data:`SCALE_EXPLAINS` of their rms
        deviation from the median -- and moves the outer tiles apart by :data:`_SCALE_SPAN` px
        or more on one axis.
    """
    if int(ok.sum()) < _SCALE_TILES:
        return None
    c, s = centres[ok].astype(np.float64), shifts[ok].astype(np.float64)
    spread = float(np.sqrt(((s - np.median(s, axis=0)) ** 2).mean()))
    m, residual, span = np.eye(3), 0.0, 0.0
    for axis in (0, 1):
        design = np.column_stack([c[:, axis], np.ones(len(c))])
        slope, offset = np.linalg.lstsq(design, s[:, axis], rcond=None)[0]
        residual += float(((s[:, axis] - design @ (slope, offset)) ** 2).sum())
        span = max(span, abs(slope) * float(np.ptp(c[:, axis])))
        m[axis, axis] += slope
        m[axis, 2] = offset
    residual = (residual / s.size) ** 0.5  # rms per coordinate, as ``spread``
    if not (spread > 0 and residual <= SCALE_EXPLAINS * spread and span >= _SCALE_SPAN):
        return None
    out = w_ab @ m
    return out if usable(out) else None
