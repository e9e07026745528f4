"""Sharpness matching: the sharper image is blurred, noise is not mistaken for sharpness."""

from __future__ import annotations

import math

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


def test_sharpness_cells_compare_the_pair_on_the_edges_both_show(grey):
    from spotdiff.align.sharpness import sharpness_cells

    soft = cv2.GaussianBlur(grey, (0, 0), 1.0)
    cells = sharpness_cells(grey, soft)
    assert cells.shape == (4, 6) and cells.dtype == np.float32
    ok = np.isfinite(cells)
    assert ok.sum() >= 16 and (cells[ok] > 0.15).all()  # image 1 the sharper everywhere
    np.testing.assert_allclose(sharpness_cells(soft, grey)[ok], -cells[ok], atol=1e-5)
    np.testing.assert_allclose(sharpness_cells(grey, grey)[ok], 0.0, atol=1e-6)
    valid = np.ones(grey.shape, bool)
    valid[:, :60] = False  # cell column 0 (53 px wide) invalid
    assert np.isnan(sharpness_cells(grey, soft, valid)[:, 0]).all()
    flat = grey.copy()
    flat[:72] = 128  # the top cell row (60 px) holds no edge in image 1: nothing shared
    assert np.isnan(sharpness_cells(flat, soft)[0]).all()


