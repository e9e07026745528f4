"""Ignore areas: rectangles or a mask where differences are not reported."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._errors import InvalidOptionError, SpotdiffWarning

__all__ = ["ignore_mask", "paint_rects", "rect_pixels"]


def rect_pixels(rect: Any, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The pixels a rectangle covers in an image of ``size``, or None when it covers none.

    Args:
        rect: ``(x1, y1, x2, y2)`` finite floats with ``x2 >= x1``, ``y2 >= y1``, in pixels
            (exclusive right/bottom edges; a fractional edge covers the pixel it touches).
        size: ``(W, H)`` of the image.

    Returns:
        ``(xa, ya, xb, yb)`` ints with ``0 <= xa < xb <= W`` and ``0 <= ya < yb <= H`` (the
        slice ``[ya:yb, xa:xb]``), or None for an empty rectangle (``x2 == x1`` or ``y2 == y1``)
        or one entirely outside the image.
    """
    w, h = size
    x1, y1, x2, y2 = (float(v) for v in rect)
    if x2 <= x1 or y2 <= y1:
        return None
    xa, xb = int(np.clip(np.floor(x1), 0, w)), int(np.clip(np.ceil(x2), 0, w))
    ya, yb = int(np.clip(np.floor(y1), 0, h)), int(np.clip(np.ceil(y2), 0, h))
    if xa >= xb or ya >= yb:
        return None
    return xa, ya, xb, yb


def _rect_label(rect: Any) -> str:
    return "ignore rectangle (" + ", ".join(f"{v:g}" for v in rect) + ")"


def paint_rects(
    mask: np.ndarray, rects: Iterable[Any], *, label: Callable[[Any], str] = _rect_label
) -> None:
    """Set the pixels of each rectangle (:func:`rect_pixels`, clipped to the image) in ``mask``.

    Args:
        mask: (H, W) bool, changed in place.
        rects: validated ``(x1, y1, x2, y2)`` rectangles in ``mask``'s pixels.
        label: how a warning names a rectangle (``"ignore rectangle (0, 0, 5, 5)"``).

    A rectangle that covers no pixel (empty or outside the image) is skipped with a
    :class:`~spotdiff.SpotdiffWarning` ``"<label> covers no pixel of the WxH image; ignored"``,
    attributed to the caller of the function that called this one.
    """
    h, w = mask.shape
    for rect in rects:
        pixels = rect_pixels(rect, (w, h))
        if pixels is None:
            warnings.warn(
                f"{label(rect)} covers no pixel of the {w}x{h} image; ignored",
                SpotdiffWarning,
                stacklevel=3,
            )
            continue
        xa, ya, xb, yb = pixels
        mask[ya:yb, xa:xb] = True


def ignore_mask(ignore: Any, size: tuple[int, int]) -> np.ndarray | None:
    """Normalize ``ignore`` into an (H, W) bool mask of image 1 (True = ignore).

    Args:
        ignore: None; one rectangle ``(x1, y1, x2, y2)`` or a sequence / (K, 4) array of them, in
            image-1 pixels (exclusive right/bottom edges, clipped to the image; a rectangle that
            covers no pixel, empty or outside the image, is skipped with a
            :class:`~spotdiff.SpotdiffWarning`); or a mask of image 1's size, (H, W) or
            (H, W, C) array of any dtype, or a PIL image / path read with
            :func:`spotdiff.io.to_rgb8`, where any non-zero value means "ignore".
        size: ``(W, H)`` of image 1.

    Returns:
        (H, W) bool, or None when nothing is ignored.

    Raises:
        InvalidOptionError: rectangles that are not 4 numbers with x2 >= x1 and y2 >= y1, or a
            mask of another size.
    """
    if ignore is None:
        return None
    w, h = size
    if not isinstance(ignore, np.ndarray | list | tuple):
        from ..io import to_rgb8  # a path or a PIL image: read it as a mask

        ignore = to_rgb8(ignore)
    try:
        arr = np.asarray(ignore)
    except ValueError:  # a ragged list
        arr = np.asarray(ignore, dtype=object)
    is_rects = arr.dtype != object and (arr.shape == (4,) or (arr.ndim == 2 and arr.shape[1] == 4))
    if arr.ndim in (2, 3) and arr.shape[:2] == (h, w):
        mask = arr != 0
        return mask.any(axis=2) if mask.ndim == 3 else mask
    if not is_rects:
        if arr.ndim in (2, 3) and arr.dtype != object:
            raise InvalidOptionError(
                f"ignore mask is {arr.shape[1]}x{arr.shape[0]} but image 1 is {w}x{h}; pass a "
                "mask of image 1's size (non-zero = ignore) or rectangles (x1, y1, x2, y2)"
            )
        raise InvalidOptionError(
            "ignore must be rectangles (x1, y1, x2, y2) in image-1 pixels or a mask of image "
            f"1's size ({w}x{h}); got {type(ignore).__name__} of shape {arr.shape}"
        )
    rects = arr.astype(np.float64).reshape(-1, 4)
    bad = ~np.isfinite(rects).all(1) | (rects[:, 2] < rects[:, 0]) | (rects[:, 3] < rects[:, 1])
    if bad.any():
        raise InvalidOptionError(
            "ignore rectangles must be finite (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; got "
            f"{rects[bad].tolist()}"
        )
    mask = np.zeros((h, w), dtype=bool)
    paint_rects(mask, rects)
    return mask if mask.any() else None
