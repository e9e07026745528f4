"""Each nuisance changes image 2 by its documented, measured amount and keeps the truth valid."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

pytest.importorskip("skimage")

from spotdiff.evaluation._nuisances import NUISANCE_NAMES, NUISANCES, margin_for
from spotdiff.evaluation._photos import cover, load_photo
from spotdiff.evaluation.synthetic import generate_pairs

W, H = 320, 180
M = margin_for((W, H))
GEOMETRIC = ("translate", "rotate", "scale")


@pytest.fixture(scope="module")
def canvas() -> np.ndarray:
    """A photo canvas with an M-pixel margin, squeezed into [40, 193] so nothing clips."""
    photo = cover(load_photo("coffee"), (W + 2 * M, H + 2 * M), np.random.default_rng(0))
    return (40 + 0.6 * photo.astype(np.float32)).astype(np.uint8)


def _apply(name, canvas, seed=0):
    return NUISANCES.factory(name)(canvas, M, np.random.default_rng(seed))


def _crop(canvas) -> np.ndarray:
    return canvas[M:-M, M:-M].astype(np.float64)


def test_margin_hand_numbers():
    # 3 % of the width + rotation by 2 degrees + zoom by 3 % of the half diagonal, + 2
    half = math.hypot(1280, 720) / 2
    assert (
        margin_for((1280, 720))
        == math.ceil(38.4 + half * math.sin(math.radians(2)) + 0.03 * half) + 2
    )
    assert (margin_for((1280, 720)), margin_for((320, 180))) == (89, 24)


@pytest.mark.parametrize("name", NUISANCE_NAMES)
def test_every_nuisance_gives_a_deterministic_image_of_image1_size(name, canvas):
    before = canvas.copy()
    img2, params = _apply(name, canvas, seed=3)
    assert img2.shape == (H, W, 3) and img2.dtype == np.uint8
    np.testing.assert_array_equal(canvas, before)  # the edited canvas is left as it was
    again, params2 = _apply(name, canvas, seed=3)
    np.testing.assert_array_equal(img2, again)
    assert params == params2
    if name != "none":
        assert not np.array_equal(img2, _crop(canvas)), "a nuisance changes image 2"


def test_photometric_nuisances_change_image2_by_their_parameters(canvas):
    crop = _crop(canvas)
    none, p = _apply("none", canvas)
    assert p == {} and np.array_equal(none, crop)
    for seed in range(4):
        img, p = _apply("jpeg", canvas, seed)
        err = np.abs(img - crop)
        assert 60 <= p["quality"] <= 95
        assert 0.5 < err.mean() < 4.0  # a lossy round trip, but a mild one
        img, p = _apply("noise", canvas, seed)
        d = img - crop
        assert 2 <= p["sigma"] <= 6
        assert d.std() == pytest.approx(p["sigma"], rel=0.05) and abs(d.mean()) < 0.1
        img, p = _apply("brightness", canvas, seed)
        assert 12 <= abs(p["offset"]) <= 40
        assert np.abs(img - crop - p["offset"]).max() <= 0.5 + 1e-9  # rounded offset, no clip
        img, p = _apply("contrast", canvas, seed)
        gain = p["gain"]
        assert 0.7 <= gain <= 0.85 or 1.15 <= gain <= 1.35
        assert img.std() / crop.std() == pytest.approx(gain, rel=0.01)
        assert img.mean() == pytest.approx(crop.mean(), abs=0.1)
        img, p = _apply("gamma", canvas, seed)
        g = p["gamma"]
        assert 0.65 <= g <= 0.85 or 1.2 <= g <= 1.5
        np.testing.assert_array_equal(img, np.rint(255 * (crop / 255) ** g))


def _bilinear(canvas: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Exact bilinear samples of ``canvas`` at float canvas coordinates."""
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = (xs - x0)[..., None], (ys - y0)[..., None]
    c = canvas.astype(np.float64)
    top = c[y0, x0] * (1 - fx) + c[y0, x0 + 1] * fx
    bottom = c[y0 + 1, x0] * (1 - fx) + c[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


@pytest.mark.parametrize("name", GEOMETRIC)
def test_geometric_nuisance_samples_the_canvas_through_its_transform(name, canvas):
    for seed in range(3):
        img2, params = _apply(name, canvas, seed)
        t = np.array(params["transform"])
        assert t.shape == (3, 3) and np.allclose(t[2], [0, 0, 1])
        # image-2 pixel p2 shows image-1 point inv(t) @ p2, i.e. canvas point + M
        ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
        src = np.linalg.inv(t) @ np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
        sx, sy = src[0].reshape(H, W) + M, src[1].reshape(H, W) + M
        # the margin covers the motion: every sample is real canvas content, no border fill
        assert sx.min() >= 0 and sy.min() >= 0
        assert sx.max() <= canvas.shape[1] - 1 and sy.max() <= canvas.shape[0] - 1
        expected = _bilinear(canvas, sx, sy)
        assert np.abs(img2 - expected).max() <= 1.0  # OpenCV's fixed-point bilinear
    if name == "translate":
        shift = np.hypot(*t[:2, 2])
        assert np.allclose(t[:2, :2], np.eye(2)) and 0.3 <= shift <= 0.03 * W
    elif name == "rotate":
        angle = math.degrees(math.atan2(t[1, 0], t[0, 0]))
        assert 0.2 <= abs(angle) <= 2.0 and np.linalg.det(t[:2, :2]) == pytest.approx(1.0)
    else:
        s = t[0, 0]
        assert 0.005 <= abs(s - 1) <= 0.03 and t[1, 1] == s and t[0, 1] == t[1, 0] == 0
    # both rotate and scale keep the image centre in place
    if name != "translate":
        centre = np.array([(W - 1) / 2, (H - 1) / 2, 1.0])
        np.testing.assert_allclose(t @ centre, centre, atol=1e-9)


@pytest.mark.parametrize("size", [(320, 180), (1280, 720), (64, 48)])
def test_margin_covers_the_largest_motion_of_each_nuisance(size):
    w, h = size
    m = margin_for(size)
    corners = np.array([[0, w - 1, 0, w - 1], [0, 0, h - 1, h - 1], [1, 1, 1, 1]], dtype=float)
    c = np.array([(w - 1) / 2, (h - 1) / 2])

    def about_centre(a):
        t = np.eye(3)
        t[:2, :2] = a
        t[:2, 2] = c - a @ c
        return t

    theta = math.radians(2.0)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    extremes = [about_centre(rot), about_centre(rot.T), about_centre(np.eye(2) * 0.97)]
    extremes += [about_centre(np.eye(2) * 1.03)]
    for angle in np.linspace(0, 2 * np.pi, 8, endpoint=False):
        t = np.eye(3)
        t[:2, 2] = 0.03 * w * np.cos(angle), 0.03 * w * np.sin(angle)
        extremes.append(t)
    for t in extremes:
        src = np.linalg.inv(t) @ corners  # image-1 points shown at image 2's corners
        assert (src[0] >= -m).all() and (src[0] <= w - 1 + m).all()
        assert (src[1] >= -m).all() and (src[1] <= h - 1 + m).all()
        # and the edit area (image 1 inset by m) stays inside image 2
        area = np.array([[m, w - m, m, w - m], [m, m, h - m, h - m], [1, 1, 1, 1]], dtype=float)
        dst = t @ area
        assert (dst[0] >= 0).all() and (dst[0] <= w).all()
        assert (dst[1] >= 0).all() and (dst[1] <= h).all()


def test_truth_boxes_stay_inside_image2_under_every_geometric_nuisance():
    pairs = list(generate_pairs(6, size=(W, H), seed=5, nuisances=list(GEOMETRIC)))
    for pair in pairs:
        t = np.array(pair.params["transform"])
        for x0, y0, x1, y1 in pair.boxes:
            corners = np.array([[x0, x1, x0, x1], [y0, y0, y1, y1], [1, 1, 1, 1]])
            x, y, _ = t @ corners
            assert (x >= 0).all() and (x <= W).all() and (y >= 0).all() and (y <= H).all()


def test_geometric_transform_maps_image1_to_image2():
    size = (320, 180)
    pair = next(generate_pairs(1, size=size, seed=4, nuisances=["translate"]))
    t = np.array(pair.params["transform"])
    assert np.allclose(t[:2, :2], np.eye(2))
    shift = np.hypot(*t[:2, 2])
    assert 0.3 <= shift <= 0.03 * size[0]
    # warping the edited image 1 by the transform reproduces image 2 (up to the borders)
    warped = cv2.warpAffine(pair.edited, t[:2], size, flags=cv2.INTER_LINEAR)
    inner = (slice(15, -15), slice(15, -15))
    err = np.abs(warped[inner].astype(float) - pair.img2[inner].astype(float)).mean()
    wrong = cv2.warpAffine(pair.edited, np.linalg.inv(t)[:2], size, flags=cv2.INTER_LINEAR)
    err_wrong = np.abs(wrong[inner].astype(float) - pair.img2[inner].astype(float)).mean()
    assert err < 2.0
    if shift > 1:
        assert err_wrong > err


def test_aliases_resolve_to_the_nuisances():
    assert set(NUISANCES.names()) == set(NUISANCE_NAMES)
    for alias, name in [("clean", "none"), ("jpg", "jpeg"), ("shift", "translate")]:
        assert NUISANCES.resolve(alias) == name
    assert NUISANCES.resolve("rotation") == "rotate" and NUISANCES.resolve("zoom") == "scale"
