"""Decoding image files (and PIL images) into arrays.

Every file goes through :func:`read_image` / :func:`read_image_reduced`; PIL images through
:func:`pil_to_array`. Choices made deliberately, for every file:

- EXIF orientation is applied (the array looks as a viewer shows the photo). Corrupt EXIF data
  (Pillow's "Corrupt EXIF data" / "Tag data larger than file" warnings) becomes one
  :class:`~spotdiff._errors.SpotdiffWarning` naming the file; the orientation is applied when it
  could still be read and ignored otherwise. No other Pillow warning escapes except as a
  SpotdiffWarning naming the file.
- Alpha (RGBA, LA, palette transparency) is composited over ``background`` (white by default, as
  pixelmatch does), so a pixel that changed only in transparency shows as a colour change.
- Palette, 1-bit, grayscale, CMYK, YCbCr and LAB images are converted to RGB (CMYK naively, without
  ICC colour management).
- 16-bit and 32-bit images keep their precision when ``dtype="float32"`` is asked for (the maps
  path) and are rounded to 8 bits for ``dtype="uint8"`` (the OpenCV path). Float ("F") images
  with NaN or infinite values are an :class:`~spotdiff._errors.ImageReadError`.
- The first frame of multi-frame files (GIF, TIFF pages, animated WebP) is used.
- ``max_side``: a file whose longer side exceeds ``max_side`` is decoded reduced, to the smallest
  size the steps below reach whose longer side is still >= ``max_side`` (always below twice it).
  JPEG: in the decoder at 1/2, 1/4 or 1/8 scale, so the full image never exists in memory (then
  averaged by an integer factor if still twice too large); other formats: averaged by the largest
  integer factor right after loading (``Image.reduce``, which keeps alpha premultiplied). Measured for a
  10000x10000 file with ``max_side=1024``: JPEG ~16 MB of extra memory instead of ~950 MB at full
  size; PNG ~400 MB (Pillow's full decode, then averaged).
- Decompression bombs: ``max_pixels`` (default :data:`DEFAULT_MAX_PIXELS`, Pillow's own error
  limit) is spotdiff's guard, checked from the header before any pixel is decoded. Pillow's
  ``DecompressionBombWarning`` (above ``PIL.Image.MAX_IMAGE_PIXELS``, ~89 Mpx) is not passed on:
  the guard is deliberate. Pillow still refuses files above 2 x ``PIL.Image.MAX_IMAGE_PIXELS``
  whatever ``max_pixels`` says; raise ``PIL.Image.MAX_IMAGE_PIXELS`` to decode those.
- Missing, empty, corrupt, truncated, non-image and over-large files raise
  :class:`~spotdiff._errors.ImageReadError` naming the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
from PIL import Image, UnidentifiedImageError

from .._errors import ImageReadError, InvalidOptionError, LayoutError
from .._validate import check_number
from ._layout import mark_layout
from ._pillow import (
    PillowNotes,
    draft_reduced,
    orient_array,
    orient_image,
    orientation_of,
    reducible,
    reduction_factor,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "ReducedImage",
    "pil_to_array",
    "read_image",
    "read_image_reduced",
]

#: Pillow's own decompression-bomb limit (twice ``Image.MAX_IMAGE_PIXELS``): about 179 megapixels.
DEFAULT_MAX_PIXELS = 2 * 89_478_485

#: File suffixes treated as images when a directory is listed.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".ppm", ".pgm", ".pbm"}
)

Dtype = Literal["uint8", "float32"]
_WHITE = (255, 255, 255)


def _pillow_open() -> Callable[..., Image.Image]:
    """Pillow's own ``Image.open``, kept from spotdiff's import on.

    Libraries may replace ``PIL.Image.open`` for the whole process (ultralytics does when it is
    imported: its wrapper answers a file Pillow cannot identify with an attempt to load the
    ``pi_heif`` plug-in, i.e. ``ModuleNotFoundError: pi_heif``). spotdiff's errors must not depend
    on what else the process imported, so the decoder calls Pillow's function; when it was
    already replaced before spotdiff was imported, Pillow's is found among what the replacement
    calls (``__wrapped__`` or its module's globals).
    """
    opener = Image.open
    if getattr(opener, "__module__", None) == Image.__name__:
        return opener
    wrapped = [getattr(opener, "__wrapped__", None), *getattr(opener, "__globals__", {}).values()]
    for candidate in wrapped:
        if (
            callable(candidate)
            and getattr(candidate, "__module__", None) == Image.__name__
            and getattr(candidate, "__qualname__", None) == "open"
        ):
            return candidate
    return opener


_PIL_OPEN = _pillow_open()


class ReducedImage(NamedTuple):
    """An image decoded (possibly reduced) together with the size of the full image.

    Attributes:
        image: (h, w, 3) uint8 in [0, 255] or float32 in [0, 1], RGB, as displayed.
        original_size: (width, height) of the full-resolution image as displayed (after EXIF
            orientation), in pixels.
    """

    image: np.ndarray
    original_size: tuple[int, int]

    @property
    def scale(self) -> tuple[float, float]:
        """(sx, sy): multiply x / y coordinates in ``image`` pixels by these for original pixels."""
        height, width = self.image.shape[:2]
        return self.original_size[0] / width, self.original_size[1] / height


def read_image(
    path: str | os.PathLike[str],
    *,
    dtype: Dtype = "uint8",
    background: tuple[int, int, int] = _WHITE,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_side: int | None = None,
) -> np.ndarray:
    """Decode an image file to an RGB array.

    Args:
        path: a PNG, JPEG, WebP, BMP, TIFF, GIF or PNM file.
        dtype: ``"uint8"`` for (H, W, 3) uint8 in [0, 255]; ``"float32"`` for (H, W, 3) float32 in
            [0, 1], keeping the precision of 16-bit files.
        background: RGB colour that transparent pixels are composited over.
        max_pixels: refuse images with more pixels than this (decompression bombs); None: no limit
            of spotdiff's own (Pillow's, 2 x ``PIL.Image.MAX_IMAGE_PIXELS``, still applies).
        max_side: decode reduced to the smallest size whose longer side is still >= ``max_side``
            (see the module notes); None: full resolution. Use :func:`read_image_reduced` to
            also get the original size.

    Returns:
        np.ndarray of shape (H, W, 3), dtype ``dtype``.

    Raises:
        ImageReadError: the file is missing, a directory, empty, not an image, corrupt, truncated or
            larger than ``max_pixels``.
    """
    return read_image_reduced(
        path, dtype=dtype, background=background, max_pixels=max_pixels, max_side=max_side
    ).image


def read_image_reduced(
    path: str | os.PathLike[str],
    *,
    max_side: int | None,
    dtype: Dtype = "uint8",
    background: tuple[int, int, int] = _WHITE,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> ReducedImage:
    """Decode an image file reduced to about ``max_side`` pixels on its longer side.

    The image comes back at the smallest size the decoder reaches cheaply whose longer side is
    still >= ``max_side`` (at most twice that, or the full size when the file is not larger),
    together with the file's full size, so that results can be scaled back to original pixels
    (:attr:`ReducedImage.scale`). Arguments and errors as :func:`read_image`.

    Returns:
        :class:`ReducedImage` ``(image, original_size)``.
    """
    _check_options(dtype, max_side)
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ImageReadError(f"{path}: is a directory, expected an image file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty (0 bytes); re-export or replace it")
    return _decode(path, str(path), dtype, background, max_pixels, max_side)


def decode_bytes(
    data: bytes,
    *,
    dtype: Dtype = "uint8",
    max_side: int | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> ReducedImage:
    """Encoded image bytes -> :class:`ReducedImage`, as :func:`read_image_reduced` (used by
    :mod:`._convert`; errors name "bytes" instead of a file)."""
    _check_options(dtype, max_side)
    if not data:
        raise ImageReadError("got empty bytes instead of an encoded image")
    return _decode(io.BytesIO(data), "bytes", dtype, _WHITE, max_pixels, max_side)


def _check_options(dtype: str, max_side: int | None) -> None:
    if dtype not in ("uint8", "float32"):
        raise InvalidOptionError(f"dtype must be 'uint8' or 'float32'; got {dtype!r}")
    if max_side is not None:
        check_number("max_side", max_side, low=1, integer=True)


def _decode(
    source: Path | io.BytesIO,
    label: str,
    dtype: Dtype,
    background: tuple[int, int, int],
    max_pixels: int | None,
    max_side: int | None,
) -> ReducedImage:
    notes = PillowNotes(label)
    try:
        with notes.capture():
            image = _PIL_OPEN(source)
        with image:
            with notes.capture():
                _check_size(image, label, max_pixels)
                raw_size = image.size
                deep = dtype == "float32" and isinstance(source, Path) and _is_deep(image)
                if not deep:
                    draft_reduced(image, max_side)
            array = _read_deep_color(source, max_side, background) if deep else None
            if array is None:
                image.load()  # the heavy part: outside the warnings capture (see PillowNotes)
                with notes.capture():  # after load: PNG may keep its EXIF after the pixels
                    orientation = orientation_of(image, notes)
                    array = _reduced_to_array(image, dtype, background, max_side, orientation)
            else:
                with notes.capture():  # (a PNG's getexif() would decode it again to find EXIF)
                    has_exif = image.format != "PNG" or "exif" in image.info
                    orientation = orientation_of(image, notes) if has_exif else None
                array = orient_array(array, orientation)
    except ImageReadError:
        raise
    except UnidentifiedImageError as exc:
        what = "bytes are" if label == "bytes" else f"{label}:"
        raise ImageReadError(
            f"{what} not an image spotdiff can read (supported: PNG, JPEG, WebP, BMP, TIFF, GIF)"
        ) from exc
    except Image.DecompressionBombError as exc:  # above Pillow's own limit, before ours is checked
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise ImageReadError(
            f"{label}: refused by Pillow's decompression-bomb guard ({exc}); its limit is "
            f"{limit:,} pixels (2 x PIL.Image.MAX_IMAGE_PIXELS): if you trust the file, raise it "
            "with PIL.Image.MAX_IMAGE_PIXELS = <pixels> (None: no limit) and pass max_pixels=None"
        ) from exc
    except LayoutError as exc:
        raise ImageReadError(f"{label}: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if label == "bytes":
            raise ImageReadError(f"bytes are not a readable image ({exc})") from exc
        raise ImageReadError(f"{label}: corrupt or truncated image ({exc})") from exc
    notes.emit(orientation)
    width, height = raw_size
    original = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    return ReducedImage(mark_layout(array, "HWC"), original)


def _check_size(image: Image.Image, label: str, max_pixels: int | None) -> None:
    width, height = image.size
    if width == 0 or height == 0:
        raise ImageReadError(f"{label}: the image has no pixels ({width}x{height})")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageReadError(
            f"{label}: {width}x{height} = {width * height:,} pixels exceeds the limit of "
            f"{max_pixels:,} pixels (decompression-bomb guard); if you trust the file pass "
            "max_pixels=None or a larger number"
        )


def _reduced_to_array(
    image: Image.Image,
    dtype: Dtype,
    background: tuple[int, int, int],
    max_side: int | None,
    orientation: int | None,
) -> np.ndarray:
    factor = reduction_factor(max(image.size), max_side)
    if factor > 1:
        image = reducible(image).reduce(factor)
    return _pil_to_rgb(orient_image(image, orientation), dtype, background)


def pil_to_array(
    image: Image.Image,
    *,
    dtype: Dtype = "uint8",
    background: tuple[int, int, int] = _WHITE,
) -> np.ndarray:
    """Convert a PIL image to an RGB array, applying EXIF orientation and compositing alpha.

    Returns:
        (H, W, 3) uint8 in [0, 255] or float32 in [0, 1] (high bit depths kept for float32).

    Raises:
        LayoutError: a float ("F") image holds NaN or infinite values.
    """
    notes = PillowNotes("PIL image")
    with notes.capture():
        orientation = orientation_of(image, notes)
        array = _pil_to_rgb(orient_image(image, orientation), dtype, background)
    notes.emit(orientation)
    return mark_layout(array, "HWC")


def _pil_to_rgb(image: Image.Image, dtype: Dtype, background: tuple[int, int, int]) -> np.ndarray:
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


def _high_depth_gray(image: Image.Image) -> np.ndarray:
    """16/32-bit integer or float grayscale -> float32 (H, W) in [0, 1]."""
    array = np.asarray(image)
    if image.mode == "F":
        array = array.astype(np.float32)
        with np.errstate(invalid="ignore"):
            low, high = float(array.min()), float(array.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise LayoutError(
                f"the float image holds {bad:,} non-finite values (NaN or inf) of {array.size:,}; "
                "expected finite values: replace them before saving (e.g. np.nan_to_num)"
            )
        if low >= 0.0 and high <= 1.0:
            return array
        span = high - low if high > low else 1.0
        return ((array - low) / span).astype(np.float32)
    array = array.astype(np.float32)
    peak = 65535.0 if array.max(initial=0) <= 65535 else float(array.max())
    return np.clip(array / peak, 0.0, 1.0)


def _is_deep(image: Image.Image) -> bool:
    """True for 16-bit-per-channel colour (Pillow would decode it to 8 bits)."""
    if image.mode not in ("RGB", "RGBA") or not image.tile:
        return False
    args = image.tile[0].args
    rawmode = args[0] if isinstance(args, tuple) and args else args
    return isinstance(rawmode, str) and ";16" in rawmode


def _read_deep_color(
    path: Path | io.BytesIO, max_side: int | None, background: tuple[int, int, int]
) -> np.ndarray | None:
    """16-bit colour PNG/TIFF via OpenCV (Pillow reduces them to 8 bits); None if not 16-bit."""
    if not isinstance(path, Path) or path.suffix.lower() not in (".png", ".tif", ".tiff"):
        return None
    import cv2

    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16 or array.ndim != 3:
        return None
    order = [2, 1, 0, 3][: array.shape[2]]
    factor = reduction_factor(max(array.shape[:2]), max_side)
    if factor > 1:  # block means, as Image.reduce (a partial last block is averaged as it is)
        height, width = array.shape[:2]
        size = (-(-width // factor), -(-height // factor))
        array = cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    rgb = array[..., order].astype(np.float32) / 65535.0
    return _composite(rgb, background) if rgb.shape[2] == 4 else rgb


def _composite(rgba: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """float RGBA in [0, 1] over an RGB background -> float32 (H, W, 3) in [0, 1]."""
    alpha = rgba[..., 3:4]
    back = np.asarray(background, dtype=np.float32) / 255.0
    return (rgba[..., :3] * alpha + back * (1.0 - alpha)).astype(np.float32)


def _to_dtype(array: np.ndarray, dtype: Dtype) -> np.ndarray:
    if dtype == "uint8":
        if array.dtype == np.uint8:
            # np.asarray(PIL image) is a read-only view of Pillow's bytes: hand out a writable copy
            writable = array.flags.writeable and array.flags.c_contiguous
            return array if writable else np.array(array, order="C")
        return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return np.ascontiguousarray(array, dtype=np.float32)
