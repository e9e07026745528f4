"""Thresholds from noise and sensitivity, and the evidence map."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.maps import evidence as _evidence
from spotdiff.maps.evidence import (
    COLOUR_FLOOR,
    COLOUR_PER_NOISE,
    STRUCTURE_FLOOR,
    auto_thresholds,
    evidence,
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
    assert _evidence.global_level(z) == 1.0
    z[:] = 0.4  # every pixel at 0.4: four times the reference median
    assert _evidence.global_level(z) == pytest.approx(0.4 / _evidence.GLOBAL_MEDIAN)
    valid = np.zeros_like(z, dtype=bool)
    assert _evidence.global_level(z, valid) == 1.0  # nothing compared
