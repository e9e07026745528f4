"""spotdiff.grounding.cues: region features of the planted scene (tests/grounding/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.grounding.cues import (
    EDIT_KINDS,
    KIND_FEATURES,
    KIND_WEIGHTS,
    kind_probabilities,
    region_features,
)

from .conftest import BOXES


@pytest.fixture(scope="module")
def features(scene_pair):
    img1, img2 = scene_pair
    boxes = np.array([BOXES[k] for k in ("added", "recoloured", "removed")], np.float32)
    return region_features(img1, img2, boxes, [None] * 3, scores=np.ones(3))


def test_kind_model_shape():
    assert KIND_WEIGHTS.shape == (len(EDIT_KINDS), len(KIND_FEATURES) + 1)
    p = kind_probabilities(np.zeros((2, len(KIND_FEATURES)), np.float32))
    assert p.shape == (2, 4) and np.allclose(p.sum(axis=1), 1)


def test_kinds_of_planted_changes(features):
    kinds = [EDIT_KINDS[i] for i in features.kind_probs.argmax(axis=1)]
    assert kinds == ["added", "recoloured", "removed"]


def test_colours_before_and_after(features):
    assert features.colour_names("after")[0] == "red"
    assert features.colour_names("before")[1] == "green"
    assert features.colour_names("after")[1] == "blue"
    assert features.colour_names("before")[2] == "yellow"
    assert np.allclose(features.before.sum(axis=1), 1)


def test_position_and_size(features):
    assert features.centre[0] == pytest.approx([50 / 320, 80 / 180], abs=1e-3)
    assert features.centre[2, 0] > features.centre[1, 0] > features.centre[0, 0]
    # the removed block (50x40) is the largest, the disk (r = 20) the smallest
    assert features.area.argmax() == 2 and features.area.argmin() == 1


def test_proposal_kind_is_a_feature(scene_pair):
    img1, img2 = scene_pair
    boxes = np.array([BOXES["added"]], np.float32)
    f = region_features(img1, img2, boxes, [None], scores=[0.5], kinds=np.array(["added"]))
    assert f.kind_cues[0, KIND_FEATURES.index("find_added")] == 1
    assert f.score.tolist() == [0.5]


def test_no_region():
    img = np.zeros((20, 20, 3), np.uint8)
    f = region_features(img, img, np.zeros((0, 4)), [], scores=np.zeros(0))
    assert len(f) == 0 and f.kind_probs.shape == (0, 4)
