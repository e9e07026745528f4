"""Differences the tone curves made: a dark picture with a few bright specks against a copy with
sensor noise gives no box (the curves fitted to the dark majority compress the bright end: a
box on every speck without the rule), while a speck added and a grey roof painted in the noisy
copy are still the boxes; the test on one region and the real satellite picture."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spotdiff.regions.toned as toned_module
from spotdiff import find
from spotdiff.evaluation.metrics import box_iou
from spotdiff.regions.toned import drop_tone_made, tone_made
from spotdiff.result import DiffResult

from ..realpairs import needs_realpairs, real_pair

_SPECKS = 8


def _scene() -> np.ndarray:
    """400x360, dark blocks of 4x4 px (levels 5-45, softened by a pixel, a bluish tint) and 8
    bright specks of 3-7 px a side (levels 180-245)."""
    rng = np.random.default_rng(0)
    blocks = cv2.GaussianBlur(rng.uniform(5, 45, (90, 100)).astype(np.float32), (0, 0), 1.0)
    grey = cv2.resize(blocks, (400, 360), interpolation=cv2.INTER_NEAREST)
    img = np.stack([grey, grey * 0.9, grey * 1.1], axis=2)
    for _ in range(_SPECKS):
        x, y = int(rng.integers(10, 380)), int(rng.integers(10, 340))
        w, h = int(rng.integers(3, 8)), int(rng.integers(3, 8))
        img[y : y + h, x : x + w] = rng.uniform(180, 245, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def _noisy(img: np.ndarray) -> np.ndarray:
    noise = np.random.default_rng(0).normal(0, 5, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _changed(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[300:306, 50:56] = (230, 220, 200)  # a speck added
    out[100:130, 200:230] = (140, 150, 150)  # a grey roof
    return out


def test_noisy_copy_of_a_dark_picture_gives_no_box():
    a = _scene()
    result = find(a, _noisy(a))
    assert result.metadata["tone"][1][2] < 128  # green's curve: the bright end compressed
    assert len(result) == 0


def test_noisy_copy_boxes_its_specks_without_the_rule(monkeypatch):
    monkeypatch.setattr(toned_module, "tone_made", lambda *a, **k: False)
    a = _scene()
    assert len(find(a, _noisy(a))) >= _SPECKS - 1  # the specks (two may touch)


def test_changes_in_a_noisy_copy_are_the_boxes():
    a = _scene()
    result = find(a, _noisy(_changed(a)))
    truth = np.array([[50, 300, 56, 306], [200, 100, 230, 130]], np.float32)
    assert len(result) == 2
    assert (box_iou(result.boxes, truth).max(axis=0) > 0.6).all()


@pytest.mark.parametrize(("raw_offset", "expected"), [(3, True), (40, False)])
def test_tone_made_asks_image_2_before_the_curves(raw_offset, expected):
    a = np.full((20, 20, 3), 200, np.uint8)
    toned = np.full_like(a, 150)  # 87 levels apart after the curves
    raw = np.full_like(a, 200 - raw_offset)
    assert tone_made(a, raw, toned, (0, 0, 20, 20), threshold=24.0) is expected


def test_tone_made_needs_changed_pixels():
    a = np.full((20, 20, 3), 200, np.uint8)
    assert tone_made(a, a, a, (0, 0, 20, 20), threshold=24.0) is False


def test_drop_tone_made_keeps_all_without_curves():
    a = np.full((40, 40, 3), 200, np.uint8)
    b = a.copy()
    b[10:20, 10:20] = 100
    regions = DiffResult(
        boxes=np.array([[10, 10, 20, 20]], np.float32),
        scores=np.array([0.3], np.float32),
        image_size=(40, 40),
    )
    assert len(drop_tone_made(regions, a, b, b, threshold=24.0)) == 1
    assert len(drop_tone_made(regions, a, a, b, threshold=24.0)) == 0


@needs_realpairs
def test_noisy_copy_of_the_real_satellite_picture_gives_no_box():
    a = real_pair("aerial_oscd_bercy").img1  # 3 boxes before the rule
    assert len(find(a, _noisy(a))) == 0
