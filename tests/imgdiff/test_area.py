"""The eight steps with scripted backends: gates at their bounds, order, scaling, suppression."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect (extra 'models')")

from spotdiff.imgdiff import (
    AreaConfig,
    Backends,
    MatchingArgs,
    SimilarityArgs,
    difference_areas,
    to_dj_boxes,
)

CAP1 = "A plane in the sky flying alone."
CAP2 = "A boat in the ocean sailing alone."


class ScriptedSimilarity:
    """Returns ``pair`` for the whole-pair call and ``crops(a, b)`` for the crop call."""

    name = "scripted"

    def __init__(self, pair=0.9, crops=None):
        self.pair, self.crops, self.calls = pair, crops, []

    def similarity(self, a, b, *, tally=None):
        tally["sim"] += 1
        self.calls.append((list(a), list(b)))
        if len(self.calls) == 1:
            return np.array([self.pair], np.float32)
        if self.crops is None:
            return np.full(len(a), 0.5, np.float32)
        return np.asarray(self.crops(a, b), np.float32)


class ScriptedSegmenter:
    name = "scripted"

    def __init__(self, boxes1, boxes2=()):
        self.boxes1 = np.asarray(boxes1, np.float32).reshape(-1, 4)
        self.boxes2 = np.asarray(boxes2, np.float32).reshape(-1, 4)
        self.calls = []

    def propose(self, img1, img2, *, tally=None):
        tally["seg"] += 1
        self.calls.append((img1.shape, img2.shape))
        return self.boxes1, self.boxes2


class RedMatcher:
    """Probability 0.9 for every noun when the crop is mostly red, else 0.05."""

    name = "scripted"

    def __init__(self):
        self.calls = []

    def match(self, images, texts, *, tally=None):
        tally["itm"] += 1
        self.calls.append((len(images), list(texts)))
        red = [((im[..., 0] > 200) & (im[..., 1] < 60)).mean() > 0.5 for im in images]
        return np.array([[0.9 if r else 0.05] * len(texts) for r in red], np.float32)


def run(pair, sim, seg, matcher=None, *, img2=None, sim_args=None, itm_args=None):
    img1, planted = pair
    names = {"similarity": "scripted", "segmentation": "scripted"}
    backends = Backends(sim, seg, matcher, names=names)
    config = AreaConfig(
        similarity=SimilarityArgs(**(sim_args or {})), matching=MatchingArgs(**(itm_args or {}))
    )
    return difference_areas(
        img1, planted if img2 is None else img2, CAP1, CAP2, backends=backends, config=config
    )


RED = (40, 20, 64, 40)  # the planted block, xyxy
OTHER = (0, 0, 30, 16)


@pytest.mark.parametrize(
    ("score", "kept"), [(0.1, True), (1.0, True), (0.0999, False), (1.0001, False)]
)
def test_pair_similarity_gate_is_closed_interval(pair, score, kept):
    seg = ScriptedSegmenter([RED])
    out = run(pair, ScriptedSimilarity(pair=score), seg, None)
    assert out.metadata["pair_similarity"] == pytest.approx(score, abs=1e-6)
    assert (len(out) == 1) is kept
    if not kept:
        assert out.metadata["filtered_at"] == "similarity"
        assert seg.calls == []  # nothing else ran
        np.testing.assert_array_equal(to_dj_boxes(out), np.zeros((1, 4), np.float32))


def test_captions_without_unique_nouns_stop_before_segmentation(pair):
    seg = ScriptedSegmenter([RED])
    img1, img2 = pair
    backends = Backends(ScriptedSimilarity(), seg, RedMatcher(), names={})
    out = difference_areas(img1, img2, "A dog.", "Two dogs.", backends=backends)
    assert out.metadata["filtered_at"] == "captions"
    assert out.metadata["nouns"] == [[], []]
    assert seg.calls == []
    # without a matcher the nouns are not a gate
    backends = Backends(ScriptedSimilarity(), seg, None, names={})
    out = difference_areas(img1, img2, "A dog.", "Two dogs.", backends=backends)
    assert len(out) == 1 and out.metadata["filtered_at"] is None


def test_matching_keeps_boxes_that_match_in_both_images(pair):
    img1, img2 = pair
    img1 = img1.copy()
    img1[0:16, 0:30] = (240, 10, 10)  # OTHER is red in image 1 and image 2 -> matches both
    img2 = img2.copy()
    img2[0:16, 0:30] = (240, 10, 10)
    third = (70, 50, 90, 70)  # red in neither
    matcher = RedMatcher()
    out = run((img1, img2), ScriptedSimilarity(), ScriptedSegmenter([RED, OTHER, third]), matcher)
    # RED is red only in image 2: its image-1 crop fails, so it is not scored in image 2
    assert matcher.calls == [(3, ["plane", "sky"]), (1, ["boat", "ocean"])]
    np.testing.assert_array_equal(out.boxes, [OTHER])
    assert out.data["itm1"][0] == pytest.approx(0.9)
    assert out.data["noun1"].tolist() == ["plane"] and out.data["noun2"].tolist() == ["boat"]
    assert out.metadata["counts"] == {"candidates": 3, "matched": 1, "dissimilar": 1, "kept": 1}


@pytest.mark.parametrize(
    ("low", "high", "kept"), [(0.25, 0.9, 1), (0.1, 0.25, 1), (0.2501, 1.0, 0), (0.0, 0.2499, 0)]
)
def test_matching_range_is_closed_interval(pair, low, high, kept):
    class Constant:  # every (crop, noun) scores 0.25 (exact in float32)
        name = "scripted"

        def match(self, images, texts, *, tally=None):
            return np.full((len(images), len(texts)), 0.25, np.float32)

    out = run(pair, ScriptedSimilarity(), ScriptedSegmenter([RED]), Constant(),
              itm_args={"min_score": low, "max_score": high})  # fmt: skip
    assert len(out) == kept
    if not kept:
        assert out.metadata["filtered_at"] == "matching"


@pytest.mark.parametrize(("score", "kept"), [(0.1, 1), (0.95, 1), (0.0999, 0), (0.9501, 0)])
def test_crop_similarity_gate(pair, score, kept):
    sim = ScriptedSimilarity(crops=lambda a, b: [score] * len(a))
    out = run(pair, sim, ScriptedSegmenter([RED]), None, sim_args={"max_score_2": 0.95})
    assert len(out) == kept
    if kept:
        assert out.data["similarity"][0] == pytest.approx(score)
        assert out.scores[0] == pytest.approx(1 - score)
    else:
        assert out.metadata["filtered_at"] == "crop_similarity"


def test_image2_boxes_are_scaled_and_crops_come_from_resized_image2(pair):
    img1, img2 = pair
    big2 = cv2.resize(img2, (img2.shape[1] * 2, img2.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    sim = ScriptedSimilarity()
    seg = ScriptedSegmenter([], [(80, 40, 128, 80)])  # the block in image-2 pixels
    out = run(pair, sim, seg, None, img2=big2)
    assert seg.calls == [(img1.shape, big2.shape)]  # FastSAM-like backends see the original
    np.testing.assert_array_equal(out.boxes, [RED])
    assert out.data["from_image"].tolist() == [2]
    crop1, crop2 = sim.calls[1][0][0], sim.calls[1][1][0]
    np.testing.assert_array_equal(crop1, img1[20:40, 40:64])
    np.testing.assert_array_equal(crop2, cv2.resize(big2, (96, 72))[20:40, 40:64])


def test_identical_windows_are_cropped_once_and_nms_keeps_candidate_order(pair):
    sim = ScriptedSimilarity()
    boxes1 = [RED, (40.2, 20.4, 64.3, 40.1), (41, 21, 63, 39), OTHER, (-10, -10, 0, 5)]
    out = run(pair, sim, ScriptedSegmenter(boxes1, [RED]), None)
    # windows: RED twice from image 1 (truncation) + once from image 2 -> one; the empty box drops
    assert out.metadata["counts"]["candidates"] == 3
    assert len(sim.calls[1][0]) == 3
    # (41, 21, 63, 39) overlaps RED with IoU > 0.5: suppressed; order = candidate order
    np.testing.assert_array_equal(out.boxes, [RED, OTHER])
    np.testing.assert_array_equal(
        to_dj_boxes(out), np.array([[52, 30, 24, 20], [15, 8, 30, 16]], np.float32)
    )
    assert to_dj_boxes(out).dtype == np.float32


def test_no_candidates_gives_zeros(pair):
    out = run(pair, ScriptedSimilarity(), ScriptedSegmenter([]), None)
    assert out.metadata["filtered_at"] == "segmentation"
    assert to_dj_boxes(out).shape == (1, 4) and not to_dj_boxes(out).any()


def test_metadata_counts_calls_and_names_backends(pair):
    out = run(pair, ScriptedSimilarity(), ScriptedSegmenter([RED]), RedMatcher())
    meta = out.metadata
    assert meta["backends"]["captions"] == "lemminflect"
    assert meta["backends"]["similarity"] == "scripted"
    assert meta["nouns"] == [["plane", "sky"], ["boat", "ocean"]]
    # RED's image-1 crop is not red: one matching call, then stop
    assert meta["forward_passes"] == {"itm": 1, "seg": 1, "sim": 1, "total": 3}
    assert meta["filtered_at"] == "matching"
    assert set(meta["timings_ms"]) >= {"similarity", "segmentation", "matching", "total"}


def test_a_segmenter_that_compares_images_gets_image2_at_image1_size(pair):
    img1, img2 = pair
    big2 = cv2.resize(img2, (192, 144), interpolation=cv2.INTER_NEAREST)
    seg = ScriptedSegmenter([RED])
    seg.needs_same_size = True
    run(pair, ScriptedSimilarity(), seg, None, img2=big2)
    assert seg.calls == [(img1.shape, img1.shape)]


def test_scripted_backends_follow_the_role_protocols():
    from spotdiff.backends import Matcher, Segmenter, Similarity

    assert isinstance(ScriptedSimilarity(), Similarity)
    assert isinstance(ScriptedSegmenter([]), Segmenter)
    assert isinstance(RedMatcher(), Matcher)
    assert not isinstance(RedMatcher(), Similarity)


def test_describe_says_what_ran_and_is_the_first_note(pair):
    backends = Backends(
        ScriptedSimilarity(),
        ScriptedSegmenter([RED]),
        None,
        names={"similarity": "structural", "segmentation": "find", "matching": "skipped"},
        reasons={
            "similarity": "clip weights not found locally",
            "matching": "blip weights not found locally",
        },
    )
    line = backends.describe()
    assert line == (
        "similarity: structural (clip weights not found locally); segmentation: find; "
        "matching: skipped (blip weights not found locally)"
    )
    out = difference_areas(*pair, CAP1, CAP2, backends=backends)
    assert out.metadata["notes"] == [line]
    # without names, the backends' own names; a missing matcher reads "skipped"
    bare = Backends(ScriptedSimilarity(), ScriptedSegmenter([]), None)
    assert bare.describe() == "similarity: scripted; segmentation: scripted; matching: skipped"
    noted = Backends(
        ScriptedSimilarity(), ScriptedSegmenter([]), None, notes=(bare.describe(), "x")
    )
    out = difference_areas(*pair, CAP1, CAP2, backends=noted)
    assert out.metadata["notes"] == [bare.describe(), "x"]  # not repeated
