"""Laying out a comparison figure (:func:`spotdiff.viz.comparison_figure`) as a :class:`Scene`.

Each image (the reference, then the methods) gets a cell: its name above, the full image with a
frame around each inset's box, a line of whole-image metrics under it, and the insets (zoomed
crops, framed in their colour, each with its own metrics line) to its right or below it. Cells are
stacked in one column (``rows``), one row (``columns``) or a near-square grid. Units: figure
units (PDF points; PNG pixels at scale 1).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._figure_draw import Scene, text_width

__all__ = ["lay_out"]

_INK, _MUTED = (20, 20, 20), (85, 85, 85)


def _fit(text: str, size: float, room: float, *, bold: bool = False) -> tuple[str, float]:
    """``text`` at the largest size <= ``size`` (down to 60%) that fits ``room``; else cut."""
    width = text_width(text, size, bold=bold)
    if width <= room:
        return text, size
    smaller = max(size * 0.6, size * room / max(width, 1e-9))
    while text and text_width(text, smaller, bold=bold) > room:
        text = text[:-2] + "\u2026" if len(text) > 2 else ""
    return text, smaller


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    return "inf" if math.isinf(value) else f"{value:.{digits}f}"


def _summary(rec: dict[str, Any], lpips: bool) -> str:
    if rec.get("reference"):
        return "reference"
    parts = [f"PSNR {_number(rec['psnr'], 2)} dB", f"SSIM {_number(rec['ssim'], 3)}"]
    if lpips:
        parts.append(f"LPIPS {_number(rec.get('lpips'), 3)}")
    return "  ".join(parts)


def _inset_text(rec: dict[str, Any], zoom: float, lpips: bool) -> str:
    if not rec or "psnr" not in rec:
        return f"\u00d7{zoom:.1f}"
    parts = [_number(rec["psnr"], 2), _number(rec["ssim"], 3)]
    if lpips:
        parts.append(_number(rec.get("lpips"), 3))
    return " / ".join(parts)


def lay_out(
    images: list[np.ndarray],
    records: list[dict[str, Any]],
    boxes: list[list[int]],
    palette: list[tuple[int, int, int]],
    *,
    layout: str,
    inset_position: str,
    font_size: float,
    image_width: float,
    lpips: bool,
) -> Scene:
    """The figure's :class:`Scene` (arguments as :func:`~spotdiff.viz.comparison_figure`;
    ``records`` as :attr:`ComparisonFigure.methods`, one per image)."""
    h, w = images[0].shape[:2]
    fs = font_size
    dw, dh = image_width, image_width * h / w
    title_h, cap_fs = fs * 1.45, fs * 0.8
    cap_h = cap_fs * 1.5
    gap, cell_gap, margin = fs * 0.45, fs * 1.3, fs * 0.8
    line = max(1.0, fs / 9)
    k = len(boxes)
    if k and inset_position == "right":
        side = max(2.5 * fs, (dh - (k - 1) * gap - k * cap_h) / k)
        cell_w = dw + gap + side
        body_h = max(dh + cap_h, k * (side + cap_h) + (k - 1) * gap)
    elif k:
        side = max(2.5 * fs, (dw - (k - 1) * gap) / k)
        cell_w = max(dw, k * side + (k - 1) * gap)
        body_h = dh + cap_h + gap + side + cap_h
    else:
        side, cell_w, body_h = 0.0, dw, dh + cap_h
    cell_h = title_h + body_h
    n = len(images)
    cols = {"rows": 1, "columns": n, "grid": math.ceil(math.sqrt(n))}[layout]
    grid_rows = math.ceil(n / cols)
    note = "PSNR (dB) / SSIM" + (" / LPIPS" if lpips else "") + ": whole image and each inset"
    footer = cap_h + gap
    scene = Scene(
        width=2 * margin + cols * cell_w + (cols - 1) * cell_gap,
        height=2 * margin + grid_rows * cell_h + (grid_rows - 1) * cell_gap + footer,
    )
    for index, (image, rec) in enumerate(zip(images, records, strict=True)):
        x0 = margin + (index % cols) * (cell_w + cell_gap)
        y0 = margin + (index // cols) * (cell_h + cell_gap)
        text, size = _fit(rec["name"], fs, cell_w, bold=True)
        scene.texts.append((x0, y0 + fs * 1.05, size, text, _INK, True))
        iy = y0 + title_h
        scene.images.append((image, x0, iy, dw, dh, False))
        sx, sy = dw / w, dh / h
        for (x1, y1, x2, y2), colour in zip(boxes, palette, strict=False):
            scene.rects.append(
                (x0 + x1 * sx, iy + y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy, colour, line)
            )
        text, size = _fit(_summary(rec, lpips), cap_fs, dw)
        scene.texts.append((x0, iy + dh + cap_fs * 1.15, size, text, _MUTED, False))
        for j, ((x1, y1, x2, y2), colour) in enumerate(zip(boxes, palette, strict=False)):
            if inset_position == "right":
                ix, jy = x0 + dw + gap, iy + j * (side + cap_h + gap)
            else:
                ix, jy = x0 + j * (side + gap), iy + dh + cap_h + gap
            crop = np.ascontiguousarray(image[y1:y2, x1:x2])
            bw, bh = max(1, x2 - x1), max(1, y2 - y1)  # a hand-given box keeps its aspect
            iw, ih = side * min(1.0, bw / bh), side * min(1.0, bh / bw)
            scene.images.append((crop, ix, jy, iw, ih, True))
            scene.rects.append((ix, jy, iw, ih, colour, line * 1.6))
            zoom = iw / bw / sx
            text, size = _fit(_inset_text(rec["insets"][j], zoom, lpips), cap_fs, side)
            scene.texts.append((ix, jy + side + cap_fs * 1.15, size, text, _MUTED, False))
    text, size = _fit(note, cap_fs, scene.width - 2 * margin)
    scene.texts.append((margin, scene.height - margin, size, text, _MUTED, False))
    return scene
