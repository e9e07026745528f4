"""Fixtures of the benchmark tests: four small synthetic pairs and an oracle detector."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def pairs():
    """4 pairs at 320x180: scenes 0 (added) and 1 (removed), each under none and noise."""
    pytest.importorskip("skimage")
    from spotdiff.evaluation import generate_pairs

    return list(
        generate_pairs(
            4, size=(320, 180), seed=0, edits=["added", "removed"], nuisances=["none", "noise"]
        )
    )


@pytest.fixture
def oracle():
    """``oracle(pairs)``: a detector returning each pair's truth boxes (scores 1 .. 0.5) and mask."""

    def make(pairs):
        truth = {p.img2.tobytes(): p for p in pairs}

        def detect(img1, img2):
            p = truth[img2.tobytes()]
            return p.boxes, np.linspace(1, 0.5, len(p.boxes)), p.mask

        return detect

    return make
