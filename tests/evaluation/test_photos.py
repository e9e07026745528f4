"""The bundled photographs load as read-only RGB; cover() crops them; segments have exact boxes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")

from spotdiff.evaluation._photos import PHOTOS, cover, load_photo, photo_segments


def test_every_bundled_photo_loads_as_readonly_rgb_and_is_cached():
    for name in PHOTOS:
        img = load_photo(name)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3, name
        assert min(img.shape[:2]) >= 256, name
        assert not img.flags.writeable and img.flags.c_contiguous
        assert load_photo(name) is img
    gray = load_photo("camera")  # a grayscale photo stacked to RGB
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
    assert not (load_photo("astronaut")[..., 0] == load_photo("astronaut")[..., 2]).all()
    with pytest.raises(ValueError):
        load_photo("astronaut").flat[0] = 1


def _gradient() -> np.ndarray:
    """128 x 256 photo whose value is its column number."""
    return np.repeat(np.broadcast_to(np.arange(256, dtype=np.uint8), (128, 256))[..., None], 3, 2)


@pytest.mark.parametrize("size", [(64, 64), (300, 40), (640, 360)])
def test_cover_returns_a_new_window_of_the_requested_size(size):
    photo = load_photo("coffee")
    out = cover(photo, size, np.random.default_rng(0))
    assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
    assert out.flags.writeable and out.flags.c_contiguous
    assert not np.shares_memory(out, photo)
    np.testing.assert_array_equal(out, cover(photo, size, np.random.default_rng(0)))


def test_cover_zooms_by_one_to_one_and_a_quarter_times_cover_and_mirrors():
    spans, mirrored = [], 0
    for seed in range(12):
        out = cover(_gradient(), (64, 64), np.random.default_rng(seed)).astype(int)
        assert (out == out[:1]).all()  # columns of the gradient stay columns
        row = out[0, :, 0]
        steps = np.diff(row)
        assert (steps >= 0).all() or (steps <= 0).all()
        mirrored += int(steps.sum() < 0)
        spans.append(abs(row[-1] - row[0]))
    # cover scale 64 / 128 = 0.5, times U(1, 1.25): 63 output pixels span 63 / s levels
    assert min(spans) >= 63 / 0.625 - 2 and max(spans) <= 63 / 0.5 + 2
    assert 0 < mirrored < 12


def test_photo_segments_boxes_are_the_exact_label_extents():
    image = load_photo("coffee")  # 600 px wide -> worked on at 320
    labels, boxes, f = photo_segments(image)
    assert f == pytest.approx(600 / 320)
    assert labels.shape == (round(400 / f), 320) and labels.dtype == np.int32
    assert len(boxes) == labels.max() + 1 and len(boxes) > 20
    for k in (0, len(boxes) // 2, len(boxes) - 1):
        x0, y0, x1, y1 = boxes[k]
        ys, xs = np.nonzero(labels == k)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_photo_segments_of_a_small_image_work_at_full_size():
    image = np.ascontiguousarray(load_photo("coffee")[:90, :200])
    labels, _boxes, f = photo_segments(image)
    assert f == 1.0 and labels.shape == (90, 200)
    labels2, _, f2 = photo_segments(image, work_width=100)
    assert f2 == 2.0 and labels2.shape == (45, 100)
