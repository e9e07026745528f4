"""Tone matching (brightness, contrast, gamma; robust to edits) on a real photograph."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.align import ToneMap, fit_tone
from spotdiff.align.tone import MIN_GAIN

W, H = 480, 320


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


def test_pixel_identical_render_with_a_recoloured_button_keeps_the_identity():
    """Issue 9 (screenshots): a white page, one cyan button turned red, the rest identical; the
    robust fit saw only the few unclipped levels and bent the red curve."""
    page = np.full((300, 400, 3), 255, np.uint8)
    page[40:60, 40:360] = (200, 200, 200)  # grey input fields
    page[100:120, 40:360] = (230, 230, 230)
    ramp = np.linspace(0, 120, 320).astype(np.uint8)
    page[200:240, 40:360] = (0, 200, 220)  # the button, a cyan gradient
    page[200:240, 40:360, 0] = ramp
    other = page.copy()
    other[200:240, 40:360] = (0, 30, 30)  # now a red gradient
    other[200:240, 40:360, 0] = 255 - ramp // 2
    assert fit_tone(page, other).is_identity


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_apply_maps_each_channel_through_its_own_table_into_a_new_array(channels):
    rng = np.random.default_rng(channels)
    img = rng.integers(0, 256, (23, 31, channels), dtype=np.uint8)[:, 3:]  # a strided view
    curves = np.tile(np.arange(256.0), (channels, 1))
    curves[0] = np.clip(1.3 * curves[0] - 10, 0, 255)  # channel 0 moves, the others do not
    tone = ToneMap(curves, np.tile([1.0, 0.0, 255.0], (channels, 1)))
    for luts in (tone.luts(), *tone.interval_luts()):
        out = tone.apply(img, luts)
        expected = np.stack([luts[c][img[..., c]] for c in range(channels)], axis=-1)
        assert out.shape == img.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(out, expected)
        assert not np.shares_memory(out, img)
    same = ToneMap.identity(channels).apply(img)
    np.testing.assert_array_equal(same, img)
    assert not np.shares_memory(same, img)  # callers write into it (match_pair fills quiet areas)


@pytest.mark.parametrize(
    "replace",
    [
        lambda p: 255 - p,  # the picture inverted
        lambda p: np.concatenate(
            [p[..., :1], 255 - p[..., 1:2], p[..., 2:]], axis=2
        ),  # one channel
        lambda p: np.random.default_rng(0).integers(0, 256, p.shape, dtype=np.uint8),  # noise
        lambda p: np.random.default_rng(1).integers(120, 136, p.shape, dtype=np.uint8),  # grey
    ],
    ids=["inverted", "green-inverted", "noise", "grey"],
)
def test_a_picture_inverted_or_replaced_is_never_explained_by_a_tone_curve(photo, replace):
    tone = fit_tone(photo, replace(photo))
    assert (tone.params[:, 2] >= MIN_GAIN).all(), tone.params  # never falling nor flat
    assert tone.is_identity, tone.params  # the change stays for the maps to see


def _screenshot() -> np.ndarray:
    """A white page with black anti-aliased text, grey fields and a photo-like gradient banner."""
    page = np.full((300, 400, 3), 255, np.uint8)
    for i, y in enumerate(range(30, 130, 25)):
        cv2.putText(
            page,
            f"line {i} of some text",
            (20, y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.7,
            (0, 0, 0),
            1,
            cv2.LINE_AA,
        )
    page[150:170, 20:380] = 200
    page[180:200, 20:380] = 230
    ramp = np.linspace(30, 220, 360)
    page[220:280, 20:380] = np.stack([ramp, ramp * 0.8 + 20, ramp[::-1]], axis=1)[None].astype(
        np.uint8
    )
    return page


def test_a_gamma_changed_screenshot_is_fitted_though_its_white_page_and_black_text_stay():
    """Levels 0 and 255 are fixed points of a gamma curve: most pixels of a screenshot stay equal,
    the others all moved; the identity kept for renders must not be kept for it."""
    page = _screenshot()
    gamma = np.clip(np.rint(255 * (page / 255.0) ** 0.8), 0, 255).astype(np.uint8)
    assert np.mean(gamma == page) > 0.5  # the render rule alone would keep the identity
    tone = fit_tone(page, gamma)
    levels = np.unique(gamma[220:280])
    truth = 255 * (levels / 255.0) ** (1 / 0.8)
    assert np.abs(tone.curves[:, levels] - truth).max() < 3.0


def _same_share_reference(img1, img2, valid, step=4):
    """The shares as first written: strided views, counted per channel over both axes."""
    a, b = img1[::step, ::step], img2[::step, ::step]
    eq = a == b
    mid = ((a != 0) & (a != 255)) | ((b != 0) & (b != 255))
    if valid is not None:
        v = valid[::step, ::step, None]
        eq, mid = eq & v, mid & v
        n = np.count_nonzero(v)
    else:
        n = a.shape[0] * a.shape[1]
    all_share = np.count_nonzero(eq, axis=(0, 1)) / max(n, 1)
    mid_share = np.count_nonzero(eq & mid, axis=(0, 1)) / np.maximum(
        np.count_nonzero(mid, axis=(0, 1)), 1
    )
    return all_share, mid_share


@pytest.mark.parametrize("masked", [False, True])
def test_same_share_equals_the_strided_count(masked):
    from spotdiff.align.tone import _same_share

    rng = np.random.default_rng(3)
    img1 = rng.choice(np.array([0, 1, 7, 254, 255], np.uint8), size=(61, 83, 3))
    img2 = img1.copy()
    flip = rng.random(img1.shape) < 0.4
    img2[flip] = rng.choice(np.array([0, 1, 128, 255], np.uint8), size=int(flip.sum()))
    valid = rng.random((61, 83)) < 0.7 if masked else None
    got, want = _same_share(img1, img2, valid), _same_share_reference(img1, img2, valid)
    for g, w in zip(got, want, strict=True):
        assert g.tolist() == w.tolist()
    assert got[0].min() > 0.3 and got[1].max() < 1.0  # the case holds both kinds of pixels


def test_fit_tone_channels_fitted_at_once_equal_one_by_one(photo):
    img2 = photo.copy()
    img2[..., 0] = np.clip(photo[..., 0].astype(np.int16) + 25, 0, 255)  # brighter red only
    img2[..., 2] = np.rint(255 * (photo[..., 2] / 255.0) ** 0.8).astype(np.uint8)
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        together = fit_tone(photo, img2)
        cv2.setNumThreads(1)  # one thread: the channels one after the other
        alone = fit_tone(photo, img2)
    finally:
        cv2.setNumThreads(before)
    assert np.array_equal(together.curves, alone.curves)
    assert np.array_equal(together.params, alone.params)
    assert together.params[1].tolist() == [1.0, 0.0, 255.0]  # green kept as it is
    assert not together.is_identity
