"""Noise sigma of a pair from the robust spread of the grey difference, the same as a function
of the texture both images share (and the colour gain it gives find); an image's noise relative
to its tonal range."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spotdiff.detect import find
from spotdiff.maps import judge
from spotdiff.maps.evidence import GLOBAL_MEDIAN
from spotdiff.maps.noise import (
    level_by_texture,
    lit_noise_sigma,
    local_colour_gain,
    noise_by_texture,
    noise_sigma,
    relative_noise,
    relit_noise,
    shared_texture,
    texture_curve,
)


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


def _ramp(lo: int, hi: int, shape=(200, 300)) -> np.ndarray:
    """A horizontal ramp from ``lo`` to ``hi`` levels (float32): a tonal range without noise."""
    return np.tile(np.linspace(lo, hi, shape[1], dtype=np.float32), (shape[0], 1))


@pytest.mark.parametrize(
    ("lo", "hi", "sigma", "expected"),
    [
        (40, 90, 5.0, 5.0 / 50),  # a dim, low-contrast scene with sensor noise: noisy
        (20, 220, 5.0, 5.0 / 200),  # the same noise on a full range: 4x less
        (40, 90, 0.0, 0.0),  # no noise
    ],
    ids=["dim", "bright", "clean"],
)
def test_relative_noise_is_noise_over_the_range(lo, hi, sigma, expected):
    rng = np.random.default_rng(1)
    img = np.clip(_ramp(lo, hi) + rng.normal(0, sigma, (200, 300)), 0, 255).astype(np.uint8)
    # the 1st-99th percentile range widens by the noise itself (about 2 sigma each side)
    assert relative_noise(img) == pytest.approx(expected, rel=0.25, abs=0.002)


def test_relative_noise_range_from_valid_pixels_only():
    rng = np.random.default_rng(2)
    img = np.clip(_ramp(40, 90) + rng.normal(0, 4, (200, 300)), 0, 255).astype(np.uint8)
    img[:, :30] = 255  # a saturated strip outside the compared area widens the range
    valid = np.ones(img.shape, bool)
    valid[:, :30] = False
    assert relative_noise(img, valid) > 2 * relative_noise(img)
    assert relative_noise(img, np.zeros(img.shape, bool)) == 0.0


# --- noise as a function of the shared texture (issue 9: object_arduino) ---------------------

_BOARD = (192, 144, 480, 336)  # x1, y1, x2, y2 of the smooth board in the 640x480 pair
_CHIP = (232, 194, 293, 211)  # the chip on it (exclusive ends)


def _weave(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A dark, fine, high-contrast cloth: white noise blurred by 0.8 px, mean 70, sigma 70."""
    t = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), 0.8)
    return 70 + t / t.std() * 70


