"""Hysteresis components: seeds grow over weaker evidence; seedless blobs are dropped."""

from __future__ import annotations

import numpy as np

from spotdiff.regions.components import find_components


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
