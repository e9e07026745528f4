"""Connected regions of the evidence map, by hysteresis: seeds grown over weaker evidence."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["FLAT_RANGE", "Components", "find_components", "flat_halo"]

#: 3x3 grey range (levels) at or below which a pixel is flat (as
#: :func:`spotdiff.maps.antialias.looks_rendered` counts it).
FLAT_RANGE = 2


@dataclass(frozen=True)
class Components:
    """Connected components of the support mask that contain a seed.

    Attributes:
        labels: (H, W) int32, 0 on background, ``1..K`` on the support pixels of component ``k``
            (pixels of components without a seed are 0).
        boxes: (K, 4) int64 ``x1, y1, x2, y2`` (exclusive ends) of each component's pixels.
        areas: (K,) int64 pixel count of each component.
    """

    labels: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray

    def __len__(self) -> int:
        return len(self.areas)


def _prune_thin(support: np.ndarray, seeds: np.ndarray, reach: int) -> np.ndarray:
    """``support`` without its thin (< 3 px wide) parts further than ``reach`` px from a seed."""
    square = np.ones((3, 3), np.uint8)
    thick = cv2.morphologyEx(support, cv2.MORPH_OPEN, square)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    near = cv2.dilate(seeds, disc)
    return cv2.bitwise_and(support, cv2.bitwise_or(thick, near))


def _window(support: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)``: the bounding box of a uint8 (H, W) mask's pixels grown by 1 px (the
    3x3 opening of :func:`_prune_thin` then sees the same zeros around the support as on the
    whole mask), its start moved to even coordinates (OpenCV's labelling scans 2x2 blocks: so
    aligned, it meets the pixels in the same order and numbers the components as on the whole
    mask); None when the mask is empty."""
    x, y, w, h = cv2.boundingRect(support)
    if w == 0:
        return None
    x0, y0 = max(0, x - 1), max(0, y - 1)
    x0, y0 = x0 - x0 % 2, y0 - y0 % 2
    return x0, y0, min(support.shape[1], x + w + 1), min(support.shape[0], y + h + 1)


def find_components(
    z: np.ndarray, *, low: float = 0.5, high: float = 1.0, reach: int | None = None
) -> Components:
    """8-connected components of ``z >= low`` that hold at least one pixel ``z >= high``.

    Args:
        z: float32 (H, W) evidence map (:func:`~.threshold.evidence`).
        low, high: hysteresis thresholds (``low <= high``).
        reach: when given, thin (< 3 px wide) support further than ``reach`` px from a seed is
            dropped first: faint 1-2 px traces (line art resampled, a frame re-encoded) would
            otherwise chain every change of a dense pair into one component.

    Returns:
        :class:`Components`, numbered ``1..K`` in label order. Nearby components are joined
        later by :func:`~.merge.group_boxes`.

    The work is done on the support's bounding box (:func:`_window`): OpenCV's component
    statistics cost about 3 ms per 1024x576 map whatever the mask holds, and the box of a few
    changes is a small part of the map. The result is the same as on the whole map.
    """
    labels = np.zeros(z.shape, np.int32)
    support = (z >= low).view(np.uint8)
    window = _window(support)
    if window is None:
        return Components(labels, np.zeros((0, 4), np.int64), np.zeros(0, np.int64))
    x0, y0, x1, y1 = window
    support, z = support[y0:y1, x0:x1], z[y0:y1, x0:x1]
    if reach is not None:
        support = _prune_thin(support, (z >= high).view(np.uint8), reach)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(support, connectivity=8, ltype=cv2.CV_32S)
    seeded = np.zeros(n, dtype=bool)
    seeded[lab[z >= high]] = True
    seeded[0] = False
    keep = np.flatnonzero(seeded)
    remap = np.zeros(n, dtype=np.int32)
    remap[keep] = np.arange(1, len(keep) + 1, dtype=np.int32)
    labels[y0:y1, x0:x1] = remap[lab] if len(keep) < n - 1 else lab
    st = stats[keep].astype(np.int64)
    st[:, 0] += x0
    st[:, 1] += y0
    boxes = np.stack(
        [st[:, 0], st[:, 1], st[:, 0] + st[:, 2], st[:, 1] + st[:, 3]], axis=1
    ).reshape(-1, 4)
    return Components(labels, boxes, st[:, 4].copy())


def flat_halo(
    gray1: np.ndarray,
    gray2: np.ndarray,
    colour_evidence: np.ndarray,
    *,
    low: float = 0.5,
) -> np.ndarray:
    """Pixels whose evidence is only the structural halo over flat background (renders).

    The structural (SSIM) map spreads a change over its 11-px window: on a render's flat
    background two changed markers 10 px apart become one component. A pixel that is flat in
    both images (3x3 range at most :data:`FLAT_RANGE` levels) and whose colour evidence is below
    ``low`` did not change: its evidence is the window's spread. Changes keep their own pixels
    (colour evidence) and their edges (not flat).

    Args:
        gray1, gray2: uint8 (H, W) grey images (image 2 aligned and tone-matched).
        colour_evidence: float32 (H, W), the colour map on the evidence scale (1 = seed).
        low: hysteresis ratio of the region extent.

    Returns:
        bool (H, W): True on the halo.
    """
    k = np.ones((3, 3), np.uint8)
    flat = colour_evidence < low
    for g in (gray1, gray2):
        flat &= cv2.subtract(cv2.dilate(g, k), cv2.erode(g, k)) <= FLAT_RANGE
    return flat