def _cloth_pair(seed: int, *, change: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A handheld-like pair made the way ``object_arduino`` is: a smooth teal board on a cloth
    with a fine texture (most of the frame), image 2 the same scene through a smooth 0.8 px
    misregistration (the residue registration and flow leave), sensor noise and JPEG q75, and
    a dark chip on the board in image 1 only (about 75 levels from the board)."""
    h, w = 480, 640
    rng = np.random.default_rng(seed)
    scene = np.repeat(_weave((h, w), rng)[..., None], 3, axis=2)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x1, y1, x2, y2 = _BOARD
    shade = 1 + 0.1 * np.sin(xx[y1:y2, x1:x2, None] / 60.0)
    scene[y1:y2, x1:x2] = np.array([10, 100, 125], np.float32) * shade
    img1 = scene.copy()
    if change:
        cx1, cy1, cx2, cy2 = _CHIP
        img1[cy1:cy2, cx1:cx2] = (45, 55, 70)
    fx, fy = 2 * np.pi * xx / w, 2 * np.pi * yy / h
    ph = (2 * np.pi * rng.uniform(0, 1, 4)).astype(np.float32)
    dx = 0.8 * np.sin(1.3 * fx + ph[0]) * np.cos(0.9 * fy + ph[1])
    dy = 0.8 * np.cos(0.8 * fx + ph[2]) * np.sin(1.1 * fy + ph[3])
    img2 = cv2.remap(scene, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    a = np.clip(img1 + rng.normal(0, 2, img1.shape), 0, 255).astype(np.uint8)
    b = np.clip(img2 + rng.normal(0, 2, img2.shape), 0, 255).astype(np.uint8)
    b = cv2.imdecode(cv2.imencode(".jpg", b, [cv2.IMWRITE_JPEG_QUALITY, 75])[1], cv2.IMREAD_COLOR)
    return a, b


def _grays(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)


def test_shared_texture_is_the_smaller_of_the_two_gradients():
    rng = np.random.default_rng(0)
    cloth = np.clip(_weave((120, 160), rng), 0, 255).astype(np.uint8)
    flat = np.full_like(cloth, 90)
    both = shared_texture(cloth, cloth)
    assert both.shape == cloth.shape and both.dtype == np.float32
    assert np.median(both) > 10  # levels per pixel of a fine, contrasted texture
    assert shared_texture(cloth, flat).max() == 0.0  # texture in one image only: none shared
    assert shared_texture(flat, flat).max() == 0.0


def test_noise_grows_with_the_texture_of_a_misregistered_pair_only():
    g1, g2 = _grays(*_cloth_pair(1, change=False))
    levels, sigmas = noise_by_texture(g1, g2, shared_texture(g1, g2))
    assert len(levels) == 10 and np.all(np.diff(levels) >= 0) and np.all(np.diff(sigmas) >= 0)
    assert sigmas[-1] > 3 * sigmas[0]  # the cloth's residue, next to the smooth board
    assert sigmas[0] < 0.5 * noise_sigma(g1, g2)
    # white noise alone: about the same sigma at every texture
    rng = np.random.default_rng(2)
    b = np.clip(g1 + rng.normal(0, 8, g1.shape), 0, 255).astype(np.uint8)
    _, flat = noise_by_texture(g1, b, shared_texture(g1, b))
    assert flat[-1] < 1.3 * flat[0]
    assert flat[0] == pytest.approx(8, rel=0.2)


def test_colour_gain_lowers_the_threshold_off_the_texture_only():
    g1, g2 = _grays(*_cloth_pair(1, change=False))
    noise = noise_sigma(g1, g2)
    assert noise > 12  # the cloth inflates the pair's sigma: threshold 4 x noise > 48 levels
    gain = local_colour_gain(g1, g2, noise)
    assert gain.shape == g1.shape and gain.dtype == np.float32 and gain.min() >= 1.0
    x1, y1, x2, y2 = _BOARD
    board = gain[y1 + 20 : y2 - 20, x1 + 20 : x2 - 20]
    assert np.median(board) == pytest.approx(4 * noise / 24, rel=0.05)  # down to the floor
    assert np.median(gain[:100]) < 1.2  # the cloth keeps its threshold
    assert local_colour_gain(g1, g2, 5.0) is None  # at the floor: nothing to lower
    assert local_colour_gain(g1, g2, noise, np.zeros(g1.shape, bool)) is None
    white = g1.copy()
    white[y1:y2, x1:x2] = 255  # clipped: a washed-out glare says nothing about the residue
    assert local_colour_gain(white, g2, noise)[y1 + 20 : y2 - 20, x1 + 20 : x2 - 20].max() == 1.0


def _one_level(z, texture, level, *args, **kwargs) -> np.ndarray:
    """``level_by_texture`` as it was before: one level for the whole picture."""
    return np.full(z.shape, level, np.float32)


def _iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("seed", [1, 2])
def test_find_sees_a_change_beside_a_misregistered_texture(seed, monkeypatch):
    a, b = _cloth_pair(seed)
    r = find(a, b)
    assert len(r) == 1 and _iou(r.boxes[0], _CHIP) > 0.8
    assert r.metadata["colour_gain"] > 2  # the board judged at the floor, the cloth at 4 sigma
    # the failure it fixes: one threshold from the cloth's residue (and the level it raises)
    monkeypatch.setattr(judge, "local_colour_gain", lambda *args, **kwargs: None)
    monkeypatch.setattr(judge, "level_by_texture", _one_level)
    assert len(find(a, b)) == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_misregistered_texture_alone_gives_no_box(seed):
    assert len(find(*_cloth_pair(seed, change=False))) == 0


def test_colour_gain_is_one_when_the_threshold_is_fixed_or_at_its_floor():
    a, b = _cloth_pair(1)
    assert find(a, b, threshold=60).metadata["colour_gain"] == 1.0
    clean = find(a, a)  # no noise: the threshold is at its floor
    assert clean.metadata["colour_gain"] == 1.0 and len(clean) == 0


# --- the pair's level per shared texture (issue 9: object_arduino, the level of 1.85) ---------


def _two_textures(flat: float, textured: float) -> tuple[np.ndarray, np.ndarray]:
    """An evidence map whose left half (texture 0) has median ``flat`` and right half (texture
    40 levels / px, a cloth) median ``textured``."""
    texture = np.zeros((100, 200), np.float32)
    texture[:, 100:] = 40.0
    z = np.empty_like(texture)
    z[:, :100], z[:, 100:] = flat, textured
    return z, texture


@pytest.mark.parametrize(
    ("flat", "textured", "level", "expected_flat", "expected_textured"),
    [
        (0.0, 3 * GLOBAL_MEDIAN, 1.5, 1.0, 1.5),  # a cloth's residue: the flat half is at 1
        (3 * GLOBAL_MEDIAN, 3 * GLOBAL_MEDIAN, 3.0, 3.0, 3.0),  # re-rendered: flat areas too
        (3 * GLOBAL_MEDIAN, GLOBAL_MEDIAN / 2, 1.07, 1.07, 1.07),  # a change on the flat half:
        # at most the whole picture's level, and more texture never judged less strictly
    ],
    ids=["residue on the texture", "re-rendered", "change on the flat half"],
)
def test_level_by_texture(flat, textured, level, expected_flat, expected_textured):
    z, texture = _two_textures(flat, textured)
    levels = level_by_texture(z, texture, level)
    assert levels.shape == z.shape and levels.dtype == np.float32
    assert levels[:, :100].max() == pytest.approx(expected_flat, rel=1e-4)
    assert levels[:, 100:].min() == pytest.approx(expected_textured, rel=1e-4)
    assert levels.max() <= level + 1e-6  # never above the whole picture's level
    assert level_by_texture(z, texture, level, np.zeros(z.shape, bool)) is None


@pytest.mark.parametrize("seed", [1, 2])
def test_the_board_beside_a_misregistered_cloth_is_judged_at_its_own_level(seed, monkeypatch):
    """The cloth's residue sets the pair's median evidence (level about 1.7-1.8); the board
    did not change, and the chip on it keeps its evidence against the board's level of 1."""
    a, b = _cloth_pair(seed)
    r = find(a, b)
    monkeypatch.setattr(judge, "level_by_texture", _one_level)
    r1 = find(a, b)  # the failure: one level for the whole picture
    assert r1.metadata["global_level"] > 1.5 and r.metadata["global_level"] == 1.0
    assert len(r) == len(r1) == 1 and _iou(r.boxes[0], _CHIP) > 0.8
    assert r.data["evidence"][0] > 1.4 * r1.data["evidence"][0]
    assert r.scores[0] > r1.scores[0] + 0.1


def test_noise_at_texture_reads_the_curve_at_each_pixel():
    from spotdiff.maps.noise import noise_at_texture

    texture = np.array([[0.0, 1.0, 2.0, 3.0, 100.0]], np.float32)
    levels, sigmas = np.array([1.0, 3.0]), np.array([2.0, 6.0])
    out = noise_at_texture(texture, levels, sigmas)
    assert out.dtype == np.float32 and out.shape == texture.shape
    np.testing.assert_allclose(out, [[2.0, 2.0, 4.0, 6.0, 6.0]])  # constant beyond the ends


def test_texture_curve_is_the_curve_of_the_half_grid():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (121, 160)).astype(np.uint8)
    a[:, :80] = 100  # a flat half and a textured half
    b = np.clip(a + rng.normal(0, 3, a.shape), 0, 255).astype(np.uint8)
    valid = np.ones(a.shape, bool)
    valid[:10] = False
    g1, g2, texture, levels, sigmas = texture_curve(a, b, valid)
    np.testing.assert_array_equal(g1, a[::2, ::2])
    np.testing.assert_array_equal(g2, b[::2, ::2])
    assert g1.flags.c_contiguous and texture.shape == g1.shape
    # within a few ulps: cv2.magnitude's result differs in the last bit from call to call
    np.testing.assert_allclose(texture, shared_texture(g1, g2, sigma=1.0), rtol=1e-6)
    want = noise_by_texture(g1, g2, texture, valid[::2, ::2], step=2)
    np.testing.assert_array_equal(levels, want[0])
    np.testing.assert_array_equal(sigmas, want[1])
    assert len(levels) >= 2 and sigmas[-1] > sigmas[0]  # the textured half differs more


