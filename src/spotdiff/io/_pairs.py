"""Pairs of images: two inputs of any kind, or two directories matched by file name."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .._errors import LayoutError, PairingError
from .._validate import check_number
from ._convert import is_path, to_rgb8, to_tensor
from ._decode import IMAGE_SUFFIXES, ReducedImage, decode_bytes, read_image_reduced
from ._size import match_sizes, match_sizes_tensor

if TYPE_CHECKING:
    import torch

__all__ = [
    "DirectoryPairs",
    "DirectoryRow",
    "ReducedPair",
    "decode_pair",
    "decode_pair_reduced",
    "directory_rows",
    "is_directory_pair",
    "list_images",
    "load_pair",
    "load_tensor_pair",
    "pair_directories",
]


def load_pair(
    img1: Any,
    img2: Any,
    *,
    size_mismatch: str = "resize",
    layout: str = "auto",
    max_side: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two single images -> two (H, W, 3) uint8 RGB arrays of one size (see :mod:`._size`).

    ``max_side``: encoded inputs (paths, bytes) larger than this are decoded reduced, as in
    :func:`decode_pair_reduced`; the size policy then applies to the reduced images.
    """
    decoded1, decoded2 = decode_pair(img1, img2, layout=layout, max_side=max_side)
    return match_sizes(decoded1, decoded2, size_mismatch)


def decode_pair(
    img1: Any, img2: Any, *, layout: str = "auto", max_side: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two single images -> two (H, W, 3) uint8 RGB arrays, sizes as they are.

    Two encoded images (paths or bytes) are decoded at once, image 1 in a worker thread (the
    decoders release the GIL: a 1080p PNG pair loads in ~60% of the time). Errors are raised as
    in a serial load: image 1's first. With ``max_side``, encoded inputs are decoded reduced (see
    :func:`decode_pair_reduced`, which also returns the original sizes).
    """
    result = decode_pair_reduced(img1, img2, layout=layout, max_side=max_side)
    return result.img1, result.img2


class ReducedPair(NamedTuple):
    """Two decoded images with the full sizes of what they were decoded from.

    Attributes:
        img1, img2: (h, w, 3) uint8 RGB arrays, possibly reduced, sizes as they are.
        original_size1, original_size2: (width, height) of each full-resolution image (as
            displayed, after EXIF orientation); the array's own size for in-memory inputs.
    """

    img1: np.ndarray
    img2: np.ndarray
    original_size1: tuple[int, int]
    original_size2: tuple[int, int]

    @property
    def scale1(self) -> tuple[float, float]:
        """(sx, sy): multiply x / y in ``img1`` pixels by these to get original image-1 pixels."""
        return _scale(self.img1, self.original_size1)

    @property
    def scale2(self) -> tuple[float, float]:
        """(sx, sy) for image 2, as :attr:`scale1`."""
        return _scale(self.img2, self.original_size2)


def _scale(image: np.ndarray, original: tuple[int, int]) -> tuple[float, float]:
    return original[0] / image.shape[1], original[1] / image.shape[0]


def decode_pair_reduced(
    img1: Any, img2: Any, *, layout: str = "auto", max_side: int | None = None
) -> ReducedPair:
    """Two single images -> :class:`ReducedPair` ``(img1, img2, original_size1, original_size2)``.

    Encoded inputs (paths, bytes) whose longer side exceeds ``max_side`` are decoded reduced, to
    the smallest size the decoder reaches cheaply whose longer side is still >= ``max_side`` (JPEG
    at 1/2, 1/4 or 1/8 scale inside the decoder; other formats averaged by an integer factor after
    loading; see :mod:`._decode`). In-memory inputs (arrays, tensors, PIL images) come back at
    their own size: their memory is already spent. ``max_side=None``: nothing is reduced.

    Both encoded images decode at once, as in :func:`decode_pair`; errors as there.

    Raises:
        ImageReadError: a file or bytes cannot be decoded.
        LayoutError: an array or tensor cannot be read as one image.
        InvalidOptionError: ``max_side`` is not a positive integer.
    """
    if max_side is not None:
        check_number("max_side", max_side, low=1, integer=True)
    if not (_encoded(img1) and _encoded(img2)):
        first = _decode_one(img1, layout, max_side)
        second = _decode_one(img2, layout, max_side)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_decode_one, img1, layout, max_side)
            try:
                second = _decode_one(img2, layout, max_side)
            except BaseException:
                pending.result()  # image 1's error, if any, comes first
                raise
            first = pending.result()
    return ReducedPair(first.image, second.image, first.original_size, second.original_size)


def _decode_one(image: Any, layout: str, max_side: int | None) -> ReducedImage:
    if is_path(image):
        return read_image_reduced(image, max_side=max_side)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return decode_bytes(bytes(image), max_side=max_side)
    array = to_rgb8(image, layout=layout)
    return ReducedImage(array, (array.shape[1], array.shape[0]))


def _encoded(image: Any) -> bool:
    return is_path(image) or isinstance(image, (bytes, bytearray, memoryview))


def load_tensor_pair(
    img1: Any,
    img2: Any,
    *,
    size_mismatch: str = "resize",
    layout: str = "auto",
    device: Any = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two images or batches -> two float tensors (N, C, H, W) in [0, 1] of one shape.

    A gray (C=1) image paired with a colour one (C=3) is repeated to three channels. Batches must
    have the same length.
    """
    a = to_tensor(img1, layout=layout, device=device)
    b = to_tensor(img2, layout=layout, device=a.device if device is None else device)
    if a.shape[0] != b.shape[0]:
        raise PairingError(
            f"the two batches have {a.shape[0]} and {b.shape[0]} images; pass batches of one length"
        )
    if a.shape[1] != b.shape[1]:
        if {a.shape[1], b.shape[1]} != {1, 3}:
            raise LayoutError(
                f"images have {a.shape[1]} and {b.shape[1]} channels; expected equal counts "
                "(or 1 and 3, gray against colour)"
            )
        a, b = (
            (a.expand(-1, 3, -1, -1) if a.shape[1] == 1 else a),
            (b.expand(-1, 3, -1, -1) if b.shape[1] == 1 else b),
        )
    return match_sizes_tensor(a, b, size_mismatch)


