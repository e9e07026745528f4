"""Tiny strong changes: kept under the score's floor on clean pairs, never on resampled or
re-encoded copies."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spotdiff.maps.glyph as glyph_module
from spotdiff.detect import find
from spotdiff.regions.extract import MIN_SCORE
from spotdiff.regions.tiny import CLEAN_NOISE, apart, tiny_strong

from ..realpairs import best_iou, needs_realpairs

HUB = (98, 98, 103, 103)  # the windmill's hub: a 5x5 red square with a 3x3 centre


def _drawing(centre) -> np.ndarray:
    """A line drawing with a windmill whose hub's 3x3 centre has the colour ``centre``."""
    img = np.full((240, 320, 3), 255, np.uint8)
    for p, q in [((20, 30), (300, 60)), ((40, 200), (280, 150)), ((160, 20), (170, 220))]:
        cv2.line(img, p, q, (30, 30, 30), 2, cv2.LINE_AA)
    cv2.line(img, (60, 60), (130, 190), (30, 30, 30), 2, cv2.LINE_AA)
    cv2.circle(img, (240, 110), 40, (40, 90, 200), 3, cv2.LINE_AA)
    cv2.rectangle(img, (30, 120), (90, 170), (120, 200, 230), -1)
    for angle in (20, 110, 200, 290):  # the blades
        t = np.deg2rad(angle)
        tip = (int(100 + 30 * np.cos(t)), int(100 + 30 * np.sin(t)))
        cv2.line(img, (100, 100), tip, (110, 170, 190), 3, cv2.LINE_AA)
    img[98:103, 98:103] = (180, 40, 40)
    img[99:102, 99:102] = centre
    return img


YELLOW, ORANGE = (250, 200, 30), (220, 90, 0)


def _jpeg(img: np.ndarray, quality: int = 50) -> np.ndarray:
    _, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def _half_up(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def test_a_recoloured_3x3_hub_on_a_drawing_is_found(monkeypatch):
    r = find(_drawing(YELLOW), _drawing(ORANGE))
    assert len(r) == 1
    # its colour is new ink no 1-px shift explains (maps.glyph): colour evidence, score 0.11,
    # and the box is the recoloured 3x3 centre itself
    assert tuple(r.boxes[0].astype(int)) == (99, 99, 102, 102)
    assert MIN_SCORE <= r.scores[0] < 0.15
    monkeypatch.setattr(glyph_module, "MAX_SIDE", 0)  # without that rule: ...
    r = find(_drawing(YELLOW), _drawing(ORANGE))
    assert len(r) == 1
    assert tuple(r.boxes[0].astype(int)) == HUB
    # ... too small for the score's area term: kept as a tiny strong change, its score as it is
    assert r.scores[0] < MIN_SCORE


@pytest.mark.parametrize("copy", [_jpeg, _half_up], ids=["jpeg q50", "half size, scaled up"])
def test_re_encoded_or_resampled_copies_of_the_drawing_give_no_box(copy):
    img = _drawing(YELLOW)
    assert len(find(img, copy(img))) == 0


def test_on_a_noisy_pair_the_hub_is_no_evidence():
    rng = np.random.default_rng(1)

    def noisy(x):
        return np.clip(x + rng.normal(0, 3, x.shape), 0, 255).astype(np.uint8)

    r = find(noisy(_drawing(YELLOW)), noisy(_drawing(ORANGE)))
    assert r.metadata["noise_sigma"] > CLEAN_NOISE
    assert len(r) == 0


def _region(rect):
    return np.ones((rect[3] - rect[1], rect[2] - rect[0]), bool), (rect[0], rect[1])


def test_tiny_strong_rules():
    a = np.full((30, 30, 3), 200, np.uint8)
    b = a.copy()
    b[13:16, 13:16] = (200, 60, 60)  # 3x3 px, 198 levels (two channels of 140)
    crop, origin = _region((12, 12, 17, 17))
    assert tiny_strong(a, b, crop, origin, threshold=24.0, noise=0.0)
    assert not tiny_strong(a, b, crop, origin, threshold=24.0, noise=CLEAN_NOISE + 0.5)
    assert not tiny_strong(a, b, crop, origin, threshold=250.0, noise=0.0)  # no core
    busy = b.copy()  # the ring around it differs too (a resampled neighbourhood)
    busy[9:20, 9:20] = np.where(busy[9:20, 9:20] == 200, 140, busy[9:20, 9:20])
    assert not tiny_strong(a, busy, crop, origin, threshold=24.0, noise=0.0)


@needs_realpairs
def test_puzzle_animalfarm_hub_recolour_is_found():
    # the windmill's hub [78, 113, 83, 119]: its 3x3 centre recoloured, scoring 0.034
    assert best_iou("puzzle_animalfarm", [78, 113, 83, 119]) >= 0.5


def test_apart_from_every_reported_box():
    boxes = [(0, 0, 10, 10), (14, 0, 20, 10), (40, 40, 45, 45), (0, 30, 5, 35)]
    reported = np.array([True, False, False, False])
    # 4 px right of the reported box: within a gap of 5; 30 px away: apart; 20 px below: apart
    assert apart(boxes, reported, 5.0).tolist() == [False, False, True, True]
    assert apart(boxes, np.zeros(4, bool), 5.0).all()
