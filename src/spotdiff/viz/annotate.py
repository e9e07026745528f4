"""Pictures of a :class:`~spotdiff.result.DiffResult`: annotated pairs, heatmap overlays, masks.

All pictures are NumPy arrays: (H, W, 3) uint8 RGB, or (H, W) uint8 for masks. Axis-aligned frames
are NumPy bands just outside the box (the changed pixels stay visible); slanted ones and the labels
are drawn with OpenCV (``cv2.polylines``, ``cv2.rectangle``, ``cv2.putText``), imported on first use.

Where the boxes go on image 2 (:func:`annotate_pair`): a region's box is in image-1 pixels. When
``find`` aligned image 2 (``result.aligned``), the same thing sits elsewhere in the *unwarped* image
2 that a user looks at, so the box is mapped through the inverse of ``result.transform`` (image 1 ->
image 2) and drawn as the quadrilateral it becomes (an axis-aligned rectangle for a pure shift or
zoom, a rotated one for a rotation). A user then sees, on both sides, a frame around the same piece
of the scene, with the same number. ``follow_alignment=False`` draws the image-1 boxes unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import InvalidOptionError, LayoutError
from .._validate import check_choice, check_image
from ..result import DiffResult
from ._save import save_image
from .colormap import colorize

__all__ = [
    "KIND_COLOURS",
    "annotate_pair",
    "draw_regions",
    "heatmap_overlay",
    "mask_image",
    "save_image",
]

#: RGB colour of a region's frame and label, by ``result.kind``; regions without a kind are drawn
#: as ``"changed"``.
KIND_COLOURS: dict[str, tuple[int, int, int]] = {
    "added": (0, 190, 70),
    "removed": (230, 25, 25),
    "changed": (255, 140, 0),
}

_FONT_PX_AT_SCALE_1 = 22.0  # height in pixels of cv2.FONT_HERSHEY_SIMPLEX digits at fontScale 1


def _check_rgb8(name: str, image: Any) -> np.ndarray:
    return check_image(name, np.asarray(image), channels=(3,), dtype=np.uint8)


def default_thickness(width: int, height: int) -> int:
    """Line width in pixels for a picture of ``width`` x ``height``: 2 px up to 1000 px, then
    growing with the longer side (4 px at 1920, 8 px at 3840)."""
    return max(2, round(max(width, height) / 480))


def _label_scale(width: int, height: int) -> tuple[float, int]:
    """(cv2 fontScale, text thickness) for digits about 1/45 of the longer side, at least 11 px."""
    text_px = max(11.0, max(width, height) / 45.0)
    scale = text_px / _FONT_PX_AT_SCALE_1
    return scale, max(1, round(scale * 1.6))


def _text_colour(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = colour
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def _box_quads(
    boxes: np.ndarray, matrix: np.ndarray | None, scale: tuple[float, float]
) -> np.ndarray:
    """(N, 4) xyxy boxes -> (N, 4, 2) float64 corner points (clockwise from top-left).

    Box edges are pixel edges; ``matrix`` (3, 3) maps pixel *centres*, so corners are shifted by
    half a pixel around the mapping. ``scale`` (sx, sy) is applied last.
    """
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    quads = np.stack(
        [
            np.stack([x1, y1], 1),
            np.stack([x2, y1], 1),
            np.stack([x2, y2], 1),
            np.stack([x1, y2], 1),
        ],
        axis=1,
    )
    if matrix is not None:
        pts = quads.reshape(-1, 2) - 0.5
        homog = np.concatenate([pts, np.ones((len(pts), 1))], axis=1) @ matrix.T
        quads = (homog[:, :2] / homog[:, 2:3] + 0.5).reshape(-1, 4, 2)
    return quads * np.asarray(scale, dtype=np.float64)


def _band(start: int, stop: int, t: int, limit: int) -> tuple[int, int]:
    """``t`` pixels just before ``start`` (or, without room, just after) and just after ``stop``
    (or just before), clipped to ``[0, limit)``."""
    lo = start - t if start - t >= 0 else max(0, start)
    hi = stop if stop + t <= limit else max(0, min(stop, limit) - t)
    return lo, hi


def _frame(
    out: np.ndarray, top_left: np.ndarray, bottom_right: np.ndarray, colour: tuple, t: int
) -> tuple[int, int]:
    """Draw an axis-aligned frame ``t`` px wide just outside the box (inside at the image's
    edges); return the frame's outer top-left corner."""
    h, w = out.shape[:2]
    x1, y1 = (int(np.floor(v)) for v in top_left)
    x2, y2 = (int(np.ceil(v)) for v in bottom_right)
    x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
    left, right = _band(x1, x2, t, w)
    top, bottom = _band(y1, y2, t, h)
    xa, xb = max(0, left), min(w, right + t)
    ya, yb = max(0, top), min(h, bottom + t)
    if xa >= xb or ya >= yb:
        return xa, ya
    out[top : top + t, xa:xb] = colour
    out[bottom : bottom + t, xa:xb] = colour
    out[ya:yb, left : left + t] = colour
    out[ya:yb, right : right + t] = colour
    return xa, ya


