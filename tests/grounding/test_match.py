"""spotdiff.grounding.match: cue values and their combination, on hand-made features."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.grounding.colours import COLOUR_NAMES
from spotdiff.grounding.cues import RegionFeatures
from spotdiff.grounding.match import match_cues
from spotdiff.grounding.query import parse_query


def _colour(name):
    out = np.zeros(len(COLOUR_NAMES), np.float32)
    out[COLOUR_NAMES.index(name)] = 1
    return out


def make(regions):
    """regions: (x, y, area, kind, before, after, score) per region."""
    probs = {"added": [0.97, 0.01, 0.01, 0.01], "removed": [0.01, 0.97, 0.01, 0.01],
             "recoloured": [0.01, 0.01, 0.97, 0.01], "replaced": [0.01, 0.01, 0.01, 0.97]}  # fmt: skip
    return RegionFeatures(
        centre=np.array([[r[0], r[1]] for r in regions], np.float32),
        area=np.array([r[2] for r in regions], np.float32),
        before=np.stack([_colour(r[4]) for r in regions]),
        after=np.stack([_colour(r[5]) for r in regions]),
        kind_cues=np.zeros((len(regions), 15), np.float32),
        kind_probs=np.array([probs[r[3]] for r in regions], np.float32),
        score=np.array([r[6] for r in regions], np.float32),
    )


SCENE = make([
    (0.10, 0.50, 0.010, "added", "grey", "red", 0.8),
    (0.35, 0.20, 0.002, "removed", "blue", "grey", 0.7),
    (0.60, 0.80, 0.030, "recoloured", "green", "blue", 0.6),
    (0.90, 0.50, 0.012, "replaced", "yellow", "pink", 0.9),
    (0.02, 0.98, 0.0005, "added", "grey", "grey", 0.02),  # faint noise in a corner
])  # fmt: skip


@pytest.mark.parametrize(
    ("text", "best"),
    [
        ("the thing that appeared", 0),
        ("what disappeared", 1),
        ("the object that changed colour", 2),
        ("the thing that was replaced", 3),
        ("the red thing", 0),
        ("the blue thing that vanished", 1),
        ("the thing that turned blue", 2),
        ("what was green is now blue", 2),
        ("the yellow object that was swapped", 3),
        ("the leftmost difference", 0),  # the faint noise further left does not count
        ("the rightmost change", 3),
        ("the change at the top", 1),
        ("the thing at the bottom", 2),
        ("the second difference from the left", 1),
        ("the third from the left", 2),
        ("the biggest change", 2),
        ("the smallest change", 1),
        ("the small thing that appeared", 0),
        ("the thing in the middle", 2),
        ("the thing that is only in the first picture", 1),
    ],
)
def test_best_region(text, best):
    logits, cues = match_cues(SCENE, parse_query(text))
    assert int(np.argmax(logits)) == best
    for name, value in cues.items():
        assert value.shape == (5,), name
        if name != "prior":
            assert (value >= 0).all() and (value <= 1 + 1e-9).all(), name


def test_empty_query_ranks_by_difference_score():
    logits, cues = match_cues(SCENE, parse_query("the thing"))
    assert np.argsort(-logits).tolist() == np.argsort(-SCENE.score).tolist()
    assert set(cues) == {"prior"}


def test_cues_used_are_reported():
    _, cues = match_cues(SCENE, parse_query("the red thing on the left that appeared"))
    assert {"kind", "colour", "position"} <= set(cues)


def test_no_region():
    f = RegionFeatures(
        centre=np.zeros((0, 2), np.float32),
        area=np.zeros(0, np.float32),
        before=np.zeros((0, len(COLOUR_NAMES)), np.float32),
        after=np.zeros((0, len(COLOUR_NAMES)), np.float32),
        kind_cues=np.zeros((0, 15), np.float32),
        kind_probs=np.zeros((0, 4), np.float32),
        score=np.zeros(0, np.float32),
    )
    logits, _ = match_cues(f, parse_query("the leftmost new thing"))
    assert logits.shape == (0,)
