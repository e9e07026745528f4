"""Decoding a pair for find: near-size canvases are placed on image 1's canvas and registered
instead of resized (:data:`spotdiff.find_input.CANVAS_TOLERANCE`); extra rows and a crop, made the
way real pairs come (issue 9)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff._errors import SpotdiffWarning
from spotdiff.detect import find
from spotdiff.find_input import prepare_pair

skdata = pytest.importorskip("skimage.data")

W, H = 480, 360


def _photo(name: str, size: tuple[int, int] = (W, H)) -> np.ndarray:
    return cv2.resize(getattr(skdata, name)()[..., :3], size, interpolation=cv2.INTER_AREA)


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _edited(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[150:180, 200:240] = (20, 200, 40)
    return out


def test_extra_rows_are_registered_not_resized():
    scene = _photo("coffee", (W, H + 12))
    img1, img2 = scene[:H].copy(), _edited(scene)  # image 2: 12 more rows at the bottom
    with pytest.warns(SpotdiffWarning, match="canvas"):
        r = find(img1, img2)
    assert len(r) == 1
    assert _iou(r.boxes[0], (200, 150, 240, 180)) >= 0.5
    assert r.boxes[0][3] < H - 20  # nothing along the bottom rows
    np.testing.assert_allclose(r.transform, np.eye(3), atol=0.05)


def test_a_crop_on_the_left_is_registered_not_resized():
    img1 = _photo("coffee")
    img2 = _edited(img1)[:, 10:]  # image 2: 10 px cut on the left (its content moves left)
    with pytest.warns(SpotdiffWarning, match="canvas"):
        r = find(img1, img2)
    assert r.aligned
    assert r.transform[0, 2] == pytest.approx(10.0, abs=0.5)
    assert len(r) == 1
    assert _iou(r.boxes[0], (200, 150, 240, 180)) >= 0.5
    assert r.boxes[0][2] < W - 20  # nothing along the right edge image 2 does not cover


def test_prepare_pair_places_a_near_size_image_on_image_1s_canvas():
    img1 = _photo("coffee")
    with pytest.warns(SpotdiffWarning, match="canvas"):
        pair = prepare_pair(img1, img1[:, 10:])
    assert pair.img2.shape == img1.shape and pair.cover2 is not None
    assert pair.cover2[:, : W - 10].all() and not pair.cover2[:, W - 10 :].any()
    # far sizes keep the resize policy
    with pytest.warns(SpotdiffWarning, match="resized"):
        pair = prepare_pair(img1, cv2.resize(img1, (W * 2, H * 2)))
    assert pair.cover2 is None