def is_directory_pair(img1: Any, img2: Any) -> bool:
    """True when both are paths to directories; a directory paired with a file is an error."""
    dir1 = is_path(img1) and Path(img1).is_dir()
    dir2 = is_path(img2) and Path(img2).is_dir()
    if dir1 != dir2:
        which = img1 if dir1 else img2
        raise PairingError(
            f"{which} is a directory but the other input is not: pass two files or two directories"
        )
    return dir1


def list_images(directory: str | os.PathLike[str]) -> list[Path]:
    """Image files directly in ``directory`` (by suffix), sorted by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PairingError(f"{directory}: not a directory")
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


@dataclass(frozen=True)
class DirectoryPairs:
    """Files of two directories paired one to one by name.

    Attributes:
        pairs: (name, path in dir 1, path in dir 2), sorted by the file name in dir 1. ``name`` is
            the file name without suffix, or the whole file name of image 1 where two pairs would
            share a stem (``a.png`` and ``a.jpg`` in both directories); names are unique, fit for
            output file names.
        only_in_1 / only_in_2: image files with no counterpart by name in the other directory,
            sorted; never paired with anything. Callers report them (e.g. as result rows).
    """

    pairs: list[tuple[str, Path, Path]]
    only_in_1: list[Path] = field(default_factory=list)
    only_in_2: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pairs)


def pair_directories(
    dir1: str | os.PathLike[str], dir2: str | os.PathLike[str], *, strict: bool = False
) -> DirectoryPairs:
    """Pair the images of two directories by file name; never pair different names.

    Files are matched by exact name first (``a.png`` with ``a.png``), then by name without suffix
    (``a.png`` with ``a.jpg``) where that stem is unique among the files still unmatched on both
    sides. Everything else is returned in :attr:`DirectoryPairs.only_in_1` /
    :attr:`~DirectoryPairs.only_in_2` (``cat.png`` is never compared with ``zebra.png``), with no
    warning: the caller decides how to report them.

    Args:
        dir1, dir2: the two directories (image files directly inside, by suffix).
        strict: raise when any file is left unmatched instead of returning it.

    Raises:
        PairingError: a path is missing or not a directory; neither directory holds an image
            file; or, with ``strict``, some files have no counterpart (the message names them).
    """
    files1, files2 = list_images(dir1), list_images(dir2)
    if not files1 and not files2:
        raise PairingError(
            f"{dir1} and {dir2}: no image files in either (looked for "
            f"{', '.join(sorted(IMAGE_SUFFIXES))}); check the paths"
        )
    pairs, only1, only2 = _match_by_name(files1, files2)
    if strict and (only1 or only2):
        raise PairingError(
            f"file names differ between {dir1} and {dir2}: only in the first: {_names(only1)}; "
            f"only in the second: {_names(only2)}. Rename or remove them, or pass strict=False "
            "to pair the rest"
        )
    pairs.sort(key=lambda item: item[1].name)
    return DirectoryPairs(pairs=_unique_names(pairs), only_in_1=only1, only_in_2=only2)


def _match_by_name(
    files1: list[Path], files2: list[Path]
) -> tuple[list[tuple[str, Path, Path]], list[Path], list[Path]]:
    by_name2 = {p.name: p for p in files2}
    pairs = [(p.stem, p, by_name2[p.name]) for p in files1 if p.name in by_name2]
    used1 = {a for _, a, _ in pairs}
    used2 = {b for _, _, b in pairs}
    rest1 = [p for p in files1 if p not in used1]
    rest2 = [p for p in files2 if p not in used2]
    stems1 = _unique_stems(rest1)
    stems2 = _unique_stems(rest2)
    for stem in sorted(stems1.keys() & stems2.keys()):
        pairs.append((stem, stems1[stem], stems2[stem]))
    used1 = {a for _, a, _ in pairs}
    used2 = {b for _, _, b in pairs}
    return pairs, [p for p in files1 if p not in used1], [p for p in files2 if p not in used2]


def _unique_names(pairs: list[tuple[str, Path, Path]]) -> list[tuple[str, Path, Path]]:
    counts: dict[str, int] = {}
    for name, _, _ in pairs:
        counts[name] = counts.get(name, 0) + 1
    return [(name if counts[name] == 1 else p1.name, p1, p2) for name, p1, p2 in pairs]


def _unique_stems(files: list[Path]) -> dict[str, Path]:
    counts: dict[str, int] = {}
    for p in files:
        counts[p.stem] = counts.get(p.stem, 0) + 1
    return {p.stem: p for p in files if counts[p.stem] == 1}


def _names(files: list[Path], limit: int = 5) -> str:
    if not files:
        return "none"
    shown = ", ".join(p.name for p in files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")


@dataclass(frozen=True)
class DirectoryRow:
    """One row of a directory run: a pair (both paths), or a file without a match in the other
    directory (one path None, ``error`` says why)."""

    name: str
    path1: Path | None
    path2: Path | None
    error: str | None = None

    @property
    def file(self) -> Path:
        """The row's file in the first directory, else in the second."""
        return self.path1 if self.path1 is not None else self.path2  # type: ignore[return-value]


