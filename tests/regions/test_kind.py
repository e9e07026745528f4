"""added / removed / changed on a real photograph."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.regions import kind
from spotdiff.regions.kind import classify_kind, held_apart

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


def test_inpainting_runs_only_where_the_score_could_decide(scene, monkeypatch):
    # one object replaced by another of like contrast: no colour/edge cue either way, so the
    # costly inpainting cue cannot make it added or removed and is never computed
    table, _, mask = scene
    astronaut, rocket = (
        cv2.resize(x, (300, 200), interpolation=cv2.INTER_AREA)
        for x in (skdata.astronaut(), skdata.rocket())
    )
    before, after, cat = table.copy(), table.copy(), table.copy()
    before[mask], after[mask] = astronaut[mask], rocket[mask]
    cat[mask] = cv2.resize(skdata.chelsea(), (300, 200), interpolation=cv2.INTER_AREA)[mask]
    crop, origin = _crop(mask)
    calls = []
    inpaint_error = kind._inpaint_error
    monkeypatch.setattr(kind, "_inpaint_error", lambda *a: calls.append(1) or inpaint_error(*a))
    assert classify_kind(before, after, crop, origin) == "changed" and calls == []
    assert classify_kind(before, cat, crop, origin) == "removed" and calls == [1, 1]


def test_held_apart_is_added_beside_removed_side_by_side_only():
    boxes = np.array([[0, 0, 10, 20], [14, 5, 20, 8], [30, 0, 40, 10], [0, 24, 8, 30]])
    held = held_apart(["added", "removed", "changed", "added"], boxes)
    assert held.dtype == bool and held.shape == (4, 4)
    assert held[0, 1] and held[1, 0]  # side by side, one added, one removed
    assert held[1, 3] and not held[0, 3]  # two added: never apart from each other
    assert not held[:, 2].any() and not held.diagonal().any()  # "changed" parts nothing
    # a removed piece inside the added one's extent: the pieces interleave, one change
    inside = np.vstack([boxes[:2], [[2, 2, 6, 6]]])
    assert not held_apart(["added", "removed", "removed"], inside).any()
