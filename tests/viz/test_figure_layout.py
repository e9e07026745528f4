"""Figure layout (spotdiff.viz._figure_layout): cells, captions, fitting text."""

from __future__ import annotations

import math

import numpy as np

from spotdiff.viz._figure_draw import text_width
from spotdiff.viz._figure_layout import _fit, lay_out


def _records(n: int) -> list[dict]:
    out = [{"name": "Reference", "reference": True, "insets": [{}]}]
    for i in range(n):
        out.append(
            {
                "name": f"M{i}",
                "psnr": math.inf,
                "ssim": 1.0,
                "lpips": 0.5,
                "insets": [{"psnr": 30.0, "ssim": 0.9, "lpips": None}],
            }
        )
    return out


def test_captions_and_frames():
    imgs = [np.zeros((100, 200, 3), np.uint8)] * 3
    scene = lay_out(
        imgs,
        _records(2),
        [[10, 10, 30, 30]],
        [(255, 0, 0)],
        layout="rows",
        inset_position="right",
        font_size=10,
        image_width=200,
        lpips=True,
    )
    texts = [t[3] for t in scene.texts]
    # inset side = image height 100 - caption 12 = 88 units for 20 px: x4.4
    assert texts[:3] == ["Reference", "reference", "\u00d74.4"]
    assert "PSNR inf dB  SSIM 1.000  LPIPS 0.500" in texts
    assert "30.00 / 0.900 / -" in texts
    assert texts[-1] == "PSNR (dB) / SSIM / LPIPS: whole image and each inset"
    # 3 frames on the full images + 3 inset frames
    assert len(scene.rects) == 6 and len(scene.images) == 6
    _x, _y, w, h, colour, _ = scene.rects[0]
    assert (w, h, colour) == (20, 20, (255, 0, 0))


def test_grid_is_near_square():
    imgs = [np.zeros((50, 50, 3), np.uint8)] * 4
    scene = lay_out(
        imgs,
        _records(3),
        [],
        [],
        layout="grid",
        inset_position="below",
        font_size=10,
        image_width=50,
        lpips=False,
    )
    xs = sorted({round(img[1]) for img in scene.images})
    ys = sorted({round(img[2]) for img in scene.images})
    assert len(xs) == 2 and len(ys) == 2


def test_fit_shrinks_then_cuts():
    assert _fit("short", 10, 100) == ("short", 10)
    text, size = _fit("a longer caption", 10, text_width("a longer caption", 8))
    assert text == "a longer caption" and 7.9 < size < 8.1
    text, size = _fit("a very very long caption indeed", 10, 30)
    assert text.endswith("\u2026") and text_width(text, size) <= 30 and size == 6
