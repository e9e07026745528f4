"""Reshaped glyphs (issue 9, ui): one character changed in small UI text is found; the same
text re-rasterized (another anti-aliasing, half a pixel over, JPEG) is not a change."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import spotdiff.maps.glyph as glyph_module
import spotdiff.maps.words as words_module
from spotdiff.detect import find
from spotdiff.evaluation.metrics import box_iou
from spotdiff.maps.glyph import reshaped_glyphs

FONT = cv2.FONT_HERSHEY_SIMPLEX


def _page(scale: float, text: str, *, factor: int = 1, offset: float = 0.0) -> np.ndarray:
    """Six rows of small Hershey text and ``text`` at (250, 100), anti-aliased; with
    ``factor`` > 1 drawn at that many times the size (stroke 1 px x factor) and box-reduced
    (another anti-aliasing), shifted right by ``offset`` px."""
    f = factor
    img = np.full((200 * f, 400 * f, 3), 245, np.uint8)
    rows = [(f"Row {i} value {1000 + 37 * i}", (10, y)) for i, y in enumerate(range(30, 190, 30))]
    for line, (x, y) in [*rows, (text, (250, 100))]:
        org = (round((x + offset) * f), y * f)
        cv2.putText(img, line, org, FONT, scale * f, (40, 40, 40), f, cv2.LINE_AA)
    return img if f == 1 else cv2.resize(img, (400, 200), interpolation=cv2.INTER_AREA)


def _truth(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The box (x1, y1, x2, y2, exclusive) of the pixels differing by more than 20 levels."""
    ys, xs = np.nonzero(np.abs(a.astype(int) - b).max(axis=2) > 20)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def _jpeg(img: np.ndarray, quality: int = 85) -> np.ndarray:
    _, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


EDITS = [("1234", "1284"), ("Total: 1234", "Total: 1284"), ("price 40", "price 46")]


@pytest.mark.parametrize("scale", [0.35, 0.45, 0.6])
@pytest.mark.parametrize(("before", "after"), EDITS, ids=["1234", "total", "price"])
def test_one_character_changed_in_small_text_is_one_box(scale, before, after):
    a, b = _page(scale, before), _page(scale, after)
    r = find(a, b)
    assert len(r) == 1
    assert box_iou(r.boxes, _truth(a, b)[None])[0, 0] >= 0.5


def _line(text: str) -> np.ndarray:
    """Five lines of Pillow's default font at 11 px, ``text`` the third."""
    img = Image.new("RGB", (400, 120), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=11)
    for i in range(5):
        line = text if i == 2 else f"Item {i}: quantity {17 + i * 3} total {120 + i * 11}"
        draw.text((10, 10 + 20 * i), line, font=font, fill=(30, 30, 30))
    return np.asarray(img).copy()


def test_a_word_changed_in_a_line_of_11px_text_is_one_box():
    a = _line("Status: ready, build 1234 on host alpha")
    b = _line("Status: ready, build 1234 on host gamma")
    r = find(a, b)
    assert len(r) == 1
    assert box_iou(r.boxes, _truth(a, b)[None])[0, 0] >= 0.5


def test_a_digit_changed_in_a_line_of_11px_text_is_one_box_around_it():
    # 3 -> 8 changes 3 columns by more than 20 levels; the box also holds the faint rest
    # (14-19 levels a channel: 24 and more in RGB distance) a pixel or two beside them
    a = _line("Status: ready, build 1234 on host alpha")
    b = _line("Status: ready, build 1284 on host alpha")
    r = find(a, b)
    assert len(r) == 1
    truth = _truth(a, b)
    assert (r.boxes[0, :2] <= truth[:2]).all() and (r.boxes[0, 2:] >= truth[2:]).all()
    assert (np.abs(r.boxes[0] - truth) <= 3).all()