@pytest.mark.parametrize("masked", [False, True])
def test_relative_noise_range_equals_the_counted_levels(masked):
    """The range from OpenCV's histogram is the range from counting the sampled levels."""
    from spotdiff.align.sharpness import noise_level

    rng = np.random.default_rng(4)
    gray = np.clip(rng.normal(90, 30, (97, 131)), 0, 255).astype(np.uint8)
    valid = rng.random(gray.shape) < 0.6 if masked else None
    g = gray[::2, ::2] if valid is None else gray[::2, ::2][valid[::2, ::2]]
    cum = np.bincount(g.ravel(), minlength=256).cumsum()
    lo = int(np.searchsorted(cum, 0.01 * cum[-1]))
    hi = int(np.searchsorted(cum, 0.99 * cum[-1]))
    assert hi - lo > 100
    assert relative_noise(gray, valid) == noise_level(gray) / (hi - lo)
    # a level already measured (find's greys: spotdiff.align.greys) gives the same share
    assert relative_noise(gray, valid, level=noise_level(gray)) == relative_noise(gray, valid)
    assert relative_noise(gray, valid, level=2.0) == 2.0 / (hi - lo)


def _relit_gravel(*, stone: bool, side=512, tint=False, noise=0.0, shift=0.0, blur=0.0, jpeg=None):
    """scikit-image's gravel (pebbles a few px across, spread 37 levels; grey, or tinted blue
    with ``tint``) at ``side`` x ``side`` px, photographed twice (sensor noise ``noise`` levels
    each), relit in image 2 by a smooth lamp (gain 0.75-1.25), optionally with a 24x16 px grey
    stone put on it at (250, 200), shifted by ``shift`` px, blurred by ``blur`` or
    JPEG-encoded."""
    skdata = pytest.importorskip("skimage.data", reason="the gravel picture is scikit-image's")
    t = cv2.resize(skdata.gravel(), (side, side)).astype(np.float64)
    a = np.dstack([0.9 * t, t, 1.1 * t] if tint else [t, t, t])
    yy, xx = np.mgrid[0:side, 0:side] / float(side)
    b = a * (0.75 + 0.5 * np.exp(-((xx - 0.7) ** 2 + (yy - 0.3) ** 2) / 0.15))[..., None]
    if stone:
        b[200:216, 250:274] = 90
    if shift:
        m = np.float32([[1, 0, shift], [0, 1, -shift / 2]])
        b = cv2.warpAffine(b, m, (side, side), borderMode=cv2.BORDER_REFLECT)
    if blur:
        b = cv2.GaussianBlur(b, (0, 0), blur)
    rng = np.random.default_rng(0)
    a, b = (np.clip(np.rint(x + rng.normal(0, noise, x.shape)), 0, 255) for x in (a, b))
    a, b = a.astype(np.uint8), b.astype(np.uint8)
    if jpeg:
        b = cv2.imdecode(cv2.imencode(".jpg", b, [cv2.IMWRITE_JPEG_QUALITY, jpeg])[1], -1)
    return a, b


