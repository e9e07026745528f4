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


def test_sharpness_cells_are_the_mean_gradient_over_each_cells_valid_pixels(grey):
    from spotdiff.align.sharpness import sharpness_cells

    valid = np.ones(grey.shape, bool)
    valid[:, :70] = False  # cell column 0 (53 px wide) and a third of column 1 invalid
    valid[100:, 200:] = False
    g = cv2.medianBlur(grey, 3)
    mag = np.hypot(cv2.Sobel(g, cv2.CV_64F, 1, 0), cv2.Sobel(g, cv2.CV_64F, 0, 1))
    ch, cw = grey.shape[0] // 4, grey.shape[1] // 6
    cells = sharpness_cells(grey, valid)
    assert cells.shape == (4, 6) and cells.dtype == np.float32
    for j in range(4):
        for i in range(6):
            m = mag[j * ch : (j + 1) * ch, i * cw : (i + 1) * cw]
            v = valid[j * ch : (j + 1) * ch, i * cw : (i + 1) * cw]
            if v.mean() > 0.25:
                assert cells[j, i] == pytest.approx(m[v].mean(), rel=1e-4)
            else:
                assert np.isnan(cells[j, i])
    assert np.isnan(cells[:, 0]).all() and np.isfinite(cells[:, 1]).all()
    np.testing.assert_allclose(sharpness_cells(grey), sharpness_cells(grey, np.ones_like(valid)))


@pytest.mark.parametrize("sigma", [2.0, 6.0])
def test_noise_level_measures_gaussian_noise_on_a_flat_image(sigma):
    flat = np.full((240, 330), 128.0)  # 330 px: a partial last block column is left out
    noisy = np.clip(np.rint(flat + np.random.default_rng(1).normal(0, sigma, flat.shape)), 0, 255)
    # the flattest fifth of the 16x16 blocks reads a little low: about 0.94 sigma
    assert noise_level(noisy.astype(np.uint8)) == pytest.approx(sigma, rel=0.1)
