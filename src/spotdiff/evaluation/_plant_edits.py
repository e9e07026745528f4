"""The edits :mod:`~spotdiff.evaluation.planted` plants into a real picture, registered by name.

Each edit is ``f(img, win, rng, hard) -> new image | None``: ``img`` is the uint8 (H, W, 3) RGB
picture being edited, ``win`` the ``(x0, y0, x1, y1)`` square it works in (its pixels and a
context ring of :data:`PAD` pixels around it may change, nothing else), ``hard`` says whether to
paste with hard edges (drawings, UI) or blend softly (photos). It returns a new image, or None
when the window holds nothing the edit can use (no detail to erase, no segment to recolour). The
caller measures what changed; an edit never reports its own box.

- ``added``: a detail (or, failing one, an elliptical patch) copied from another place of the
  same picture into the window: hard-edged, feathered, or ``cv2.seamlessClone``.
- ``removed``: a detail of the window erased by filling from its surroundings (``cv2.inpaint``).
- ``recoloured``: a solid segment (flood fill from a point, else a detail; not a 1-2 px ring or
  stroke) with its hue turned, or its brightness shifted where it has little colour.
- ``moved``: a detail erased and pasted again a little shifted, or mirrored in place.

A *detail* is a connected set of pixels that differ from the window's border colour and do not
touch the window's edge: an object on its background, at the window's scale.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .._registry import Registry
from ._canvas import Box, intersects, mask_box
from ._shapes import blend, feather, grow

__all__ = ["PAD", "PLANT_EDITS", "PLANT_KINDS"]

#: Context ring (pixels) around the window that an edit may read and write.
PAD = 6
#: A pixel belongs to a detail when its largest channel differs from the border colour by this.
_DETAIL_LEVEL = 28
_MIN_DETAIL = 12  # pixels

Edit = Callable[[np.ndarray, Box, np.random.Generator, bool], "np.ndarray | None"]

#: name -> edit ``f(img, win, rng, hard) -> image | None`` (``PLANT_EDITS.factory(name)``).
PLANT_EDITS: Registry[Edit] = Registry("plant edit")

#: Every planted edit kind, in report order.
PLANT_KINDS: tuple[str, ...] = ("added", "removed", "recoloured", "moved")


def _padded(win: Box, shape: tuple[int, ...]) -> Box:
    """``win`` grown by :data:`PAD` on every side, clipped to the picture."""
    h, w = shape[:2]
    return (max(win[0] - PAD, 0), max(win[1] - PAD, 0), min(win[2] + PAD, w), min(win[3] + PAD, h))


def _crop(img: np.ndarray, box: Box) -> np.ndarray:
    return img[box[1] : box[3], box[0] : box[2]]


def _detail(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A detail of ``pixels`` (uint8 (h, w, 3)): (h, w) bool, or None when there is none.

    The pixels that differ from the median border colour by :data:`_DETAIL_LEVEL` or more,
    split into 8-connected parts; one part that does not touch the edge, chosen at random among
    those of :data:`_MIN_DETAIL` pixels or more (the larger, the likelier), holes filled.
    """
    h, w = pixels.shape[:2]
    if h < 5 or w < 5:
        return None
    ring = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    back = np.median(ring, axis=0)
    fore = (np.abs(pixels.astype(np.float32) - back).max(axis=2) >= _DETAIL_LEVEL).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fore, connectivity=8)
    inside = [
        i
        for i in range(1, n)
        if stats[i, cv2.CC_STAT_AREA] >= _MIN_DETAIL
        and stats[i, cv2.CC_STAT_LEFT] > 0
        and stats[i, cv2.CC_STAT_TOP] > 0
        and stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] < w
        and stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] < h
    ]
    if not inside:
        return None
    area = stats[inside, cv2.CC_STAT_AREA].astype(np.float64)
    part = labels == inside[int(rng.choice(len(inside), p=area / area.sum()))]
    # fill holes: the background reachable from the edge stays background
    flood = (~part).astype(np.uint8)
    outside = np.zeros((h + 2, w + 2), np.uint8)
    cv2.floodFill(flood, outside, (0, 0), 2)
    return part | (flood == 1)