def test_lit_noise_sigma_takes_the_change_of_light_out_and_leaves_the_noise():
    a, b = _grays(*_relit_gravel(stone=False, tint=True, noise=2.0))
    assert noise_sigma(a, b) > 15  # the lamp's gain on every pebble
    grey = 2 * np.sqrt(2 * (0.299**2 + 0.587**2 + 0.114**2))  # the sensor's, in grey: 1.9
    assert lit_noise_sigma(a, b) == pytest.approx(grey, rel=0.15)
    rng = np.random.default_rng(1)  # not relit: the noise is all there is, and it stays
    c = a.copy()
    d = np.clip(c + rng.normal(0, 4, c.shape), 0, 255).astype(np.uint8)
    assert lit_noise_sigma(c, d) == pytest.approx(noise_sigma(c, d), rel=0.1)
    assert lit_noise_sigma(a, b, np.zeros(a.shape, bool)) == 0.0


@pytest.mark.parametrize(
    "noise, lit, expected",
    [(18.0, 2.9, 2.9), (18.0, 6.0, 6.0), (5.5, 3.2, 5.5), (26.5, 19.7, 26.5), (1.0, 1.3, 1.0)],
)
def test_relit_noise_takes_the_lit_sigma_when_the_light_made_most_of_it(noise, lit, expected):
    assert relit_noise(noise, lit) == expected


