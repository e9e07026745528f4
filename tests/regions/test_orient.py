"""Text direction of a render, and find's boxes under flips and quarter turns."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spotdiff
from spotdiff.regions.group import image_objects
from spotdiff.regions.orient import oriented_objects, text_runs_down

from .test_divided import INK, _zigzag


def _page() -> np.ndarray:
    """A render of seven text lines, four words each (2 px glyph strokes, words 16 px apart:
    farther than the distance rule joins, within a text row's word gap)."""
    img = np.full((240, 360, 3), 250, np.uint8)
    for row, y in enumerate(range(30, 220, 30)):
        x = 20 + 7 * row
        for word in range(4):
            w = 28 + 6 * ((row + word) % 3)
            for gx in range(x, x + w, 4):
                img[y : y + 12, gx : gx + 2] = 30
            x += w + 16
    return img


def _pair() -> tuple[np.ndarray, np.ndarray]:
    a = _page()
    b = a.copy()
    b[120:132] = 250  # the fourth line removed
    return a, b


# (name, image transform, box transform for an image of (w, h))
TURNS = [
    ("hflip", lambda x: x[:, ::-1], lambda b, w, h: [w - b[2], b[1], w - b[0], b[3]]),
    ("vflip", lambda x: x[::-1], lambda b, w, h: [b[0], h - b[3], b[2], h - b[1]]),
    ("rot90", lambda x: np.rot90(x), lambda b, w, h: [b[1], w - b[2], b[3], w - b[0]]),
    ("rot270", lambda x: np.rot90(x, -1), lambda b, w, h: [h - b[3], b[0], h - b[1], b[2]]),
]


def test_text_runs_down_follows_the_lines():
    g = _page()[..., 0]
    assert not text_runs_down(g, g)
    assert text_runs_down(np.ascontiguousarray(g.T), np.ascontiguousarray(g.T))
    assert not text_runs_down(np.ascontiguousarray(g[::-1, ::-1]), g[::-1, ::-1].copy())
    flat = np.full((64, 64), 200, np.uint8)
    assert not text_runs_down(flat, flat)  # no text: rows kept


def test_oriented_objects_of_a_turned_page_are_the_objects_turned():
    g = _page()[..., 0]
    t = np.ascontiguousarray(g.T)
    turned = oriented_objects(t, t)
    np.testing.assert_array_equal(turned > 0, (image_objects(g, g) > 0).T)
    assert len(np.unique(turned[t < 128])) == 7  # one object per line, as read by rows
    np.testing.assert_array_equal(oriented_objects(g, g), image_objects(g, g))


@pytest.mark.parametrize("name,turn,box_turn", TURNS, ids=[t[0] for t in TURNS])
def test_find_gives_the_same_box_turned(name, turn, box_turn):
    a, b = _pair()
    h, w = a.shape[:2]
    plain = spotdiff.find(a, b)
    np.testing.assert_array_equal(plain.boxes, [[41, 120, 217, 132]])  # the line, one box
    got = spotdiff.find(np.ascontiguousarray(turn(a)), np.ascontiguousarray(turn(b)))
    np.testing.assert_array_equal(got.boxes, [box_turn(plain.boxes[0], w, h)])
    np.testing.assert_allclose(got.scores, plain.scores, atol=1e-6)


def test_a_pole_and_two_tall_strokes_are_not_text_running_down():
    """One long vertical line and two zigzags taller than wide (test_divided's pole) are thin and long down the
    columns, but they are not lines of text: the rows are kept (the page turned is read down)."""
    a = np.full((400, 400, 3), 255, np.uint8)
    cv2.line(a, (200, 120), (200, 260), INK, 2)
    b = a.copy()
    _zigzag(b, 160, 170, w=34), _zigzag(b, 206, 170, w=34)
    g, other = a[..., 0].copy(), b[..., 0].copy()
    assert not text_runs_down(g, other)
    page = np.ascontiguousarray(_page()[..., 0])
    assert text_runs_down(page.T, page.T) and not text_runs_down(page, page)
