"""Noise sigma of a pair from the robust spread of the grey difference."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.maps.noise import noise_sigma


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
