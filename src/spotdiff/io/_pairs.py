"""Pairs of images: two inputs of any kind, or two directories matched by file name."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import LayoutError, PairingError, SpotdiffWarning
from ._convert import is_path, to_rgb8, to_tensor
from ._decode import IMAGE_SUFFIXES
from ._size import match_sizes, match_sizes_tensor

if TYPE_CHECKING:
    import torch

__all__ = [
    "DirectoryPairs",
    "decode_pair",
    "is_directory_pair",
    "list_images",
    "load_pair",
    "load_tensor_pair",
    "pair_directories",
]


def load_pair(
    img1: Any, img2: Any, *, size_mismatch: str = "resize", layout: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Two single images -> two (H, W, 3) uint8 RGB arrays of one size (see :mod:`._size`)."""
    a, b = decode_pair(img1, img2, layout=layout)
    return match_sizes(a, b, size_mismatch)


def decode_pair(img1: Any, img2: Any, *, layout: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Two single images -> two (H, W, 3) uint8 RGB arrays, sizes as they are.

    Two encoded images (paths or bytes) are decoded at once, image 1 in a worker thread (the
    decoders release the GIL: a 1080p PNG pair loads in ~60% of the time). Errors are raised as
    in a serial load: image 1's first.
    """
    if not (_encoded(img1) and _encoded(img2)):
        return to_rgb8(img1, layout=layout), to_rgb8(img2, layout=layout)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(to_rgb8, img1, layout=layout)
        try:
            b = to_rgb8(img2, layout=layout)
        except BaseException:
            first.result()  # image 1's error, if any, comes first
            raise
        return first.result(), b


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
    """Files of two directories paired one to one.

    Attributes:
        pairs: (name, path in dir 1, path in dir 2), sorted by name.
        only_in_1 / only_in_2: image files left unpaired.
    """

    pairs: list[tuple[str, Path, Path]]
    only_in_1: list[Path] = field(default_factory=list)
    only_in_2: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pairs)


def pair_directories(
    dir1: str | os.PathLike[str], dir2: str | os.PathLike[str], *, strict: bool = False
) -> DirectoryPairs:
    """Pair the images of two directories by file name.

    Files are matched by exact name first (``a.png`` with ``a.png``), then by name without suffix
    (``a.png`` with ``a.jpg``) where that is unique. When the directories hold the same number of
    images and some are still unmatched, those are paired in sorted order (as difference-finder
    does) with a warning listing them. Files still unmatched are reported in ``only_in_1`` /
    ``only_in_2`` with a warning.

    Raises:
        PairingError: a directory holds no images; the directories hold different numbers of
            images (the message names both and the unmatched files); or, with ``strict``, any file
            is left unmatched by name.
    """
    files1, files2 = list_images(dir1), list_images(dir2)
    for directory, files in ((dir1, files1), (dir2, files2)):
        if not files:
            raise PairingError(
                f"{directory}: no image files (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
            )
    pairs, rest1, rest2 = _match_by_name(files1, files2)
    if len(files1) != len(files2):
        raise PairingError(
            f"{dir1} holds {len(files1)} images and {dir2} holds {len(files2)}: "
            f"unmatched in the first: {_names(rest1)}; unmatched in the second: {_names(rest2)}. "
            "Make the directories hold the same file names"
        )
    if rest1 and strict:
        raise PairingError(
            f"file names differ between {dir1} and {dir2}: {_names(rest1)} vs {_names(rest2)}"
        )
    if rest1:
        warnings.warn(
            f"{len(rest1)} file names differ between {dir1} and {dir2}; paired in sorted order: "
            + ", ".join(f"{a.name}~{b.name}" for a, b in zip(rest1, rest2, strict=True)),
            SpotdiffWarning,
            stacklevel=2,
        )
        pairs += [(a.stem, a, b) for a, b in zip(rest1, rest2, strict=True)]
    pairs.sort(key=lambda item: item[1].name)
    return DirectoryPairs(pairs=pairs)


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
