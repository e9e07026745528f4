"""Working with Pillow: its warnings, EXIF orientation, and reduced decoding of big files."""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image

from .._errors import SpotdiffWarning

__all__ = [
    "PillowNotes",
    "draft_reduced",
    "orient_array",
    "orient_image",
    "orientation_of",
    "reducible",
    "reduction_factor",
]

# warnings.catch_warnings swaps process-wide state: one capture at a time (re-entrant for nesting)
_LOCK = threading.RLock()
_PIL_DIR = os.path.dirname(os.path.abspath(Image.__file__))
# Pillow's words for broken EXIF / TIFF metadata (TiffImagePlugin.ImageFileDirectory_v2.load)
_METADATA_WORDS = ("exif", "tag data larger than file", "tag offset too large", "metadata warning")
_EXIF_ORIENTATION = 0x0112
# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose)
_PIL_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# the same on (H, W, C) arrays
_NUMPY_ORIENT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


class PillowNotes:
    """The warnings Pillow raises while spotdiff decodes one image, passed on as SpotdiffWarnings.

    - Broken EXIF / TIFF metadata ("Corrupt EXIF data", "Tag data larger than file", ...): one
      warning in all, ``"<label>: EXIF data is corrupt (...); orientation ignored"`` (or
      "orientation N applied as read" when the orientation tag itself could still be read).
    - ``DecompressionBombWarning``: dropped; spotdiff's own ``max_pixels`` guard is the deliberate
      one (see :mod:`._decode`).
    - Any other Pillow warning: one SpotdiffWarning ``"<label>: <Pillow's message>"`` each.
    - Warnings not raised by Pillow code are passed on unchanged.

    ``warnings.catch_warnings`` changes process-wide state, so captures are serialised by one lock
    and kept to the short steps (reading the header and the EXIF, converting); the pixel decode
    itself (``Image.load``) runs outside a capture, so two files still decode in parallel. Nothing
    is emitted when decoding fails: the error is the one message.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._caught: list[warnings.WarningMessage] = []
        self.exif_error: str | None = None

    @contextlib.contextmanager
    def capture(self) -> Iterator[None]:
        with _LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                self._caught.extend(caught)

    def emit(self, orientation: int | None) -> None:
        metadata: list[str] = []
        seen: set[str] = set()
        for item in self._caught:
            if issubclass(item.category, Image.DecompressionBombWarning):
                continue
            if not os.path.abspath(item.filename).startswith(_PIL_DIR):
                warnings.warn_explicit(
                    item.message, item.category, item.filename, item.lineno, source=item.source
                )
                continue
            text = " ".join(str(item.message).split())
            if any(word in text.lower() for word in _METADATA_WORDS):
                metadata.append(text)
            elif text not in seen:
                seen.add(text)
                warnings.warn(f"{self.label}: {text}", SpotdiffWarning, stacklevel=3)
        detail = metadata[0] if metadata else self.exif_error
        if detail is not None:
            done = (
                f"orientation {orientation} applied as read"
                if orientation is not None and orientation > 1
                else "orientation ignored"
            )
            warnings.warn(
                f"{self.label}: EXIF data is corrupt ({detail}); {done}",
                SpotdiffWarning,
                stacklevel=3,
            )


def orientation_of(image: Image.Image, notes: PillowNotes | None = None) -> int | None:
    """The EXIF orientation (1 to 8) of ``image``, or None when it has none or it is unreadable.

    Call it inside ``notes.capture()``; an exception while reading the EXIF is recorded in
    ``notes`` (reported as corrupt EXIF) instead of failing the decode.
    """
    try:
        value = image.getexif().get(_EXIF_ORIENTATION)
    except Exception as exc:  # Pillow raises many kinds on broken EXIF; the pixels are still fine
        if notes is not None:
            notes.exif_error = f"{type(exc).__name__}: {exc}"
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def reduction_factor(long_side: int, max_side: int | None) -> int:
    """The largest integer k such that ``ceil(long_side / k) >= max_side`` (1: no reduction)."""
    if max_side is None or long_side <= max_side:
        return 1
    if max_side == 1:
        return long_side
    return max(1, (long_side - 1) // (max_side - 1))


def orient_image(image: Image.Image, orientation: int | None) -> Image.Image:
    """``image`` as displayed for an EXIF ``orientation`` (None or 1: unchanged)."""
    return image.transpose(_PIL_ORIENT[orientation]) if orientation in _PIL_ORIENT else image


def orient_array(array: np.ndarray, orientation: int | None) -> np.ndarray:
    """(H, W, C) ``array`` as displayed for an EXIF ``orientation``; C-contiguous."""
    if orientation not in _NUMPY_ORIENT:
        return array
    return np.ascontiguousarray(_NUMPY_ORIENT[orientation](array))


def draft_reduced(image: Image.Image, max_side: int | None) -> None:
    """Ask the decoder for a 1/2, 1/4 or 1/8 scale decode (JPEG); a no-op for other formats.

    The scale is the largest power of two (at most 8) that keeps the longer side >= ``max_side``.
    Call before ``image.load()``.
    """
    factor = reduction_factor(max(image.size), max_side)
    power = next(p for p in (8, 4, 2, 1) if p <= factor)
    if power > 1:
        width, height = image.size
        # Pillow picks the largest scale s with size // requested >= s: ask for size // power
        image.draft(image.mode, (max(1, width // power), max(1, height // power)))


def reducible(image: Image.Image) -> Image.Image:
    """``image`` in a mode that ``Image.reduce`` averages correctly (not palette indices, 1-bit
    or 16-bit modes it does not support)."""
    mode = image.mode
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode == "PA":
        return image.convert("RGBA")
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I;16"):
        return image.convert("I")
    return image