@pytest.mark.parametrize("scale", [0.35, 0.45, 0.6])
@pytest.mark.parametrize(
    ("one", "other"),
    [
        ((4, 0.0), (3, 0.0)),  # another anti-aliasing: supersampled 4x and 3x
        ((4, 0.0), (8, 0.0)),
        ((4, 0.0), (4, 0.5)),  # half a pixel over
        ((4, 0.0), (4, 0.25)),
        ((1, 0.0), "jpeg"),  # saved as JPEG q85
        ((4, 0.0), "jpeg"),
    ],
    ids=["4x-3x", "4x-8x", "half-pixel", "quarter-pixel", "jpeg-q85", "4x-jpeg-q85"],
)
def test_the_same_page_rendered_otherwise_gives_no_box(scale, one, other):
    a = _page(scale, "1234", factor=one[0], offset=one[1])
    b = _jpeg(a) if other == "jpeg" else _page(scale, "1234", factor=other[0], offset=other[1])
    assert np.abs(a.astype(int) - b).max() > 20  # they differ, by up to 205 levels
    assert len(find(a, b)) == 0
    assert not reshaped_glyphs(a, b, threshold=24.0).any()


def test_reshaped_glyphs_marks_the_changed_character_only():
    a, b = _page(0.45, "1234"), _page(0.45, "1284")
    out = reshaped_glyphs(a, b, threshold=24.0)
    ys, xs = np.nonzero(out)
    x1, y1, x2, y2 = _truth(a, b)
    assert xs.min() >= x1 and xs.max() < x2 and ys.min() >= y1 and ys.max() < y2
    # the plain difference (levels) of the pixels that reach the threshold
    plain = np.sqrt(((a.astype(float) - b) ** 2).sum(axis=2))
    np.testing.assert_allclose(out[ys, xs], plain[ys, xs], rtol=1e-6)
    assert len(ys) == int((plain >= 24.0).sum())


def test_without_the_rule_the_changed_digit_is_lost(monkeypatch):
    # what the rule fixes: every new stroke of the 8 lies within 1 px of ink of the 3 or the 2
    monkeypatch.setattr(glyph_module, "MAX_SIDE", 0)
    monkeypatch.setattr(words_module, "FLOOR", np.inf)  # and the word rule (.words) off
    assert len(find(_page(0.35, "1234"), _page(0.35, "1284"))) == 0


def test_text_rasterized_around_the_change_too_is_not_reshaped():
    # another hinting (Pillow's monochrome glyphs): every glyph differs; the rule stays quiet
    # and leaves the pair to the anti-aliasing tolerance (tests/maps/test_antialias.py)
    a, b = _line("Status: ready"), _line("Status: ready")
    img = Image.fromarray(b)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"
    draw.rectangle((0, 0, 399, 119), fill=(245, 245, 245))
    draw.text((10, 50), "Status: ready", font=ImageFont.load_default(size=11), fill=(30, 30, 30))
    b = np.asarray(img)
    assert np.abs(a[40:70].astype(int) - b[40:70]).max() > 100
    assert not reshaped_glyphs(a[40:70], b[40:70], threshold=24.0).any()


def _two_changed(scale: float) -> tuple[np.ndarray, np.ndarray]:
    """ "1234567" -> "1284587": two digits changed two characters apart (4 px at 0.45), JPEG 90."""
    return _jpeg(_page(scale, "1234567"), 90), _jpeg(_page(scale, "1284587"), 90)


@pytest.mark.parametrize("scale", [0.45, 0.6])
def test_two_characters_changed_side_by_side_are_one_box(scale):
    a, b = _two_changed(scale)
    r = find(a, b)
    assert len(r) == 1
    truth = _truth(_page(scale, "1234567"), _page(scale, "1284587"))
    assert box_iou(r.boxes, truth[None])[0, 0] >= 0.6


def test_two_characters_changed_side_by_side_hid_each_other(monkeypatch):
    # what MAX_BESIDE fixes: each changed digit was the other's "changed text around"
    monkeypatch.setattr(glyph_module, "MAX_BESIDE", 0)
    monkeypatch.setattr(words_module, "FLOOR", np.inf)  # and the word rule (.words) off
    a, b = _two_changed(0.45)
    r = find(a, b)
    truth = _truth(_page(0.45, "1234567"), _page(0.45, "1284587"))
    assert len(r) == 1 and box_iou(r.boxes, truth[None])[0, 0] < 0.4  # the first "8" only
