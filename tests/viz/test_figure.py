"""Comparison figures (spotdiff.viz.figure): inset picking, metrics, options, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from spotdiff import InvalidOptionError, LayoutError, SpotdiffWarning
from spotdiff.viz.figure import PALETTE, comparison_figure, pick_insets


def _scene(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:120, 0:160]
    img = np.stack([x * 1.5, y * 2.0, 255 - x], -1) + rng.normal(0, 2, (120, 160, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def images():
    ref = _scene()
    a = ref.copy()
    a[20:40, 100:120] = (255, 0, 0)  # method A wrong at (100, 20)
    b = ref.copy()
    b[80:100, 30:50] = 0  # method B wrong at (30, 80)
    return ref, a, b


def test_pick_insets_finds_the_errors_without_overlap(images):
    ref, a, b = images
    picked = pick_insets(ref, [a, b], k=2, size=20)
    boxes = np.array(sorted(box for box, _ in picked))
    # the SSIM window (radius 5) blurs the edges by a pixel or two
    assert np.abs(boxes - [[30, 80, 50, 100], [100, 20, 120, 40]]).max() <= 2
    assert all(score > 0.3 for _, score in picked)
    # the second pick never overlaps the first even where the score stays high next to it
    picked = pick_insets(ref, [a], k=2, size=24)
    (x1, y1, x2, y2), (u1, v1, u2, v2) = (box for box, _ in picked)
    assert x2 <= u1 or u2 <= x1 or y2 <= v1 or v2 <= y1


def test_pick_insets_warns_when_fewer_fit(images):
    ref, a, _ = images
    with pytest.warns(SpotdiffWarning, match="only 1 non-overlapping insets"):
        assert len(pick_insets(ref, [a], k=3, size=100)) == 1


def test_metrics_numbers(images):
    ref, a, b = images
    fig = comparison_figure(ref, [a, b], names=["A", "B"], inset_size=20, lpips=False)
    rec = fig.to_record()
    assert [m["name"] for m in rec["methods"]] == ["Reference", "A", "B"]
    mse = np.mean((ref.astype(float) - a) ** 2)
    assert rec["methods"][1]["psnr"] == pytest.approx(10 * math.log10(255**2 / mse), abs=1e-3)
    assert 0 < rec["methods"][1]["ssim"] < 1
    # A is wrong inside its own inset, exact (PSNR inf -> None in JSON) inside B's
    first_is_a = rec["insets"][0]["box"][0] > 80
    a_inset, b_inset = rec["methods"][1]["insets"][:: 1 if first_is_a else -1]
    assert a_inset["psnr"] < 15 and b_inset["psnr"] is None
    assert rec["insets"][0]["colour"] == PALETTE[0]
    assert rec["lpips"] == "not asked for"


def test_identical_method_has_infinite_psnr(images):
    ref = images[0]
    fig = comparison_figure(ref, [ref.copy()], lpips=False)
    assert math.isinf(fig.methods[1]["psnr"]) and fig.methods[1]["ssim"] == pytest.approx(1.0)


def test_boxes_by_hand_and_colours(images):
    ref, a, _ = images
    fig = comparison_figure(ref, [a], boxes=[[0, 0, 40, 20]], colours=["red"], lpips=False)
    assert fig.insets == [{"box": [0, 0, 40, 20], "score": None, "colour": "#FF0000"}]


@pytest.mark.parametrize("layout", ["rows", "columns", "grid"])
@pytest.mark.parametrize("position", ["right", "below"])
def test_layouts_fit_every_picture_in_the_page(images, layout, position):
    ref, a, b = images
    fig = comparison_figure(
        ref, [a, b], layout=layout, inset_position=position, lpips=False, inset_size=20
    )
    scene = fig.scene
    for _, x, y, w, h, _ in scene.images:
        assert x >= 0 and x + w <= scene.width + 1e-6 and y >= 0 and y + h <= scene.height + 1e-6
    picture = fig.picture()
    assert picture.shape == (round(scene.height), round(scene.width), 3)


def test_layout_shapes(images):
    ref, a, b = images
    rows = comparison_figure(ref, [a, b], layout="rows", lpips=False).scene
    cols = comparison_figure(ref, [a, b], layout="columns", lpips=False).scene
    assert rows.height > rows.width and cols.width > cols.height


def test_scale_doubles_the_picture(images):
    ref, a, _ = images
    one = comparison_figure(ref, [a], lpips=False).picture()
    two = comparison_figure(ref, [a], lpips=False, scale=2).picture()
    assert abs(two.shape[0] - 2 * one.shape[0]) <= 1 and abs(two.shape[1] - 2 * one.shape[1]) <= 1


def test_lpips_auto_is_skipped_without_weights(images, monkeypatch, tmp_path):
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ref, a, _ = images
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = comparison_figure(ref, [a])
    assert "lpips" not in fig.methods[1] and fig.lpips_note


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"layout": "diagonal"}, InvalidOptionError, "layout must be one of"),
        ({"inset_position": "left"}, InvalidOptionError, "inset_position must be one of"),
        ({"names": ["only one", "two"]}, InvalidOptionError, "2 names for 1 methods"),
        ({"insets": 0}, InvalidOptionError, "insets must be >= 1"),
        ({"inset_size": 500}, InvalidOptionError, "inset_size must be <="),
        ({"boxes": [[0, 0, 500, 10]]}, InvalidOptionError, "not inside the 160x120 image"),
        ({"colours": ["nocolour"]}, InvalidOptionError, "expected #RRGGBB"),
        ({"font_size": 1}, InvalidOptionError, "font_size must be >= 4"),
    ],
)
def test_bad_options(images, kwargs, error, message):
    ref, a, _ = images
    with pytest.raises(error, match=message):
        comparison_figure(ref, [a], lpips=False, **kwargs)


def test_size_mismatch_and_no_methods(images):
    ref = images[0]
    with pytest.raises(LayoutError, match="is 80x60 but the reference is 160x120"):
        comparison_figure(ref, [ref[:60, :80]], lpips=False)
    with pytest.raises(InvalidOptionError, match="at least one method"):
        comparison_figure(ref, [], lpips=False)
