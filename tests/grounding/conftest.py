"""Fixtures of the grounding tests: a textured scene with three planted changes of known kinds,
colours and places."""

from __future__ import annotations

import numpy as np
import pytest

#: truth boxes (x1, y1, x2, y2) of the planted changes of :func:`scene_pair`
BOXES = {
    "added": (30, 60, 70, 100),  # a red square appears, left
    "recoloured": (140, 50, 180, 90),  # a green disk turns blue, middle
    "removed": (250, 110, 300, 150),  # a yellow block disappears, right
}


def _texture(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([120 + 0.2 * x, 125 + 0.15 * y, 130 - 0.1 * x], -1)
    return base + rng.normal(0, 2, (h, w, 3))


def _disk(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    r = (box[2] - box[0]) / 2
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


@pytest.fixture(scope="session")
def scene_pair() -> tuple[np.ndarray, np.ndarray]:
    """(img1, img2) uint8 (180, 320, 3): image 2 has a red square added on the left, the green
    disk in the middle turned blue, the yellow block on the right removed (:data:`BOXES`)."""
    h, w = 180, 320
    img1 = _texture(h, w, 0)
    x1, y1, x2, y2 = BOXES["removed"]
    img1[y1:y2, x1:x2] = (235, 210, 40)
    disk = _disk(h, w, BOXES["recoloured"])
    img1[disk] = (40, 160, 50)
    img2 = _texture(h, w, 1)
    img2[disk] = (40, 70, 210)
    x1, y1, x2, y2 = BOXES["added"]
    img2[y1:y2, x1:x2] = (215, 30, 35)
    cast = [np.clip(i, 0, 255).astype(np.uint8) for i in (img1, img2)]
    return cast[0], cast[1]
