"""Registration (translation, rotation, zoom; skipped when not needed; failure -> identity) and
tone matching (brightness, contrast, gamma; robust to edits), on a real photograph."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError, SpotdiffWarning
from spotdiff.align import (
    ToneMap,
    align_pair,
    fit_tone,
    register,
    scale_transform,
    warp_image,
)

skdata = pytest.importorskip("skimage.data")

W, H = 480, 320


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    img = cv2.resize(skdata.astronaut(), (W, W), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img[40 : 40 + H])


def _about_centre(angle: float = 0.0, scale: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    m = np.vstack([cv2.getRotationMatrix2D(((W - 1) / 2, (H - 1) / 2), angle, scale), [0, 0, 1]])
    m[:2, 2] += shift
    return m


def _moved(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Image 2 = image 1 seen through ``m`` (image-1 -> image-2 coordinates)."""
    return cv2.warpAffine(img, m[:2], (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _corner_error(t: np.ndarray, m: np.ndarray) -> float:
    corners = np.array([[0, 0, 1], [W - 1, 0, 1], [0, H - 1, 1], [W - 1, H - 1, 1]], float).T
    truth = np.linalg.inv(m)  # image-2 -> image-1
    return float(np.abs((t @ corners)[:2] - (truth @ corners)[:2]).max())


@pytest.mark.parametrize(
    ("m", "tolerance"),
    [
        (_about_centre(shift=(0.6, -0.5)), 0.45),  # sub-pixel
        (_about_centre(shift=(3.3, -2.1)), 0.3),
        (_about_centre(shift=(0.05 * W, 0.04 * H)), 0.3),  # 5 % of the size
        (_about_centre(angle=1.5), 0.5),
        (_about_centre(scale=1.03), 0.5),
        (_about_centre(angle=-0.8, scale=0.98, shift=(4, 2)), 0.5),
    ],
)
def test_register_recovers_the_motion(photo, m, tolerance):
    reg = register(photo, _moved(photo, m))
    assert reg.aligned and not reg.failed
    assert _corner_error(reg.transform, m) < tolerance
    assert reg.ncc_after > reg.ncc_before


def test_register_is_not_fooled_by_tone_or_jpeg(photo):
    m = _about_centre(angle=1.0, shift=(2.0, 1.0))
    moved = _moved(photo, m)
    relit = (255 * (moved / 255.0) ** 0.7).astype(np.uint8)
    buf = cv2.imencode(".jpg", relit, [cv2.IMWRITE_JPEG_QUALITY, 70])[1]
    reg = register(photo, cv2.imdecode(buf, cv2.IMREAD_UNCHANGED))
    assert _corner_error(reg.transform, m) < 0.6


@pytest.mark.parametrize(
    "change", ["identical", "jpeg", "brightness", "noise", "edit"], ids=lambda c: c
)
def test_register_skips_pairs_that_need_nothing(photo, change):
    img2 = photo.copy()
    if change == "jpeg":
        img2 = cv2.imdecode(cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 60])[1], 1)
    elif change == "brightness":
        img2 = np.clip(photo.astype(int) + 30, 0, 255).astype(np.uint8)
    elif change == "noise":
        noise = np.random.default_rng(0).normal(0, 4, photo.shape)
        img2 = np.clip(photo + noise, 0, 255).astype(np.uint8)
    elif change == "edit":
        img2[100:160, 200:280] = (20, 200, 40)
    reg = register(photo, img2)
    assert _corner_error(reg.transform, np.eye(3)) < 0.3
    assert reg.method in ("identity", "translation", "similarity", "affine")


def test_register_identical_is_identity(photo):
    reg = register(photo, photo)
    assert reg.method == "identity" and not reg.aligned
    np.testing.assert_array_equal(reg.transform, np.eye(3))


def test_failed_registration_warns_and_returns_identity():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg = register(a, b)
    np.testing.assert_array_equal(reg.transform, np.eye(3))
    assert reg.method == "identity"
    if reg.failed:  # unrelated images: either nothing to fix, or a failure with a warning
        assert any(issubclass(w.category, SpotdiffWarning) for w in caught)
        assert "registration failed" in reg.message or "unreliable" in reg.message


