"""How far a picture was enlarged before it reached the working grid: 1 at its size, about the
factor (a little under) enlarged by cubic interpolation, 1 with too few edges to tell."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.regions.enlarged import MAX_ENLARGEMENT, enlargement


def _grey(puzzle_drawing, factor: float) -> np.ndarray:
    img, _ = puzzle_drawing(7)
    if factor != 1.0:
        size = (round(img.shape[1] * factor), round(img.shape[0] * factor))
        img = cv2.resize(img, size, interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


@pytest.mark.parametrize(
    ("factor", "low", "high"),
    [(1.0, 1.0, 1.0), (1.25, 1.0, 1.15), (1.5, 1.2, 1.4), (2.0, 1.5, 1.5)],
)
def test_enlargement_follows_the_factor_of_a_cubic_upscale(puzzle_drawing, factor, low, high):
    # measured: 1.00, 1.08, 1.27, 1.64 (bounded to 1.5)
    assert low <= enlargement(_grey(puzzle_drawing, factor)) <= high


def test_enlargement_is_one_without_edges_and_bounded():
    flat = np.full((100, 100), 128, np.uint8)
    assert enlargement(flat) == 1.0
    blurred = cv2.GaussianBlur(
        np.kron(np.eye(8, dtype=np.uint8) * 200, np.ones((40, 40), np.uint8)), (0, 0), 6
    )
    assert 1.0 <= enlargement(blurred) <= MAX_ENLARGEMENT