@pytest.mark.parametrize("nuisance", [{}, {"shift": 1.0}, {"noise": 4.0}, {"blur": 1.0}])
@pytest.mark.parametrize("tint", [False, True])
def test_relit_gravel_alone_gives_no_box(tint, nuisance):
    """The lamp's residue on every pebble is no change. On the blue gravel the light field
    explains it (:mod:`spotdiff.maps.light`) and the noise sigma is what it leaves (about 3-6
    levels); on the grey gravel no light field is trusted, the residue stays in the evidence
    and the sigma it raises (about 19) keeps it under the threshold: a sigma taken after the
    light there regardless gave 15, 33 and 7 false boxes on the first three."""
    r = find(*_relit_gravel(stone=False, tint=tint, **nuisance))
    assert len(r.boxes) == 0
    assert (r.metadata["noise_sigma"] < 8) == tint


@pytest.mark.parametrize("nuisance", [{"jpeg": 85}, {"shift": 0.4}, {"noise": 3.0}])
def test_find_sees_a_stone_put_on_relit_gravel(nuisance):
    """Before, the lamp's residue on the gravel read as a noise sigma of 18 (colour threshold
    72) and the grey stone went unseen."""
    r = find(*_relit_gravel(stone=True, side=768, tint=True, **nuisance))
    assert len(r.boxes) == 1 and _iou(r.boxes[0], np.array([250, 200, 274, 216])) > 0.5


def test_the_pair_before_the_tone_curves_is_fitted_once_for_the_sigma_and_the_light(monkeypatch):
    """On a relit photo the judge decides whether the light changed (for the noise sigma) on the
    light fits of the pair before the tone curves, and :func:`~spotdiff.maps.light.explain_light`
    reuses them: one fit before the curves and one after, per find (three when each fitted its
    own)."""
    import spotdiff.maps._lightfit as lightfit

    a, b = _relit_gravel(stone=True, side=768, tint=True, jpeg=85)
    fit, calls = lightfit.fit_locations, []

    def counted(*args):
        calls.append(1)
        return fit(*args)

    monkeypatch.setattr(lightfit, "fit_locations", counted)
    r = find(a, b, flow=False)  # the flow fits a light field of its own
    assert r.metadata["noise_sigma"] < 8  # the relit sigma: the judge decided on the fits
    assert r.metadata["light"]["relit"] is True
    assert len(calls) == 2
    assert len(r.boxes) == 1 and _iou(r.boxes[0], np.array([250, 200, 274, 216])) > 0.5
