"""Each planted edit changes only the pixels inside its truth boxes, and changes them as named."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("skimage")

from spotdiff.evaluation._canvas import EditCanvas, intersects
from spotdiff.evaluation._edits import EDIT_KINDS, EDITS
from spotdiff.evaluation._photos import PHOTOS, cover, load_photo
from spotdiff.evaluation.synthetic import make_scene

#: The known object of the hand-made scene: 24 x 24 red stripes on grey noise.
BOX = (60, 50, 84, 74)


def _plant(canvas: EditCanvas, kind: str, tries: int = 60) -> list:
    edit = EDITS.factory(kind)
    for _ in range(tries):
        parts = edit(canvas)
        if parts is not None and canvas.commit(parts, kind):
            return parts
    raise AssertionError(f"no visible {kind} edit in {tries} tries")


def _check_only_inside_truth(canvas: EditCanvas, parts: list) -> np.ndarray:
    """Changed pixels lie inside the parts' windows and inside the truth boxes, which are tight."""
    changed = (canvas.after != canvas.before).any(axis=2)
    np.testing.assert_array_equal(canvas.changed, changed)
    in_windows = np.zeros_like(changed)
    for p in parts:
        in_windows[p.box[1] : p.box[3], p.box[0] : p.box[2]] = True
    in_truth = np.zeros_like(changed)
    for (x0, y0, x1, y1), _, _ in canvas.truth:
        inside = changed[y0:y1, x0:x1]
        assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
        in_truth[y0:y1, x0:x1] = True
    assert changed.any()
    assert not (changed & ~in_windows).any(), "pixels changed outside the edit's windows"
    assert not (changed & ~in_truth).any(), "pixels changed outside every truth box"
    return changed


@pytest.mark.parametrize("kind", EDIT_KINDS)
def test_edit_on_a_photo_changes_only_pixels_inside_its_truth(kind):
    for seed in range(2):
        before = cover(load_photo("coffee"), (368, 228), np.random.default_rng(seed))
        before.flags.writeable = False
        canvas = EditCanvas(
            before,
            area=(48, 48, 320, 180),
            rng=np.random.default_rng(seed),
            min_side=16,
            max_side=60,
            gap=9,
            donors=PHOTOS,
        )
        parts = _plant(canvas, kind)
        changed = _check_only_inside_truth(canvas, parts)
        n = 2 if kind == "moved" else 1
        assert 1 <= len(canvas.truth) <= n and {k for _, k, _ in canvas.truth} == {kind}
        # the visibility rule holds on the object pixels of every part
        for p in parts:
            x0, y0, x1, y1 = p.box
            diff = np.abs(canvas.after[y0:y1, x0:x1].astype(int) - before[y0:y1, x0:x1]).max(2)
            assert diff[p.core].mean() >= 20 and (diff[p.core] >= 12).mean() >= 0.5
        assert changed.sum() >= 16