def _put(img: np.ndarray, box: Box, pixels: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[box[1] : box[3], box[0] : box[2]] = pixels
    return out


def _paste(back: np.ndarray, front: np.ndarray, mask: np.ndarray, hard: bool) -> np.ndarray:
    """``front`` over ``back`` where ``mask`` (all (h, w[, 3])): hard, or feathered by 1 px."""
    alpha = mask.astype(np.float32) if hard else np.maximum(feather(mask, 1.0), mask)
    return blend(back, front, alpha)


def _detail_in(
    img: np.ndarray, win: Box, rng: np.random.Generator
) -> tuple[Box, np.ndarray, np.ndarray] | None:
    """The window ``win`` padded, its pixels and a detail in them (:func:`_detail`; None: none)."""
    box = _padded(win, img.shape)
    pixels = _crop(img, box)
    part = _detail(pixels, rng)
    return None if part is None else (box, pixels, part)


def _erase(pixels: np.ndarray, part: np.ndarray) -> np.ndarray:
    """``pixels`` with ``part`` (grown by 2 px) filled from its surroundings (Telea inpainting)."""
    hole = grow(part, 2).astype(np.uint8)
    return cv2.inpaint(np.ascontiguousarray(pixels), hole, 5, cv2.INPAINT_TELEA)


@PLANT_EDITS.register("removed")
def _removed(img: np.ndarray, win: Box, rng: np.random.Generator, hard: bool) -> np.ndarray | None:
    found = _detail_in(img, win, rng)
    if found is None:
        return None
    box, pixels, part = found
    return _put(img, box, _erase(pixels, part))


@PLANT_EDITS.register("moved")
def _moved(img: np.ndarray, win: Box, rng: np.random.Generator, hard: bool) -> np.ndarray | None:
    found = _detail_in(img, win, rng)
    if found is None:
        return None
    box, pixels, part = found
    ys, xs = np.nonzero(part)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    if rng.random() < 0.3:  # mirrored in place
        obj = pixels.copy()
        obj[y0:y1, x0:x1] = pixels[y0:y1, x0:x1][:, ::-1]
        new_part = part.copy()
        new_part[y0:y1, x0:x1] = part[y0:y1, x0:x1][:, ::-1]
        return _put(img, box, _paste(_erase(pixels, part | new_part), obj, new_part, hard))
    h, w = part.shape
    # a shift of 30-80 % of the detail's size that keeps it inside the padded window
    for _ in range(8):
        dx = round(rng.uniform(0.3, 0.8) * (x1 - x0) * rng.choice([-1, 1]))
        dy = round(rng.uniform(0.0, 0.8) * (y1 - y0) * rng.choice([-1, 1]))
        if x0 + dx > 0 and x1 + dx < w and y0 + dy > 0 and y1 + dy < h and (dx or dy):
            break
    else:
        return None
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    shifted = cv2.warpAffine(pixels, m, (w, h), flags=cv2.INTER_NEAREST)
    new_part = cv2.warpAffine(part.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0
    return _put(img, box, _paste(_erase(pixels, part), shifted, new_part, hard))


def _solid(part: np.ndarray) -> bool:
    """True when a third or more of ``part`` survives a 3 x 3 erosion: a filled area, not a
    1-2 px ring or stroke (an anti-aliased edge, a sub-pixel colour fringe of text)."""
    core = cv2.erode(part.astype(np.uint8), np.ones((3, 3), np.uint8))
    return bool(core.sum() * 3 >= part.sum())


def _segment(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A solid flood-filled segment of ``pixels`` from a point near the middle (fixed range 20
    levels) that does not touch the edge and has 12 pixels or more; else a solid detail; else
    None."""
    h, w = pixels.shape[:2]
    for _ in range(4):
        x = int(rng.integers(w // 4, max(3 * w // 4, w // 4 + 1)))
        y = int(rng.integers(h // 4, max(3 * h // 4, h // 4 + 1)))
        mask = np.zeros((h + 2, w + 2), np.uint8)
        flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
        tol = (20, 20, 20)
        cv2.floodFill(np.ascontiguousarray(pixels), mask, (x, y), 0, tol, tol, flags)
        part = mask[1:-1, 1:-1] > 0
        edge = part[0].any() or part[-1].any() or part[:, 0].any() or part[:, -1].any()
        if not edge and part.sum() >= _MIN_DETAIL and _solid(part):
            return part
    part = _detail(pixels, rng)
    return part if part is not None and _solid(part) else None


@PLANT_EDITS.register("recoloured")
def _recoloured(
    img: np.ndarray, win: Box, rng: np.random.Generator, hard: bool
) -> np.ndarray | None:
    box = _padded(win, img.shape)
    pixels = _crop(img, box)
    part = _segment(pixels, rng)
    if part is None:
        return None
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV).astype(np.int32)
    if hsv[..., 1][part].mean() >= 50:  # coloured: turn the hue by 80-280 degrees
        hsv[..., 0] = (hsv[..., 0] + int(rng.integers(40, 141))) % 180
    else:  # grey-ish: shift the brightness away from its mid-level and tint it
        value = hsv[..., 2][part].mean()
        shift = int(rng.integers(50, 91)) * (1 if value < 128 else -1)
        hsv[..., 2] = np.clip(hsv[..., 2] + shift, 0, 255)
        hsv[..., 0] = int(rng.integers(0, 180))
        hsv[..., 1] = np.maximum(hsv[..., 1], 90)
    new = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    return _put(img, box, _paste(pixels, new, part, hard))


def _source(img: np.ndarray, win: Box, rng: np.random.Generator) -> tuple[Box, np.ndarray]:
    """A window of ``win``'s padded size elsewhere in ``img`` (not overlapping it) and the part
    to copy from it: a detail, or a centred ellipse filling most of the window."""
    h, w = img.shape[:2]
    bw, bh = win[2] - win[0] + 2 * PAD, win[3] - win[1] + 2 * PAD
    for _ in range(12):
        x, y = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
        src = (x, y, x + bw, y + bh)
        if not intersects(src, (win[0] - PAD, win[1] - PAD, win[2] + PAD, win[3] + PAD)):
            break
    part = _detail(_crop(img, src), rng)
    if part is None:
        part = np.zeros((bh, bw), np.uint8)
        axes = (max((bw - 2 * PAD) // 2, 2), max((bh - 2 * PAD) // 2, 2))
        cv2.ellipse(part, (bw // 2, bh // 2), axes, 0, 0, 360, 1, -1)
        part = part.astype(bool)
    return src, part


@PLANT_EDITS.register("added")
def _added(img: np.ndarray, win: Box, rng: np.random.Generator, hard: bool) -> np.ndarray | None:
    box = _padded(win, img.shape)
    bw, bh = box[2] - box[0], box[3] - box[1]
    if bw != win[2] - win[0] + 2 * PAD or bh != win[3] - win[1] + 2 * PAD:
        return None  # too close to the picture's edge
    src, part = _source(img, win, rng)
    front, back = _crop(img, src), _crop(img, box)
    if hard or rng.random() < 0.5:
        return _put(img, box, _paste(back, front, part, hard))
    mask = (grow(part, 1) * 255).astype(np.uint8)
    mx0, my0, mx1, my1 = mask_box(mask > 0)  # the clone centres the mask's box on ``centre``
    centre = (box[0] + (mx0 + mx1) // 2, box[1] + (my0 + my1) // 2)
    try:
        out = cv2.seamlessClone(front, img, mask, centre, cv2.NORMAL_CLONE)
    except cv2.error:
        return None
    return _put(img, box, _crop(out, box))