def test_motion_options(photo):
    m = _about_centre(angle=1.5, shift=(6, 3))
    moved = _moved(photo, m)
    assert register(photo, moved, motion="none").method == "identity"
    translation = register(photo, moved, motion="translation")
    assert translation.method == "translation"
    np.testing.assert_array_equal(translation.transform[:2, :2], np.eye(2))
    affine = register(photo, moved, motion="affine")
    assert affine.method == "affine" and _corner_error(affine.transform, m) < 0.5
    with pytest.raises(InvalidOptionError, match="motion must be one of"):
        register(photo, moved, motion="perspective")
    with pytest.raises(InvalidOptionError, match="one size"):
        register(photo, photo[:100])


def test_warp_image_and_valid_mask(photo):
    m = _about_centre(shift=(10, 6))
    moved = _moved(photo, m)
    warped, valid = warp_image(moved, register(photo, moved).transform, (W, H))
    assert warped.shape == photo.shape and valid.shape == (H, W)
    assert not valid[:, -10:].any() and not valid[-6:, :].any()  # not covered by image 2
    assert valid[:-8, :-12].all()
    err = np.abs(warped.astype(int) - photo)[valid]
    assert np.median(err) <= 2


def test_align_pair(photo):
    m = _about_centre(shift=(5, 0))
    al = align_pair(photo, _moved(photo, m))
    assert al.registration.aligned and al.warped.shape == photo.shape
    assert not al.valid[:, -5:].any()
    same = align_pair(photo, photo)
    assert same.warped is photo and same.valid.all()


def test_scale_transform_round_trip():
    shift = np.array([[1.0, 0.0, 6.0], [0.0, 1.0, -3.0], [0, 0, 1]])
    np.testing.assert_allclose(
        scale_transform(shift, (1920, 1080), (960, 540))[:2, 2], [3.0, -1.5], atol=1e-12
    )
    t = np.array([[1.0, 0.01, 6.0], [-0.01, 1.0, -3.0], [0, 0, 1]])
    small = scale_transform(t, (1920, 1080), (960, 540))
    np.testing.assert_allclose(small[:2, :2], t[:2, :2], atol=1e-12)
    np.testing.assert_allclose(scale_transform(small, (960, 540), (1920, 1080)), t, atol=1e-12)


# ---------------------------------------------------------------------------------- tone


def _curve_error(tone: ToneMap, truth, levels: np.ndarray) -> float:
    return float(np.abs(tone.curves[:, levels] - truth(levels)).max())


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (lambda x: x + 30, lambda v: v - 30),  # brightness
        (lambda x: (x - 128) * 0.75 + 128, lambda v: (v - 128) / 0.75 + 128),  # contrast
        (lambda x: 255 * (x / 255) ** 0.7, lambda v: 255 * (v / 255) ** (1 / 0.7)),  # gamma
        (lambda x: 255 * (x / 255) ** 1.4, lambda v: 255 * (v / 255) ** (1 / 1.4)),
    ],
    ids=["brightness", "contrast", "gamma0.7", "gamma1.4"],
)
def test_fit_tone_recovers_global_changes_despite_an_edit(photo, forward, inverse):
    edited = photo.copy()
    edited[60:140, 150:300] = (230, 40, 200)  # an edit covering 8 % of the image
    img2 = np.clip(np.rint(forward(edited.astype(np.float64))), 0, 255).astype(np.uint8)
    tone = fit_tone(photo, img2)
    hist = np.bincount(img2[..., 0].ravel(), minlength=256)
    levels = np.flatnonzero(hist > 200)
    levels = levels[(levels > 0) & (levels < 255)]
    assert _curve_error(tone, inverse, levels) < 2.0


def test_fit_tone_identity_and_intervals(photo):
    tone = fit_tone(photo, photo)
    assert tone.is_identity
    lo, hi = tone.interval_luts()
    assert (lo <= tone.luts()).all() and (tone.luts() <= hi).all()
    assert (hi[:, 1:-1] == lo[:, 1:-1]).all()  # one level for one level
    np.testing.assert_array_equal(tone.apply(photo), photo)
    # a darkened image: level 0 of image 2 stands for every level up to the offset
    dark = np.clip(photo.astype(int) - 40, 0, 255).astype(np.uint8)
    lo, hi = fit_tone(photo, dark).interval_luts()
    assert lo[:, 0].max() == 0 and hi[:, 0].min() >= 38
    assert hi[:, 255].min() == 255


def test_fit_tone_respects_valid_mask(photo):
    img2 = photo.copy()
    img2[:, : W // 2] = 255 - img2[:, : W // 2]  # garbage where image 2 is "not covered"
    valid = np.ones((H, W), bool)
    valid[:, : W // 2 + 8] = False
    assert fit_tone(photo, img2, valid).is_identity