def draw_regions(
    image: np.ndarray,
    quads: np.ndarray,
    colours: list[tuple[int, int, int]],
    numbers: list[int] | None,
    *,
    thickness: int,
) -> np.ndarray:
    """Draw numbered frames on a copy of ``image``.

    Args:
        image: (H, W, 3) uint8 RGB.
        quads: (N, 4, 2) float corner points in ``image`` pixels (pixel edges; clockwise from the
            top-left). Axis-aligned quads are drawn as rectangles just *outside* the box, so the
            frame does not cover the changed pixels.
        colours: N RGB colours.
        numbers: N label numbers, or None for no labels.
        thickness: line width in pixels (>= 1).

    Returns:
        (H, W, 3) uint8 RGB, a new array.
    """
    import cv2

    out = np.ascontiguousarray(image).copy()
    h, w = out.shape[:2]
    font_scale, font_thick = _label_scale(w, h)
    pad = max(2, round(font_scale * 4))
    half = thickness / 2.0
    for i, quad in enumerate(quads):
        colour = tuple(int(c) for c in colours[i])
        axis_aligned = np.allclose(quad[0, 1], quad[1, 1]) and np.allclose(quad[0, 0], quad[3, 0])
        if axis_aligned:
            anchor = _frame(out, quad[0], quad[2], colour, thickness)
        else:
            pts = np.round((quad - 0.5) * 16).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(out, [pts], True, colour, thickness, cv2.LINE_AA, shift=4)
            top_left = quad[np.argmin(quad[:, 0] + quad[:, 1])]
            anchor = (int(top_left[0] - half), int(top_left[1] - half))
        if numbers is None:
            continue
        text = str(numbers[i])
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, font_thick)
        lw, lh = tw + 2 * pad, th + base + 2 * pad
        lx = int(np.clip(anchor[0], 0, max(0, w - lw)))
        ly = anchor[1] - lh  # above the frame when there is room, else inside its top edge
        if ly < 0:
            ly = max(0, anchor[1])
        ly = int(min(ly, max(0, h - lh)))
        cv2.rectangle(out, (lx, ly), (lx + lw - 1, ly + lh - 1), colour, cv2.FILLED)
        cv2.putText(
            out,
            text,
            (lx + pad, ly + pad + th),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            _text_colour(colour),
            font_thick,
            cv2.LINE_AA,
        )
    return out


def _colours(result: DiffResult) -> list[tuple[int, int, int]]:
    kinds = result.kind
    if kinds is None:
        return [KIND_COLOURS["changed"]] * len(result)
    return [KIND_COLOURS.get(str(k), KIND_COLOURS["changed"]) for k in kinds]


