"""The canvas the synthetic edits are planted on: placement, object regions, visibility, truth.

The canvas is the scene of image 1 with a margin on every side (real photo content that image 2
shows after a small camera motion). Edits lie inside ``area`` (the image-1 frame inset by the
margin, so they stay in view after any nuisance), never closer than ``gap`` pixels to each other.

An edit proposes :class:`Part` windows (new pixel values for a box of the canvas);
:meth:`EditCanvas.commit` accepts them only when the object pixels visibly change, then writes
them and records the ground truth: the bounding box of the pixels that changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .._optional import require
from ._photos import load_photo, photo_segments
from ._shapes import random_shape

__all__ = ["Box", "EditCanvas", "Part", "expand", "intersects", "mask_box"]

#: ``(x0, y0, x1, y1)`` in canvas pixels, exclusive ends.
Box = tuple[int, int, int, int]

#: A change is visible when the object pixels change by >= MEAN_DIFF levels on average (largest
#: channel change) and at least FRACTION of them by >= LEVEL levels.
MEAN_DIFF, LEVEL, FRACTION = 20.0, 12, 0.5
#: Longest side / shortest side of a photo segment used as an object.
MAX_ASPECT = 3.0


def expand(box: Box, pad: int) -> Box:
    return (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)


def intersects(a: Box, b: Box) -> bool:
    """True when the boxes share a positive area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def mask_box(mask: np.ndarray) -> Box | None:
    """Tight ``(x0, y0, x1, y1)`` of the True pixels of an (h, w) mask, None if empty."""
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size == 0:
        return None
    xs = np.flatnonzero(mask.any(axis=0))
    return (int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)


@dataclass
class Part:
    """New pixels for one window of the canvas.

    Attributes:
        box: the window, canvas pixels.
        pixels: uint8 (h, w, 3) new content of the window.
        core: (h, w) bool, the object pixels that must visibly change.
        groups: (h, w) bool masks splitting the window into separately boxed changes (the old
            and new place of a moved object); None: one group, the whole window.
    """

    box: Box
    pixels: np.ndarray
    core: np.ndarray
    groups: list[np.ndarray] | None = None


def _visible(diff: np.ndarray, core: np.ndarray) -> bool:
    d = diff[core]
    return d.size >= 16 and d.mean() >= MEAN_DIFF and (d >= LEVEL).mean() >= FRACTION


