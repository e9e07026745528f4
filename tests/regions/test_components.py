"""Hysteresis components: seeds grow over weaker evidence; seedless blobs are dropped."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.regions.components import _prune_thin, find_components


def test_hysteresis_keeps_seeded_components_with_exact_boxes():
    z = np.zeros((40, 50), np.float32)
    z[5:15, 5:20] = 0.6  # weak ...
    z[8, 10] = 1.5  # ... with a seed: kept, whole
    z[25:30, 30:45] = 0.8  # weak, no seed: dropped
    z[2, 45] = 3.0  # a lone seed
    c = find_components(z)
    assert len(c) == 2
    assert sorted(map(tuple, c.boxes.tolist())) == [(5, 5, 20, 15), (45, 2, 46, 3)]
    assert sorted(c.areas.tolist()) == [1, 150]
    assert set(np.unique(c.labels)) == {0, 1, 2}
    assert c.labels[27, 35] == 0  # the seedless blob is not labelled


def test_nothing_above_the_seed_threshold():
    c = find_components(np.full((10, 10), 0.9, np.float32))
    assert len(c) == 0 and c.boxes.shape == (0, 4) and not c.labels.any()


def _whole_map(z: np.ndarray, low: float = 0.5, high: float = 1.0, reach: int | None = None):
    """The reference: thin support pruned and OpenCV's labelling and statistics taken over the
    whole map."""
    import cv2

    support = (z >= low).view(np.uint8)
    if reach is not None:
        support = _prune_thin(support, (z >= high).view(np.uint8), reach)
    n, lab, st, _ = cv2.connectedComponentsWithStats(support, connectivity=8, ltype=cv2.CV_32S)
    seeded = np.zeros(n, bool)
    seeded[lab[z >= high]] = True
    seeded[0] = False
    keep = np.flatnonzero(seeded)
    remap = np.zeros(n, np.int32)
    remap[keep] = np.arange(1, len(keep) + 1)
    return remap[lab], st[keep, :4], st[keep, 4]


def test_components_numbered_as_on_the_whole_map_when_the_support_starts_at_odd_rows():
    # the support starts at row 4, so its 1-px margin starts at row 3: labelled from there,
    # OpenCV's 2x2-block scan would meet the right-hand blob (first row 4) in block row 3-4
    # before the left-hand one (first row 5) and number them the other way round; on the whole
    # map both lie in block row 4-5 and the left-hand one comes first
    z = np.zeros((16, 24), np.float32)
    z[5:8, 3:5] = 2.0  # left blob
    z[4:7, 12:15] = 2.0  # right blob
    labels, xywh, areas = _whole_map(z)
    c = find_components(z)
    assert c.boxes.tolist() == [[3, 5, 5, 8], [12, 4, 15, 7]]  # the left blob is number 1
    assert np.array_equal(c.labels, labels)
    assert np.array_equal(c.boxes[:, 2:] - c.boxes[:, :2], xywh[:, 2:])
    assert np.array_equal(c.areas, areas)


@pytest.mark.parametrize("reach", [None, 3])
@pytest.mark.parametrize("seed", range(6))
def test_components_match_the_whole_map_labelling(seed, reach):
    import cv2

    rng = np.random.default_rng(seed)
    h, w = rng.integers(40, 200, 2)
    noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 1.5)
    z = 0.5 + (noise - noise.mean()) / noise.std() * 0.6  # half support, a fifth seeds
    t, b, left, r = rng.integers(1, 15, 4)  # an odd-sized empty frame around the support
    z[:t], z[h - b :], z[:, :left], z[:, w - r :] = 0, 0, 0, 0
    labels, xywh, areas = _whole_map(z, reach=reach)
    c = find_components(z, reach=reach)
    assert len(c) > 10
    assert np.array_equal(c.labels, labels)
    assert np.array_equal(c.boxes[:, :2], xywh[:, :2])
    assert np.array_equal(c.areas, areas)
