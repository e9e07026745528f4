"""Transform estimators of :func:`.register.register`: a similarity or affine fitted to tile
shifts (RANSAC), OpenCV's ECC refinement, and the test every estimate passes before it is used
(finite, non-degenerate: a NaN or singular transform never reaches a warp).

Conventions as in :mod:`.register`: (3, 3) float64 matrices at the registration scale mapping
image-1 coordinates to image-2 coordinates.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._shift import MIN_RESPONSE, projective, tile_shifts, warp_inv

__all__ = ["ECC_EPS", "ecc", "fit_tiles", "usable"]

#: ECC stops when an update moves the transform's parameters by less than this (their
#: Euclidean norm; the translation in pixels at the registration scale): 1e-4 px is far below
#: what any later step resolves, and a start from the tile fit converges there in a few
#: iterations (1e-5 ran the 30-iteration cap on a rotated 1080p pair for the same transform).
ECC_EPS = 1e-4


def usable(t: np.ndarray | None) -> bool:
    """A finite, non-degenerate transform (anything else never reaches a warp)."""
    if t is None or not np.all(np.isfinite(t)):
        return False
    det = float(np.linalg.det(t[:2, :2]))
    return 1e-3 < abs(det) < 1e3 and abs(float(t[2, 2])) > 1e-6


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
