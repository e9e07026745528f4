"""Colour-mapping (H, W) float maps to RGB pictures, with OpenCV's colormaps (NumPy only)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._errors import InvalidOptionError, LayoutError
from .._validate import check_choice
from ._save import IMAGE_FORMATS

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
    """Write a colour-mapped (H, W) map as a picture, atomically (see :func:`save_image`).

    Args:
        diff_map: (H, W) float map, as :func:`colorize` takes.
        path: a picture path (format from the suffix, see :data:`IMAGE_FORMATS`; PNG
            recommended), or a ``.npy`` path to store the raw float32 values instead.
        colormap, vmin, vmax: as :func:`colorize`.

    Returns:
        The path written. The file appears complete or not at all.

    Raises:
        InvalidOptionError: an unsupported suffix or colormap, ``vmax < vmin``.
        LayoutError: the map is not 2-D.
        OSError: the file cannot be written (``path`` is then as it was).
    """
    from .._atomic import atomic_path
    from ._save import save_image

    path = Path(path)
    if path.suffix.lower() == ".npy":
        values = np.asarray(diff_map, dtype=np.float32)
        with atomic_path(path) as tmp:  # the temporary name ends in .npy: np.save keeps it
            np.save(tmp, values)
        return path
    if path.suffix.lower() not in IMAGE_FORMATS:
        raise InvalidOptionError(
            f"{path}: cannot write a {path.suffix or 'suffix-less'} file; use one of "
            f"{', '.join(sorted([*IMAGE_FORMATS, '.npy']))}"
        )
    return save_image(colorize(diff_map, colormap=colormap, vmin=vmin, vmax=vmax), path)
