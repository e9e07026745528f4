"""Decoding image files (and PIL images) into arrays.

Every file goes through :func:`read_image`; PIL images through :func:`pil_to_array`. Choices made
deliberately, for every file:

- EXIF orientation is applied (the array looks as a viewer shows the photo).
- Alpha (RGBA, LA, palette transparency) is composited over ``background`` (white by default, as
  pixelmatch does), so a pixel that changed only in transparency shows as a colour change.
- Palette, 1-bit, grayscale, CMYK, YCbCr and LAB images are converted to RGB (CMYK naively, without
  ICC colour management).
- 16-bit and 32-bit images keep their precision when ``dtype="float32"`` is asked for (the maps path)
  and are rounded to 8 bits for ``dtype="uint8"`` (the OpenCV path).
- The first frame of multi-frame files (GIF, TIFF pages, animated WebP) is used.
- Missing, empty, corrupt, truncated, non-image and over-large files raise
  :class:`~spotdiff._errors.ImageReadError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .._errors import ImageReadError, InvalidOptionError

__all__ = ["DEFAULT_MAX_PIXELS", "IMAGE_SUFFIXES", "pil_to_array", "read_image"]

#: Pillow's own decompression-bomb limit (twice ``Image.MAX_IMAGE_PIXELS``): about 179 megapixels.
DEFAULT_MAX_PIXELS = 2 * 89_478_485

#: File suffixes treated as images when a directory is listed.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".ppm", ".pgm", ".pbm"}
)

Dtype = Literal["uint8", "float32"]
_WHITE = (255, 255, 255)


def read_image(
    path: str | os.PathLike[str],
    *,
    dtype: Dtype = "uint8",
    background: tuple[int, int, int] = _WHITE,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode an image file to an RGB array.

    Args:
        path: a PNG, JPEG, WebP, BMP, TIFF, GIF or PNM file.
        dtype: ``"uint8"`` for (H, W, 3) uint8 in [0, 255]; ``"float32"`` for (H, W, 3) float32 in
            [0, 1], keeping the precision of 16-bit files.
        background: RGB colour that transparent pixels are composited over.
        max_pixels: refuse images with more pixels than this (decompression bombs); None: no limit.

    Returns:
        np.ndarray of shape (H, W, 3), dtype ``dtype``.

    Raises:
        ImageReadError: the file is missing, a directory, empty, not an image, corrupt, truncated or
            larger than ``max_pixels``.
    """
    if dtype not in ("uint8", "float32"):
        raise InvalidOptionError(f"dtype must be 'uint8' or 'float32'; got {dtype!r}")
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ImageReadError(f"{path}: is a directory, expected an image file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty (0 bytes); re-export or replace it")
    try:
        with Image.open(path) as image:
            _check_size(image, path, max_pixels)
            image.load()
            if dtype == "float32" and image.mode in ("RGB", "RGBA"):
                deep = _read_deep_color(path)
                if deep is not None:
                    return _deep_to_rgb(deep, background)
            return pil_to_array(image, dtype=dtype, background=background)
    except ImageReadError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageReadError(
            f"{path}: not an image spotdiff can read (supported: PNG, JPEG, WebP, BMP, TIFF, GIF)"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ImageReadError(f"{path}: refused as a possible decompression bomb ({exc})") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageReadError(f"{path}: corrupt or truncated image ({exc})") from exc


def _check_size(image: Image.Image, path: Path, max_pixels: int | None) -> None:
    width, height = image.size
    if width == 0 or height == 0:
        raise ImageReadError(f"{path}: the image has no pixels ({width}x{height})")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageReadError(
            f"{path}: {width}x{height} = {width * height:,} pixels exceeds the limit of "
            f"{max_pixels:,} (decompression-bomb guard); pass max_pixels=None to allow it"
        )


def pil_to_array(
    image: Image.Image,
    *,
    dtype: Dtype = "uint8",
    background: tuple[int, int, int] = _WHITE,
) -> np.ndarray:
    """Convert a PIL image to an RGB array, applying EXIF orientation and compositing alpha.

    Returns:
        (H, W, 3) uint8 in [0, 255] or float32 in [0, 1] (high bit depths kept for float32).
    """
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        gray = _high_depth_gray(image)
        rgb = np.repeat(gray[..., None], 3, axis=2)
        return _to_dtype(rgb, dtype)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("PA", "LA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if image.mode == "RGBA":
        array = _composite(array.astype(np.float32) / 255.0, background)
        return _to_dtype(array, dtype)
    return _to_dtype(array, dtype)


def _high_depth_gray(image: Image.Image) -> np.ndarray:
    """16/32-bit integer or float grayscale -> float32 (H, W) in [0, 1]."""
    array = np.asarray(image)
    if image.mode == "F":
        array = array.astype(np.float32)
        low, high = float(np.nanmin(array)), float(np.nanmax(array))
        if low >= 0.0 and high <= 1.0:
            return np.nan_to_num(array)
        span = high - low if high > low else 1.0
        return np.nan_to_num((array - low) / span).astype(np.float32)
    array = array.astype(np.float32)
    peak = 65535.0 if array.max(initial=0) <= 65535 else float(array.max())
    return np.clip(array / peak, 0.0, 1.0)


def _read_deep_color(path: Path) -> np.ndarray | None:
    """16-bit colour PNG/TIFF via OpenCV (Pillow reduces them to 8 bits); None if not 16-bit."""
    if path.suffix.lower() not in (".png", ".tif", ".tiff"):
        return None
    import cv2

    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16 or array.ndim != 3:
        return None
    order = [2, 1, 0, 3][: array.shape[2]]
    return array[..., order].astype(np.float32) / 65535.0


def _deep_to_rgb(array: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    if array.shape[2] == 4:
        return _composite(array, background)
    return array


def _composite(rgba: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """float RGBA in [0, 1] over an RGB background -> float32 (H, W, 3) in [0, 1]."""
    alpha = rgba[..., 3:4]
    back = np.asarray(background, dtype=np.float32) / 255.0
    return (rgba[..., :3] * alpha + back * (1.0 - alpha)).astype(np.float32)


def _to_dtype(array: np.ndarray, dtype: Dtype) -> np.ndarray:
    if dtype == "uint8":
        if array.dtype == np.uint8:
            return np.ascontiguousarray(array)
        return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return np.ascontiguousarray(array, dtype=np.float32)
