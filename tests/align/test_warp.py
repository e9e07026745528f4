"""Warping image 2 onto image 1 and moving transforms between pixel grids."""

from __future__ import annotations

import cv2
import numpy as np

from spotdiff.align import register, scale_transform, warp_image, warp_window

W, H = 480, 320


def test_warp_image_and_valid_mask(photo):
    m = np.array([[1.0, 0.0, 10.0], [0.0, 1.0, 6.0], [0.0, 0.0, 1.0]])  # image 1 -> image 2
    moved = cv2.warpAffine(photo, m[:2], (photo.shape[1], photo.shape[0]), flags=cv2.INTER_LINEAR)
    warped, valid = warp_image(moved, register(photo, moved).transform, (W, H))
    assert warped.shape == photo.shape and valid.shape == (H, W)
    assert not valid[:, -10:].any() and not valid[-6:, :].any()  # not covered by image 2
    assert valid[:-8, :-12].all()
    err = np.abs(warped.astype(int) - photo)[valid]
    assert np.median(err) <= 2


def test_scale_transform_round_trip():
    shift = np.array([[1.0, 0.0, 6.0], [0.0, 1.0, -3.0], [0, 0, 1]])
    np.testing.assert_allclose(
        scale_transform(shift, (1920, 1080), (960, 540))[:2, 2], [3.0, -1.5], atol=1e-12
    )
    t = np.array([[1.0, 0.01, 6.0], [-0.01, 1.0, -3.0], [0, 0, 1]])
    small = scale_transform(t, (1920, 1080), (960, 540))
    np.testing.assert_allclose(small[:2, :2], t[:2, :2], atol=1e-12)
    np.testing.assert_allclose(scale_transform(small, (960, 540), (1920, 1080)), t, atol=1e-12)


def test_warp_window_matches_the_full_warp(photo):
    t = np.array([[1.0, 0.0, -3.5], [0.0, 1.0, 2.0], [0.0, 0.0, 1.0]])
    full, _ = warp_image(photo, t, (photo.shape[1], photo.shape[0]))
    window = (40, 30, 140, 90)
    part = warp_window(photo, t, window)
    assert part.shape == (60, 100, 3)
    np.testing.assert_array_equal(part, full[30:90, 40:140])
    np.testing.assert_array_equal(warp_window(photo, None, window), photo[30:90, 40:140])
