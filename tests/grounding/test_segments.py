"""Segmentation proposals join find's regions only where the pair changed."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.detect import find
from spotdiff.grounding.segments import auto_segmenter, with_segments


class FakeSegmenter:
    """A Segmenter with fixed boxes (image 1's, image 2's); records its calls."""

    name = "fake"

    def __init__(self, boxes1, boxes2):
        self.boxes = (np.asarray(boxes1, np.float32), np.asarray(boxes2, np.float32))
        self.calls = 0

    def propose(self, img1, img2, *, tally=None):
        self.calls += 1
        return self.boxes


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    img1 = rng.integers(90, 110, (200, 300, 3), dtype=np.uint8)
    img2 = img1.copy()
    img2[60:100, 100:160] = (240, 20, 20)  # one changed object
    return img1, img2


def test_segments_on_a_change_join_and_others_do_not(pair):
    img1, img2 = pair
    proposals = find(img1, img2)
    assert len(proposals) == 1
    seg = FakeSegmenter(
        [[90, 50, 200, 120]],  # the object with its surroundings: on the change, kept
        [[0, 150, 60, 200], [101, 61, 159, 99]],  # far from the change; a duplicate of find's
    )
    out = with_segments(proposals, img1, img2, seg)
    assert seg.calls == 1  # both images in one call
    assert out.data["source"].tolist() == ["find", "segment"]
    np.testing.assert_allclose(out.boxes[1], [90, 50, 200, 120])
    assert out.data["kind"][1] == "changed" and out.data["area"][1] == 110 * 70
    assert 0 < out.scores[1] < proposals.scores[0]
    assert out.masks.shape == (2, 200, 300) and out.masks[1].sum() == 110 * 70


def test_image_2_boxes_are_mapped_through_the_transform(pair):
    img1, img2 = pair
    proposals = find(img1, img2)
    shifted = proposals.__class__(**{**proposals.__dict__})
    shifted.transform = np.array([[1.0, 0, 10], [0, 1.0, 5], [0, 0, 1]])  # image 2 -> image 1
    seg = FakeSegmenter(np.zeros((0, 4)), [[80, 45, 190, 115]])
    out = with_segments(shifted, img1, img2, seg)
    np.testing.assert_allclose(out.boxes[-1], [90, 50, 200, 120])


def test_nothing_to_add_keeps_the_proposals(pair):
    img1, img2 = pair
    proposals = find(img1, img2)
    out = with_segments(proposals, img1, img2, FakeSegmenter(np.zeros((0, 4)), np.zeros((0, 4))))
    assert len(out) == len(proposals) and out.data["source"].tolist() == ["find"]


def test_ground_uses_a_given_segmenter_and_auto_needs_a_model_ranker(pair, monkeypatch):
    from spotdiff.grounding import ground

    img1, img2 = pair
    seg = FakeSegmenter([[90, 50, 200, 120]], np.zeros((0, 4)))
    res = ground(img1, img2, "the red thing that appeared", backend="cues", segmenter=seg)
    assert seg.calls == 1 and len(res) == 2
    import sys

    module = sys.modules["spotdiff.grounding.ground"]  # the package's `ground` is the function
    called = []
    monkeypatch.setattr(module, "auto_segmenter", lambda **kw: called.append(kw))
    ground(img1, img2, "the red thing", backend="cues")  # model-free: no segmenter looked for
    assert called == []
    with pytest.raises(ValueError, match="segmenter must be 'auto', None or a Segmenter"):
        ground(img1, img2, "the red thing", backend="cues", segmenter="fastsam")


def test_auto_segmenter_without_local_weights_is_none(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # FastSAM-x.pt is looked for locally only: nothing here
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path))
    assert auto_segmenter() is None
