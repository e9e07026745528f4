"""Object shapes fill their box exactly; feathered alpha and blending keep their numbers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")  # the silhouette is scikit-image's horse

from spotdiff.evaluation import _shapes
from spotdiff.evaluation._shapes import SHAPES, blend, feather, random_shape

SIZES = [(40, 60), (100, 30), (9, 7)]


def _margins(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Empty rows / columns between the True pixels and the top, bottom, left, right sides."""
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return int(ys.min()), int(h - 1 - ys.max()), int(xs.min()), int(w - 1 - xs.max())


@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("size", SIZES)
def test_every_shape_is_drawn_inside_its_box_touching_the_sides(name, size):
    h, w = size
    for seed in range(3):
        mask = SHAPES[name](h, w, np.random.default_rng(seed))
        assert mask.shape == (h, w) and mask.dtype == bool
        assert 0.3 <= mask.mean() <= 0.95, "a shape fills a good part of its box, not all of it"
        # drawn with sub-pixel precision: the sides are touched (the resized horse within 2 px)
        assert max(_margins(mask)) <= (2 if name == "silhouette" else 0)


def test_ellipse_area_is_pi_over_four_of_its_box():
    mask = SHAPES["ellipse"](200, 300, np.random.default_rng(0))
    assert mask.mean() == pytest.approx(np.pi / 4, abs=0.01)
    # symmetric about both axes (to one pixel of rasterization)
    assert np.mean(mask != mask[::-1]) < 0.01 and np.mean(mask != mask[:, ::-1]) < 0.01


def test_random_shape_is_deterministic_and_leaves_out_the_horse(monkeypatch):
    a = random_shape(30, 40, np.random.default_rng(5))
    b = random_shape(30, 40, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)

    def horse(h, w, rng):
        raise AssertionError("silhouette drawn with silhouette=False")

    monkeypatch.setitem(SHAPES, "silhouette", horse)
    rng = np.random.default_rng(0)
    for _ in range(60):
        assert random_shape(20, 20, rng, silhouette=False).shape == (20, 20)
    with pytest.raises(AssertionError, match="silhouette"):
        for _ in range(60):  # 1 in 5 draws is the horse when it is allowed
            random_shape(20, 20, rng)


def test_random_shape_never_returns_an_empty_mask(monkeypatch):
    for name in SHAPES:
        monkeypatch.setitem(SHAPES, name, lambda h, w, rng: np.zeros((h, w), dtype=bool))
    mask = random_shape(6, 8, np.random.default_rng(0))
    assert mask.shape == (6, 8) and mask.all()


def test_feather_is_a_soft_alpha_that_keeps_the_mass():
    core = np.zeros((40, 40), dtype=bool)
    core[15:25, 12:28] = True  # 160 pixels, >= 3 sigma from every side
    alpha = feather(core, 1.5)
    assert alpha.dtype == np.float32 and alpha.shape == core.shape
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert alpha.sum() == pytest.approx(160.0, rel=1e-3)  # a blur moves mass, never adds it
    assert alpha[20, 20] > 0.99 and alpha[14, 20] == pytest.approx(0.5, abs=0.25)
    assert alpha[:5].max() == 0.0  # nothing beyond the kernel's reach
    np.testing.assert_array_equal(feather(core, 0), core.astype(np.float32))


def test_blend_hand_numbers():
    back = np.full((2, 3, 3), 10, dtype=np.uint8)
    front = np.full((2, 3, 3), 200, dtype=np.uint8)
    alpha = np.array([[0.0, 0.5, 1.0], [0.25, 0.1, 0.999]], dtype=np.float32)
    out = blend(back, front, alpha)
    assert out.dtype == np.uint8
    # round(10 + a * 190): 10, 105, 200, 57.5 -> 58, 29, 199.81 -> 200
    np.testing.assert_array_equal(out[..., 0], [[10, 105, 200], [58, 29, 200]])
    assert (out == out[..., :1]).all()


def test_horse_is_cached_and_cropped_tight():
    horse = _shapes._horse()
    assert horse is _shapes._horse()
    assert _margins(horse) == (0, 0, 0, 0) and horse.dtype == bool
