"""Colour-mapping (H, W) float maps to RGB pictures, with OpenCV's colormaps (NumPy only)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._errors import InvalidOptionError, LayoutError
from .._validate import check_choice

__all__ = ["COLORMAPS", "colorize", "save_map"]

#: Names accepted by :func:`colorize` (OpenCV colormaps, plus "gray").
COLORMAPS = (
    "inferno",
    "magma",
    "plasma",
    "viridis",
    "turbo",
    "jet",
    "hot",
    "cividis",
    "bone",
    "gray",
)


def colorize(
    diff_map: np.ndarray,
    *,
    colormap: str = "inferno",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """Colour-map a difference map.

    Args:
        diff_map: (H, W) float array. Signed maps (e.g. gradients) are shown by magnitude: the
            absolute value is mapped.
        colormap: one of :data:`COLORMAPS`.
        vmin, vmax: the values mapped to the two ends of the colormap; default 0 and the map's
            maximum (a constant map is all ``vmin`` colour).

    Returns:
        (H, W, 3) uint8 RGB.
    """
    import cv2

    colormap = check_choice("colormap", colormap, COLORMAPS)
    values = np.asarray(diff_map, dtype=np.float32)
    if values.ndim != 2:
        raise LayoutError(f"a difference map must be 2-D (H, W); got shape {values.shape}")
    values = np.abs(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0))
    low = 0.0 if vmin is None else float(vmin)
    high = float(values.max(initial=0.0)) if vmax is None else float(vmax)
    if high < low:
        raise InvalidOptionError(f"vmax ({high}) must be >= vmin ({low})")
    scale = 255.0 / (high - low) if high > low else 0.0
    gray = np.clip((values - low) * scale, 0, 255).astype(np.uint8)
    if colormap == "gray":
        return np.repeat(gray[..., None], 3, axis=2)
    code = getattr(cv2, f"COLORMAP_{colormap.upper()}")
    return cv2.applyColorMap(gray, code)[..., ::-1].copy()


def save_map(
    diff_map: np.ndarray,
    path: str | os.PathLike[str],
    *,
    colormap: str = "inferno",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Path:
    """Write a colour-mapped (H, W) map as an image (format from the suffix; PNG recommended).

    A ``.npy`` path stores the raw float32 values instead. Returns the path written.
    """
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() == ".npy":
        np.save(path, np.asarray(diff_map, dtype=np.float32))
        return path
    rgb = colorize(diff_map, colormap=colormap, vmin=vmin, vmax=vmax)
    try:
        Image.fromarray(rgb).save(path)
    except (KeyError, ValueError) as exc:
        raise InvalidOptionError(
            f"{path}: cannot write this format ({exc}); use a .png, .jpg, .webp, .tif or .npy path"
        ) from exc
    return path
