"""Thin changes: one-way colour distance less the other image's own spread."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.maps.colour import colour_difference
from spotdiff.maps.thin import _norm, thin_difference


def _rivet(middle) -> np.ndarray:
    """A dark-red rivet (radius 3) with a 3x3 middle of colour ``middle`` on a pale sky."""
    img = np.full((40, 40, 3), (200, 230, 240), np.uint8)
    cv2.circle(img, (20, 20), 3, (170, 50, 15), -1)
    img[19:22, 19:22] = middle
    return img


def test_a_3x3_recolour_the_colour_cue_misses_is_seen_on_all_its_pixels():
    """puzzle_animalfarm's failure: a yellow middle turned orange inside a dark-red rim. Every
    pixel of the middle has the rim in its 3x3 neighbourhood, and per channel orange lies
    between rim and yellow: the shift-tolerant colour cue marks 1 pixel of 9."""
    img1, img2 = _rivet((255, 205, 15)), _rivet((210, 82, 3))
    colour = colour_difference(img1, img2, img2)
    assert int((colour >= 24).sum()) == 1
    thin = thin_difference(img1, img2, img2)
    assert thin[19:22, 19:22].min() >= 3 * 24  # measured 91 (132 in the middle)
    outside = np.ones(thin.shape, bool)
    outside[19:22, 19:22] = False
    assert float(thin[outside].max()) == 0.0


def test_a_thin_line_resampled_half_a_pixel_over_is_no_change():
    img1 = np.full((40, 40, 3), 220, np.uint8)
    img1[:, 20] = 60  # a 1 px line, contrast 160
    shift = np.float32([[1, 0, 0.5], [0, 1, 0]])
    img2 = cv2.warpAffine(
        img1, shift, (40, 40), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    assert int(img2[5, 20, 0]) == 140  # two pixels at half the contrast
    assert float(thin_difference(img1, img2, img2).max()) == 0.0


def test_a_removed_and_an_added_stroke_count_both_ways_and_intervals_are_honoured():
    img1 = np.full((30, 30, 3), 100, np.uint8)
    img2 = img1.copy()
    img1[5:25, 10:12] = 200  # a 2 px stroke only in image 1
    img2[5:25, 20] = 0  # a 1 px stroke only in image 2
    thin = thin_difference(img1, img2, img2)
    assert np.allclose(thin[5:25, 10:12], 100 * np.sqrt(3))
    assert np.allclose(thin[5:25, 20], 100 * np.sqrt(3))
    assert int((thin > 0).sum()) == 20 * 3
    # image 2's levels stand for an interval of image-1 levels (tone quantization): within it,
    # nothing differs
    lo2, hi2 = img2.copy(), img2.copy()
    lo2[5:25, 20], hi2[5:25, 20] = 0, 100
    assert float(thin_difference(img1, lo2, hi2)[:, 15:].max()) == 0.0


@pytest.mark.parametrize("shape", [(6, 9), (6, 9, 1), (6, 9, 3), (6, 9, 4), (6, 9, 5), (1, 1, 3)])
def test_channel_norm_equals_numpys_bit_for_bit(shape):
    d = np.random.default_rng(0).integers(0, 256, shape, np.uint8)
    d[0, 0] = 255  # the largest square sum, 5 x 255 ** 2 at most, is exact in float32
    f = d.astype(np.float32).reshape(shape[0], shape[1], -1)
    out = _norm(d)
    assert out.dtype == np.float32 and out.shape == shape[:2]
    np.testing.assert_array_equal(out, np.sqrt(np.einsum("hwc,hwc->hw", f, f)))
