"""added / removed / changed on a real photograph."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.regions.kind import classify_kind

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A coffee-table photo, a textured object (a cat's face) and its elliptical mask."""
    table = cv2.resize(skdata.coffee(), (300, 200), interpolation=cv2.INTER_AREA)
    cat = cv2.resize(skdata.chelsea(), (300, 200), interpolation=cv2.INTER_AREA)
    mask = np.zeros((200, 300), np.uint8)
    cv2.ellipse(mask, (230, 60), (35, 28), 0, 0, 360, 1, -1)
    with_cat = table.copy()
    with_cat[mask > 0] = cat[mask > 0]
    return table, with_cat, mask > 0


def _crop(mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    ys, xs = np.nonzero(mask)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], (int(xs.min()), int(ys.min()))


def test_added_and_removed(scene):
    table, with_cat, mask = scene
    crop, origin = _crop(mask)
    assert classify_kind(table, with_cat, crop, origin) == "added"
    assert classify_kind(with_cat, table, crop, origin) == "removed"


def test_inpainted_away_is_removed(scene):
    _, with_cat, mask = scene
    hole = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    erased = cv2.inpaint(with_cat, hole, 5, cv2.INPAINT_TELEA)
    crop, origin = _crop(mask)
    assert classify_kind(with_cat, erased, crop, origin) == "removed"


def test_recoloured_is_changed(scene):
    _, with_cat, mask = scene
    hsv = cv2.cvtColor(with_cat, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(int) + 70) % 180
    recoloured = with_cat.copy()
    recoloured[mask] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[mask]
    crop, origin = _crop(mask)
    assert classify_kind(with_cat, recoloured, crop, origin) == "changed"


def test_degenerate_regions_are_changed(scene):
    table, with_cat, _ = scene
    assert classify_kind(table, with_cat, np.ones((1, 2), bool), (5, 5)) == "changed"
    whole = np.ones(table.shape[:2], bool)  # no ring around it
    assert classify_kind(table, with_cat, whole, (0, 0)) == "changed"
