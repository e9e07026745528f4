"""Thresholds from noise and sensitivity, and the evidence map."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.maps.evidence import (
    COLOUR_FLOOR,
    COLOUR_PER_NOISE,
    GLOBAL_MAX_MEDIAN,
    GLOBAL_MEDIAN,
    REPLACED_SHARE,
    STRUCTURE_FLOOR,
    auto_thresholds,
    evidence,
    global_level,
    replaced,
)


@pytest.mark.parametrize(
    ("noise", "sensitivity", "threshold", "colour", "structure"),
    [
        (0.0, 0.5, None, COLOUR_FLOOR, STRUCTURE_FLOOR),
        (10.0, 0.5, None, 10 * COLOUR_PER_NOISE, STRUCTURE_FLOOR),
        (0.0, 1.0, None, COLOUR_FLOOR / 2, STRUCTURE_FLOOR / 2),
        (0.0, 0.0, None, COLOUR_FLOOR * 2, STRUCTURE_FLOOR * 2),
        (10.0, 0.5, 12.0, 12.0, STRUCTURE_FLOOR / 2),  # fixed: noise ignored
    ],
)
def test_auto_thresholds(noise, sensitivity, threshold, colour, structure):
    t = auto_thresholds(noise, sensitivity=sensitivity, threshold=threshold)
    assert t.colour == pytest.approx(colour) and t.structure == pytest.approx(structure)
    assert t.low == 0.5


def test_evidence_is_the_larger_ratio():
    t = auto_thresholds(0.0)
    colour = np.array([[0.0, COLOUR_FLOOR, 2 * COLOUR_FLOOR]], np.float32)
    structure = np.array([[STRUCTURE_FLOOR, 0.0, 0.0]], np.float32)
    z = evidence(colour, structure, t)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, [[1.0, 1.0, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(evidence(colour, None, t), [[0.0, 1.0, 2.0]], rtol=1e-6)


def test_global_level_is_one_on_locally_edited_pairs_and_scales_with_the_median():
    z = np.zeros((100, 100), np.float32)
    z[10:30, 10:30] = 5.0  # a local edit does not move the median
    assert global_level(z) == 1.0
    z[:] = 0.4  # every pixel at 0.4: four times the reference median
    assert global_level(z) == pytest.approx(0.4 / GLOBAL_MEDIAN)
    valid = np.zeros_like(z, dtype=bool)
    assert global_level(z, valid) == 1.0  # nothing compared


@pytest.mark.parametrize("median", [1.0, 3.0, 40.0])
def test_a_picture_changed_throughout_is_judged_absolutely(median):
    z = np.full((100, 100), median, np.float32)  # the typical pixel is itself a seed
    z[:20] = 0.0
    assert global_level(z) == 1.0
    z[:] = 0.99 * GLOBAL_MAX_MEDIAN  # just under: a re-rendered picture, judged relatively
    assert global_level(z) == pytest.approx(9.9)


def test_replaced_when_most_pixels_differ_beyond_a_noise_free_threshold():
    colour = np.zeros((100, 100), np.float32)
    colour[:45] = 200.0  # a large edit: 45 % of the picture
    assert not replaced(colour)
    colour[:55] = COLOUR_FLOOR + 1  # most pixels now differ
    assert replaced(colour)
    valid = np.zeros((100, 100), bool)
    valid[60:] = True  # ... but not the compared ones
    assert not replaced(colour, valid)
    assert not replaced(colour, np.zeros_like(valid))  # nothing compared
    assert REPLACED_SHARE == 0.5
