"""Model-free candidate boxes: spotdiff.find regions plus per-component contour boxes."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff import InvalidOptionError
from spotdiff.backends import FindProposals, region_proposals
from spotdiff.backends.tiny import planted_pair


def test_find_regions_cover_the_planted_block():
    img1, img2 = planted_pair()
    boxes, sources, info = region_proposals(img1, img2)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4
    assert sources.tolist()[0] == "find" and info["regions"] >= 1
    x1, y1, x2, y2 = boxes[0]
    assert x1 <= 41 and y1 <= 21 and x2 >= 63 and y2 >= 39  # covers x 40..64, y 20..40
    assert (x2 - x1) * (y2 - y1) < 2.5 * 24 * 20


def test_two_close_objects_give_the_merged_box_and_one_box_each():
    rng = np.random.default_rng(1)
    img1 = np.kron(
        rng.integers(80, 170, (30, 40, 3)).astype(np.uint8), np.ones((8, 8, 1), np.uint8)
    )
    img2 = img1.copy()
    img2[60:100, 60:100] = (250, 250, 30)
    img2[60:100, 112:152] = (20, 20, 250)  # 12 px apart: one region of find, two blobs
    boxes, sources, info = region_proposals(img1, img2)
    assert info == {"regions": 1, "contours": 2}
    assert sources.tolist() == ["find", "contour", "contour"]
    merged, left, right = boxes
    assert merged[0] <= 60 and merged[2] >= 152
    assert 98 <= left[2] <= 106 and 106 <= right[0] <= 114


def test_backend_returns_image1_boxes_only():
    img1, img2 = planted_pair()
    b1, b2 = FindProposals().propose(img1, img2)
    assert len(b1) >= 1 and b2.shape == (0, 4)
    assert FindProposals(max_regions=1).propose(img1, img2)[0].shape[0] <= 3


def _two_blobs():
    rng = np.random.default_rng(1)
    img1 = np.kron(
        rng.integers(80, 170, (30, 40, 3)).astype(np.uint8), np.ones((8, 8, 1), np.uint8)
    )
    img2 = img1.copy()
    img2[60:100, 60:100] = (250, 250, 30)
    img2[60:100, 112:152] = (20, 20, 250)
    return img1, img2


def test_min_area_comes_from_the_public_config_not_from_the_result_metadata(monkeypatch):
    import spotdiff.detect as detect

    real_find = detect.find

    def find_without_metadata(*args, **kwargs):
        result = real_find(*args, **kwargs)
        result.metadata = {}
        return result

    monkeypatch.setattr(detect, "find", find_without_metadata)
    img1, img2 = _two_blobs()
    # each blob's mask is about 2200 px: below min_area=3000, so no per-blob contour box (the
    # merged region, about 4400 px, stays); reading a missing metadata entry gave 16 px
    _, sources, info = region_proposals(img1, img2, min_area=3000)
    assert info == {"regions": 1, "contours": 0} and sources.tolist() == ["find"]
    assert region_proposals(img1, img2)[2] == {"regions": 1, "contours": 2}


def test_proposal_min_area_is_finds_default_for_the_size():
    from spotdiff.backends.proposals import proposal_min_area
    from spotdiff.detect import FindConfig

    assert proposal_min_area({}, 1920, 1080) == pytest.approx(max(16.0, 2e-5 * 1920 * 1080))
    assert proposal_min_area({}, 320, 240) == 16.0
    assert proposal_min_area({"min_area": 55}, 1920, 1080) == 55.0
    assert proposal_min_area({"config": FindConfig(min_area=7.0)}, 1920, 1080) == 7.0
    assert proposal_min_area({"config": FindConfig(min_area=7.0), "min_area": 9}, 10, 10) == 9.0


def test_find_options_are_checked_up_front():
    with pytest.raises(InvalidOptionError, match=r"unknown option\(s\) masks, sensitvity"):
        FindProposals(sensitvity=0.3, masks=False)
