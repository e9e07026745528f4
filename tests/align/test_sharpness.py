"""Sharpness matching: the sharper image is blurred, noise is not mistaken for sharpness."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.align.sharpness import match_sharpness, noise_level

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def grey() -> np.ndarray:
    return cv2.resize(skdata.camera(), (320, 240), interpolation=cv2.INTER_AREA)


def test_equal_sharpness_needs_nothing(grey):
    assert match_sharpness(grey, grey) == (0.0, 0.0)


def test_resampled_image_makes_the_other_blur(grey):
    h, w = grey.shape
    soft = cv2.resize(cv2.resize(grey, (w // 2, h // 2), interpolation=cv2.INTER_AREA), (w, h))
    s1, s2 = match_sharpness(grey, soft)
    assert 0.5 <= s1 <= 1.4 and s2 == 0.0
    s1, s2 = match_sharpness(soft, grey)  # symmetric
    assert s1 == 0.0 and 0.5 <= s2 <= 1.4


def test_noise_is_not_sharpness(grey):
    noisy = np.clip(grey + np.random.default_rng(0).normal(0, 5, grey.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    assert noise_level(noisy) > noise_level(grey) + 3
    assert match_sharpness(grey, noisy) == (0.0, 0.0)
