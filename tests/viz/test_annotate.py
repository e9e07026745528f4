"""Annotated pairs, heatmap overlays and masks (spotdiff.viz.annotate)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spotdiff import InvalidOptionError, LayoutError
from spotdiff.result import DiffResult
from spotdiff.viz import (
    KIND_COLOURS,
    annotate_pair,
    colorize,
    heatmap_overlay,
    mask_image,
)
from spotdiff.viz.annotate import default_thickness

GREY = 128
GREEN, RED, ORANGE = KIND_COLOURS["added"], KIND_COLOURS["removed"], KIND_COLOURS["changed"]


def _grey(h: int = 120, w: int = 160) -> np.ndarray:
    return np.full((h, w, 3), GREY, dtype=np.uint8)


def _result(boxes, kinds=None, *, size=(160, 120), transform=None, aligned=False) -> DiffResult:
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    data = {} if kinds is None else {"kind": np.asarray(kinds)}
    return DiffResult(boxes=boxes, data=data, image_size=size, transform=transform, aligned=aligned)


def _is(pixel: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return tuple(int(v) for v in pixel) == colour


def _coloured(panel: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    return (panel == np.asarray(colour, dtype=np.uint8)).all(axis=2)


# ---------------------------------------------------------------------------- annotate_pair
def test_side_by_side_layout_gap_and_unchanged_inside():
    a, b = _grey(), _grey()
    out = annotate_pair(a, b, _result([[40, 30, 80, 70]], ["added"]), labels=False, gap=10)
    assert out.shape == (120, 160 + 10 + 160, 3) and out.dtype == np.uint8
    assert (out[:, 160:170] == 255).all()  # the gap is white
    left, right = out[:, :160], out[:, 170:]
    # frame 2 px (default below 1000 px) just outside the box; the box's pixels are not covered
    assert default_thickness(160, 120) == 2
    assert (left[30:70, 40:80] == GREY).all() and (right[30:70, 40:80] == GREY).all()
    for panel in (left, right):
        assert _is(panel[29, 50], GREEN) and _is(panel[28, 50], GREEN)
        assert _is(panel[50, 80], GREEN) and _is(panel[50, 81], GREEN)
        assert _is(panel[27, 50], (GREY,) * 3) and _is(panel[50, 82], (GREY,) * 3)
    assert (a == GREY).all() and (b == GREY).all()  # inputs untouched


def test_colour_by_kind_and_default_for_missing_kind():
    result = _result([[10, 10, 40, 40], [60, 10, 90, 40], [110, 10, 140, 40]])
    out = annotate_pair(_grey(), _grey(), result, labels=False, gap=0)
    assert _is(out[25, 9], ORANGE)  # no kind recorded: drawn as "changed"
    kinds = ["added", "removed", "changed"]
    out = annotate_pair(_grey(), _grey(), _result(result.boxes, kinds), labels=False, gap=0)
    for x, colour in ((9, GREEN), (59, RED), (109, ORANGE)):
        assert _is(out[25, x], colour) and _is(out[25, 160 + x], colour)


def test_numbers_are_drawn_above_the_box_or_inside_at_the_top_edge():
    boxes = [[40, 60, 80, 100], [100, 0, 140, 30]]
    plain = annotate_pair(_grey(), _grey(), _result(boxes, ["added"] * 2), labels=False, gap=0)
    labelled = annotate_pair(_grey(), _grey(), _result(boxes, ["added"] * 2), gap=0)
    changed = (plain != labelled).any(axis=2)
    rows = np.flatnonzero(changed[:, :100].any(axis=1))
    assert rows.max() < 60 and rows.min() > 30  # label 1 sits on top of box 1
    tag = labelled[rows.min() : rows.max() + 1, 40:60]
    assert _coloured(tag, GREEN).mean() > 0.4  # a filled green tag ...
    assert _coloured(tag, (255, 255, 255)).any()  # ... with white digits
    rows2 = np.flatnonzero(changed[:, 100:160].any(axis=1))
    assert rows2.min() >= 0 and rows2.max() < 30  # label 2: no room above, drawn inside
    assert changed[:, 160:].any()  # same labels on image 2


def test_lines_and_labels_scale_with_the_image():
    assert [default_thickness(w, h) for w, h in ((160, 120), (1920, 1080), (3840, 2160))] == [
        2,
        4,
        8,
    ]
    big = _grey(1080, 1920)
    out = annotate_pair(big, big, _result([[800, 500, 1000, 700]], ["removed"], size=(1920, 1080)))
    left = out[:, :1920]
    assert _coloured(left[600:601, 790:800], RED).sum() == 4  # 4 px frame outside the box
    tag_rows = np.flatnonzero(_coloured(left[:500, 800:820], RED).any(axis=1))
    assert tag_rows.size >= 40  # the number's tag is >= 40 px tall at 1080p (1/45 of 1920)


def test_boxes_on_image_2_follow_the_alignment():
    # image 2 is image 1 shifted right by 10 px: x1 = x2 - 10, so a box at x=40..80 in image 1
    # surrounds x=50..90 in image 2
    shift = np.array([[1.0, 0, -10], [0, 1, 0], [0, 0, 1]])
    result = _result([[40, 30, 80, 70]], ["changed"], transform=shift, aligned=True)
    out = annotate_pair(_grey(), _grey(), result, labels=False, gap=0)
    right = out[:, 160:]
    assert _is(right[50, 49], ORANGE) and _is(right[50, 90], ORANGE)
    assert _is(right[50, 39], (GREY,) * 3)
    same = annotate_pair(_grey(), _grey(), result, labels=False, gap=0, follow_alignment=False)
    assert _is(same[50, 160 + 39], ORANGE) and _is(same[50, 160 + 49], (GREY,) * 3)


def test_a_rotation_draws_a_rotated_frame():
    angle = math.radians(10)
    c, s = math.cos(angle), math.sin(angle)
    centre = np.array([80.0, 60.0])
    rot = np.eye(3)
    rot[:2, :2] = [[c, -s], [s, c]]
    rot[:2, 2] = centre - rot[:2, :2] @ centre
    result = _result([[50, 40, 110, 80]], ["added"], transform=rot, aligned=True)
    right = annotate_pair(_grey(), _grey(), result, labels=False, gap=0)[:, 160:]
    # box corners (pixel edges) are mapped as pixel centres x - 0.5 through R^-1 into image 2
    inverse = np.linalg.inv(rot)
    for corner in ((49.5, 39.5), (109.5, 39.5), (109.5, 79.5), (49.5, 79.5)):
        x, y = (round(v) for v in (inverse @ np.array([*corner, 1.0]))[:2])
        assert _coloured(right[y - 2 : y + 3, x - 2 : x + 3], GREEN).any()
    # the unrotated top-right corner (110, 39) stays grey: the mapped one is at (105.5, 34.7)
    assert not _coloured(right[37:42, 110:114], GREEN).any()
    assert _coloured(right[38:40, 48:50], (GREY,) * 3).all()  # nor the top-left (49, 39)


def test_resized_image_2_scales_the_frames():
    result = _result([[40, 30, 80, 70]], ["added"])
    big2 = _grey(240, 320)
    out = annotate_pair(_grey(), big2, result, labels=False, gap=0)
    assert out.shape == (240, 480, 3)
    right = out[:, 160:]
    assert _is(right[100, 79], GREEN) and _is(right[100, 160], GREEN)  # x 80..160 at scale 2
    padded = annotate_pair(_grey(), big2, result, labels=False, gap=0, size_mismatch="pad")
    assert _is(padded[50, 160 + 39], GREEN)
    with pytest.raises(InvalidOptionError, match="size_mismatch"):
        annotate_pair(_grey(), big2, result, size_mismatch="stretch")


def test_empty_result_and_bad_inputs():
    out = annotate_pair(_grey(), _grey(), DiffResult.empty((160, 120)))
    assert (out[:, :160] == GREY).all() and (out[:, -160:] == GREY).all()
    with pytest.raises(LayoutError, match=r"img1 must be uint8.*to_rgb8"):
        annotate_pair(_grey().astype(np.float32), _grey(), DiffResult.empty((160, 120)))
    with pytest.raises(LayoutError, match=r"img2 must have shape \(H, W, 3\)"):
        annotate_pair(_grey(), _grey()[..., 0], DiffResult.empty((160, 120)))
    with pytest.raises(InvalidOptionError, match="thickness"):
        annotate_pair(_grey(), _grey(), DiffResult.empty((160, 120)), thickness=0)
    with pytest.raises(InvalidOptionError, match="gap"):
        annotate_pair(_grey(), _grey(), DiffResult.empty((160, 120)), gap=-1)


# ---------------------------------------------------------------------------- heatmap_overlay
def test_heatmap_overlay_blends_the_colormap_over_image_1():
    img = _grey()
    diff_map = np.zeros((120, 160), dtype=np.float32)
    diff_map[40:60, 50:70] = 2.0
    heat = colorize(diff_map, colormap="inferno", vmin=0, vmax=2)
    assert np.array_equal(heatmap_overlay(img, diff_map, alpha=0.0), img)
    assert np.array_equal(heatmap_overlay(img, diff_map, alpha=1.0, vmax=2.0), heat)
    half = heatmap_overlay(img, diff_map, vmin=0.0, vmax=2.0)
    expected = (0.5 * img.astype(np.float64) + 0.5 * heat).round()
    assert np.abs(half.astype(np.float64) - expected).max() <= 1
    assert half[50, 60].astype(int).sum() > half[10, 10].astype(int).sum() + 200


def test_heatmap_overlay_crops_a_padded_map_and_rejects_a_small_one():
    img = _grey()
    assert heatmap_overlay(img, np.ones((130, 170), np.float32)).shape == (120, 160, 3)
    with pytest.raises(LayoutError, match="covering image 1"):
        heatmap_overlay(img, np.ones((60, 80), np.float32))
    with pytest.raises(InvalidOptionError, match="alpha"):
        heatmap_overlay(img, np.ones((120, 160), np.float32), alpha=1.5)
    with pytest.raises(InvalidOptionError, match="colormap must be one of"):
        heatmap_overlay(img, np.ones((120, 160), np.float32), colormap="rainbowz")


# ---------------------------------------------------------------------------- mask_image
def test_mask_is_the_union_of_region_masks():
    masks = np.zeros((2, 120, 160), dtype=bool)
    masks[0, 10:20, 10:30] = True
    masks[1, 15:40, 25:35] = True
    result = DiffResult(boxes=[[10, 10, 30, 20], [25, 15, 35, 40]], masks=masks)
    out = mask_image(result)
    assert out.shape == (120, 160) and out.dtype == np.uint8
    assert set(np.unique(out).tolist()) == {0, 255}
    assert np.array_equal(out == 255, masks.any(axis=0))
    assert (out == 255).sum() == 200 + 250 - 25


def test_mask_from_boxes_ignore_and_size():
    result = _result([[10, 10, 30, 20], [100, 50, 170, 130]], ["added", "removed"])
    out = mask_image(result)
    assert (out == 255).sum() == 20 * 10 + 60 * 70  # second box clipped to 160x120
    cleared = mask_image(result, ignore=[(0, 0, 160, 60)])
    assert (cleared == 255).sum() == 60 * 60
    small = mask_image(result, (140, 100))
    assert small.shape == (100, 140) and (small == 255).sum() == 200 + 40 * 50
    with pytest.raises(InvalidOptionError, match="size"):
        mask_image(DiffResult(boxes=np.zeros((0, 4))))


def test_mask_of_an_empty_result_is_black():
    out = mask_image(DiffResult.empty((160, 120), masks=True))
    assert out.shape == (120, 160) and not out.any()


# ---------------------------------------------------------------------------- naming
def test_public_signatures_name_the_images_img1_img2():
    import inspect

    assert list(inspect.signature(annotate_pair).parameters)[:3] == ["img1", "img2", "result"]
    assert list(inspect.signature(heatmap_overlay).parameters)[:2] == ["img1", "diff_map"]
    out = annotate_pair(img1=_grey(), img2=_grey(), result=DiffResult.empty((160, 120)))
    assert out.shape == (120, 328, 3)
    assert heatmap_overlay(img1=_grey(), diff_map=np.zeros((120, 160))).shape == (120, 160, 3)
