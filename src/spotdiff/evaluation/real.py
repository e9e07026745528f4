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
(pixel F1, the bench's "mask F1" table) when the entry names it (``"mask": "m.png"``, relative to
the manifest's folder) or when ``load_real_pairs(manifest, masks=...)`` maps the pair's name to
one: a read-only manifest without the field (``../shared/realpairs/pairs.json``) gets its masks
from a side file, ``spotdiff bench --real MANIFEST --masks FILE`` (``benchmarks/realpairs_masks.json``
is the one for ``../shared/realpairs``). A pair named by neither has no mask (boxes only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ImageReadError, InvalidOptionError
from .._validate import check_boxes

__all__ = ["RealPair", "load_real_pairs", "read_mask_map", "real_pair"]


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


def _mask_path(folder: Path, entry: dict[str, Any], masks: Mapping[str, str]) -> Path | None:
    """The entry's mask file: its ``"mask"`` key, else its name's entry in ``masks``, else None."""
    name = str(entry.get("name", ""))
    if "mask" in entry and name in masks:
        raise InvalidOptionError(
            f"pair {name!r} names a mask in the manifest and in the masks file; keep one"
        )
    if "mask" in entry:
        return folder / entry["mask"]
    return folder / masks[name] if name in masks else None


def _read_json(path: Path, what: str) -> Any:
    """The JSON of ``path`` (``what`` names it in the one error line of a missing file)."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ImageReadError(f"{path}: no such {what}; check the path") from exc
    except json.JSONDecodeError as exc:
        raise InvalidOptionError(f"{path}: not valid JSON ({exc})") from exc


def read_mask_map(source: str | os.PathLike[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``{pair name: mask path}`` from a JSON object file (or a mapping; None: empty).

    Paths stay as written: :func:`load_real_pairs` reads them relative to the manifest's folder.

    Raises:
        ImageReadError: the file does not exist.
        InvalidOptionError: not a JSON object of strings.
    """
    if source is None:
        return {}
    if isinstance(source, Mapping):
        raw: Any = dict(source)
        where = "masks"
    else:
        path = Path(source)
        where = str(path)
        raw = _read_json(path, "masks file")
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise InvalidOptionError(
            f"{where}: expected a JSON object {{pair name: mask path}}, got {type(raw).__name__}"
        )
    return raw


def load_real_pairs(
    manifest: str | os.PathLike[str],
    *,
    masks: str | os.PathLike[str] | Mapping[str, str] | None = None,
) -> list[RealPair]:
    """Read every pair of a JSON manifest (see the module docstring).

    ``masks``: ``{pair name: mask path relative to the manifest's folder}`` or a JSON file of it
    (:func:`read_mask_map`), for manifests without ``"mask"`` fields. A name it gives that the
    manifest lacks is an error (a misspelt name would silently score nothing).
    """
    path = Path(manifest)
    mask_map = read_mask_map(masks)
    entries = _read_json(path, "manifest")
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
                mask=_mask_path(path.parent, e, mask_map),
            )
        )
    unknown = sorted(set(mask_map) - {p.photo for p in pairs})
    if unknown:
        raise InvalidOptionError(
            f"masks name pair(s) {', '.join(map(repr, unknown))} that {path} lacks; pair names: "
            + ", ".join(p.photo for p in pairs)
        )
    return pairs
