"""The edit canvas: box helpers, placement with gaps, the visibility rule, exact truth on commit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")

from spotdiff.evaluation._canvas import (
    FRACTION,
    LEVEL,
    MEAN_DIFF,
    EditCanvas,
    Part,
    expand,
    intersects,
    mask_box,
)
from spotdiff.evaluation._photos import PHOTOS, cover, load_photo

AREA = (20, 10, 100, 90)


def _canvas(before=None, *, seed=0, gap=8, min_side=10, max_side=30) -> EditCanvas:
    if before is None:
        before = np.full((100, 120, 3), 100, dtype=np.uint8)
    return EditCanvas(
        before,
        area=AREA,
        rng=np.random.default_rng(seed),
        min_side=min_side,
        max_side=max_side,
        gap=gap,
        donors=("coffee", "chelsea"),
    )


def test_box_helpers_hand_numbers():
    assert expand((10, 20, 30, 40), 5) == (5, 15, 35, 45)
    assert intersects((0, 0, 10, 10), (9, 9, 20, 20))
    assert not intersects((0, 0, 10, 10), (10, 0, 20, 10))  # touching edges share no area
    assert not intersects((0, 0, 10, 10), (0, 10, 10, 20))
    mask = np.zeros((8, 9), dtype=bool)
    assert mask_box(mask) is None
    mask[2, 3] = mask[5, 7] = True
    assert mask_box(mask) == (3, 2, 8, 6)  # exclusive ends


def test_sampled_objects_have_the_requested_size_range():
    canvas = _canvas(min_side=12, max_side=40)
    longs = [canvas.sample_long_side() for _ in range(300)]
    assert 12 <= min(longs) < 14 and 36 < max(longs) <= 40
    for _ in range(300):
        h, w = canvas.sample_dims()
        assert 12 <= max(h, w) <= 40 and min(h, w) >= round(0.6 * 12)
        assert max(h, w) / min(h, w) <= 2.0 + 1 / min(h, w)  # aspect in [1, 2], to rounding


def test_place_returns_free_boxes_inside_the_area_with_their_pad():
    canvas = _canvas()
    for _ in range(50):
        box = canvas.place(12, 16, pad=3)
        assert box is not None and (box[2] - box[0], box[3] - box[1]) == (16, 12)
        x0, y0, x1, y1 = expand(box, 3)
        assert AREA[0] <= x0 and AREA[1] <= y0 and x1 <= AREA[2] and y1 <= AREA[3]
    assert canvas.place(80, 10, pad=1) is None  # 80 + 2 does not fit in the 80-pixel area
    assert canvas.place(10, 78, pad=1) is not None


def test_is_free_keeps_the_gap_to_earlier_edits():
    canvas = _canvas(gap=8)
    canvas.occupied.append((40, 40, 50, 50))
    assert not canvas.is_free((10, 40, 30, 50))  # outside the area
    assert not canvas.is_free((57, 40, 67, 50))  # 7 pixels away
    assert canvas.is_free((58, 40, 68, 50))  # exactly 8 pixels away
    assert canvas.is_free((40, 58, 50, 68)) and not canvas.is_free((40, 57, 50, 67))
    for _ in range(30):
        box = canvas.place(10, 10, pad=0)
        assert box is not None and not intersects(box, expand((40, 40, 50, 50), 8))


def _part(canvas, box, delta, core=None) -> Part:
    x0, y0, x1, y1 = box
    pixels = canvas.window(box).astype(np.int16) + delta
    if core is None:
        core = np.ones((y1 - y0, x1 - x0), dtype=bool)
    return Part(box, np.clip(pixels, 0, 255).astype(np.uint8), core)


def test_visibility_rule_numbers():
    assert (MEAN_DIFF, LEVEL, FRACTION) == (20.0, 12, 0.5)
    canvas = _canvas()
    box = (30, 20, 40, 30)
    assert not canvas.commit([_part(canvas, box, 19)], "recoloured")  # mean 19 < 20
    assert canvas.truth == [] and not canvas.changed.any() and canvas.occupied == []
    np.testing.assert_array_equal(canvas.after, canvas.before)
    # half the core changes by 40, half by 0: mean 20 and half >= 12 levels -> visible
    delta = np.zeros((10, 10, 1), dtype=np.int16)
    delta[:5] = 40
    assert canvas.commit([_part(canvas, box, delta)], "recoloured")
    # 49 % change by 60 (mean 29.4) is not enough: fewer than half change by 12 levels
    other = (60, 20, 70, 30)
    delta = np.zeros((10, 10, 1), dtype=np.int16)
    delta.reshape(-1)[:49] = 60
    assert not canvas.commit([_part(canvas, other, delta)], "recoloured")
    tiny = np.zeros((10, 10), dtype=bool)
    tiny[:3, :5] = True  # 15 object pixels are too few to judge, whatever they do
    assert not canvas.commit([_part(canvas, other, 100, core=tiny)], "added")


def test_commit_writes_the_pixels_and_records_the_tight_truth():
    canvas = _canvas()
    box = (30, 20, 50, 40)
    delta = np.zeros((20, 20, 1), dtype=np.int16)
    delta[5:12, 3:15] = 50  # only these pixels change inside the window
    core = np.zeros((20, 20), dtype=bool)
    core[5:12, 3:15] = True
    assert canvas.commit([_part(canvas, box, delta, core)], "added")
    assert canvas.truth == [((33, 25, 45, 32), "added", 0)]
    assert canvas.occupied == [box]
    changed = (canvas.after != canvas.before).any(axis=2)
    np.testing.assert_array_equal(canvas.changed, changed)
    assert changed.sum() == 7 * 12 and canvas.after[25, 33, 0] == 150
    assert canvas.before[25, 33, 0] == 100  # image 1 is left as it was


def test_two_parts_give_two_boxes_of_one_edit_and_are_all_or_nothing():
    canvas = _canvas()
    a, b = (25, 15, 35, 25), (70, 60, 80, 70)
    assert not canvas.commit([_part(canvas, a, 60), _part(canvas, b, 5)], "moved")
    assert canvas.truth == [] and not canvas.changed.any()  # the visible part was not written
    assert canvas.commit([_part(canvas, a, 60), _part(canvas, b, -60)], "moved")
    assert canvas.truth == [(a, "moved", 0), (b, "moved", 0)]
    c = (50, 15, 60, 25)
    assert canvas.commit([_part(canvas, c, 30)], "added")
    assert canvas.truth[-1] == (c, "added", 1)


def test_groups_split_a_window_and_overlapping_boxes_merge():
    canvas = _canvas()
    box = (30, 20, 70, 40)
    left = np.zeros((20, 40), dtype=bool)
    left[:, :20] = True
    delta = np.zeros((20, 40, 1), dtype=np.int16)
    delta[2:8, 2:8] = 80
    delta[10:18, 30:38] = 80
    core = delta[..., 0] > 0
    assert canvas.commit([Part(box, _part(canvas, box, delta).pixels, core, [left, ~left])], "m")
    assert [t[0] for t in canvas.truth] == [(32, 22, 38, 28), (60, 30, 68, 38)]
    # two groups whose boxes overlap: one truth box, their union
    box2 = (30, 55, 70, 75)
    delta = np.zeros((20, 40, 1), dtype=np.int16)
    delta[2:10, 10:25] = 80  # group 1: box (40, 57, 55, 65)
    delta[8:16, 5:15] = 80  # group 2, less what group 1 holds: box (35, 63, 45, 71)
    core = delta[..., 0] > 0
    first = np.zeros((20, 40), dtype=bool)
    first[2:10, 10:25] = True
    parts = [Part(box2, _part(canvas, box2, delta).pixels, core, [first, ~first])]
    assert canvas.commit(parts, "m")
    assert canvas.truth[2:] == [((35, 57, 55, 71), "m", 1)]
    # boxes that only touch stay two boxes (they share no area)
    box3 = (30, 78, 70, 98)
    canvas.area = (20, 10, 100, 100)
    delta = np.zeros((20, 40, 1), dtype=np.int16)
    delta[2:8, 10:25] = 80
    delta[8:16, 5:15] = 80
    top = np.zeros((20, 40), dtype=bool)
    top[:8] = True
    parts = [Part(box3, _part(canvas, box3, delta).pixels, delta[..., 0] > 0, [top, ~top])]
    assert canvas.commit(parts, "m")
    assert [t[0] for t in canvas.truth[3:]] == [(40, 80, 55, 86), (35, 86, 45, 94)]


@pytest.fixture(scope="module")
def photo_canvas_image() -> np.ndarray:
    img = cover(load_photo("coffee"), (368, 228), np.random.default_rng(0))
    img.flags.writeable = False
    return img


def test_object_regions_are_free_and_their_masks_fit_their_boxes(photo_canvas_image):
    area = (48, 48, 320, 180)
    canvas = EditCanvas(
        photo_canvas_image,
        area=area,
        rng=np.random.default_rng(1),
        min_side=16,
        max_side=60,
        gap=9,
        donors=PHOTOS,
    )
    found = 0
    for _ in range(20):
        region = canvas.object_region(pad=12)
        if region is None:
            continue
        found += 1
        (x0, y0, x1, y1), core = region
        assert core.dtype == bool and core.shape == (y1 - y0, x1 - x0) and core.any()
        assert canvas.is_free(expand((x0, y0, x1, y1), 12))
        assert 16 * 0.6 <= max(core.shape) <= 60
        assert mask_box(core) == (0, 0, x1 - x0, y1 - y0)  # the box is tight
    assert found >= 15


def test_donor_objects_come_with_a_matching_mask(photo_canvas_image):
    canvas = _canvas(photo_canvas_image, min_side=16, max_side=60)
    for _ in range(12):
        content, core = canvas.donor_object(exclude="coffee")
        assert content.dtype == np.uint8 and content.ndim == 3
        assert core.dtype == bool and core.shape == content.shape[:2] and core.any()
        assert min(core.shape) >= 4 and max(core.shape) <= 60 + 1
