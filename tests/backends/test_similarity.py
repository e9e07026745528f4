"""The model-free similarity: its [0, 1] scale and calibration points."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from spotdiff import InvalidOptionError, LayoutError
from spotdiff.backends import StructuralSimilarity, structural_similarity
from spotdiff.backends.tiny import planted_pair


def _photo(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, size=(6, 8, 3)).astype(np.uint8)
    return cv2.resize(low, (160, 120), interpolation=cv2.INTER_CUBIC)


def test_identical_images_score_one_and_scale_is_symmetric():
    a = _photo(0)
    assert structural_similarity(a, a) == pytest.approx(1.0, abs=1e-6)
    b = _photo(1)
    assert structural_similarity(a, b) == pytest.approx(structural_similarity(b, a), abs=1e-6)
    flat = np.full((30, 30, 3), 128, np.uint8)
    assert structural_similarity(flat, flat) == pytest.approx(1.0, abs=1e-6)
    assert 0.0 <= structural_similarity(flat, a) <= 0.6


def test_near_duplicates_score_high_and_unrelated_images_low():
    a = _photo(3)
    rng = np.random.default_rng(0)
    noisy = np.clip(a + rng.normal(0, 6, a.shape), 0, 255).astype(np.uint8)
    _, enc = cv2.imencode(".jpg", a[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 60])
    jpeg = cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1]
    brighter = np.clip(a.astype(np.int16) + 25, 0, 255).astype(np.uint8)
    shifted = np.roll(a, 3, axis=1)
    for near in (noisy, jpeg, brighter, shifted):
        assert structural_similarity(a, near) > 0.85
    unrelated = [
        structural_similarity(_photo(i), _photo(j)) for i, j in itertools.combinations(range(6), 2)
    ]
    assert max(unrelated) < 0.45 and np.median(unrelated) < 0.25
    img1, img2 = planted_pair()
    assert structural_similarity(img1, img2) > 0.7  # a small planted object
    crop = structural_similarity(img1[20:40, 40:64], img2[20:40, 40:64])
    assert 0.0 <= crop < 0.5  # the changed crop itself


def test_backend_interface_and_errors():
    a, b = _photo(0), _photo(1)
    sims = StructuralSimilarity().similarity([a, a], [a, b])
    assert sims.dtype == np.float32 and sims.shape == (2,)
    assert sims[0] == pytest.approx(1.0, abs=1e-6) and sims[1] < 0.5
    with pytest.raises(InvalidOptionError, match="one length"):
        StructuralSimilarity().similarity([a], [a, b])
    with pytest.raises(LayoutError, match="empty"):
        structural_similarity(a[:0], a)
    with pytest.raises(LayoutError, match=r"\(H, W, 3\)"):
        structural_similarity(a[..., 0], a)
