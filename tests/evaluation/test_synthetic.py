"""The synthetic benchmark generator: deterministic, exact ground truth, nuisances on image 2 only."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("skimage")

from spotdiff._errors import InvalidOptionError, UnknownNameError
from spotdiff.evaluation.synthetic import (
    EDIT_KINDS,
    NUISANCE_NAMES,
    generate_pairs,
    make_scene,
    parse_size,
)

SIZE = (320, 180)


def _check_truth(img1, edited, boxes, mask):
    """The mask is exactly the changed pixels, and every box is tight around its pixels."""
    changed = (img1 != edited).any(axis=2)
    np.testing.assert_array_equal(mask, changed)
    covered = np.zeros_like(changed)
    for x0, y0, x1, y1 in boxes.astype(int):
        assert 0 <= x0 < x1 <= img1.shape[1] and 0 <= y0 < y1 <= img1.shape[0]
        inside = changed[y0:y1, x0:x1]
        # tight: changed pixels on each of the four sides of the box
        assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
        covered[y0:y1, x0:x1] = True
    assert not (changed & ~covered).any(), "changed pixels outside every truth box"


@pytest.mark.parametrize("kind", EDIT_KINDS)
def test_truth_boxes_enclose_exactly_the_changed_pixels(kind):
    for scene in range(2):
        s = make_scene(scene, size=SIZE, seed=3, kind=kind)
        assert s.img1.shape == s.edited.shape == (180, 320, 3)
        assert s.img1.dtype == np.uint8 and s.boxes.dtype == np.float32
        assert s.kinds == (kind,) * len(s.boxes)
        assert 1 <= len(set(s.edit_ids.tolist())) <= 3
        _check_truth(s.img1, s.edited, s.boxes, s.mask)
        # edits do not overlap
        b = s.boxes
        for i in range(len(b)):
            for j in range(i + 1, len(b)):
                assert min(b[i, 2], b[j, 2]) <= max(b[i, 0], b[j, 0]) or min(
                    b[i, 3], b[j, 3]
                ) <= max(b[i, 1], b[j, 1])


def test_moved_object_has_old_and_new_place():
    s = make_scene(1, size=SIZE, seed=3, kind="moved")
    ids = s.edit_ids.tolist()
    assert ids.count(0) == 2  # one edit, two separate boxes (old place, new place)
    (a, b) = s.boxes[s.edit_ids == 0]
    overlap_x = min(a[2], b[2]) - max(a[0], b[0])
    overlap_y = min(a[3], b[3]) - max(a[1], b[1])
    assert overlap_x <= 0 or overlap_y <= 0


def test_edits_are_visible():
    s = make_scene(0, size=SIZE, seed=0, kind="recoloured")
    diff = np.abs(s.img1.astype(int) - s.edited.astype(int)).max(axis=2)
    assert diff[s.mask].mean() > 10


def test_same_seed_same_pairs_and_independent_of_n():
    a = list(generate_pairs(2, size=SIZE, seed=7, nuisances=["none", "noise"]))
    b = list(generate_pairs(3, size=SIZE, seed=7, nuisances=["none", "noise"]))[:2]
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.img1, q.img1)
        np.testing.assert_array_equal(p.img2, q.img2)
        np.testing.assert_array_equal(p.boxes, q.boxes)
        np.testing.assert_array_equal(p.mask, q.mask)
        assert p.kinds == q.kinds and p.nuisance == q.nuisance
    c = next(generate_pairs(1, size=SIZE, seed=8))
    assert not np.array_equal(a[0].img1, c.img1) or not np.array_equal(a[0].boxes, c.boxes)


def test_schedule_scene_major_balanced():
    pairs = list(
        generate_pairs(6, size=SIZE, seed=1, edits=["added", "moved"], nuisances=["none", "jpeg"])
    )
    assert [p.nuisance for p in pairs] == ["none", "jpeg"] * 3
    assert [p.scene for p in pairs] == [0, 0, 1, 1, 2, 2]
    assert [p.kinds[0] for p in pairs] == ["added", "added", "moved", "moved", "added", "added"]
    assert [p.index for p in pairs] == list(range(6))


def test_nuisances_change_image2_not_the_truth():
    pairs = list(generate_pairs(len(NUISANCE_NAMES), size=SIZE, seed=2))
    assert [p.nuisance for p in pairs] == list(NUISANCE_NAMES)
    clean = pairs[0]
    np.testing.assert_array_equal(clean.img2, clean.edited)
    for p in pairs[1:]:
        np.testing.assert_array_equal(p.img1, clean.img1)
        np.testing.assert_array_equal(p.boxes, clean.boxes)
        np.testing.assert_array_equal(p.mask, clean.mask)
        np.testing.assert_array_equal(p.edited, clean.edited)
        assert p.img2.shape == p.img1.shape and p.img2.dtype == np.uint8
        assert not np.array_equal(p.img2, p.edited), p.nuisance
    params = {p.nuisance: p.params for p in pairs}
    assert 60 <= params["jpeg"]["quality"] <= 95
    assert 2 <= params["noise"]["sigma"] <= 6
    assert 12 <= abs(params["brightness"]["offset"]) <= 40
    t = np.array(params["rotate"]["transform"])
    angle = np.degrees(np.arctan2(t[1, 0], t[0, 0]))
    assert 0.2 <= abs(angle) <= 2.0
    s = np.array(params["scale"]["transform"])[0, 0]
    assert 0.005 <= abs(s - 1) <= 0.03


def test_geometric_transform_maps_image1_to_image2():
    pair = next(generate_pairs(1, size=SIZE, seed=4, nuisances=["translate"]))
    t = np.array(pair.params["transform"])
    assert np.allclose(t[:2, :2], np.eye(2))
    shift = np.hypot(*t[:2, 2])
    assert 0.3 <= shift <= 0.03 * SIZE[0]
    # warping the edited image 1 by the transform reproduces image 2 (up to the borders)
    warped = cv2.warpAffine(pair.edited, t[:2], SIZE, flags=cv2.INTER_LINEAR)
    inner = (slice(15, -15), slice(15, -15))
    err = np.abs(warped[inner].astype(float) - pair.img2[inner].astype(float)).mean()
    wrong = cv2.warpAffine(pair.edited, np.linalg.inv(t)[:2], SIZE, flags=cv2.INTER_LINEAR)
    err_wrong = np.abs(wrong[inner].astype(float) - pair.img2[inner].astype(float)).mean()
    assert err < 2.0
    if shift > 1:
        assert err_wrong > err


def test_object_sizes_within_range():
    sides = []
    for kind in ("added", "recoloured"):
        for scene in range(3):
            s = make_scene(scene, size=SIZE, seed=0, kind=kind, min_side=20, max_side=60)
            sides += (s.boxes[:, 2:] - s.boxes[:, :2]).max(axis=1).tolist()
    assert min(sides) >= 12  # 20 px objects, feathering and shape aside
    assert max(sides) <= 60 + 2 * 7  # 60 px objects plus their soft edge


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"size": "12x9"}, InvalidOptionError),
        ({"size": "big"}, InvalidOptionError),
        ({"nuisances": ["fog"]}, UnknownNameError),
        ({"edits": ["erased"]}, UnknownNameError),
        ({"photos": ["lena"]}, InvalidOptionError),
        ({"max_edits": 0}, InvalidOptionError),
    ],
)
def test_bad_options_raise(kwargs, error):
    with pytest.raises(error):
        next(generate_pairs(1, **{"size": SIZE, **kwargs}))


def test_parse_size():
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size((640, 360)) == (640, 360)
