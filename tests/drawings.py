"""Drawings the tests make: flat-coloured shapes with anti-aliased dark outlines."""

from __future__ import annotations

import cv2
import numpy as np


def outlined_ellipses(
    rng: np.random.Generator, size: tuple[int, int], count: int, max_axis: int
) -> np.ndarray:
    """uint8 (H, W, 3) RGB: ``count`` flat-coloured ellipses (semi-axes 8 to ``max_axis`` px,
    turned at random) with 2 px anti-aliased dark outlines on grey 235; ``size`` is (W, H)."""
    w, h = size
    img = np.full((h, w, 3), 235, np.uint8)
    for _ in range(count):
        colour = tuple(int(c) for c in rng.integers(40, 250, 3))
        centre = int(rng.integers(0, w)), int(rng.integers(0, h))
        axes = int(rng.integers(8, max_axis)), int(rng.integers(8, max_axis))
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(img, centre, axes, angle, 0, 360, colour, -1, cv2.LINE_AA)
        cv2.ellipse(img, centre, axes, 0, 0, 360, (20, 20, 20), 2, cv2.LINE_AA)
    return img
