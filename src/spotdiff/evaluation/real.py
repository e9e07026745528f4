"""Real labelled pairs: two photographs and hand-drawn boxes of what changed, for :func:`evaluate`.

Real cases count more than the synthetic generator: a manifest of real pairs scored with
:func:`spotdiff.evaluation.evaluate` tells how a detector does on the images users have.

Manifest (JSON), paths relative to the manifest's folder::

    [
      {"name": "kitchen", "image1": "a.jpg", "image2": "b.jpg",
       "boxes": [[x1, y1, x2, y2], ...], "kinds": ["removed", ...], "condition": "phone"},
      ...
    ]

``kinds`` (default ``"changed"`` for every box) and ``condition`` (reported like a nuisance,
default ``"real"``) are optional. Boxes are xyxy in image-1 pixels (exclusive ends); image 2 is
resized to image 1 when the sizes differ.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ImageReadError, InvalidOptionError

__all__ = ["RealPair", "load_real_pairs", "real_pair"]


@dataclass(frozen=True)
class RealPair:
    """A real labelled pair (reads like a :class:`~spotdiff.evaluation.bench.LabelledPair`).

    Attributes:
        img1, img2: uint8 (H, W, 3) RGB of one size.
        boxes: (K, 4) float32 xyxy truth in image-1 pixels.
        kinds: (K,) str, what happened to each box.
        nuisance: the capture condition, reported as a nuisance group.
        photo: the pair's name; index: its position in the manifest.
        mask: None (real pairs have boxes only).
    """

    img1: np.ndarray
    img2: np.ndarray
    boxes: np.ndarray
    kinds: tuple[str, ...]
    nuisance: str = "real"
    photo: str = ""
    index: int = 0
    mask: np.ndarray | None = None


def real_pair(
    img1: Any,
    img2: Any,
    boxes: Any,
    *,
    kinds: Sequence[str] | None = None,
    name: str = "",
    condition: str = "real",
    index: int = 0,
) -> RealPair:
    """Build a :class:`RealPair` from images (paths, arrays, PIL) and truth boxes.

    Raises:
        InvalidOptionError: boxes are not (K, 4) xyxy inside image 1, or ``kinds`` has the wrong
            length.
    """
    from ..io import load_pair

    a, b = load_pair(img1, img2, size_mismatch="resize")
    arr = np.asarray(boxes, dtype=np.float32)
    arr = arr.reshape(0, 4) if arr.size == 0 else arr
    h, w = a.shape[:2]
    label = f"pair {name!r}: " if name else ""
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise InvalidOptionError(f"{label}boxes must be [[x1, y1, x2, y2], ...], got {arr.shape}")
    bad = (
        (arr[:, 0] < 0)
        | (arr[:, 1] < 0)
        | (arr[:, 2] > w)
        | (arr[:, 3] > h)
        | (arr[:, 2] <= arr[:, 0])
        | (arr[:, 3] <= arr[:, 1])
    )
    if bad.any():
        raise InvalidOptionError(
            f"{label}boxes {arr[bad].tolist()} are not xyxy inside the {w}x{h} image 1 "
            "(x2 > x1, y2 > y1; convert xywh with x2 = x + w)"
        )
    kinds = tuple(kinds) if kinds is not None else ("changed",) * len(arr)
    if len(kinds) != len(arr):
        raise InvalidOptionError(f"{label}{len(kinds)} kinds for {len(arr)} boxes")
    return RealPair(a, b, arr, kinds, nuisance=condition, photo=name, index=index)


def load_real_pairs(manifest: str | os.PathLike[str]) -> list[RealPair]:
    """Read every pair of a JSON manifest (see the module docstring)."""
    path = Path(manifest)
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ImageReadError(f"{path}: no such manifest; check the path") from exc
    except json.JSONDecodeError as exc:
        raise InvalidOptionError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(entries, list):
        raise InvalidOptionError(f"{path}: expected a JSON list of pairs, got {type(entries)}")
    pairs = []
    for i, e in enumerate(entries):
        missing = {"image1", "image2", "boxes"} - set(e)
        if missing:
            raise InvalidOptionError(f"{path}: entry {i} lacks {sorted(missing)}")
        pairs.append(
            real_pair(
                path.parent / e["image1"],
                path.parent / e["image2"],
                e["boxes"],
                kinds=e.get("kinds"),
                name=str(e.get("name", i)),
                condition=str(e.get("condition", "real")),
                index=i,
            )
        )
    return pairs
