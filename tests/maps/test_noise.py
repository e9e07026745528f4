"""Noise sigma of a pair from the robust spread of the grey difference; an image's noise
relative to its tonal range."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.maps.noise import noise_sigma, relative_noise


@pytest.mark.parametrize("sigma", [2.0, 4.0, 8.0])
def test_estimates_gaussian_noise_despite_an_edit(sigma):
    rng = np.random.default_rng(0)
    a = rng.integers(40, 200, (200, 300)).astype(np.uint8)
    b = np.clip(a + rng.normal(0, sigma, a.shape), 0, 255).astype(np.uint8)
    b[20:70, 30:90] = 255  # a 5 % edit
    assert noise_sigma(a, b) == pytest.approx(sigma, rel=0.15)


def test_zero_for_identical_and_valid_mask():
    a = np.random.default_rng(0).integers(0, 255, (50, 60)).astype(np.uint8)
    assert noise_sigma(a, a) == 0.0
    b = a.copy()
    b[:, :40] = 255 - b[:, :40]
    valid = np.zeros(a.shape, bool)
    valid[:, 40:] = True
    assert noise_sigma(a, b, valid) == 0.0
    assert noise_sigma(a, b, np.zeros(a.shape, bool)) == 0.0


def _ramp(lo: int, hi: int, shape=(200, 300)) -> np.ndarray:
    """A horizontal ramp from ``lo`` to ``hi`` levels (float32): a tonal range without noise."""
    return np.tile(np.linspace(lo, hi, shape[1], dtype=np.float32), (shape[0], 1))


@pytest.mark.parametrize(
    ("lo", "hi", "sigma", "expected"),
    [
        (40, 90, 5.0, 5.0 / 50),  # a dim, low-contrast scene with sensor noise: noisy
        (20, 220, 5.0, 5.0 / 200),  # the same noise on a full range: 4x less
        (40, 90, 0.0, 0.0),  # no noise
    ],
    ids=["dim", "bright", "clean"],
)
def test_relative_noise_is_noise_over_the_range(lo, hi, sigma, expected):
    rng = np.random.default_rng(1)
    img = np.clip(_ramp(lo, hi) + rng.normal(0, sigma, (200, 300)), 0, 255).astype(np.uint8)
    # the 1st-99th percentile range widens by the noise itself (about 2 sigma each side)
    assert relative_noise(img) == pytest.approx(expected, rel=0.25, abs=0.002)


def test_relative_noise_range_from_valid_pixels_only():
    rng = np.random.default_rng(2)
    img = np.clip(_ramp(40, 90) + rng.normal(0, 4, (200, 300)), 0, 255).astype(np.uint8)
    img[:, :30] = 255  # a saturated strip outside the compared area widens the range
    valid = np.ones(img.shape, bool)
    valid[:, :30] = False
    assert relative_noise(img, valid) > 2 * relative_noise(img)
    assert relative_noise(img, np.zeros(img.shape, bool)) == 0.0
