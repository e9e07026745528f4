"""Feature-based registration for large motions: ORB keypoints, ratio test, RANSAC.

Phase correlation (:mod:`.register`) measures shifts; it cannot see a rotation of 16 degrees, a
shear or a perspective change, and the tile fit then gives up or returns a wrong transform. Here
keypoints of the two (equalized, reduced) grey images are matched and a model is fitted with
RANSAC: ``"similarity"`` (rotation, scale, translation), ``"affine"`` (plus shear) or
``"homography"`` (two photographs from slightly different viewpoints).

Every step is bounded: at most :data:`MAX_FEATURES` keypoints per image, at most
:data:`RANSAC_ITERS` RANSAC iterations, at most 2 x :data:`MAX_FEATURES` matches, and a
degenerate or non-finite model is rejected (None), never passed to a warp. On a 512 px copy it
costs 10-30 ms (ORB; SIFT was as accurate after the ECC refinement and 5x slower).

Keypoints are taken on the grey copies *before* histogram equalization: ORB's binary tests compare
pixel pairs, so a monotonic tone change (brightness, gamma, glare outside the pixel pair) leaves
the descriptors alone, while equalization stretches a dark, finely textured background (cloth,
carpet) into thousands of strong corners that fill the keypoint budget and match nothing. On a
handheld photo of a circuit board on black fabric (860x720) that left 9 of 26 matches agreeing on
a homography; unequalized, 43 of 56. Models are fitted with OpenCV's USAC_ACCURATE (local
optimisation of the consensus set): plain RANSAC on 40-60 inliers placed the board 6-10 px off
at its edges, USAC 1.6-3.5 px; a similarity is the least-squares fit to the affine consensus set
(a 16 degree rotation of a 480x320 photo: 0.23 px at the corners; RANSAC 0.6-1.0 px). The
matches themselves are kept (:func:`feature_matches`), so that a registration can be judged by
how many of them it explains (:func:`match_support`) rather than only by a whole-image
correlation that a textured background dominates.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "MAX_FEATURES",
    "RANSAC_ITERS",
    "feature_matches",
    "feature_transform",
    "fit_matches",
    "match_support",
]

MAX_FEATURES = 1000
RANSAC_ITERS = 2000
_RATIO = 0.75  # Lowe's ratio test
_MIN_INLIERS = 12


def _finite(t: np.ndarray | None) -> np.ndarray | None:
    if t is None or not np.all(np.isfinite(t)):
        return None
    det = float(np.linalg.det(t[:2, :2]))
    if not np.isfinite(det) or abs(det) < 1e-3 or abs(t[2, 2]) < 1e-6:
        return None
    return t / t[2, 2]


def feature_matches(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """ORB keypoints of ``a`` and ``b`` matched with Lowe's ratio test.

    Args:
        a, b: (H, W) grey images (uint8, or float32 in 0-255) of image 1 and image 2.

    Returns:
        ``(src, dst)``: (N, 2) float32 positions in ``a`` and their matches in ``b``; None when
        fewer than 12 keypoints match.
    """
    a8 = np.clip(a, 0, 255).astype(np.uint8)
    b8 = np.clip(b, 0, 255).astype(np.uint8)
    orb = cv2.ORB_create(MAX_FEATURES, fastThreshold=10)
    ka, da = orb.detectAndCompute(a8, None)
    kb, db = orb.detectAndCompute(b8, None)
    if da is None or db is None or len(ka) < _MIN_INLIERS or len(kb) < _MIN_INLIERS:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < _RATIO * m[1].distance]
    if len(good) < _MIN_INLIERS:
        return None
    src = np.float32([ka[m.queryIdx].pt for m in good])
    dst = np.float32([kb[m.trainIdx].pt for m in good])
    return src, dst


def fit_matches(
    src: np.ndarray, dst: np.ndarray, *, model: str = "affine", threshold: float = 1.5
) -> tuple[np.ndarray, int] | None:
    """A ``model`` fitted robustly to matched points (see :func:`feature_transform`)."""
    out = np.eye(3)
    if model == "homography":
        h, inl = cv2.findHomography(
            src, dst, cv2.USAC_ACCURATE, threshold, maxIters=RANSAC_ITERS, confidence=0.995
        )
        if h is None:
            return None
        out = h.astype(np.float64)
    else:
        m, inl = cv2.estimateAffine2D(
            src,
            dst,
            method=cv2.USAC_ACCURATE,
            ransacReprojThreshold=threshold,
            maxIters=RANSAC_ITERS,
        )
        if m is not None and model == "similarity" and inl is not None and inl.sum() >= 3:
            # OpenCV has no USAC similarity: least squares (median) on the affine consensus set
            keep = inl.ravel() > 0
            m, _ = cv2.estimateAffinePartial2D(src[keep], dst[keep], method=cv2.LMEDS)
        if m is None:
            return None
        out[:2] = m
    inliers = int(inl.sum()) if inl is not None else 0
    out = _finite(out)
    if out is None or inliers < _MIN_INLIERS:
        return None
    return out, inliers


def match_support(
    w_ab: np.ndarray, src: np.ndarray, dst: np.ndarray, *, threshold: float = 1.5
) -> np.ndarray:
    """(N,) bool: the matches ``src -> dst`` that the transform ``w_ab`` (a coords -> b coords)
    explains within ``threshold`` pixels."""
    p = w_ab @ np.vstack([src.T.astype(np.float64), np.ones(len(src))])
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.hypot(p[0] / p[2] - dst[:, 0], p[1] / p[2] - dst[:, 1])
    return err < threshold


def feature_transform(
    a: np.ndarray, b: np.ndarray, *, model: str = "affine", threshold: float = 1.5
) -> tuple[np.ndarray, int] | None:
    """Transform from image-1 coordinates to image-2 coordinates, from matched keypoints.

    Args:
        a, b: (H, W) grey images (uint8, or float32 in 0-255) of image 1 and image 2 at the
            registration scale.
        model: ``"similarity"``, ``"affine"`` or ``"homography"``.
        threshold: RANSAC reprojection threshold in pixels.

    Returns:
        ``(w_ab, inliers)``: (3, 3) float64 mapping a pixel of ``a`` to ``b``, and the number of
        RANSAC inliers; None when too few keypoints match or the model is degenerate.
    """
    found = feature_matches(a, b)
    if found is None:
        return None
    return fit_matches(*found, model=model, threshold=threshold)
