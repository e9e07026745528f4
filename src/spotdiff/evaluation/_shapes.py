"""Object shapes of the synthetic benchmark: ellipses, blobs, polygons, a silhouette, and
compositing helpers (feathered alpha, alpha blending).

Every shape function returns an (h, w) bool mask whose True pixels touch, or nearly touch, the
four sides of the box, drawn with sub-pixel precision.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import cv2
import numpy as np

from .._optional import require

__all__ = ["SHAPES", "blend", "feather", "grow", "random_shape"]

_SHIFT = 4  # cv2 fractional bits for sub-pixel polygon vertices


def _fill(points: np.ndarray, h: int, w: int) -> np.ndarray:
    """Fill a polygon given in unit coordinates [0, 1]^2, stretched to the (h, w) box."""
    pts = points - points.min(axis=0)
    span = np.maximum(pts.max(axis=0), 1e-6)
    pts = pts / span * np.array([w - 1, h - 1])
    mask = np.zeros((h, w), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(pts * (1 << _SHIFT)).astype(np.int32)], 1, cv2.LINE_8, _SHIFT)
    return mask.astype(bool)


def _ellipse(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    return _fill(np.stack([np.cos(t), np.sin(t)], axis=1), h, w)


def _blob(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Star-shaped blob: radius ``1 + sum_k a_k cos(k t + phi_k)`` for k = 2..5."""
    t = np.linspace(0, 2 * np.pi, 128, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 6):
        r += rng.uniform(0, 0.35 / k) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    return _fill(np.stack([r * np.cos(t), r * np.sin(t)], axis=1), h, w)


def _polygon(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(5, 10))
    t = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = rng.uniform(0.65, 1.0, n)
    return _fill(np.stack([r * np.cos(t), r * np.sin(t)], axis=1), h, w)


@lru_cache(maxsize=1)
def _horse() -> np.ndarray:
    data = require("skimage.data", purpose="the synthetic benchmark's object shapes")
    horse = ~np.asarray(data.horse(), dtype=bool)  # True = horse
    ys, xs = np.nonzero(horse)
    return np.ascontiguousarray(horse[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def _silhouette(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    horse = _horse().astype(np.float32)
    if rng.random() < 0.5:
        horse = horse[:, ::-1]
    return cv2.resize(horse, (w, h), interpolation=cv2.INTER_AREA) >= 0.5


#: name -> ``f(h, w, rng) -> (h, w) bool``.
SHAPES: dict[str, Callable[[int, int, np.random.Generator], np.ndarray]] = {
    "ellipse": _ellipse,
    "blob": _blob,
    "polygon": _polygon,
    "silhouette": _silhouette,
}


def random_shape(
    h: int, w: int, rng: np.random.Generator, *, silhouette: bool = True
) -> np.ndarray:
    """A random shape from :data:`SHAPES` filling an (h, w) box: (h, w) bool.

    ``silhouette=False`` leaves out the horse (a region of image 1 is never horse-shaped).
    """
    names = ("ellipse", "blob", "blob", "polygon", "silhouette")[: 5 if silhouette else 4]
    name = names[int(rng.integers(0, len(names)))]
    mask = SHAPES[name](h, w, rng)
    return mask if mask.any() else np.ones((h, w), dtype=bool)


def grow(mask: np.ndarray, px: int) -> np.ndarray:
    """bool: ``mask`` grown by ``px`` pixels (a disc of radius ``px``)."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), k).astype(bool)


def feather(core: np.ndarray, sigma: float) -> np.ndarray:
    """Soft alpha of a bool mask: gaussian blur of ``core`` (same shape), float32 in [0, 1].

    ``core`` should have a margin of at least ``3 * sigma`` pixels around its True pixels.
    """
    alpha = core.astype(np.float32)
    if sigma <= 0:
        return alpha
    return np.clip(cv2.GaussianBlur(alpha, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT), 0, 1)


def blend(back: np.ndarray, front: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``round(alpha * front + (1 - alpha) * back)``: uint8 (h, w, 3) from two uint8 (h, w, 3)
    images and an (h, w) float alpha in [0, 1]."""
    a = alpha[:, :, None]
    out = back.astype(np.float32) + a * (front.astype(np.float32) - back.astype(np.float32))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