def annotate_pair(
    img1: np.ndarray,
    img2: np.ndarray,
    result: DiffResult,
    *,
    thickness: int | None = None,
    labels: bool = True,
    gap: int | None = None,
    follow_alignment: bool = True,
    size_mismatch: str = "resize",
    background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Image 1 and image 2 side by side with the same numbered frames on both.

    Region ``i`` of ``result`` (in its order, by decreasing score for ``find``) is labelled
    ``i + 1`` on both sides, as in ``spotdiff find``'s table. Frames are coloured by kind
    (:data:`KIND_COLOURS`: added green, removed red, changed orange).

    Args:
        img1: (H1, W1, 3) uint8 RGB, image 1 as ``find`` saw it (boxes are in its pixels).
        img2: (H2, W2, 3) uint8 RGB, image 2 *unwarped*: as ``find`` saw it (after the size
            policy, e.g. from :func:`spotdiff.io.load_pair`), or as read from its file.
        result: the regions; ``boxes`` (N, 4) xyxy in image-1 pixels.
        thickness: frame width in pixels; default :func:`default_thickness` of image 1 (2 px up to
            1000 px, 4 px at 1920 px). Labels scale with the image too (digits about 1/45 of the
            longer side, at least 11 px), so they stay legible at any size.
        labels: draw the region numbers.
        gap: pixels of ``background`` between the two images; default ``max(8, W1 // 100)``.
        follow_alignment: when ``result.aligned``, map the frames on image 2 through the inverse
            of ``result.transform`` so they surround the same content (see the module notes);
            False draws image-1 coordinates on both sides.
        size_mismatch: how an ``img2`` whose size differs from ``result.image_size`` was matched
            to it: ``"resize"`` (frames are scaled by ``W2 / W``, ``H2 / H``) or ``"pad"`` (same
            pixel grid, anchored at the top left), as ``find(size_mismatch=...)``.
        background: RGB of the gap and of the area below the shorter image.

    Returns:
        (max(H1, H2), W1 + gap + W2, 3) uint8 RGB.

    Raises:
        LayoutError: an image is not (H, W, 3) uint8.
        InvalidOptionError: a negative ``gap``, a ``thickness`` below 1, or an unknown
            ``size_mismatch`` when image 2's size differs.
    """
    a = _check_rgb8("img1", img1)
    b = _check_rgb8("img2", img2)
    (h1, w1), (h2, w2) = a.shape[:2], b.shape[:2]
    if gap is None:
        gap = max(8, w1 // 100)
    if gap < 0:
        raise InvalidOptionError(f"gap must be >= 0 pixels, got {gap}")
    if thickness is None:
        thickness = default_thickness(w1, h1)
    if thickness < 1:
        raise InvalidOptionError(f"thickness must be >= 1 pixel, got {thickness}")

    colours = _colours(result)
    numbers = list(range(1, len(result) + 1)) if labels else None
    size = result.image_size or (w1, h1)
    inverse = np.linalg.inv(result.transform) if follow_alignment and result.aligned else None
    scale2 = (1.0, 1.0)
    if (w2, h2) != tuple(size):
        policy = check_choice("size_mismatch", size_mismatch, ("resize", "pad"))
        if policy == "resize":
            scale2 = (w2 / size[0], h2 / size[1])
    quads1 = _box_quads(result.boxes, None, (1.0, 1.0))
    quads2 = _box_quads(result.boxes, inverse, scale2)
    left = draw_regions(a, quads1, colours, numbers, thickness=thickness)
    right = draw_regions(b, quads2, colours, numbers, thickness=thickness)

    canvas = np.empty((max(h1, h2), w1 + gap + w2, 3), dtype=np.uint8)
    canvas[:] = np.asarray(background, dtype=np.uint8)
    canvas[:h1, :w1] = left
    canvas[:h2, w1 + gap :] = right
    return canvas


def heatmap_overlay(
    img1: np.ndarray,
    diff_map: np.ndarray,
    *,
    alpha: float = 0.5,
    colormap: str = "inferno",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """The colour-mapped difference map blended over image 1.

    ``out = (1 - alpha) * img1 + alpha * colorize(diff_map)`` per pixel, so unchanged areas show
    image 1 darkened towards the colormap's low end and changes glow in its high end.

    Args:
        img1: (H, W, 3) uint8 RGB.
        diff_map: (H', W') float, >= 0 where larger = more different, on image 1's pixel grid.
            A map larger than the image (``size_mismatch="pad"``) is cropped at the top left.
        alpha: weight of the heatmap in [0, 1].
        colormap: a name in :data:`spotdiff.viz.COLORMAPS`.
        vmin, vmax: map values at the two ends of the colormap (default 0 and the map's maximum,
            as :func:`~spotdiff.viz.colorize`). Give a fixed ``vmax`` to compare pictures, and
            so that a pair without differences does not have its noise stretched to full scale.

    Returns:
        (H, W, 3) uint8 RGB.

    Raises:
        LayoutError: ``img1`` is not (H, W, 3) uint8, or the map is smaller than the image.
        InvalidOptionError: ``alpha`` outside [0, 1], unknown ``colormap``, ``vmax < vmin``.
    """
    import cv2

    a = _check_rgb8("img1", img1)
    if not 0.0 <= float(alpha) <= 1.0:
        raise InvalidOptionError(f"alpha must be in [0, 1], got {alpha}")
    values = np.asarray(diff_map)
    h, w = a.shape[:2]
    if values.ndim != 2 or values.shape[0] < h or values.shape[1] < w:
        raise LayoutError(
            f"diff_map must be (H, W) covering image 1 ({h}x{w} rows x columns), got shape "
            f"{values.shape}; pass the map find() returned with the image it compared"
        )
    heat = colorize(values[:h, :w], colormap=colormap, vmin=vmin, vmax=vmax)
    return cv2.addWeighted(a, 1.0 - float(alpha), heat, float(alpha), 0.0)


def mask_image(
    result: DiffResult,
    size: tuple[int, int] | None = None,
    *,
    ignore: Any = None,
) -> np.ndarray:
    """The binary difference mask: 255 where a region differs, 0 elsewhere.

    The union of the region masks (their boxes, filled, when ``result.masks`` is None), in image-1
    pixels. Pixels in ignore areas are 0: ``find`` already leaves them out of its masks; pass the
    same ``ignore`` to also clear them from box-filled masks.

    Args:
        result: the regions.
        size: ``(W, H)`` of the mask; default ``result.image_size``. A different size crops or
            pads (with 0) at the bottom and right, e.g. ``(W1, H1)`` of the original image 1 after
            ``size_mismatch="pad"``.
        ignore: None, rectangles ``(x1, y1, x2, y2)`` or an (H, W) mask (non-zero = ignore) in
            the mask's pixels, as ``find(ignore=...)`` takes.

    Returns:
        (H, W) uint8 in {0, 255}.

    Raises:
        InvalidOptionError: no ``size`` and ``result.image_size`` is None, or a bad ``ignore``.
    """
    from ..regions.ignore import ignore_mask

    if size is None:
        size = result.image_size
    if size is None:
        raise InvalidOptionError("mask_image needs size=(W, H): the result has no image_size")
    w, h = (int(v) for v in size)
    out = np.zeros((h, w), dtype=np.uint8)
    if result.masks is not None:
        for i in range(len(result.masks)):
            crop, (x0, y0) = result.masks.crop(i)
            ch, cw = min(crop.shape[0], h - y0), min(crop.shape[1], w - x0)
            if ch > 0 and cw > 0:
                out[y0 : y0 + ch, x0 : x0 + cw][crop[:ch, :cw]] = 255
    else:
        for x1, y1, x2, y2 in result.boxes:
            xa, xb = int(np.clip(np.floor(x1), 0, w)), int(np.clip(np.ceil(x2), 0, w))
            ya, yb = int(np.clip(np.floor(y1), 0, h)), int(np.clip(np.ceil(y2), 0, h))
            out[ya:yb, xa:xb] = 255
    ignored = ignore_mask(ignore, (w, h))
    if ignored is not None:
        out[ignored] = 0
    return out
