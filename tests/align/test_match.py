"""The pair-matching step: tone curves, quiet areas filled from image 1, sharpness matched."""

from __future__ import annotations

import cv2
import numpy as np

from spotdiff.align import match_pair


def test_tone_change_is_undone_and_quiet_pixels_copy_image_1(photo):
    img2 = np.clip(photo.astype(np.float64) * 0.8 + 20, 0, 255).astype(np.uint8)
    quiet = np.zeros(photo.shape[:2], bool)
    quiet[:, :40] = True
    img2[:, :40] = 0  # e.g. not covered by image 2 after the warp
    pair = match_pair(photo, img2, quiet, warped=False, sharpness=False)
    assert not pair.tone.is_identity
    err = np.abs(pair.mid2.astype(int) - photo.astype(int))
    assert np.median(err[:, 40:]) <= 1.0
    np.testing.assert_array_equal(pair.mid2[:, :40], photo[:, :40])
    assert (pair.lo2 <= pair.hi2).all()
    assert pair.fit_on is not None and not pair.fit_on[:, :40].any()
    off = match_pair(photo, img2, quiet, warped=False, photometric=False, sharpness=False)
    assert off.tone.is_identity


def test_the_sharper_image_is_blurred_to_the_others_sharpness(photo):
    soft = cv2.GaussianBlur(photo, (0, 0), 1.5)
    quiet = np.zeros(photo.shape[:2], bool)
    pair = match_pair(photo, soft, quiet, warped=False)
    assert pair.blur[0] > 0.5 and pair.blur[1] == 0.0
    assert pair.fit_on is None
    before = np.abs(photo.astype(int) - soft.astype(int)).mean()
    after = np.abs(pair.img1.astype(int) - pair.mid2.astype(int)).mean()
    assert after < 0.5 * before
    warped = match_pair(photo, photo, quiet, warped=True)
    assert warped.blur[0] >= 0.5  # a bilinear warp softens image 2 at least this much
