"""A pair's greys and their noise made once per find, equal to what each step made alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spotdiff.align.greys as greys_module
import spotdiff.align.sharpness as sharpness_module
from spotdiff.align import match_pair, register
from spotdiff.align.greys import PairGreys
from spotdiff.align.sharpness import noise_level
from spotdiff.detect import find


def _shifted(photo: np.ndarray, dx: float = 1.5, dy: float = -0.5) -> np.ndarray:
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    h, w = photo.shape[:2]
    return cv2.warpAffine(photo, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def test_greys_and_noise_equal_the_conversion_and_the_measure(photo):
    other = _shifted(photo)
    greys = PairGreys(photo, other)
    for i, img in enumerate((photo, other)):
        g = greys.grey(i)
        assert g is greys.grey(i)  # made once
        assert np.array_equal(g, cv2.cvtColor(img, cv2.COLOR_RGB2GRAY))
        assert greys.noise(g) == noise_level(g)
    copy = greys.grey(0).copy()  # an equal array that is not held: measured afresh
    assert greys.noise(copy) == noise_level(copy)


def test_greys_for_another_pair_keep_only_the_image_they_share(photo, monkeypatch):
    other, moved = _shifted(photo), _shifted(photo, 0.5, 0.5)
    greys = PairGreys(photo, other)
    g1 = greys.grey(0)
    greys.noise(g1)
    assert greys.for_pair(photo, other) is greys
    again = greys.for_pair(photo, moved)
    assert again.grey(0) is g1
    calls = []
    monkeypatch.setattr(greys_module, "noise_level", lambda g: calls.append(g) or 1.0)
    assert again.noise(g1) == noise_level(g1) and calls == []  # measured before, kept
    assert np.array_equal(again.grey(1), cv2.cvtColor(moved, cv2.COLOR_RGB2GRAY))
    assert again.noise(again.grey(1)) == 1.0 and len(calls) == 1  # image 2 anew


def test_registration_on_the_greys_equals_registration_on_the_colour_images(photo):
    other = _shifted(photo, 2.5, -1.5)
    greys = PairGreys(photo, other)
    on_colour = register(photo, other)
    on_greys = register(greys.grey(0), greys.grey(1))
    assert on_greys.method == on_colour.method
    assert np.array_equal(on_greys.transform, on_colour.transform)
    assert on_greys.ncc_after == on_colour.ncc_after


def test_a_pair_with_identity_tone_shares_image_2s_grey_and_matches_as_alone(photo):
    other = _shifted(photo)
    quiet = np.zeros(photo.shape[:2], bool)
    greys = PairGreys(photo, other)
    shared = match_pair(photo, other, quiet, warped=True, greys=greys)
    alone = match_pair(photo, other, quiet, warped=True)
    assert not any(shared.tone.moved())
    assert shared.greys is greys
    for name in ("img1", "lo2", "hi2", "mid2", "gray1", "gray2", "unreliable"):
        assert np.array_equal(getattr(shared, name), getattr(alone, name)), name
    assert shared.blur == alone.blur and shared.blur[0] > 0
    # the grey of image 2 through identity curves is image 2's own grey, as it came
    assert greys.grey(1) is shared.gray2 or shared.blur[1] > 0
    assert np.array_equal(greys.grey(1), cv2.cvtColor(shared.mid2, cv2.COLOR_RGB2GRAY))


def test_a_tone_change_or_a_quiet_area_converts_image_2_through_its_curves(photo):
    dim = np.clip(photo.astype(np.float64) * 0.8 + 20, 0, 255).astype(np.uint8)
    quiet = np.zeros(photo.shape[:2], bool)
    greys = PairGreys(photo, dim)
    pair = match_pair(photo, dim, quiet, warped=False, sharpness=False, greys=greys)
    assert any(pair.tone.moved())
    assert np.array_equal(pair.gray2, cv2.cvtColor(pair.mid2, cv2.COLOR_RGB2GRAY))
    assert not np.array_equal(pair.gray2, greys.grey(1))
    quiet[:, :40] = True
    other = _shifted(photo)
    pair = match_pair(photo, other, quiet, warped=False, sharpness=False, greys=greys)
    assert pair.greys is not greys  # made for other arrays: greys of its own
    assert np.array_equal(pair.gray2, cv2.cvtColor(pair.mid2, cv2.COLOR_RGB2GRAY))


@pytest.mark.parametrize(
    ("moved", "measures"),
    [
        (False, 2),  # image 2 not moved: image 2 as it came is what the sharpness step greys
        (True, 3),  # warped, its uncovered border filled from image 1: image 2's grey anew
    ],
)
def test_find_measures_each_grey_images_noise_once(photo, monkeypatch, moved, measures):
    # the sharpness step and the maps step's relative noise measured image 1 and image 2 as
    # they came twice each (4 measures); now image 1 once, image 2 once when not moved
    other = _shifted(photo, 2.5, -1.5) if moved else cv2.GaussianBlur(photo, (0, 0), 1.0)
    other[100:160, 200:280] = (30, 200, 40)
    expected = find(photo, other)
    calls = []

    def counted(g):
        calls.append(g.shape)
        return noise_level(g)

    monkeypatch.setattr(greys_module, "noise_level", counted)
    monkeypatch.setattr(sharpness_module, "noise_level", counted)
    monkeypatch.setattr("spotdiff.maps.noise.noise_level", counted)
    got = find(photo, other)
    assert (got.metadata["registration"]["method"] != "identity") == moved
    assert max(got.metadata["sharpness_blur"]) > 0  # the sharpness step measured the noise
    assert len(calls) == measures
    assert np.array_equal(got.boxes, expected.boxes)
    assert np.array_equal(got.scores, expected.scores)
    assert np.array_equal(got.diff_map, expected.diff_map)
    assert got.metadata["scale_evidence"] == expected.metadata["scale_evidence"]
