"""Source photographs of the synthetic benchmark: the images bundled in the scikit-image wheel.

Only images shipped inside the wheel are used (``skimage.data`` reads them from its own folder,
no download, no pooch). Grayscale photos are stacked to RGB. Every photo is cached after the
first load.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from .._optional import require

__all__ = ["PHOTOS", "cover", "load_photo", "photo_segments"]

#: skimage.data loaders of the bundled photographs (natural scenes, objects, textures, science).
PHOTOS: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "motorcycle",
    "camera",
    "coins",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "moon",
    "grass",
    "gravel",
    "brick",
)


@cache
def load_photo(name: str) -> np.ndarray:
    """The bundled photo ``name`` as a read-only uint8 (H, W, 3) RGB array."""
    data = require("skimage.data", purpose="the synthetic benchmark's photographs")
    img = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    img = np.ascontiguousarray(img[:, :, :3], dtype=np.uint8)
    img.flags.writeable = False
    return img


def cover(photo: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Resize ``photo`` to cover ``size`` (W, H) and crop a random window; random mirror.

    Returns:
        uint8 (H, W, 3) RGB, a new array.
    """
    w, h = size
    ph, pw = photo.shape[:2]
    # zoom a little beyond "cover" so that crops vary between pairs of the same photo
    s = max(w / pw, h / ph) * rng.uniform(1.0, 1.25)
    nw, nh = max(w, round(pw * s)), max(h, round(ph * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    big = cv2.resize(photo, (nw, nh), interpolation=interp)
    x0 = int(rng.integers(0, nw - w + 1))
    y0 = int(rng.integers(0, nh - h + 1))
    out = big[y0 : y0 + h, x0 : x0 + w]
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def photo_segments(
    image: np.ndarray, *, work_width: int = 320
) -> tuple[np.ndarray, list[tuple[int, int, int, int] | None], float]:
    """Felzenszwalb segments of ``image`` computed at ``work_width`` pixels wide.

    Args:
        image: uint8 (H, W, 3) RGB.

    Returns:
        ``labels`` (h, w) int32 at the working size, ``boxes[k]`` the ``(x0, y0, x1, y1)`` box of
        label ``k`` in working pixels (exclusive ends; None for an unused label), and the factor
        from working to image pixels.
    """
    seg = require("skimage.segmentation", purpose="the synthetic benchmark's object shapes")
    ndi = require("scipy.ndimage", extra="eval", purpose="the synthetic benchmark")
    h, w = image.shape[:2]
    f = max(1.0, w / work_width)
    small = cv2.resize(image, (round(w / f), round(h / f)), interpolation=cv2.INTER_AREA)
    labels = seg.felzenszwalb(small, scale=150, sigma=0.8, min_size=20).astype(np.int32)
    boxes = [
        None if sl is None else (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
        for sl in ndi.find_objects(labels + 1)
    ]
    return labels, boxes, f
