"""Writing pictures: one file (:func:`save_image`) or several as a group (:func:`save_images`).

Every write is atomic (:mod:`spotdiff._atomic`): the picture is encoded into a temporary file
beside the target, which then replaces it, so a crash, a full disk or ``kill -9`` leaves either
the earlier file or the complete new one, never a truncated picture. :func:`save_images` puts all
of its pictures in place only when every one was encoded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_group, atomic_path
from .._errors import InvalidOptionError
from .._validate import check_image

__all__ = ["IMAGE_FORMATS", "check_image_path", "save_image", "save_images"]

#: Picture formats by file suffix (lower case), as Pillow names them.
IMAGE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


def check_image_path(path: str | os.PathLike[str]) -> str:
    """The Pillow format for writing a picture to ``path`` (from its suffix).

    Raises:
        InvalidOptionError: an unsupported suffix, or ``path`` is an existing directory.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidOptionError(
            f"{path} is a directory; give the path of a picture file, e.g. {path / 'out.png'}"
        )
    fmt = IMAGE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidOptionError(
            f"{path}: cannot write a {path.suffix or 'suffix-less'} file; use one of "
            f"{', '.join(sorted(IMAGE_FORMATS))}"
        )
    return fmt


def _check_picture(array: Any) -> np.ndarray:
    arr = check_image("a picture", np.asarray(array), channels=(0, 3), dtype=np.uint8)
    return np.ascontiguousarray(arr)


def _write(arr: np.ndarray, path: Path, fmt: str) -> None:
    if fmt == "PNG":  # OpenCV's encoder: the same pixels as Pillow's, in 0.7x the time
        import cv2

        bgr = arr if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 (H, W[, 3]) array
            raise OSError(f"{path}: OpenCV could not encode the picture as PNG")
        path.write_bytes(data.tobytes())
        return
    from PIL import Image

    options: dict[str, Any] = {"quality": 95} if fmt == "JPEG" else {}
    Image.fromarray(arr).save(path, format=fmt, **options)


def save_image(array: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write an (H, W) or (H, W, 3) uint8 picture atomically; the format comes from the suffix.

    PNG is written by OpenCV with fast compression (zlib level 1: a noisy 3859x1080 picture in
    0.19 s of CPU, against 0.27 s for Pillow at level 1 and about 1 s at Pillow's default); JPEG
    at quality 95. The parent directory must exist. The file
    appears complete or not at all; an earlier file at ``path`` is replaced only then.

    Returns:
        The path written.

    Raises:
        InvalidOptionError: an unsupported suffix (see :data:`IMAGE_FORMATS`), or ``path`` is a
            directory.
        LayoutError: not an (H, W) or (H, W, 3) uint8 array.
        OSError: the file cannot be written (``path`` is then as it was).
    """
    path = Path(path)
    fmt = check_image_path(path)
    arr = _check_picture(array)
    with atomic_path(path) as tmp:
        _write(arr, tmp, fmt)
    return path


def save_images(
    pictures: Mapping[str | os.PathLike[str], np.ndarray]
    | Iterable[tuple[str | os.PathLike[str], np.ndarray]],
) -> list[Path]:
    """Write several pictures as one group: all of them appear, or none changes.

    Args:
        pictures: ``{path: array}`` or ``(path, array)`` pairs; arrays as :func:`save_image`.

    Returns:
        The paths written, in order.

    Raises:
        InvalidOptionError, LayoutError: as :func:`save_image`, for any picture, before any file
            is written.
        OSError: a file cannot be written; no target is then touched and no temporary file is
            left behind.
    """
    items = pictures.items() if isinstance(pictures, Mapping) else pictures
    checked = [(Path(p), check_image_path(p), _check_picture(a)) for p, a in items]
    with atomic_group() as group:
        for path, fmt, arr in checked:
            _write(arr, group.path(path), fmt)
    return [path for path, _, _ in checked]
