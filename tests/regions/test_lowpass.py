"""Lost fine detail: a picture with fine tiled roofs against its half-size-and-up copy gives no
box (two boxes without the rule), while a disc drawn on a roof (its box: the roof's) and a
small square on a plain wall in the copy are still boxed; the test on one region (a coarse change, detail
gained) and the real pictures resampled."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spotdiff.regions.lowpass as lowpass_module
from spotdiff import find
from spotdiff.evaluation.metrics import box_iou
from spotdiff.evaluation.nochange import half_up, rotated
from spotdiff.regions.lowpass import drop_lost_detail, lost_detail
from spotdiff.result import DiffResult

from ..realpairs import needs_realpairs, real_pair

_ROOFS = [((20, 30, 110, 90), (200, 90, 60)), ((300, 250, 380, 320), (180, 70, 50))]
_DISC = ((65, 60), 6, (40, 120, 40))  # on the first roof
_SQUARE = ((420, 20), 7, (200, 30, 30))  # on the plain background


def _scene() -> np.ndarray:
    """480x360: two roofs of tiles 3 px tall and 5 px wide (grooves 50 levels dark, a little
    noise) among plain rectangles and rings."""
    rng = np.random.default_rng(0)
    img = np.empty((360, 480, 3), np.uint8)
    img[:] = (150, 190, 230)
    yy, xx = np.mgrid[0:360, 0:480]
    for (x0, y0, x1, y1), colour in _ROOFS:
        y, x = yy[y0:y1, x0:x1], xx[y0:y1, x0:x1]
        groove = (y % 3 == 0) | ((x + (y // 3) * 2) % 5 == 0)
        tiles = np.where(groove, -50.0, 50 / 3) + rng.normal(0, 3, y.shape)
        img[y0:y1, x0:x1] = np.clip(np.float32(colour) + tiles[..., None], 0, 255)
    for _ in range(12):
        x, y = int(rng.integers(0, 440)), int(rng.integers(0, 320))
        w, h = int(rng.integers(15, 50)), int(rng.integers(15, 50))
        colour = tuple(int(v) for v in rng.integers(20, 240, 3))
        cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
        centre = (int(rng.integers(0, 480)), int(rng.integers(0, 360)))
        ring = tuple(int(v) for v in rng.integers(20, 240, 3))
        cv2.circle(img, centre, int(rng.integers(5, 25)), ring, 2)
    return img


def _changed(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    (cx, cy), r, colour = _DISC
    cv2.circle(out, (cx, cy), r, colour, -1)
    (x, y), s, colour = _SQUARE
    cv2.rectangle(out, (x, y), (x + s - 1, y + s - 1), colour, -1)
    return out


def test_half_size_copy_gives_no_box():
    a = _scene()
    result = find(a, half_up(a))
    assert result.metadata["sharpness_blur"][0] > 0  # image 2 found the blurrier
    assert len(result) == 0


def test_half_size_copy_boxes_its_roofs_without_the_rule(monkeypatch):
    monkeypatch.setattr(lowpass_module, "lost_detail", lambda *a, **k: False)
    a = _scene()
    boxes = find(a, half_up(a)).boxes
    assert len(boxes) == 2
    roofs = np.array([box for box, _ in _ROOFS], np.float32)
    assert (box_iou(boxes, roofs).max(axis=1) > 0.3).all()  # the roofs' tiles


def test_changes_in_a_half_size_copy_are_the_boxes():
    a = _scene()
    result = find(a, half_up(_changed(a)))
    (cx, cy), r, _ = _DISC
    (x, y), s, _ = _SQUARE
    assert len(result) == 2  # the second roof's tiles are lost detail
    disc, square = result.boxes[np.argsort(result.boxes[:, 0])]
    # the disc's region joins the lost tiles around it (the rule drops whole regions only)
    assert disc[0] <= cx - r and disc[1] <= cy - r and disc[2] > cx + r and disc[3] > cy + r
    assert disc[2] <= _ROOFS[0][0][2] + 2 and disc[3] <= _ROOFS[0][0][3] + 2
    truth = np.array([[x, y, x + s, y + s]], np.float32)
    assert box_iou(square[None], truth)[0, 0] > 0.45


def _region(box) -> DiffResult:
    return DiffResult(
        boxes=np.array([box], np.float32), scores=np.array([0.3], np.float32), image_size=(480, 360)
    )


@pytest.mark.parametrize(
    ("blurrier", "change", "expected"),
    [
        (2, None, True),  # the roof's tiles lost in image 2
        (1, None, False),  # image 1 is the blurrier: image 2 gained the tiles
        (2, "disc", False),  # a disc on the roof differs at the coarse scale
    ],
)
def test_lost_detail_tells_lost_tiles_from_changes(blurrier, change, expected):
    a = _scene()
    b = half_up(_changed(a) if change else a)
    box = (20, 30, 110, 90)
    assert lost_detail(a, b, box, threshold=24.0, blurrier=blurrier) is expected


def test_lost_detail_takes_image_2_before_the_curves_too():
    """Tone curves fitted on a blurrier copy are off by the blur (thin dark lines lose their
    contrast): 15 levels lighter after the curves is a coarse difference; before them, none."""
    a = _scene()
    raw = half_up(a)
    toned = np.clip(raw.astype(np.int16) + 15, 0, 255).astype(np.uint8)
    box = (20, 30, 110, 90)
    assert lost_detail(a, toned, box, threshold=24.0, blurrier=2) is False
    assert lost_detail(a, toned, box, threshold=24.0, blurrier=2, raw2=raw) is True


def test_lost_detail_needs_changed_pixels():
    a = _scene()
    assert lost_detail(a, a, (20, 30, 110, 90), threshold=24.0, blurrier=2) is False


def test_drop_lost_detail_asks_only_a_pair_with_a_blurrier_image():
    a = _scene()
    b = half_up(a)
    regions = _region((20, 30, 110, 90))
    assert len(drop_lost_detail(regions, a, b, threshold=24.0, blur=(0.0, 0.0))) == 1
    assert len(drop_lost_detail(regions, a, b, threshold=24.0, blur=(0.7, 0.0))) == 0
    spared = np.zeros(a.shape[:2], np.uint8)
    spared[50, 50] = 1  # a reshaped glyph in the box: kept untested
    kept = drop_lost_detail(regions, a, b, threshold=24.0, blur=(0.7, 0.0), spared=spared)
    assert len(kept) == 1


@needs_realpairs
@pytest.mark.parametrize(
    ("name", "nuisance"),
    [
        ("puzzle_townhall", half_up),  # its roofs' tiles: 3 boxes before the rule
        ("puzzle_townhall", rotated),  # 4
        ("puzzle_traffic", half_up),  # a "0" of two strokes 1 px apart filled: 1
        ("puzzle_ghats", half_up),  # 1
    ],
    ids=["townhall-half-up", "townhall-rotate-1.5", "traffic-half-up", "ghats-half-up"],
)
def test_real_picture_resampled_gives_no_box(name, nuisance):
    a = real_pair(name).img1
    assert len(find(a, nuisance(a))) == 0
