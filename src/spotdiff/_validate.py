"""Validation helpers shared by every module: one place, typed errors, helpful messages.

Options (:func:`check_choice`, :func:`check_number`) raise InvalidOptionError; boxes
(:func:`check_boxes`) InvalidOptionError; images (:func:`check_image`,
:func:`check_same_shape`) LayoutError. Importing this module loads NumPy only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np

from ._errors import InvalidOptionError, LayoutError

__all__ = [
    "check_boxes",
    "check_choice",
    "check_data_range",
    "check_finite",
    "check_image",
    "check_number",
    "check_same_shape",
]

T = TypeVar("T")


def check_choice(name: str, value: Any, choices: Iterable[T]) -> T:
    """Return ``value`` if it is one of ``choices`` (strings compared case-insensitively)."""
    options = list(choices)
    probe = value.lower() if isinstance(value, str) else value
    for option in options:
        if probe == (option.lower() if isinstance(option, str) else option):
            return option
    listed = ", ".join(repr(o) for o in options)
    raise InvalidOptionError(f"{name} must be one of {listed}; got {value!r}")


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> Any:
    """Return ``value`` if it is a real number (an int if ``integer``) within the given bounds."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise InvalidOptionError(f"{name} must be {kind}; got {value!r}")
    if value != value:  # NaN
        raise InvalidOptionError(f"{name} must be {kind}; got NaN")
    if low is not None and (value < low or (not low_inclusive and value == low)):
        bound = ">=" if low_inclusive else ">"
        raise InvalidOptionError(f"{name} must be {bound} {low}; got {value!r}")
    if high is not None and (value > high or (not high_inclusive and value == high)):
        bound = "<=" if high_inclusive else "<"
        raise InvalidOptionError(f"{name} must be {bound} {high}; got {value!r}")
    return value


def check_finite(name: str, value: Any, **bounds: Any) -> Any:
    """:func:`check_number` (same ``bounds``) that also rejects +-inf: for sizes, sigmas, scales."""
    check_number(name, value, **bounds)
    if value in (float("inf"), float("-inf")):
        raise InvalidOptionError(f"{name} must be a finite number; got {value!r}")
    return value


def check_data_range(data_range: float) -> float:
    """``data_range`` as a positive float (the span of the values: 1.0 for [0, 1], 255 for 8-bit)."""
    try:
        value = float("nan") if isinstance(data_range, bool) else float(data_range)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise InvalidOptionError(
            f"data_range must be a positive finite number (1.0 for images in [0, 1], 255 for "
            f"[0, 255]), got {data_range!r}"
        )
    return value


# ------------------------------------------------------------------------ arrays: boxes, images
# One rule per mistake, one error type per rule: a box mistake is always an InvalidOptionError,
# an image (array) mistake always a LayoutError, two images that do not match always a
# LayoutError naming both shapes.


