"""spotdiff.grounding.ground: spotdiff.ground on the planted scene (tests/grounding/conftest.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import spotdiff
from spotdiff import DiffResult, InvalidOptionError, UnknownNameError
from spotdiff.evaluation.metrics import box_iou
from spotdiff.grounding import prepare_grounding

from .conftest import BOXES


@pytest.fixture(scope="module")
def prepared(scene_pair):
    return prepare_grounding(*scene_pair)


def _iou(box, truth):
    return float(box_iou(np.asarray([box]), np.asarray([truth]))[0, 0])


@pytest.mark.parametrize(
    ("query", "truth"),
    [
        ("the red thing that appeared", "added"),
        ("the thing that turned blue", "recoloured"),
        ("what was green is now blue", "recoloured"),
        ("the yellow block that disappeared", "removed"),
        ("the leftmost difference", "added"),
        ("the second difference from the left", "recoloured"),
        ("the rightmost change", "removed"),
        ("the thing in the middle", "recoloured"),
        ("the biggest change", "removed"),
    ],
)
def test_planted_changes_are_found(prepared, query, truth):
    result = prepared.ground(query)
    assert _iou(result.boxes[0], BOXES[truth]) >= 0.7
    assert result.scores[0] == result.scores.max()
    assert result.scores.sum() == pytest.approx(1.0, abs=1e-5)


def test_result_explains_itself(prepared):
    result = prepared.ground("the red thing on the left that appeared")
    for name in ("kind", "area", "find_score", "colour_before", "colour_after", "p_added",
                 "cue_kind", "cue_colour", "cue_position", "match_logit"):  # fmt: skip
        assert len(result.data[name]) == len(result), name
    assert result.data["colour_after"][0] == "red"
    query = result.metadata["query"]
    assert query["kind"] == "added" and query["colours"] == [{"name": "red", "role": "any"}]
    assert result.metadata["backend"] == "cues"
    assert result.metadata["candidates"] == len(prepared.proposals)
    assert {"load", "proposals", "features", "rank"} <= set(result.metadata["timings_ms"])
    assert result.masks is not None and result.masks[0][65, 45]  # inside the red square


def test_list_of_queries_and_top_k(scene_pair):
    results = spotdiff.ground(*scene_pair, ["the red thing", "what vanished"], backend="cues",
                              top_k=1)  # fmt: skip
    assert isinstance(results, list) and [len(r) for r in results] == [1, 1]
    assert _iou(results[1].boxes[0], BOXES["removed"]) >= 0.7
    single = spotdiff.ground(*scene_pair, "the red thing", backend="cues")
    assert isinstance(single, DiffResult)
    assert np.array_equal(single.boxes[:1], results[0].boxes)


def test_precomputed_proposals(scene_pair):
    found = spotdiff.find(*scene_pair)
    result = spotdiff.ground(*scene_pair, "what vanished", proposals=found, backend="cues")
    assert len(result) == len(found)
    assert _iou(result.boxes[0], BOXES["removed"]) >= 0.7
    no_masks = DiffResult(boxes=found.boxes, scores=found.scores, image_size=found.image_size)
    result = spotdiff.ground(*scene_pair, "what vanished", proposals=no_masks, backend="cues")
    assert _iou(result.boxes[0], BOXES["removed"]) >= 0.7


def test_identical_images_have_no_candidate(scene_pair):
    result = spotdiff.ground(scene_pair[0], scene_pair[0], "what changed", backend="cues")
    assert len(result) == 0 and result.metadata["candidates"] == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"query": ""}, InvalidOptionError),
        ({"query": []}, InvalidOptionError),
        ({"query": 3}, InvalidOptionError),
        ({"query": "x", "top_k": 0}, InvalidOptionError),
        ({"query": "x", "backend": "nope"}, UnknownNameError),
        ({"query": "x", "proposals": "boxes"}, InvalidOptionError),
        ({"query": "x", "batch_size": 0}, InvalidOptionError),
    ],
)
def test_bad_arguments(scene_pair, kwargs, error):
    with pytest.raises(error):
        spotdiff.ground(*scene_pair, **kwargs)


def test_proposals_of_another_size(scene_pair):
    other = DiffResult(boxes=np.zeros((0, 4)), image_size=(10, 10))
    with pytest.raises(InvalidOptionError, match="10x10"):
        spotdiff.ground(*scene_pair, "x", proposals=other)


def test_extra_queries_cost_little(prepared):
    import time

    t0 = time.perf_counter()
    for _ in range(20):
        prepared.ground("the small red thing on the left that appeared")
    per_query = (time.perf_counter() - t0) / 20
    assert per_query < 0.05  # the target is 50 ms per extra query; typically under 2 ms


def test_ground_without_models_imports_no_torch(tmp_path, scene_pair):
    from PIL import Image

    for i, img in enumerate(scene_pair):
        Image.fromarray(img).save(tmp_path / f"{i}.png")
    code = (
        "import sys, spotdiff; "
        f"r = spotdiff.ground({str(tmp_path / '0.png')!r}, {str(tmp_path / '1.png')!r}, "
        "'the red thing'); "
        "assert r.metadata['backend'] == 'cues', r.metadata; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
