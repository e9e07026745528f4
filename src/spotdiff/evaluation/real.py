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
default ``"real"``) are optional. Boxes are xyxy in image-1 pixels (exclusive ends). Both images
are kept at their own sizes: a pair whose halves differ by a few pixels (one scene cropped or
rescaled differently) is handed to the detectors as it is, so that spotdiff registers it
(:mod:`spotdiff.find_input`); detectors that need one size (the absdiff and ssim baselines) get
image 2 resized to image 1, their recipe (:func:`spotdiff.evaluation.evaluate`).

A pixel change mask (grey or colour image of image 1's size, non-zero = changed) is scored too
(pixel F1, the bench's "mask F1" column) when the entry names it (``"mask": "m.png"``) or, without
that key, when a file ``<name>_mask.png`` lies beside ``image1`` named ``<name>_1.<ext>`` (the
convention of ``../shared/realpairs``: ``oscd_bercy_1.png`` -> ``oscd_bercy_mask.png``).
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
from .._validate import check_boxes

__all__ = ["RealPair", "load_real_pairs", "real_pair"]


@dataclass(frozen=True)
class RealPair:
    """A real labelled pair (reads like a :class:`~spotdiff.evaluation.bench.LabelledPair`).

    Attributes:
        img1: uint8 (H, W, 3) RGB; img2: uint8 (H2, W2, 3) RGB, its own size (usually H, W).
        boxes: (K, 4) float32 xyxy truth in image-1 pixels.
        kinds: (K,) str, what happened to each box.
        nuisance: the capture condition, reported as a nuisance group.
        photo: the pair's name; index: its position in the manifest.
        mask: (H, W) bool true change mask, or None (boxes only).
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
    mask: Any = None,
) -> RealPair:
    """Build a :class:`RealPair` from images (paths, arrays, PIL) and truth boxes.

    ``mask``: an optional true change mask of image 1's size (path, array or PIL image; non-zero
    = changed).

    Raises:
        InvalidOptionError: boxes are not (K, 4) xyxy inside image 1, ``kinds`` has the wrong
            length, or the mask is not of image 1's size.
    """
    from ..io import decode_pair

    a, b = decode_pair(img1, img2)
    h, w = a.shape[:2]
    label = f"pair {name!r}: " if name else ""
    arr = check_boxes(
        f"{label}boxes", boxes, dtype=np.float32, image_size=(w, h), allow_empty_boxes=False
    )
    kinds = tuple(kinds) if kinds is not None else ("changed",) * len(arr)
    if len(kinds) != len(arr):
        raise InvalidOptionError(f"{label}{len(kinds)} kinds for {len(arr)} boxes")
    truth = None
    if mask is not None:
        from ..io import read_image, to_rgb8

        m = read_image(mask) if isinstance(mask, str | os.PathLike) else to_rgb8(mask)
        truth = m.max(axis=2) > 0
        if truth.shape != (h, w):
            raise InvalidOptionError(
                f"{label}mask is {truth.shape[1]}x{truth.shape[0]}, expected image 1's size "
                f"{w}x{h}; give a mask of image 1's size"
            )
    return RealPair(a, b, arr, kinds, nuisance=condition, photo=name, index=index, mask=truth)


def _mask_path(folder: Path, entry: dict[str, Any]) -> Path | None:
    """The entry's mask file: its ``"mask"`` key, else ``<name>_mask.png`` beside image 1."""
    if "mask" in entry:
        return folder / entry["mask"]
    image1 = Path(entry["image1"])
    if not image1.stem.endswith("_1"):
        return None
    guess = folder / image1.parent / (image1.stem[:-2] + "_mask.png")
    return guess if guess.is_file() else None


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
                mask=_mask_path(path.parent, e),
            )
        )
    return pairs
