"""Edits planted into real pairs: outside the pair's truth, where the pixels changed, by seed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.evaluation._canvas import expand, intersects, mask_box
from spotdiff.evaluation.planted import (
    LEVEL,
    PLANT_KINDS,
    is_drawn,
    margin_for,
    plant_edits,
    planted_pairs,
    size_bucket,
)
from spotdiff.evaluation.real import real_pair

from ..realpairs import REALPAIRS_MANIFEST, needs_realpairs

TRUTH = [[20, 20, 70, 60], [200, 150, 260, 200], [120, 90, 150, 120]]


def _drawing(seed: int = 0) -> np.ndarray:
    """A 240 x 320 drawing: 60 filled discs and squares (6-30 px) on a flat pale background."""
    rng = np.random.default_rng(seed)
    img = np.full((240, 320, 3), (235, 230, 220), np.uint8)
    for _ in range(60):
        colour = tuple(int(c) for c in rng.integers(0, 200, 3))
        x, y, r = int(rng.integers(0, 320)), int(rng.integers(0, 240)), int(rng.integers(3, 15))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), r, colour, -1)
        else:
            cv2.rectangle(img, (x - r, y - r), (x + r, y + r), colour, -1)
    return img


def _pair(img: np.ndarray | None = None, mask=None):
    img = _drawing() if img is None else img
    return real_pair(img, img.copy(), TRUTH, name="drawing", condition="graphic", mask=mask)


def _changed(planted, pair) -> np.ndarray:
    return np.abs(planted.img1.astype(np.int16) - pair.img1).max(axis=2) > LEVEL


@pytest.mark.parametrize("seed", range(6))
def test_planted_boxes_lie_outside_the_truth_and_apart(seed):
    pair = _pair()
    planted = plant_edits(pair, seed=seed, n_edits=4)
    margin = margin_for(pair.img1)
    assert len(planted.edits) >= 2
    truth = [tuple(b) for b in TRUTH]
    boxes = [e.box for e in planted.edits]
    for i, box in enumerate(boxes):
        grown = expand(box, margin)
        assert not any(intersects(grown, t) for t in truth)
        assert not any(intersects(grown, b) for b in boxes[:i] + boxes[i + 1 :])
        assert box[0] >= margin - 6 and box[1] >= margin - 6  # the edit's context ring: 6 px
        assert box[2] <= 320 - margin + 6 and box[3] <= 240 - margin + 6
    assert planted.origin == ("truth",) * 3 + ("planted",) * len(boxes)
    np.testing.assert_array_equal(planted.boxes[:3], np.float32(TRUTH))


@pytest.mark.parametrize("seed", range(6))
def test_planted_boxes_are_the_boxes_of_the_changed_pixels(seed):
    pair = _pair()
    planted = plant_edits(pair, seed=seed, n_edits=4)
    changed = _changed(planted, pair)
    inside = np.zeros_like(changed)
    for edit in planted.edits:
        x0, y0, x1, y1 = edit.box
        inside[y0:y1, x0:x1] = True
        own = np.zeros_like(changed)
        own[y0:y1, x0:x1] = changed[y0:y1, x0:x1]
        assert mask_box(own) == edit.box  # tight: changed pixels touch all four sides
        assert own.sum() >= 20
    assert not (changed & ~inside).any()  # nothing changed outside the planted boxes
    for x0, y0, x1, y1 in TRUTH:  # the truth boxes' pixels are untouched
        np.testing.assert_array_equal(planted.img1[y0:y1, x0:x1], pair.img1[y0:y1, x0:x1])
    np.testing.assert_array_equal(planted.img2, pair.img2)


def test_planting_is_deterministic_by_seed_and_variant():
    pair = _pair()
    a, b = plant_edits(pair, seed=3, variant=1), plant_edits(pair, seed=3, variant=1)
    np.testing.assert_array_equal(a.img1, b.img1)
    assert a.edits == b.edits
    other = plant_edits(pair, seed=3, variant=2)
    assert other.edits != a.edits
    assert plant_edits(pair, seed=4, variant=1).edits != a.edits
    listed = planted_pairs([pair, pair], variants=2, seed=3)
    assert [p.variant for p in listed] == [0, 1, 0, 1]
    assert listed[1].edits == a.edits


def test_no_edit_plant_gives_the_pair_back():
    pair = _pair(mask=np.zeros((240, 320), bool))
    planted = plant_edits(pair, seed=0, n_edits=0)
    np.testing.assert_array_equal(planted.img1, pair.img1)
    np.testing.assert_array_equal(planted.boxes, pair.boxes)
    assert planted.kinds == pair.kinds and planted.edits == ()
    assert not planted.mask.any()


@pytest.mark.parametrize("kind", PLANT_KINDS)
def test_every_kind_plants_a_visible_change_on_a_drawing(kind):
    pair = _pair()
    planted = plant_edits(pair, seed=1, n_edits=2, kinds=[kind])
    assert [e.kind for e in planted.edits] == [kind, kind]
    assert all(e.hard for e in planted.edits)  # a drawing: hard edges
    diff = np.abs(planted.img1.astype(np.int16) - pair.img1).max(axis=2)
    for x0, y0, x1, y1 in (e.box for e in planted.edits):
        moved = diff[y0:y1, x0:x1]
        assert moved[moved > LEVEL].mean() >= 24


def test_a_thin_stroke_is_not_recoloured_a_filled_segment_is():
    def recoloured(img):
        pair = real_pair(img, img, [])
        return [
            e
            for s in range(5)
            for e in plant_edits(pair, seed=s, n_edits=1, kinds=["recoloured"]).edits
        ]

    img = np.full((240, 320, 3), 240, np.uint8)
    # an open 1-px arc: no filled area to recolour (an anti-aliased edge, a text fringe)
    cv2.ellipse(img, (160, 120), (12, 12), 0, 0, 270, (20, 120, 200), 1)
    assert recoloured(img) == []
    cv2.circle(img, (160, 120), 12, (20, 120, 200), -1)
    edits = recoloured(img)
    assert edits
    for x0, y0, x1, y1 in (e.box for e in edits):  # the disc, nothing around it
        assert (x0, y0) >= (148, 108) and (x1, y1) <= (173, 133)


def test_the_change_mask_gains_the_planted_pixels():
    pair = _pair(mask=np.zeros((240, 320), bool))
    planted = plant_edits(pair, seed=2, n_edits=3)
    np.testing.assert_array_equal(planted.mask, _changed(planted, pair))
    assert planted.mask.sum() > 0


def test_a_photo_is_blended_softly_and_a_drawing_is_not():
    rng = np.random.default_rng(0)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (0, 0), 1.5)
    assert not is_drawn(photo)
    assert is_drawn(_drawing())
    planted = plant_edits(_pair(photo), seed=0, n_edits=3)
    assert planted.edits and not any(e.hard for e in planted.edits)


@pytest.mark.parametrize(
    ("box", "bucket"),
    [
        ((0, 0, 10, 15), "<16"),
        ((0, 0, 16, 4), "16-31"),
        ((5, 5, 10, 68), "32-63"),
        ((0, 0, 64, 1), ">=64"),
    ],
)
def test_size_bucket_of_the_longer_side(box, bucket):
    assert size_bucket(box) == bucket


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_edits": -1}, "n_edits must be >= 0"),
        ({"kinds": ["painted"]}, "unknown plant kind"),
        ({"kinds": []}, "unknown plant kind"),
    ],
)
def test_bad_options_raise_one_clear_error(options, message):
    with pytest.raises(InvalidOptionError, match=message):
        plant_edits(_pair(), **options)


def test_planted_pairs_needs_a_variant():
    with pytest.raises(InvalidOptionError, match="variants must be >= 1"):
        planted_pairs([_pair()], variants=0)


@needs_realpairs
def test_real_pairs_get_edits_outside_their_truth():
    from spotdiff.evaluation.real import load_real_pairs

    pairs = load_real_pairs(REALPAIRS_MANIFEST)
    planted = planted_pairs(pairs, variants=2, seed=0)
    assert sum(len(p.edits) for p in planted) >= 2 * len(pairs)
    for p, pl in zip([p for p in pairs for _ in range(2)], planted, strict=True):
        margin = margin_for(p.img1)
        truth = [tuple(round(v) for v in b) for b in p.boxes]
        for edit in pl.edits:
            assert not any(intersects(expand(edit.box, margin), t) for t in truth)
        changed = _changed(pl, p)
        assert changed.sum() == sum(
            changed[e.box[1] : e.box[3], e.box[0] : e.box[2]].sum() for e in pl.edits
        )