def directory_rows(dir1: Path, dir2: Path) -> list[DirectoryRow]:
    """Every pair and every unmatched file of two directories, sorted by file name.

    Pairs come from :func:`spotdiff.io.pair_directories` (matched by name, never across
    names); each file left without a partner becomes a row of its own with an ``error`` like
    ``"no file named cat.* in DIR2"``. Row names are unique (a file's stem, or its whole name
    where the stem is taken), fit for output file names. Loads no torch.
    """
    paired = pair_directories(dir1, dir2)
    rows = [DirectoryRow(name, path1, path2) for name, path1, path2 in paired.pairs]
    taken = {row.name for row in rows}
    sides = ((paired.only_in_1, paired.only_in_2, dir2), (paired.only_in_2, paired.only_in_1, dir1))
    for side, (files, others, other_dir) in enumerate(sides):
        for path in files:
            twins = sorted(q.name for q in others if q.stem == path.stem)
            error = f"no file named {path.stem}.* in {other_dir}"
            if twins:
                error = (
                    f"{len(twins)} files named {path.stem}.* in {other_dir} "
                    f"({', '.join(twins)}); cannot tell which to compare with {path.name}"
                )
            pair = (path, None) if side == 0 else (None, path)
            name = path.stem if path.stem not in taken else path.name  # names stay unique
            taken.add(name)
            rows.append(DirectoryRow(name, *pair, error=error))
    return sorted(rows, key=lambda r: (r.file.name, r.path1 is None))
