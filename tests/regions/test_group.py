"""Object-level grouping: pixel distance, not box gaps; frame artefacts join nothing."""

from __future__ import annotations

import numpy as np

from spotdiff.regions.components import find_components
from spotdiff.regions.extract import extract_regions
from spotdiff.regions.group import frame_artefacts, group_components


def _groups(z: np.ndarray, **kw) -> np.ndarray:
    c = find_components(z)
    return group_components(c.labels, c.boxes, c.areas, **kw)


def test_two_markers_10_px_apart_stay_separate():
    z = np.zeros((200, 300), np.float32)
    z[80:120, 100:130] = 3.0  # a map marker, 30x40 px
    z[80:120, 140:170] = 3.0  # another, 10 px to its right
    assert len(np.unique(_groups(z, max_gap=30.0))) == 2


def test_an_object_changed_in_pieces_is_one_group():
    z = np.zeros((200, 300), np.float32)
    for x in range(100, 180, 16):  # a logo of coloured bars: 5 bars, 4 px apart
        z[60:140, x : x + 12] = 2.0
    assert len(np.unique(_groups(z, max_gap=30.0))) == 1


def test_diagonal_line_does_not_swallow_its_neighbours():
    """A box-gap rule merges everything a long diagonal's box covers; pixels do not."""
    z = np.zeros((300, 300), np.float32)
    for i in range(20, 280):
        z[i, i - 1 : i + 2] = 2.0  # a thin diagonal change
    z[40:60, 200:220] = 2.0  # two blobs inside the diagonal's box, far from its pixels
    z[220:240, 40:60] = 2.0
    assert len(np.unique(_groups(z, max_gap=30.0))) == 3


def test_frame_artefacts_are_flagged_and_dropped():
    boxes = np.array([[297, 10, 300, 200], [0, 0, 200, 2], [100, 100, 150, 150], [0, 50, 3, 58]])
    np.testing.assert_array_equal(
        frame_artefacts(boxes, (300, 300), band=4), [True, True, False, False]
    )
    z = np.zeros((300, 300), np.float32)
    z[10:200, 297:300] = 2.0  # a thin strip along the right edge (resampled frame)
    z[100:150, 100:150] = 2.0
    r = extract_regions(z, image_size=(300, 300), max_gap=30.0)
    np.testing.assert_allclose(r.boxes, [[100, 100, 150, 150]])


def test_dense_pair_with_thin_chains_is_not_one_box():
    """A dense puzzle: 16 changes joined by faint 1-px lines (resampled line art)."""
    z = np.zeros((400, 400), np.float32)
    centres = [(50 + 100 * i, 50 + 100 * j) for i in range(4) for j in range(4)]
    for cx, cy in centres:
        z[cy - 10 : cy + 10, cx - 10 : cx + 10] = 3.0
    z[50, :] = 0.6  # thin hysteresis-level traces chaining every blob
    z[:, 50] = 0.6
    r = extract_regions(z, image_size=(400, 400), max_gap=12.0, min_score=0.1)
    assert len(r) >= 12
    assert (r.boxes[:, 2] - r.boxes[:, 0]).max() < 200


def test_min_score_drops_specks():
    z = np.zeros((100, 100), np.float32)
    z[10:40, 10:40] = 3.0
    z[80:82, 80:82] = 1.2  # a 4 px speck, score 0.02
    assert len(extract_regions(z, image_size=(100, 100))) == 2
    assert len(extract_regions(z, image_size=(100, 100), min_score=0.1)) == 1
