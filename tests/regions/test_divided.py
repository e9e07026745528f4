"""Two changes a few px apart, each inside its own outlined shape, are two boxes; one object
seen past a line, or recoloured around letters, stays one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.detect import find
from spotdiff.evaluation.metrics import box_iou
from spotdiff.regions.components import find_components
from spotdiff.regions.divided import divided_pairs

from ..realpairs import find_counts, needs_realpairs

INK = (30, 30, 30)


def _scanned(img: np.ndarray) -> np.ndarray:
    """Grain of a scan (gaussian noise, sigma 3) saved as JPEG: not a render."""
    noise = np.random.default_rng(0).normal(0, 3, img.shape)
    _, buf = cv2.imencode(".jpg", np.clip(img + noise, 0, 255).astype(np.uint8)[:, :, ::-1])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1].copy()


def _zigzag(img: np.ndarray, x0: int, y0: int, w: int = 30, h: int = 60) -> list[int]:
    """A zigzag line (a gear's teeth) drawn at ``(x0, y0)``; its box, xyxy."""
    pts = np.array([[x0 + (i % 2) * w, y0 + i * h // 6] for i in range(7)], np.int32)
    cv2.polylines(img, [pts], False, INK, 2)
    return [x0 - 1, y0 - 1, x0 + w + 2, y0 + h + 2]


def _shapes(gap: int, *, added: bool) -> tuple[np.ndarray, list[list[int]]]:
    """Two outlined squares side by side, ``gap`` px between their outlines (0: one wall);
    with a zigzag ``added`` inside each, 9 + ``gap`` px apart across the outlines."""
    img = np.full((400, 400, 3), 255, np.uint8)
    cv2.rectangle(img, (100, 150), (199, 250), INK, 2)
    cv2.rectangle(img, (200 + gap, 150), (300 + gap, 250), INK, 2)
    boxes = []
    if added:
        boxes = [_zigzag(img, 164, 170), _zigzag(img, 203 + gap, 170)]
    return img, boxes


@pytest.mark.parametrize(("gap", "scan"), [(0, True), (2, True), (0, False)])
def test_objects_added_inside_two_outlined_shapes_are_two_boxes(gap, scan):
    """A gear added inside each of two wheels, 9-11 px apart with the wheels' outlines between
    them: one box before (the distance rule joined them), two now."""
    a, _ = _shapes(gap, added=False)
    b, truth = _shapes(gap, added=True)
    if scan:
        a, b = _scanned(a), _scanned(b)
    r = find(a, b)
    ious = box_iou(r.boxes, np.array(truth, np.float32))
    assert len(r) == 2 and (ious.max(0) >= 0.6).all(), r.boxes


@pytest.mark.parametrize("scan", [True, False])
def test_object_added_behind_a_line_is_one_box(scan):
    """A zigzag drawn behind a pole (a short line, unchanged): its two pieces lie in one
    segment of the drawing (around the pole's ends), one box."""
    a = np.full((400, 400, 3), 255, np.uint8)
    cv2.line(a, (200, 120), (200, 260), INK, 2)
    b = a.copy()
    left, right = _zigzag(b, 160, 170, w=34), _zigzag(b, 206, 170, w=34)
    if scan:
        a, b = _scanned(a), _scanned(b)
    r = find(a, b)
    assert len(r) == 1
    x0, y0, x1, y1 = r.boxes[0]
    assert x0 <= left[0] + 4 and x1 >= right[2] - 4 and y0 <= left[1] + 4 and y1 >= left[3] - 4


def _pieces(line: tuple[int, int] | None, *, colour=INK, before=(255, 255, 255)):
    """Two blobs 16 px apart (``colour`` on ``before``, image 2), optionally a vertical line at
    x = 100 from ``line[0]`` to ``line[1]`` drawn in both images (from 0 to 199: across the
    picture, two segments); the evidence z of the blobs with the structural window's spread;
    their components."""
    a = np.full((200, 200, 3), 255, np.uint8)
    a[80:120, 84:92] = a[80:120, 108:116] = before
    if line is not None:
        cv2.line(a, (100, line[0]), (100, line[1]), INK, 2)
    b = a.copy()
    b[80:120, 84:92] = b[80:120, 108:116] = colour
    z = np.zeros((200, 200), np.float32)
    z[80:120, 84:92] = z[80:120, 108:116] = 3.0
    z = cv2.GaussianBlur(z, (0, 0), 2.0)
    comps = find_components(z, low=0.5)
    return z, comps, a, b


@pytest.mark.parametrize(
    ("line", "colour", "before", "divided"),
    [
        ((0, 199), INK, (255, 255, 255), True),  # a wall across: two segments, blobs added
        (None, INK, (255, 255, 255), False),  # nothing drawn between: the distance rule's
        ((90, 110), INK, (255, 255, 255), False),  # a short line: a path around it
        ((40, 160), INK, (255, 255, 255), False),  # across the band, not the picture
        ((0, 199), (40, 70, 200), (200, 40, 40), False),  # recoloured: the band kept white
    ],
)
def test_divided_pairs_needs_a_line_a_segment_each_and_their_background(
    line, colour, before, divided
):
    z, comps, a, b = _pieces(line, colour=colour, before=before)
    assert len(comps) == 2
    out = divided_pairs(z, comps, a, b, low=0.5, reach=16.0)
    assert out.shape == (2, 2) and not out.diagonal().any()
    assert out[0, 1] == out[1, 0] == divided
    assert not divided_pairs(z, comps, a, b, low=0.5, reach=0.0).any()  # none judged


@needs_realpairs
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_gears_in_two_wheels_are_two_boxes_and_a_button_one():
    """puzzle_traffic: the gears added in two wheels, 8 px apart (10 TP / 0 FP / 1 FN before,
    11 / 0 / 0 now); ui_signin_button: the button recoloured around its white letters (the
    colour inside the ``g`` changed too: no background) stays one box."""
    for name, counts in (("puzzle_traffic", (11, 0, 0)), ("ui_signin_button", (1, 0, 0))):
        c = find_counts(name)
        assert (c.tp, c.fp, c.fn) == counts, (name, c)