def _merge(boxes: list[Box]) -> list[Box]:
    """Union boxes that overlap until none do."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if intersects(boxes[i], boxes[j]):
                    boxes[i] = union(boxes[i], boxes.pop(j))
                    merged = True
                    break
            if merged:
                break
    return boxes


@lru_cache(maxsize=32)
def _donor_segments(name: str) -> tuple[np.ndarray, list, float, np.ndarray]:
    labels, boxes, f = photo_segments(load_photo(name))
    return labels, boxes, f, np.bincount(labels.ravel())


class EditCanvas:
    """Scene of image 1 being edited; see the module docstring.

    Args:
        before: uint8 (Hc, Wc, 3) RGB canvas of image 1 (not modified).
        area: where edits may lie, canvas pixels.
        rng: the pair's random generator.
        min_side, max_side: range of the longer side of an object, pixels.
        gap: minimum distance between two edits, pixels.
        donors: photo names objects may be taken from when added.
    """

    def __init__(
        self,
        before: np.ndarray,
        *,
        area: Box,
        rng: np.random.Generator,
        min_side: int,
        max_side: int,
        gap: int,
        donors: tuple[str, ...],
    ) -> None:
        self.before = before
        self.after = before.copy()
        self.area = area
        self.rng = rng
        self.min_side, self.max_side, self.gap = min_side, max_side, gap
        self.donors = donors
        self.occupied: list[Box] = []
        self.changed = np.zeros(before.shape[:2], dtype=bool)
        #: (box in canvas pixels, kind, edit id) of every ground-truth box
        self.truth: list[tuple[Box, str, int]] = []
        self._n_edits = 0
        self._segments: tuple[np.ndarray, list, float, np.ndarray] | None = None

    # ---------------------------------------------------------------- placement
    def sample_long_side(self) -> float:
        lo, hi = math.log(self.min_side), math.log(self.max_side)
        return math.exp(self.rng.uniform(lo, hi))

    def sample_dims(self) -> tuple[int, int]:
        """``(h, w)`` of a new object: longer side log-uniform, aspect ratio in [1, 2]."""
        long = self.sample_long_side()
        short = max(self.min_side * 0.6, long * self.rng.uniform(0.5, 1.0))
        h, w = (long, short) if self.rng.random() < 0.5 else (short, long)
        return max(4, round(h)), max(4, round(w))

    def is_free(self, box: Box) -> bool:
        """``box`` lies inside the area and keeps ``gap`` pixels from every earlier edit."""
        ax0, ay0, ax1, ay1 = self.area
        if box[0] < ax0 or box[1] < ay0 or box[2] > ax1 or box[3] > ay1:
            return False
        return not any(intersects(box, expand(o, self.gap)) for o in self.occupied)

    def place(self, h: int, w: int, pad: int, tries: int = 20) -> Box | None:
        """A random free ``(h, w)`` box whose ``pad`` margin is free too, or None."""
        ax0, ay0, ax1, ay1 = self.area
        if ax1 - ax0 - 2 * pad < w or ay1 - ay0 - 2 * pad < h:
            return None
        for _ in range(tries):
            x0 = int(self.rng.integers(ax0 + pad, ax1 - pad - w + 1))
            y0 = int(self.rng.integers(ay0 + pad, ay1 - pad - h + 1))
            box = (x0, y0, x0 + w, y0 + h)
            if self.is_free(expand(box, pad)):
                return box
        return None

    def window(self, box: Box) -> np.ndarray:
        """Copy of the current (edited) canvas pixels in ``box``."""
        return self.after[box[1] : box[3], box[0] : box[2]].copy()

    # ---------------------------------------------------------------- objects
    def object_region(self, pad: int) -> tuple[Box, np.ndarray] | None:
        """An object of image 1 to edit: a photo segment or a random shape at a free place.

        Returns:
            ``(box, core)``: the object's tight box and its (h, w) bool mask, or None.
        """
        if self.rng.random() < 0.5:
            region = self._segment_region(pad)
            if region is not None:
                return region
        h, w = self.sample_dims()
        box = self.place(h, w, pad)
        if box is None:
            return None
        return box, random_shape(h, w, self.rng, silhouette=False)

    def _segment_region(self, pad: int) -> tuple[Box, np.ndarray] | None:
        if self._segments is None:
            labels, boxes, f = photo_segments(self.before)
            self._segments = (labels, boxes, f, np.bincount(labels.ravel()))
        labels, boxes, f, counts = self._segments
        target = self.sample_long_side()
        candidates = []
        for k, b in enumerate(boxes):
            if b is None or not _compact(b, counts[k], 0.35):
                continue
            cb = (round(b[0] * f), round(b[1] * f), round(b[2] * f), round(b[3] * f))
            long = max(cb[2] - cb[0], cb[3] - cb[1])
            if self.min_side <= long <= self.max_side and self.is_free(expand(cb, pad)):
                candidates.append((abs(math.log(long / target)), k, b, cb))
        if not candidates:
            return None
        candidates.sort()
        _, k, b, cb = candidates[int(self.rng.integers(0, min(3, len(candidates))))]
        small = (labels[b[1] : b[3], b[0] : b[2]] == k).astype(np.float32)
        core = cv2.resize(small, (cb[2] - cb[0], cb[3] - cb[1])) >= 0.5
        core = _fill_holes(core)
        tight = mask_box(core)
        if tight is None:
            return None
        core = core[tight[1] : tight[3], tight[0] : tight[2]]
        return (cb[0] + tight[0], cb[1] + tight[1], cb[0] + tight[2], cb[1] + tight[3]), core

    def donor_object(self, exclude: str) -> tuple[np.ndarray, np.ndarray]:
        """An object from another photo: uint8 (h, w, 3) content and its (h, w) bool mask."""
        names = [n for n in self.donors if n != exclude] or list(self.donors)
        name = names[int(self.rng.integers(0, len(names)))]
        donor = load_photo(name)
        if self.rng.random() < 0.5:
            labels, boxes, f, counts = _donor_segments(name)
            ok = [
                (k, b)
                for k, b in enumerate(boxes)
                if b is not None
                and max(b[2] - b[0], b[3] - b[1]) >= 12
                and _compact(b, counts[k], 0.4)
            ]
            if ok:
                k, b = ok[int(self.rng.integers(0, len(ok)))]
                mask = (labels[b[1] : b[3], b[0] : b[2]] == k).astype(np.float32)
                crop = donor[round(b[1] * f) : round(b[3] * f), round(b[0] * f) : round(b[2] * f)]
                long = self.sample_long_side()
                s = long / max(mask.shape)
                h, w = max(4, round(mask.shape[0] * s)), max(4, round(mask.shape[1] * s))
                core = _fill_holes(cv2.resize(mask, (w, h)) >= 0.5)
                if core.any():
                    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA), core
        h, w = self.sample_dims()
        dh, dw = donor.shape[:2]
        zoom = self.rng.uniform(0.5, 2.0)
        ch = int(min(dh, max(4, h / zoom)))
        cw = int(min(dw, max(4, ch * w / h)))
        ch = int(min(ch, max(4, cw * h / w)))
        y0 = int(self.rng.integers(0, dh - ch + 1))
        x0 = int(self.rng.integers(0, dw - cw + 1))
        content = cv2.resize(donor[y0 : y0 + ch, x0 : x0 + cw], (w, h))
        return content, random_shape(h, w, self.rng)

    # ---------------------------------------------------------------- commit
    def commit(self, parts: list[Part], kind: str) -> bool:
        """Write ``parts`` if each visibly changes its core; record the truth. False if not."""
        diffs = []
        for part in parts:
            x0, y0, x1, y1 = part.box
            old = self.after[y0:y1, x0:x1]
            diff = np.abs(part.pixels.astype(np.int16) - old.astype(np.int16)).max(axis=2)
            if not _visible(diff, part.core):
                return False
            diffs.append(diff)
        boxes: list[Box] = []
        for part, diff in zip(parts, diffs, strict=True):
            x0, y0, x1, y1 = part.box
            changed = diff > 0
            for group in part.groups or [np.ones_like(changed)]:
                b = mask_box(changed & group)
                if b is not None:
                    boxes.append((b[0] + x0, b[1] + y0, b[2] + x0, b[3] + y0))
            self.after[y0:y1, x0:x1] = part.pixels
            self.changed[y0:y1, x0:x1] |= changed
            self.occupied.append(part.box)
        for b in _merge(boxes):
            self.truth.append((b, kind, self._n_edits))
        self._n_edits += 1
        return True


def _compact(box: tuple[int, int, int, int], area: int, fill: float) -> bool:
    """A segment fills ``fill`` of its box and its box is at most 3 times longer than wide."""
    w, h = box[2] - box[0], box[3] - box[1]
    return area >= fill * w * h and max(w, h) <= MAX_ASPECT * min(w, h)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    ndi = require("scipy.ndimage", extra="eval", purpose="the synthetic benchmark")
    return ndi.binary_fill_holes(mask)