def _circles(size=(320, 480)) -> np.ndarray:
    img = np.full(size, 255, np.uint8)
    for k in range(12):
        x, y = 40 + (k % 6) * 75, 60 + (k // 6) * 150
        cv2.circle(img, (x, y), 28, 200 - 15 * k, -1)
        cv2.circle(img, (x, y), 28, 0, 6)
    return img


def test_a_drawing_blurred_by_a_pixel_is_matched():
    """Across a step edge the mean gradient magnitude is the step's height whatever the blur
    (the measure before this one saw no difference here); the fine-to-coarse energy ratio
    falls. Flat-coloured drawings are nothing but such edges."""
    img = _circles()
    sigma1, sigma2 = match_sharpness(img, cv2.GaussianBlur(img, (0, 0), 1.0))
    assert 0.85 <= sigma1 <= 1.2 and sigma2 == 0.0


def test_a_recoloured_panel_is_not_sharpness(grey):
    """A recolour's new edges exist in image 2 only: not shared, they do not count (the RMS
    gradient counted them, and blurred image 1 for them)."""
    other = grey.copy()
    panel = other[40:200, 50:270].astype(np.int16) + 60
    other[40:200, 50:270] = np.clip(panel, 0, 255).astype(np.uint8)
    assert match_sharpness(grey, other) == (0.0, 0.0)
    flat = np.full((240, 320), 120, np.uint8)
    painted = flat.copy()
    painted[40:200, 50:270] = 180  # new edges only: nothing shared
    assert match_sharpness(flat, painted) == (0.0, 0.0)


def test_an_aliased_drawing_is_not_blurred_to_an_antialiased_one():
    from spotdiff.align.sharpness import aliased

    hard = np.full((240, 320), 245, np.uint8)
    smooth = hard.copy()
    for img, line in ((hard, cv2.LINE_8), (smooth, cv2.LINE_AA)):
        for k in range(6):
            cv2.circle(img, (50 + 45 * k, 60 + 20 * k), 30, 40 * k, 2, line)
            cv2.line(img, (10, 120 + 15 * k), (300, 150 + 12 * k), 20, 1, line)
    everywhere = np.ones(hard.shape, bool)
    assert aliased(hard, everywhere) and not aliased(smooth, everywhere)
    assert match_sharpness(smooth, hard) == (0.0, 0.0)  # the rasterization, edge by edge
    s1, s2 = match_sharpness(smooth, cv2.GaussianBlur(smooth, (0, 0), 1.0))
    assert s1 >= 0.7 and s2 == 0.0


@pytest.mark.parametrize("sigma", [2.0, 6.0])
def test_noise_level_measures_gaussian_noise_on_a_flat_image(sigma):
    flat = np.full((240, 330), 128.0)  # 330 px: a partial last block column is left out
    noisy = np.clip(np.rint(flat + np.random.default_rng(1).normal(0, sigma, flat.shape)), 0, 255)
    # the flattest fifth of the 16x16 blocks reads a little low: about 0.94 sigma
    assert noise_level(noisy.astype(np.uint8)) == pytest.approx(sigma, rel=0.1)


def _photo(name: str) -> np.ndarray:
    img = getattr(skdata, name)()
    img = np.stack([img] * 3, -1) if img.ndim == 2 else img
    h, w = img.shape[:2]
    return cv2.resize(img, (640, round(640 * h / w)), interpolation=cv2.INTER_AREA)


def _webp(img: np.ndarray) -> np.ndarray:
    _, buf = cv2.imencode(
        ".webp", np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_WEBP_QUALITY, 60]
    )
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def _half_up(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize(
    ("name", "nuisance", "spot"),
    [
        ("camera", _webp, (470, 300)),  # the coat's and the grass's texture: 5 boxes before
        ("rocket", _half_up, (330, 120)),  # the trees and the tower: 17 boxes before
    ],
)
def test_a_photo_reencoded_or_resampled_gives_no_box_and_a_change_on_it_is_found(
    name, nuisance, spot
):
    """Re-encoding (WebP q60) or a half-size thumbnail scaled back up softens the texture of
    image 2; matched as before (mean gradient magnitude) image 1 was left too sharp, or blurred
    too much, and the structure map boxed its texture."""
    from spotdiff import find

    img = _photo(name)
    assert len(find(img, nuisance(img))) == 0
    edited = img.copy()
    cv2.circle(edited, spot, 10, (250, 30, 30), -1)
    r = find(img, nuisance(edited))
    assert len(r) == 1
    x1, y1, x2, y2 = r.boxes[0]
    assert x1 <= spot[0] - 8 and x2 >= spot[0] + 8 and y1 <= spot[1] - 8 and y2 >= spot[1] + 8


@pytest.mark.parametrize("shape", [(576, 1024), (540, 960), (40, 17), (9, 5)])
@pytest.mark.parametrize("image", ["noise", "steps"])
def test_noise_level_equals_the_float_filter_of_a_float_copy(shape, image):
    """uint8 filtered straight to float32 in two separable passes (whole levels) gives the 3x3
    filter of the float copy's numbers, on extreme steps (0 / 255) too."""
    rng = np.random.default_rng(2)
    gray = np.clip(rng.normal(120, 9, shape), 0, 255).astype(np.uint8)
    if image == "steps":
        gray = np.where(rng.random(shape) < 0.3, 255, 0).astype(np.uint8)
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    r = np.abs(cv2.filter2D(gray.astype(np.float32), -1, k)[1:-1, 1:-1])
    h, w = r.shape
    if h >= 16 and w >= 16:
        r = r[: h // 16 * 16, : w // 16 * 16]
    blocks = cv2.resize(r, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
    want = float(math.sqrt(math.pi / 2) / 6 * np.percentile(blocks, 20))
    assert noise_level(gray) == want and want > 1.0
    assert noise_level(gray[1:, 1:]) == noise_level(gray[1:, 1:].copy())  # a view alike


@pytest.mark.parametrize("shape", [(540, 960), (541, 961), (270, 480), (17, 33), (3, 7), (1, 1)])
@pytest.mark.parametrize("image", ["noise", "steps"])
def test_gradient_energy_equals_the_float_sobels_squared(shape, image):
    """The int16 one-pass gradients give the float32 Sobels' energy to the bit (every value a
    whole number below 2 ** 24), on extreme steps (0 / 255) and on views too."""
    from spotdiff.align.sharpness import _energy

    rng = np.random.default_rng(7)
    if image == "noise":
        gray = rng.integers(0, 256, shape, dtype=np.uint8)
    else:
        gray = (rng.random(shape) < 0.5).astype(np.uint8) * 255
    for g in (gray, gray[: max(1, shape[0] // 2 * 2), : max(1, shape[1] // 2 * 2)]):
        gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)
        want = gx * gx + gy * gy
        got = _energy(g)
        assert got.dtype == np.float32
        assert np.array_equal(got, want)
