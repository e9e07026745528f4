"""Tight boxes: shrink to the changed pixels, by at most the SSIM window's reach, never grow."""

from __future__ import annotations

import numpy as np

from spotdiff.regions.refine import tight_box


def _tight(shape, rect) -> np.ndarray:
    t = np.zeros(shape, bool)
    x1, y1, x2, y2 = rect
    t[y1:y2, x1:x2] = True
    return t


def test_halo_is_cut_to_the_changed_pixels():
    # a 26 px box around an 8x8 change, window placed at (90, 40) with a 3 px margin
    t = _tight((32, 32), (12, 12, 20, 20))
    assert tight_box(t, (93, 43, 119, 69), (90, 40), max_shrink=12) == (102, 52, 110, 60)


def test_sides_further_in_than_the_reach_stay():
    # the colour cue ends 9 px inside the left side and 1 px inside the right one
    t = _tight((40, 40), (10, 0, 38, 40))
    assert tight_box(t, (1, 0, 39, 40), (0, 0), max_shrink=5) == (1, 0, 38, 40)
    assert tight_box(t, (1, 0, 39, 40), (0, 0), max_shrink=9) == (10, 0, 38, 40)


def test_never_grows_and_empty_cue_keeps_the_box():
    t = _tight((50, 50), (0, 0, 50, 50))  # the cue spills beyond the box: the box stays
    assert tight_box(t, (10, 10, 20, 20), (0, 0), max_shrink=5) == (10, 10, 20, 20)
    empty = np.zeros((50, 50), bool)
    assert tight_box(empty, (10, 10, 20, 20), (0, 0), max_shrink=5) == (10, 10, 20, 20)
    few = _tight((50, 50), (14, 14, 15, 15))
    assert tight_box(few, (10, 10, 20, 20), (0, 0), max_shrink=5, min_pixels=2) == (10, 10, 20, 20)
