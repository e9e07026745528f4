"""Pixel-grid geometry shared by registration and the pair-matching step.

Conventions: a transform is a (3, 3) float64 matrix ``T`` with ``[x1, y1, 1] ~ T @ [x2, y2, 1]``
(image-2 pixel coordinates to image-1 pixel coordinates, pixel centres at integers; up to scale
when ``T`` is a homography, whose last row is then not ``[0, 0, 1]``).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "displacement",
    "is_projective",
    "scale_matrix",
    "scale_transform",
    "warp_image",
    "warp_window",
]


def scale_matrix(src_size: tuple[int, int], dst_size: tuple[int, int]) -> np.ndarray:
    """(3, 3) map from pixel coordinates of a (W, H) image to those of its resized copy."""
    sx, sy = dst_size[0] / src_size[0], dst_size[1] / src_size[1]
    return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])


def scale_transform(
    transform: np.ndarray, src_size: tuple[int, int], dst_size: tuple[int, int]
) -> np.ndarray:
    """Express a (3, 3) transform given for images of ``src_size`` for their ``dst_size`` copies.

    Sizes are ``(W, H)``; both images of the pair are assumed resized the same way.
    """
    s = scale_matrix(src_size, dst_size)
    return s @ np.asarray(transform, dtype=np.float64) @ np.linalg.inv(s)


def displacement(t: np.ndarray, size: tuple[int, int]) -> float:
    """Largest displacement (px) of an image corner of a (W, H) image under ``t``."""
    w, h = size
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
    moved = t @ corners
    return float(np.abs(moved[:2] / moved[2] - corners[:2]).max())


def is_projective(t: np.ndarray) -> bool:
    """True when ``t`` has a perspective part (its last row is not ``[0, 0, 1]``)."""
    t = np.asarray(t, dtype=np.float64)
    return bool(abs(t[2, 0]) > 1e-12 or abs(t[2, 1]) > 1e-12 or abs(t[2, 2] - 1.0) > 1e-12)


def _warp(img: np.ndarray, t: np.ndarray, size: tuple[int, int], **kw) -> np.ndarray:
    """``cv2.warpAffine`` or, for a perspective ``t``, ``cv2.warpPerspective``."""
    if is_projective(t):
        return cv2.warpPerspective(img, t, size, **kw)
    return cv2.warpAffine(img, t[:2], size, **kw)


def warp_image(
    img2: np.ndarray, transform: np.ndarray, size: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Warp image 2 into image 1's pixel grid.

    Args:
        img2: (H2, W2) or (H2, W2, C) uint8.
        transform: (3, 3), image-2 coordinates -> image-1 coordinates.
        size: ``(W, H)`` of image 1 (default: image 2's size).

    Returns:
        ``(warped, valid)``: warped like ``img2`` with shape (H, W[, C]) (bilinear, borders
        replicated), and (H, W) bool, True where the warp covers the pixel (eroded by 1 px so
        that no interpolated border pixel counts as covered).
    """
    h2, w2 = img2.shape[:2]
    w, h = size or (w2, h2)
    m = np.asarray(transform, dtype=np.float64)
    # into NumPy's buffers: fresh OpenCV outputs cost more at this size
    warped = _warp(
        img2,
        m,
        (w, h),
        dst=np.empty((h, w, *img2.shape[2:]), img2.dtype),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    ones = np.full((h2, w2), 255, np.uint8)
    cover = _warp(
        ones, m, (w, h), dst=np.empty((h, w), np.uint8), flags=cv2.INTER_LINEAR, borderValue=0
    )
    valid = cv2.erode(cover, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE) == 255
    return warped.reshape((h, w, *img2.shape[2:])), valid


def warp_window(
    img2: np.ndarray, transform: np.ndarray | None, window: tuple[int, int, int, int]
) -> np.ndarray:
    """uint8 (h, w, 3): image 2 aligned onto image 1 over ``window`` ``(x0, y0, x1, y1)`` of
    image 1 (``transform``: image 2 -> image 1 at full resolution; None: identity, a plain crop)."""
    x0, y0, x1, y1 = window
    if transform is None:
        return img2[y0:y1, x0:x1]
    m = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]]) @ transform
    return _warp(
        img2, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