def _scene(seed: int) -> EditCanvas:
    """Grey noise (100 +- 3) with a striped red object at BOX, which object_region returns."""
    rng = np.random.default_rng(100 + seed)
    img = np.clip(rng.normal(100, 3, (160, 200, 3)), 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = BOX
    img[y0:y1, x0:x1] = (200, 60, 40)
    img[y0:y1:4, x0:x1] = (240, 90, 70)
    ys, xs = np.mgrid[0:24, 0:24]
    img[y0:y1, x0:x1, 2] += (2 * xs + ys).astype(np.uint8)  # no two places look alike
    img.flags.writeable = False
    canvas = EditCanvas(
        img,
        area=(20, 20, 180, 140),
        rng=np.random.default_rng(seed),
        min_side=16,
        max_side=40,
        gap=8,
        donors=("coffee",),
    )
    canvas.object_region = lambda pad: (BOX, np.ones((24, 24), dtype=bool))  # type: ignore
    return canvas


def _object(canvas: EditCanvas, box=BOX) -> np.ndarray:
    return canvas.after[box[1] : box[3], box[0] : box[2]].astype(int)


@pytest.mark.parametrize("seed", range(4))
def test_removed_object_becomes_background(seed):
    canvas = _scene(seed)
    parts = _plant(canvas, "removed")
    _check_only_inside_truth(canvas, parts)
    ((box, kind, _),) = canvas.truth
    assert kind == "removed" and intersects(box, BOX)
    # x0 <= 60, x1 >= 84: the whole object went, and no further than the window
    assert box[0] <= BOX[0] and box[1] <= BOX[1] and box[2] >= BOX[2] and box[3] >= BOX[3]
    assert np.abs(_object(canvas) - 100).mean() < 6  # was 100-140 levels above the noise


@pytest.mark.parametrize("seed", range(4))
def test_recoloured_object_keeps_its_brightness_and_turns_its_hue(seed):
    canvas = _scene(seed)
    parts = _plant(canvas, "recoloured")
    _check_only_inside_truth(canvas, parts)
    inner = (slice(BOX[1] + 4, BOX[3] - 4), slice(BOX[0] + 4, BOX[2] - 4))
    old = cv2.cvtColor(np.ascontiguousarray(canvas.before[inner]), cv2.COLOR_RGB2HSV).astype(int)
    new = cv2.cvtColor(np.ascontiguousarray(canvas.after[inner]), cv2.COLOR_RGB2HSV).astype(int)
    turn = (new[..., 0] - old[..., 0]) % 180  # OpenCV hue: 2 degrees a unit
    assert 28 <= np.median(turn) <= 152  # 60-300 degrees
    assert np.abs(turn - np.median(turn)).max() <= 3  # one rotation for the whole object
    assert np.abs(new[..., 2] - old[..., 2]).max() <= 3  # value (max channel) unchanged
    ((box, _, _),) = canvas.truth
    assert box[0] >= BOX[0] - 8 and box[2] <= BOX[2] + 8  # the soft edge only


@pytest.mark.parametrize("seed", range(4))
def test_moved_object_is_pasted_whole_elsewhere(seed):
    canvas = _scene(seed)
    parts = _plant(canvas, "moved")
    _check_only_inside_truth(canvas, parts)
    m = 6  # > 3 sigma of the feathered edge: alpha is 1 to the rounding inside
    core = canvas.before[BOX[1] + m : BOX[3] - m, BOX[0] + m : BOX[2] - m]
    # find the pasted object: the 12 x 12 window of the after image equal to the object's core
    found = cv2.matchTemplate(canvas.after.astype(np.float32), core.astype(np.float32), 0)
    y, x = np.unravel_index(np.argmin(found), found.shape)
    assert found[y, x] < 0.5 and (x, y) != (BOX[0] + m, BOX[1] + m)
    dx, dy = x - BOX[0] - m, y - BOX[1] - m
    assert 0.4 * 24 - 1 <= np.hypot(dx, dy) <= 2.5 * 24 + 1  # moved by 0.4-2.5 x its size
    if len(canvas.truth) == 2:  # old and new place apart: two boxes, the same edit
        (a, _, i), (b, _, j) = canvas.truth
        assert i == j == 0 and not intersects(a, b)
        assert np.abs(_object(canvas) - 100).mean() < 6  # the old place is background now


def test_moved_object_has_old_and_new_place():
    s = make_scene(1, size=(320, 180), seed=3, kind="moved")
    ids = s.edit_ids.tolist()
    assert ids.count(0) == 2  # one edit, two separate boxes (old place, new place)
    (a, b) = s.boxes[s.edit_ids == 0]
    overlap_x = min(a[2], b[2]) - max(a[0], b[0])
    overlap_y = min(a[3], b[3]) - max(a[1], b[1])
    assert overlap_x <= 0 or overlap_y <= 0


@pytest.mark.parametrize("seed", range(4))
def test_resized_object_gives_one_box_over_both_extents(seed):
    canvas = _scene(seed)
    parts = _plant(canvas, "resized")
    _check_only_inside_truth(canvas, parts)
    ((box, _, _),) = canvas.truth
    assert box[0] <= BOX[0] and box[1] <= BOX[1] and box[2] >= BOX[2] and box[3] >= BOX[3]
    # scaled by 0.55-0.8 or 1.25-1.7 about the centre (72, 62), plus a soft edge
    assert box[2] - box[0] <= 1.7 * 24 + 12 and box[3] - box[1] <= 1.7 * 24 + 12
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    assert abs(cx - 72) <= 2 and abs(cy - 62) <= 2


def test_added_object_is_the_donor_content_with_a_soft_edge():
    canvas = _scene(0)
    core = np.zeros((20, 30), dtype=bool)
    core[2:18, 3:27] = True
    content = np.full((20, 30, 3), (20, 200, 240), dtype=np.uint8)
    canvas.donor_object = lambda exclude: (content, core)  # type: ignore[method-assign]
    parts = _plant(canvas, "added")
    _check_only_inside_truth(canvas, parts)
    ((box, kind, _),) = canvas.truth
    assert kind == "added"
    (part,) = parts
    x0, y0 = part.box[0], part.box[1]
    pad = (part.box[2] - part.box[0] - 30) // 2  # ceil(3 sigma) + 1 with sigma in [0.7, 1.8]
    assert 4 <= pad <= 7
    inner = canvas.after[y0 + pad + 6 : y0 + pad + 14, x0 + pad + 9 : x0 + pad + 21]
    assert (inner == (20, 200, 240)).all()  # the donor's pixels, exactly, inside the object
    # the truth box is the object (24 x 16) grown by its feathered edge only
    w, h = box[2] - box[0], box[3] - box[1]
    assert 24 <= w <= 24 + 2 * pad and 16 <= h <= 16 + 2 * pad


def test_edit_kinds_and_aliases():
    assert set(EDITS.names()) == set(EDIT_KINDS)
    assert EDIT_KINDS == ("added", "removed", "recoloured", "moved", "resized")
    for alias, name in [("add", "added"), ("recolor", "recoloured"), ("scaled", "resized")]:
        assert EDITS.resolve(alias) == name


def test_no_room_means_no_edit():
    canvas = _scene(0)
    canvas.area = (20, 20, 40, 40)  # 20 x 20: no 16-pixel object with its pad fits
    canvas.object_region = lambda pad: None  # type: ignore[method-assign]
    for kind in EDIT_KINDS:
        assert EDITS.factory(kind)(canvas) is None, kind
    np.testing.assert_array_equal(canvas.after, canvas.before)


def test_grow_is_a_disc_of_the_radius():
    from spotdiff.evaluation._shapes import grow

    mask = np.zeros((9, 9), bool)
    mask[4, 4] = True
    grown = grow(mask, 2)
    assert (
        grown.dtype == bool and grown.sum() == 17 and grown[4, 2] and not grown[2, 2]
    )  # OpenCV 5x5
    assert (grow(mask, 0) == mask).all()
