"""The box, window and loop the region vetoes share (retrace, lowpass, toned)."""

from __future__ import annotations

import numpy as np

from spotdiff.regions.veto import drop_rejected, window, working_box
from spotdiff.result import DiffResult


def _regions() -> DiffResult:
    boxes = np.array([[0, 0, 10, 10], [20.5, 4, 31.2, 9], [40, 30, 50, 40]], np.float32)
    return DiffResult(
        boxes=boxes, scores=np.array([0.1, 0.2, 0.3], np.float32), image_size=(50, 40)
    )


def test_working_box_covers_the_box_on_a_smaller_grid():
    # half the size: 20.5 -> 10.25 floored, 31.2 -> 15.6 ceiled
    assert working_box(_regions(), 1, (20, 25, 3)) == (10, 2, 16, 5)


def test_window_grows_the_box_and_clips_both_to_the_image():
    outer, inner = window((40, 50), (2, 30, 12, 45), 4)
    assert outer == (slice(26, 40), slice(0, 16))  # box clipped to y < 40, then grown
    assert inner == (slice(4, 14), slice(2, 12))
    img = np.arange(40 * 50).reshape(40, 50)
    np.testing.assert_array_equal(img[outer][inner], img[30:40, 2:12])
    # no margin: the window is the box itself, all of it inner
    assert window((40, 50), (5, 5, 9, 9), 0) == (
        (slice(5, 9), slice(5, 9)),
        (slice(0, 4), slice(0, 4)),
    )


def test_drop_rejected_tests_only_the_regions_asked_and_spares_the_marked():
    regions = _regions()
    asked: list[tuple[int, int, int, int]] = []

    def rejects(box):
        asked.append(box)
        return True

    assert len(drop_rejected(regions, (40, 50), rejects)) == 0
    assert len(asked) == 3
    asked.clear()
    kept = drop_rejected(regions, (40, 50), rejects, among=[1])
    np.testing.assert_array_equal(kept.scores, np.float32([0.1, 0.3]))
    assert asked == [(20, 4, 32, 9)]
    spared = np.zeros((40, 50), np.uint8)
    spared[35, 45] = 1  # inside the third box
    kept = drop_rejected(regions, (40, 50), rejects, spared=spared)
    np.testing.assert_array_equal(kept.scores, np.float32([0.3]))
    assert drop_rejected(regions, (40, 50), lambda box: False) is regions