def check_boxes(
    name: str,
    boxes: Any,
    *,
    dtype: Any = np.float64,
    image_size: tuple[int, int] | None = None,
    allow_empty_boxes: bool = True,
    box_format: str = "xyxy",
) -> np.ndarray:
    """``boxes`` as an (N, 4) array of ``x1, y1, x2, y2`` (image pixels), checked.

    Checks: shape (N, 4) (an empty input gives (0, 4)), finite values, ``x2 >= x1`` and
    ``y2 >= y1`` (``>`` unless ``allow_empty_boxes``), and with ``image_size`` ``(W, H)`` that
    every box lies inside ``[0, W] x [0, H]``. With ``box_format="cxcywh"`` (Data-Juicer's
    centre boxes) the rule is ``w >= 0`` and ``h >= 0`` instead, and ``image_size`` is not used.

    Raises:
        InvalidOptionError: naming ``name``, the rows at fault and what to do.
    """
    try:
        arr = np.asarray(boxes, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError(
            f"{name} must be numbers [[x1, y1, x2, y2], ...]; got {type(boxes).__name__} ({exc})"
        ) from exc
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise InvalidOptionError(
            f"{name} must have shape (N, 4) (x1, y1, x2, y2), got {arr.shape}; "
            "convert xywh boxes with x2 = x + w, y2 = y + h"
        )
    if not np.isfinite(arr).all():
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise InvalidOptionError(f"{name} must be finite; rows {_rows(rows)} hold NaN or inf")
    if box_format == "cxcywh":
        bad = (arr[:, 2] < 0) | (arr[:, 3] < 0)
        if bad.any():
            raise InvalidOptionError(
                f"{name} must be cx, cy, w, h with w >= 0 and h >= 0; rows "
                f"{_rows(np.flatnonzero(bad))} are not"
            )
        return arr
    if allow_empty_boxes:
        bad = (arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1])
        rule = "x2 >= x1 and y2 >= y1"
    else:
        bad = (arr[:, 2] <= arr[:, 0]) | (arr[:, 3] <= arr[:, 1])
        rule = "x2 > x1 and y2 > y1"
    if bad.any():
        raise InvalidOptionError(
            f"{name} must be xyxy with {rule}; rows {_rows(np.flatnonzero(bad))} are not "
            "(convert xywh boxes with x2 = x + w, y2 = y + h)"
        )
    if image_size is not None:
        w, h = image_size
        out = (arr[:, 0] < 0) | (arr[:, 1] < 0) | (arr[:, 2] > w) | (arr[:, 3] > h)
        if out.any():
            raise InvalidOptionError(
                f"{name} rows {_rows(np.flatnonzero(out))} ({arr[out][:3].tolist()}) are not "
                f"inside the {w}x{h} image; boxes are x1, y1, x2, y2 in image-1 pixels"
            )
    return arr


def check_image(
    name: str, image: Any, *, channels: tuple[int, ...] | None = None, dtype: Any = None
) -> np.ndarray:
    """``image`` as a NumPy array (H, W) or (H, W, C), non-empty, of integers or floats.

    Args:
        name: the argument's name, for the message.
        channels: accepted C (``(3,)`` for RGB only; ``(0, ...)`` includes 2-D (H, W)); None: any.
        dtype: the one accepted dtype (e.g. ``np.uint8``), or None for any integer / float.

    Raises:
        LayoutError: not an array, wrong number of dimensions or channels, empty, or wrong dtype;
            the message says how to convert.
    """
    if not isinstance(image, np.ndarray):
        raise LayoutError(
            f"{name} must be a numpy array (H, W) or (H, W, C), got {type(image).__name__}; "
            "convert it with np.asarray(...) or read it with spotdiff.io.read_image(...)"
        )
    if image.ndim not in (2, 3):
        raise LayoutError(
            f"{name} must have shape (H, W) or (H, W, C), got shape {image.shape}; "
            "pass one image, not a batch (loop over the batch instead)"
        )
    c = 0 if image.ndim == 2 else image.shape[2]
    if channels is not None and c not in channels:
        want = " or ".join("(H, W)" if k == 0 else f"(H, W, {k})" for k in channels)
        raise LayoutError(
            f"{name} must have shape {want}, got {image.shape}; "
            "convert it with spotdiff.io.to_rgb8(...)"
        )
    if image.size == 0:
        raise LayoutError(f"{name} is empty: shape {image.shape}")
    if dtype is not None and image.dtype != np.dtype(dtype):
        raise LayoutError(
            f"{name} must be {np.dtype(dtype)}, got dtype {image.dtype}; "
            "convert it with spotdiff.io.to_rgb8(...)"
        )
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise LayoutError(
            f"{name} must hold integers or floats, got dtype {image.dtype}; "
            "convert it with .astype(np.float32)"
        )
    return image


def check_same_shape(name1: str, a: Any, name2: str, b: Any) -> None:
    """Two images (NumPy arrays or tensors) must have one shape.

    Raises:
        LayoutError: naming both shapes and what to do.
    """
    if tuple(a.shape) != tuple(b.shape):
        raise LayoutError(
            f"{name1} and {name2} must have the same shape, got {tuple(a.shape)} and "
            f"{tuple(b.shape)}; load them with spotdiff.io.load_pair(..., size_mismatch='resize') "
            "or crop one of them first"
        )


def _rows(rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")
