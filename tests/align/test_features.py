"""Keypoint registration: large rotation + shear and perspective recovered, degenerate -> None."""

from __future__ import annotations

import cv2
import numpy as np

from spotdiff.align.features import feature_transform

W, H = 480, 320


def _rot_shear(angle: float = 16.0, shear: float = 0.12) -> np.ndarray:
    rot = np.vstack([cv2.getRotationMatrix2D(((W - 1) / 2, (H - 1) / 2), angle, 1.0), [0, 0, 1]])
    c = np.array([[1, 0, -(W - 1) / 2], [0, 1, -(H - 1) / 2], [0, 0, 1.0]])
    return np.linalg.inv(c) @ np.array([[1, shear, 0], [0, 1, 0], [0, 0, 1.0]]) @ c @ rot


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def test_recovers_rotation_and_shear(photo):
    m = _rot_shear()
    moved = cv2.warpAffine(photo, m[:2], (W, H), borderMode=cv2.BORDER_REFLECT)
    found = feature_transform(_gray(photo), _gray(moved), model="affine")
    assert found is not None
    w_ab, inliers = found
    assert inliers >= 12 and np.isfinite(w_ab).all()
    pts = np.array([[50, 50, 1], [400, 250, 1.0]]).T
    assert np.abs((w_ab @ pts)[:2] - (m @ pts)[:2]).max() < 1.5


def test_recovers_a_homography(photo):
    src = np.float32([[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]])
    dst = np.float32([[12, 6], [W - 20, 0], [W - 1, H - 8], [4, H - 1]])
    h = cv2.getPerspectiveTransform(src, dst)
    moved = cv2.warpPerspective(photo, h, (W, H), borderMode=cv2.BORDER_REFLECT)
    found = feature_transform(_gray(photo), _gray(moved), model="homography")
    assert found is not None
    pts = np.array([[60, 60, 1], [420, 260, 1.0]]).T
    got, want = found[0] @ pts, h @ pts
    assert np.abs(got[:2] / got[2] - want[:2] / want[2]).max() < 1.5


def test_flat_or_unrelated_images_give_none():
    flat = np.full((H, W), 128, np.uint8)
    assert feature_transform(flat, flat) is None
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (H, W), dtype=np.uint8)
    b = rng.integers(0, 256, (H, W), dtype=np.uint8)
    out = feature_transform(a, b)
    assert out is None or np.isfinite(out[0]).all()


def test_match_support_counts_the_matches_a_transform_explains():
    from spotdiff.align.features import match_support

    src = np.float32([[10, 10], [100, 20], [50, 80], [200, 150]])
    shift = np.array([[1, 0, 5.0], [0, 1, -3.0], [0, 0, 1]])
    dst = src + np.float32([5, -3])
    dst[3] += 4  # one match the shift does not explain
    assert match_support(shift, src, dst).tolist() == [True, True, True, False]
    assert match_support(np.eye(3), src, dst).sum() == 0
    assert match_support(shift, src, dst, threshold=6.0).all()
