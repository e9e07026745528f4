"""Rendering a figure scene (spotdiff.viz._figure_draw): PNG pixels, vector PDF structure."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest

from spotdiff.viz._figure_draw import Scene, render_pdf, render_png, text_width


def _scene() -> Scene:
    scene = Scene(width=100, height=60)
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, 0] = (255, 0, 0)
    scene.images.append((img, 10, 10, 40, 40, True))
    scene.rects.append((60, 10, 30, 30, (0, 0, 255), 2.0))
    scene.texts.append((10, 58, 8, "A (b) \\ é", (0, 0, 0), False))
    return scene


def test_text_width_uses_helvetica_metrics():
    assert text_width("0", 10) == pytest.approx(5.56)
    assert text_width("W", 1000, bold=True) == pytest.approx(944)
    assert text_width("é", 10) == pytest.approx(5.56)


def test_png_pixels():
    out = render_png(_scene(), scale=1)
    assert out.shape == (60, 100, 3) and out.dtype == np.uint8
    assert tuple(out[15, 15]) == (255, 0, 0) and tuple(out[35, 35]) == (0, 0, 0)  # nearest
    assert tuple(out[10, 75]) == (0, 0, 255) and tuple(out[25, 75]) == (255, 255, 255)
    assert render_png(_scene(), scale=2).shape == (120, 200, 3)


def test_pdf_is_vector_with_text_and_lossless_images(tmp_path):
    path = render_pdf(_scene(), tmp_path / "f.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 100.00 60.00]" in data
    assert b"/BaseFont /Helvetica" in data and b"/Interpolate false" in data
    streams = [zlib.decompress(m) for m in re.findall(rb"stream\n(.*?)\nendstream", data, re.S)]
    image, content = streams
    assert image[:3] == b"\xff\x00\x00" and len(image) == 12  # the 2x2 picture, full resolution
    assert b"60.000 20.000 30.000 30.000 re S" in content  # the frame, y flipped
    assert b"(A \\(b\\) \\\\ \xe9) Tj" in content  # text escaped, cp1252
    # the xref offsets point at the objects
    xref = int(re.search(rb"startxref\n(\d+)", data).group(1))
    offsets = [int(v) for v in re.findall(rb"(\d{10}) 00000 n", data[xref:])]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())
