"""Decoding a pair for :func:`spotdiff.detect.find_prepared`: very large files decoded reduced,
near-size canvases placed on image 1's canvas for registration (module docstring of
:mod:`spotdiff.detect`, "Large images").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import SpotdiffWarning
from .find_config import DEFAULT_MAX_SIDE, FindConfig
from .io import decode_pair_reduced, match_sizes

__all__ = ["CANVAS_TOLERANCE", "DECODE_FACTOR", "PreparedPair", "prepare_pair"]

#: Files whose longer side exceeds this many times ``max_side`` are decoded reduced.
DECODE_FACTOR = 4


@dataclass(frozen=True)
class PreparedPair:
    """A pair decoded for :func:`find_prepared`.

    Attributes:
        img1, img2: uint8 (h, w, 3) RGB arrays of one size, the compared pixels; for very large
            files a reduced copy (module docstring, "Large images").
        size: ``(W, H)`` of the compared images in original image-1 pixels (``(w, h)`` unless
            reduced). Results are given in these pixels.
        size1: ``(W, H)`` of image 1 itself, original pixels (smaller than ``size`` only after
            ``size_mismatch="pad"``).
        cover2: (h, w) bool, where ``img2`` holds image 2's own pixels, or None (everywhere):
            set when image 2, a few percent larger or smaller, was placed on image 1's canvas
            for registration (:data:`CANVAS_TOLERANCE`); the rest is never reported.
    """

    img1: np.ndarray
    img2: np.ndarray
    size: tuple[int, int]
    size1: tuple[int, int]
    cover2: np.ndarray | None = None

    @property
    def reduced(self) -> bool:
        """True when the arrays are a reduced copy of the files."""
        return (self.img1.shape[1], self.img1.shape[0]) != tuple(self.size)


def prepare_pair(
    img1: Any,
    img2: Any,
    *,
    config: FindConfig | None = None,
    size_mismatch: str = "resize",
    layout: str = "auto",
) -> PreparedPair:
    """Decode a pair for :func:`find_prepared` (inputs and options as in :func:`find`).

    Encoded inputs whose longer side exceeds :data:`DECODE_FACTOR` x ``max_side`` are decoded
    reduced (:func:`spotdiff.io.decode_pair_reduced`): the comparison runs at ``max_side``
    anyway, and a 10000 x 10000 pair then costs a few hundred MB instead of several GB. When the
    two originals differ in size the size policy applies to their true sizes (full decode).
    """
    cfg = config if config is not None else FindConfig()
    max_side = DEFAULT_MAX_SIDE if cfg.max_side is None else int(cfg.max_side)
    cap = DECODE_FACTOR * max_side if max_side > 0 else None
    pair = decode_pair_reduced(img1, img2, layout=layout, max_side=cap)
    reduced = pair.scale1 != (1.0, 1.0) or pair.scale2 != (1.0, 1.0)
    if reduced and pair.original_size1 != pair.original_size2:
        pair = decode_pair_reduced(img1, img2, layout=layout, max_side=None)
        reduced = False
    cover2 = None
    if size_mismatch == "resize" and _near_sizes(pair.img1, pair.img2):
        a, b, cover2 = _on_canvas(pair.img1, pair.img2)
    else:
        a, b = match_sizes(pair.img1, pair.img2, size_mismatch)
    if reduced:
        original = tuple(pair.original_size1)
        return PreparedPair(a, b, original, original, cover2)
    # without reduction the compared size is the reference (a padded pair is larger than image 1)
    return PreparedPair(
        a, b, (a.shape[1], a.shape[0]), (pair.img1.shape[1], pair.img1.shape[0]), cover2
    )


#: Sizes that differ by at most this share of each side (and by at least one pixel) are taken as
#: one scene cropped differently (extra rows, a few columns cut): image 2 is placed on image 1's
#: canvas and registration finds the offset, instead of resizing image 2 (which would stretch
#: the content by a few percent and read as change near the far edges).
CANVAS_TOLERANCE = 0.06


def _near_sizes(img1: np.ndarray, img2: np.ndarray) -> bool:
    (h1, w1), (h2, w2) = img1.shape[:2], img2.shape[:2]
    if (h1, w1) == (h2, w2) or min(h1, w1, h2, w2) < 32:
        return False
    return abs(h2 - h1) <= CANVAS_TOLERANCE * h1 and abs(w2 - w1) <= CANVAS_TOLERANCE * w1


def _on_canvas(img1: np.ndarray, img2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image 2 on image 1's canvas at offset (0, 0): cropped where larger, edge-replicated where
    smaller; returns image 1, the placed image 2 and the (H, W) bool of its real pixels."""

    (h1, w1), (h2, w2) = img1.shape[:2], img2.shape[:2]
    warnings.warn(
        f"images are {w1}x{h1} and {w2}x{h2}: compared on image 1's canvas, registration finds "
        "the offset (pass size_mismatch='pad' or 'error' to change)",
        SpotdiffWarning,
        stacklevel=4,
    )
    crop = img2[:h1, :w1]
    pad = ((0, h1 - crop.shape[0]), (0, w1 - crop.shape[1]), (0, 0))
    placed = np.ascontiguousarray(np.pad(crop, pad, mode="edge"))
    cover = np.zeros((h1, w1), dtype=bool)
    cover[: crop.shape[0], : crop.shape[1]] = True
    return img1, placed, cover
