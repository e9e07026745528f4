"""The signature of a changed piece: colours, structure kept or new, and when two pieces
changed otherwise."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.regions.signature import Signatures, changed_otherwise, signatures, with_colours

RED, BLUE, WALL, GREY = (200, 40, 40), (40, 70, 200), (200, 200, 190), (90, 90, 90)


def _striped(colour) -> np.ndarray:
    img = np.full((40, 40, 3), colour, np.uint8)
    img[:, ::6] = np.asarray(colour) // 3
    return img


def _pair() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Left 40 x 40: stripes red -> blue (kept); right: a grey square outlined on the wall
    (new); labels 1 and 2, their boxes."""
    rgb1 = np.full((60, 100, 3), WALL, np.uint8)
    rgb2 = rgb1.copy()
    rgb1[10:50, 5:45], rgb2[10:50, 5:45] = _striped(RED), _striped(BLUE)
    rgb2[10:50, 55:95] = (20, 20, 20)
    rgb2[13:47, 58:92] = GREY
    labels = np.zeros((60, 100), np.int32)
    labels[10:50, 5:45], labels[8:52, 53:97] = 1, 2
    return rgb1, rgb2, labels, np.array([[5, 10, 45, 50], [53, 8, 97, 52]])


def test_recolour_is_kept_an_outlined_object_is_new():
    sig = signatures(*_pair())
    assert sig.structure.tolist() == [1, -1]
    assert np.linalg.norm(sig.colours[0, 0] - sig.colours[0, 1]) > 100  # red -> blue
    assert changed_otherwise(sig, 0, 1, distance=0.0)  # touching: still two changes


def test_same_colours_and_structure_never_part_touching_pieces():
    rgb1, rgb2, labels, boxes = _pair()
    rgb2[10:50, 55:95] = rgb2[10:50, 5:45]  # the right piece recoloured the same way
    rgb1[10:50, 55:95] = rgb1[10:50, 5:45]
    sig = signatures(rgb1, rgb2, labels, boxes)
    assert sig.structure.tolist() == [1, 1]
    assert not changed_otherwise(sig, 0, 1, distance=0.0)


def test_colours_alone_part_pieces_only_beyond_the_window():
    colours = np.array([[[50, 128, 128], [200, 128, 128]], [[120, 180, 90], [120, 60, 160]]])
    sig = Signatures(colours.astype(np.float32), np.zeros(2, np.int8))
    assert not changed_otherwise(sig, 0, 1, distance=3.0)  # a string of flags of two colours
    assert changed_otherwise(sig, 0, 1, distance=12.0)


def test_shared_conversions_give_the_signatures_of_per_piece_conversions():
    # split converts a component's window once and hands it to every call
    rng = np.random.default_rng(3)
    rgb1, rgb2, labels, boxes = _pair()
    rgb1 = np.clip(rgb1 + rng.normal(0, 6, rgb1.shape), 0, 255).astype(np.uint8)
    lab = tuple(cv2.cvtColor(x, cv2.COLOR_RGB2LAB) for x in (rgb1, rgb2))
    grey = tuple(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (rgb1, rgb2))
    for colours in (True, False):
        plain = signatures(rgb1, rgb2, labels, boxes, colours=colours)
        shared = signatures(rgb1, rgb2, labels, boxes, colours=colours, lab=lab, grey=grey)
        assert plain.structure.tolist() == [1, -1]
        np.testing.assert_array_equal(shared.structure, plain.structure)
        np.testing.assert_array_equal(shared.colours, plain.colours)


@pytest.mark.parametrize(
    ("left", "before", "after"),
    [("recoloured", 1, 1), ("brightened", 1, 0)],  # brightened by 8: edges kept, colours alike
)
def test_with_colours_completes_a_first_look_into_the_signatures(left, before, after):
    rgb1, rgb2, labels, boxes = _pair()
    if left == "brightened":
        rgb2[10:50, 5:45] = rgb1[10:50, 5:45] + 8
    plain = signatures(rgb1, rgb2, labels, boxes)
    first = signatures(rgb1, rgb2, labels, boxes, colours=False)
    assert first.structure.tolist() == [before, -1] and plain.structure.tolist() == [after, -1]
    full = with_colours(first, rgb1, rgb2, labels, boxes)
    np.testing.assert_array_equal(full.colours, plain.colours)
    np.testing.assert_array_equal(full.structure, plain.structure)
    kept = with_colours(first, rgb1, rgb2, labels, boxes, pieces=first.structure > 0)
    np.testing.assert_array_equal(kept.structure, plain.structure)
    assert not kept.colours[1].any()  # the new piece's colours left unmeasured
