"""spotdiff.grounding.colours: the CIELAB nearest-colour table."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.grounding.colours import (
    ALIASES,
    COLOUR_NAMES,
    PROTOTYPES,
    colour_index,
    colour_shares,
    dominant_colour,
    name_pixels,
)


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((255, 0, 0), "red"), ((0, 0, 255), "blue"), ((0, 128, 0), "green"),
        ((255, 255, 0), "yellow"), ((128, 0, 128), "purple"), ((255, 165, 0), "orange"),
        ((139, 69, 19), "brown"), ((250, 250, 250), "white"), ((10, 10, 10), "black"),
        ((128, 128, 128), "grey"), ((0, 255, 255), "cyan"), ((255, 192, 203), "pink"),
        ((70, 130, 180), "blue"), ((34, 139, 34), "green"),
    ],
)  # fmt: skip
def test_web_colours_get_their_names(rgb, name):
    assert COLOUR_NAMES[name_pixels(np.array([rgb], np.uint8))[0]] == name


def test_every_prototype_is_its_own_name():
    for name, protos in PROTOTYPES.items():
        got = name_pixels(np.array(protos, np.uint8))
        assert all(COLOUR_NAMES[i] == name for i in got), name


def test_aliases_point_at_names():
    assert set(ALIASES.values()) <= set(COLOUR_NAMES)
    assert colour_index("Gray") == COLOUR_NAMES.index("grey")
    assert colour_index("navy") == COLOUR_NAMES.index("blue")
    assert colour_index("table") is None


def test_shares_sum_to_one_and_are_deterministic():
    rng = np.random.default_rng(0)
    px = np.concatenate([np.tile([[220, 20, 20]], (6000, 1)), rng.integers(0, 255, (4000, 3))])
    s1, s2 = colour_shares(px.astype(np.uint8)), colour_shares(px.astype(np.uint8))
    assert s1.sum() == pytest.approx(1.0)
    assert np.array_equal(s1, s2)
    assert dominant_colour(s1) == "red"
    assert s1[COLOUR_NAMES.index("red")] > 0.55


def test_no_pixels_no_colour():
    shares = colour_shares(np.zeros((0, 3), np.uint8))
    assert shares.sum() == 0 and dominant_colour(shares) == ""
