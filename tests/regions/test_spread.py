"""Spread changes (a river that changed colour) judged against their own level; the constructed
aerial pair (textured ground, a global colour / brightness change, 20 small blocks appearing, a
river band re-coloured) through find: a usable change mask and one box per block."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff import find
from spotdiff.evaluation.baselines import absdiff_otsu
from spotdiff.evaluation.metrics import mask_f1
from spotdiff.regions.components import find_components
from spotdiff.regions.spread import RELATIVE_SEED, relative_to_spread, spread


def _to8(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, 255).astype(np.uint8)


def aerial_pair(seed: int = 0, *, size=(512, 384), n_blocks: int = 20, river: bool = True):
    """A Sentinel-like pair: dense texture at two scales, ``n_blocks`` blocks of 8-16 px
    ("buildings") appearing in image 2 one per 48 px cell, a 30 px river band whose water turns
    from green to brown (not truth: the labels of such datasets count urban change only), then
    image 2 under another illumination (gain and offset per channel) and sensor noise.

    Returns ``img1, img2, truth mask (H, W) bool, truth boxes (K, 4)``."""
    rng = np.random.default_rng(seed)
    w, h = size
    fine = cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 1.0)
    coarse = rng.normal(0, 1, (h // 16, w // 16, 3)).astype(np.float32)
    coarse = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    img1 = np.clip(100 + 107 * fine + 20 * coarse, 0, 255)
    img2 = img1.copy()
    truth = np.zeros((h, w), bool)
    boxes = []
    cols = w // 48
    for cell in rng.permutation(cols * (h // 48))[:n_blocks]:
        cx, cy = (cell % cols) * 48 + 24, (cell // cols) * 48 + 24
        bw, bh = (int(v) for v in rng.integers(8, 17, 2))
        x0 = int(cx - bw // 2 + rng.integers(-8, 9))
        y0 = int(cy - bh // 2 + rng.integers(-8, 9))
        img2[y0 : y0 + bh, x0 : x0 + bw] = rng.uniform(170, 220) + rng.normal(0, 4, (bh, bw, 3))
        truth[y0 : y0 + bh, x0 : x0 + bw] = True
        boxes.append((x0, y0, x0 + bw, y0 + bh))
    if river:
        band = np.zeros((h, w), np.uint8)
        pts = np.array([[0, h // 3], [w // 2, h // 2], [w, h // 4]], np.int32)
        cv2.polylines(band, [pts], False, 1, thickness=30)
        keep_off = cv2.dilate(truth.view(np.uint8), np.ones((9, 9), np.uint8)) > 0
        water = (band > 0) & ~keep_off
        img1[water] = img1[water] * 0.4 + np.float32([40, 70, 50]) * 0.6
        img2[water] = img2[water] * 0.4 + np.float32([120, 100, 70]) * 0.6
    img2 = img2 * np.float32([0.6, 0.7, 0.8]) + np.float32([70, 60, 50])
    img2 += rng.normal(0, 3, img2.shape)
    return _to8(img1), _to8(img2), truth, np.asarray(boxes, np.float32)


@pytest.mark.parametrize(
    ("box", "area", "expected"),
    [
        ((0, 0, 60, 60), 900, True),  # 36% of the map, filled 25%: a river's box
        ((0, 0, 60, 60), 3600, False),  # a full box that large: a recoloured panel
        ((0, 0, 40, 40), 400, False),  # 16% of the map: not large enough
        ((0, 0, 60, 60), 1799, True),  # just under half filled
    ],
    ids=["sparse-large", "compact-large", "small", "fill-limit"],
)
def test_spread_needs_a_large_and_sparse_box(box, area, expected):
    assert spread(np.array([box]), np.array([area]), (100, 100)).tolist() == [expected]


def _band_map() -> np.ndarray:
    """A 200x200 evidence map: a diagonal band at 1.5 (one spread change) with two blocks at 6
    on it, and one compact block at 3 elsewhere."""
    z = np.zeros((200, 200), np.float32)
    band = np.zeros((200, 200), np.uint8)
    cv2.line(band, (0, 0), (199, 199), 1, thickness=20)
    z[band > 0] = 1.5
    z[40:50, 40:50] = 6.0
    z[120:130, 120:130] = 6.0
    z[160:175, 10:25] = 3.0
    return z


def test_relative_to_spread_keeps_what_stands_out():
    z = _band_map()
    comps = find_components(z)
    groups = np.arange(len(comps))
    out = relative_to_spread(z, comps, groups)
    assert out is not None and out is not z and z[100, 100] == 1.5  # the input is not changed
    level = RELATIVE_SEED * 1.5
    assert out[100, 100] == pytest.approx(1.5 / level)  # the band: below the support level
    assert out[45, 45] == pytest.approx(6.0 / level)  # blocks on it stay seeds
    assert out[165, 15] == 3.0  # the compact block elsewhere is untouched
    again = find_components(out)
    assert sorted(again.areas.tolist()) == [100, 100, 225]


def test_relative_to_spread_none_without_a_spread_change():
    z = np.zeros((100, 100), np.float32)
    z[10:60, 10:60] = 2.0  # 25% of the map, full: compact
    comps = find_components(z)
    assert relative_to_spread(z, comps, np.zeros(len(comps), np.int64)) is None


@pytest.mark.parametrize("seed", [0, 1])
def test_aerial_pair_mask_and_boxes(seed):
    a, b, truth, blocks = aerial_pair(seed)
    result = find(a, b)
    mask = result.masks.union()
    ours, naive = mask_f1(mask, truth), mask_f1(absdiff_otsu(a, b).mask, truth)
    # measured: 0.87 / 0.93 (absdiff + Otsu 0.17 / 0.21); without the spread step the river is
    # one region over 38% of the picture and the mask F1 0.24 / 0.27
    assert ours >= 0.8 and ours >= 2 * naive
    w, h = result.image_size
    areas = (result.boxes[:, 2] - result.boxes[:, 0]) * (result.boxes[:, 3] - result.boxes[:, 1])
    assert areas.max() < 0.01 * w * h  # no region over the river
    assert 18 <= len(result) <= 22
    cx, cy = (blocks[:, 0] + blocks[:, 2]) / 2, (blocks[:, 1] + blocks[:, 3]) / 2
    hits = (
        (result.boxes[:, None, 0] <= cx)
        & (cx < result.boxes[:, None, 2])
        & (result.boxes[:, None, 1] <= cy)
        & (cy < result.boxes[:, None, 3])
    )
    assert (hits.sum(axis=0) == 1).all()  # every block inside exactly one box


def test_a_large_compact_recolour_stays_one_region():
    # a panel over 30% of the picture recoloured (a UI theme change): compact, not spread
    rng = np.random.default_rng(4)
    a = _to8(120 + rng.normal(0, 2, (300, 400, 3)))
    b = a.copy()
    b[40:240, 60:300] = _to8(b[40:240, 60:300].astype(np.float32) + np.float32([60, -40, 0]))
    result = find(a, b)
    assert len(result) == 1
    assert result.boxes[0].tolist() == pytest.approx([60, 40, 300, 240], abs=2)
