"""Drawing a comparison figure: a scene of pictures, frames and text, rendered to PNG or to PDF.

One layout, two renderers. The layout is in figure units (1 unit = 1 PNG pixel at ``scale=1`` =
1 PDF point) and text is measured with Helvetica's metrics, which the PDF uses and which the PNG's
font (Liberation Sans, metric-compatible with Helvetica, else Pillow's own font) matches.

Why a small PDF writer of our own rather than matplotlib or Pillow: Pillow writes PDFs as one
raster page (text and frames blurred when zoomed, not editable); matplotlib would add a 30 MB
dependency and its layout engine for what is a handful of pictures, rectangles and lines of
text. This writer (PDF 1.4) puts the frames and the text in as vectors (Helvetica, one of the
PDF base-14 fonts, so nothing is embedded and the text stays selectable and editable in
Illustrator or Inkscape) and every picture at its full resolution, losslessly (Flate), the
zoomed insets with interpolation off so that viewers show their pixels as the PNG does.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write

__all__ = ["Scene", "render_pdf", "render_png", "text_width"]

# Helvetica and Helvetica-Bold advance widths (1/1000 em) of characters 32-126 (WinAnsiEncoding)
_REGULAR = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 "
    "556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 "
    "833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 "
    "556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 "
    "334 260 334 584"
)
_BOLD = (
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 "
    "556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 611 833 "
    "722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 611 556 611 "
    "556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 556 556 500 389 "
    "280 389 584"
)
_WIDTHS = {False: [int(v) for v in _REGULAR.split()], True: [int(v) for v in _BOLD.split()]}
_FONTS = (  # (regular, bold): Liberation Sans (Linux), Arial (macOS, Windows)
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` in figure units at font ``size`` (Helvetica metrics; characters outside
    ASCII count as an ``n``)."""
    table = _WIDTHS[bold]
    return sum(table[ord(c) - 32] if 32 <= ord(c) < 127 else 556 for c in text) * size / 1000.0


@dataclass
class Scene:
    """What a figure draws, in figure units with y pointing down.

    ``images``: ``(array (h, w, 3) uint8, x, y, width, height, pixelated)``; ``rects``:
    ``(x, y, width, height, rgb, line_width)`` frames; ``texts``: ``(x, baseline_y, size, text,
    rgb, bold)``.
    """

    width: float
    height: float
    images: list[tuple[np.ndarray, float, float, float, float, bool]] = field(default_factory=list)
    rects: list[tuple[float, float, float, float, tuple[int, int, int], float]] = field(
        default_factory=list
    )
    texts: list[tuple[float, float, float, str, tuple[int, int, int], bool]] = field(
        default_factory=list
    )


@lru_cache(maxsize=32)
def _font(size: int, bold: bool) -> Any:
    from PIL import ImageFont

    for pair in _FONTS:
        path = pair[1 if bold else 0]
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def render_png(scene: Scene, *, scale: float = 1.0) -> np.ndarray:
    """The scene as an (H, W, 3) uint8 picture, ``scale`` pixels per figure unit. Pictures are
    resized with area averaging (smaller) or nearest neighbour (``pixelated`` insets)."""
    import cv2
    from PIL import Image, ImageDraw

    def px(v: float) -> int:
        return round(v * scale)

    canvas = Image.new("RGB", (max(1, px(scene.width)), max(1, px(scene.height))), "white")
    for array, x, y, w, h, pixelated in scene.images:
        size = (max(1, px(x + w) - px(x)), max(1, px(y + h) - px(y)))
        smaller = size[0] < array.shape[1]
        method = (
            cv2.INTER_NEAREST if pixelated else (cv2.INTER_AREA if smaller else cv2.INTER_CUBIC)
        )
        canvas.paste(Image.fromarray(cv2.resize(array, size, interpolation=method)), (px(x), px(y)))
    draw = ImageDraw.Draw(canvas)
    for x, y, w, h, rgb, line in scene.rects:
        t = max(1, px(line))
        half = t / 2
        box = (px(x) - half, px(y) - half, px(x + w) + half - 1, px(y + h) + half - 1)
        draw.rectangle([round(v) for v in box], outline=rgb, width=t)
    for x, y, size, text, rgb, bold in scene.texts:
        draw.text((px(x), px(y)), text, fill=rgb, font=_font(max(1, px(size)), bold), anchor="ls")
    return np.asarray(canvas)


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _colour(rgb: tuple[int, int, int]) -> str:
    return " ".join(f"{c / 255:.4f}" for c in rgb)


def render_pdf(scene: Scene, path: str | os.PathLike[str]) -> Path:
    """Write the scene as a one-page vector PDF (1 figure unit = 1 pt), atomically."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(head: str, data: bytes) -> bytes:
        return f"<< {head} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"

    height = scene.height
    ops = [f"1 1 1 rg 0 0 {scene.width:.2f} {height:.2f} re f"]
    names = []
    for k, (array, x, y, w, h, pixelated) in enumerate(scene.images):
        arr = np.ascontiguousarray(array, dtype=np.uint8)
        head = (
            f"/Type /XObject /Subtype /Image /Width {arr.shape[1]} /Height {arr.shape[0]} "
            f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Interpolate "
            f"{'false' if pixelated else 'true'} /Filter /FlateDecode"
        )
        names.append((f"Im{k}", add(stream(head, zlib.compress(arr.tobytes(), 6)))))
        ops.append(f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {height - y - h:.3f} cm /Im{k} Do Q")
    for x, y, w, h, rgb, line in scene.rects:
        ops.append(
            f"{_colour(rgb)} RG {line:.3f} w {x:.3f} {height - y - h:.3f} {w:.3f} {h:.3f} re S"
        )
    content = "\n".join(ops).encode("ascii")
    for x, y, size, text, rgb, bold in scene.texts:
        font = "F2" if bold else "F1"
        content += (
            f"\nBT {_colour(rgb)} rg /{font} {size:.2f} Tf {x:.3f} {height - y:.3f} Td (".encode()
            + _pdf_text(text)
            + b") Tj ET"
        )
    fonts = [
        add(
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>".encode()
        )
        for base in ("Helvetica", "Helvetica-Bold")
    ]
    contents = add(stream("/Filter /FlateDecode", zlib.compress(content, 6)))
    xobjects = " ".join(f"/{name} {num} 0 R" for name, num in names)
    resources = f"/Font << /F1 {fonts[0]} 0 R /F2 {fonts[1]} 0 R >> /XObject << {xobjects} >>"
    page_num = len(objects) + 1
    pages_num = page_num + 1
    add(
        (
            f"<< /Type /Page /Parent {pages_num} 0 R /MediaBox [0 0 {scene.width:.2f} "
            f"{height:.2f}] /Resources << {resources} >> /Contents {contents} 0 R >>"
        ).encode()
    )
    add(f"<< /Type /Pages /Kids [{page_num} 0 R] /Count 1 >>".encode())
    catalog = add(f"<< /Type /Catalog /Pages {pages_num} 0 R >>".encode())
    info = add(b"<< /Producer (spotdiff figure) >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    with atomic_write(path, "wb") as handle:
        handle.write(bytes(out))
    return Path(path)
