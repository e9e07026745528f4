"""Planted edits of the synthetic benchmark, registered by name in :data:`EDITS`.

Each edit is ``f(canvas) -> list[Part] | None``: it picks an object and proposes new pixels for
one or two windows of the canvas without writing them (:meth:`EditCanvas.commit` writes them if
the change is visible). None means "no room or no suitable object this try".

- ``added``: an object from another photo (a photo segment, or a shape cut from its texture)
  pasted with a soft (gaussian) alpha edge.
- ``removed``: an object of image 1 (photo segment or shape) erased by inpainting (OpenCV Telea)
  or by cloning the texture next to it, like a clone-stamp tool.
- ``recoloured``: an object's hue rotated by 60-300 degrees and its saturation raised, same shape.
- ``moved``: an object cut, its hole inpainted, pasted elsewhere; two truth boxes (old and new
  place) at least ``gap`` pixels apart, or one (their union) when the places overlap.
- ``resized``: an object scaled about its centre by 0.55-0.8 or 1.25-1.7, its old place
  inpainted first; one truth box, the union of the old and new extent.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .._registry import Registry
from ._canvas import Box, EditCanvas, Part, expand, intersects, union
from ._shapes import blend, feather, grow

__all__ = ["EDITS", "EDIT_KINDS"]

#: name -> edit function ``f(canvas) -> list[Part] | None`` (``EDITS.factory(name)``).
EDITS: Registry[list[Part] | None] = Registry("edit kind")

#: Every edit kind, in report order.
EDIT_KINDS: tuple[str, ...] = ("added", "removed", "recoloured", "moved", "resized")

_INPAINT_RADIUS = 5
_PAD = 12  # window margin around an object: dilation + inpainting radius + feathering


def _embed(mask: np.ndarray, shape: tuple[int, int], x: int, y: int) -> np.ndarray:
    out = np.zeros(shape, dtype=mask.dtype)
    out[y : y + mask.shape[0], x : x + mask.shape[1]] = mask
    return out


def _inpaint(canvas: EditCanvas, pixels: np.ndarray, hole: np.ndarray, win: Box) -> np.ndarray:
    """Erase ``hole`` (bool, window-sized) from ``pixels`` (the window ``win``): Telea or clone."""
    if canvas.rng.random() < 0.5:
        return cv2.inpaint(pixels, hole.astype(np.uint8), _INPAINT_RADIUS, cv2.INPAINT_TELEA)
    # clone stamp: copy the texture one window away, feathered, over the hole
    h, w = pixels.shape[:2]
    hc, wc = canvas.after.shape[:2]
    shifts = [(w, 0), (-w, 0), (0, h), (0, -h)]
    canvas.rng.shuffle(shifts)
    for dx, dy in shifts:
        x0, y0 = win[0] + dx, win[1] + dy
        if x0 >= 0 and y0 >= 0 and x0 + w <= wc and y0 + h <= hc:
            source = canvas.after[y0 : y0 + h, x0 : x0 + w]
            alpha = np.maximum(feather(grow(hole, 2), 1.2), hole)
            return blend(pixels, source, alpha)
    return cv2.inpaint(pixels, hole.astype(np.uint8), _INPAINT_RADIUS, cv2.INPAINT_TELEA)


def _edge_padded(content: np.ndarray, pad: int) -> np.ndarray:
    """``content`` (h, w, 3) grown by ``pad`` pixels on every side, repeating its edge pixels."""
    return np.pad(content, ((pad, pad), (pad, pad), (0, 0)), mode="edge")


def _union_frame(
    win1: Box, win2: Box
) -> tuple[Box, tuple[int, int], tuple[int, int], tuple[int, int]]:
    """``(u, shape, o1, o2)``: the union window of ``win1`` and ``win2``, its (h, w) shape and
    the (x, y) offsets of ``win1`` and ``win2`` in it."""
    u = union(win1, win2)
    shape = (u[3] - u[1], u[2] - u[0])
    return u, shape, (win1[0] - u[0], win1[1] - u[1]), (win2[0] - u[0], win2[1] - u[1])


def _cut_and_paste(
    canvas: EditCanvas,
    win1: Box,
    win2: Box,
    *,
    hole: np.ndarray,
    core1: np.ndarray,
    front: np.ndarray,
    alpha: np.ndarray,
    core2: np.ndarray,
) -> tuple[Box, np.ndarray, np.ndarray, np.ndarray]:
    """Erase ``hole`` from window ``win1`` and paste ``front`` over window ``win2`` with
    ``alpha``, for two windows that overlap: both happen in their union window.

    ``hole`` and ``core1`` are bool masks of ``win1``'s size, ``front`` (uint8 (h, w, 3)),
    ``alpha`` (float in [0, 1]) and ``core2`` (bool) of ``win2``'s. Returns ``(u, pixels, core,
    pasted)``: the union window, its new uint8 pixels, the object's bool mask at either place
    and the bool mask of the pasted pixels, all of ``u``'s size.
    """
    u, shape, o1, o2 = _union_frame(win1, win2)
    hole_u = _embed(hole, shape, *o1)
    alpha_u = _embed(alpha, shape, *o2)
    front_u = _embed(front, (*shape, 3), *o2)
    pixels = blend(_inpaint(canvas, canvas.window(u), hole_u, u), front_u, alpha_u)
    core_u = _embed(core1, shape, *o1) | _embed(core2, shape, *o2)
    return u, pixels, core_u, alpha_u > 0


def _object_window(canvas: EditCanvas) -> tuple[Box, np.ndarray, np.ndarray] | None:
    """An object of image 1 in its window: ``(win, pixels, core_p)``, or None (no object).

    ``win`` is the object's box grown by ``_PAD``, ``pixels`` its current uint8 (h, w, 3)
    pixels and ``core_p`` the object's bool (h, w) mask in that window.
    """
    region = canvas.object_region(_PAD)
    if region is None:
        return None
    box, core = region
    win = expand(box, _PAD)
    return win, canvas.window(win), np.pad(core, _PAD)


@EDITS.register("added", aliases=("add",))
def _added(canvas: EditCanvas) -> list[Part] | None:
    content, core = canvas.donor_object(exclude="")
    h, w = core.shape
    sigma = canvas.rng.uniform(0.7, 1.8)
    pad = math.ceil(3 * sigma) + 1
    box = canvas.place(h, w, pad)
    if box is None:
        return None
    win = expand(box, pad)
    core_p = np.pad(core, pad)
    front = _edge_padded(content, pad)
    pixels = blend(canvas.window(win), front, feather(core_p, sigma))
    return [Part(win, pixels, core_p)]


@EDITS.register("removed", aliases=("remove",))
def _removed(canvas: EditCanvas) -> list[Part] | None:
    found = _object_window(canvas)
    if found is None:
        return None
    win, pixels, core_p = found
    if pixels[core_p].std() < 6:  # a flat region: nothing to remove
        return None
    return [Part(win, _inpaint(canvas, pixels, grow(core_p, 2), win), core_p)]


@EDITS.register("recoloured", aliases=("recolored", "recolor", "recolour"))
def _recoloured(canvas: EditCanvas) -> list[Part] | None:
    found = _object_window(canvas)
    if found is None:
        return None
    win, pixels, core_p = found
    hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV).astype(np.int32)  # H in [0, 180)
    hsv[..., 0] = (hsv[..., 0] + int(canvas.rng.integers(30, 151))) % 180
    hsv[..., 1] = np.maximum(hsv[..., 1], int(canvas.rng.integers(90, 201)))
    front = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    alpha = feather(core_p, canvas.rng.uniform(0.6, 1.5))
    return [Part(win, blend(pixels, front, alpha), core_p)]


def _apart_or_touching(core: np.ndarray, dx: int, dy: int, gap: int) -> bool:
    """The object moved by (dx, dy) either overlaps its old place (one truth box) or lies at
    least ``gap`` pixels away from it (two); in between a detector could fairly give either."""
    h, w = core.shape
    if abs(dx) >= w + gap or abs(dy) >= h + gap:
        return True
    if abs(dx) >= w or abs(dy) >= h:
        return False
    a = core[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)]
    b = core[max(0, -dy) : h + min(0, -dy), max(0, -dx) : w + min(0, -dx)]
    return bool((a & b).any())


@EDITS.register("moved", aliases=("move",))
def _moved(canvas: EditCanvas) -> list[Part] | None:
    region = canvas.object_region(_PAD)
    if region is None:
        return None
    box, core = region
    h, w = core.shape
    rng = canvas.rng
    dist = rng.uniform(0.4, 2.5) * max(h, w)
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = round(dist * math.cos(angle)), round(dist * math.sin(angle))
    box2 = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
    if not _apart_or_touching(core, dx, dy, canvas.gap):
        return None
    win1, win2 = expand(box, _PAD), expand(box2, _PAD)
    if not canvas.is_free(win2):
        return None
    content = canvas.window(box)
    core_p = np.pad(core, _PAD)
    hole = grow(core_p, 2)
    alpha = feather(core_p, rng.uniform(0.7, 1.5))
    front = _edge_padded(content, _PAD)
    if not intersects(win1, win2):
        erased = _inpaint(canvas, canvas.window(win1), hole, win1)
        pasted = blend(canvas.window(win2), front, alpha)
        return [Part(win1, erased, core_p), Part(win2, pasted, core_p)]
    u, pixels, core_u, pasted = _cut_and_paste(
        canvas, win1, win2, hole=hole, core1=core_p, front=front, alpha=alpha, core2=core_p
    )
    return [Part(u, pixels, core_u, groups=[~pasted, pasted])]


@EDITS.register("resized", aliases=("resize", "scaled"))
def _resized(canvas: EditCanvas) -> list[Part] | None:
    region = canvas.object_region(_PAD)
    if region is None:
        return None
    box, core = region
    h, w = core.shape
    rng = canvas.rng
    s = rng.uniform(0.55, 0.8) if rng.random() < 0.5 else rng.uniform(1.25, 1.7)
    nh, nw = max(4, round(h * s)), max(4, round(w * s))
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    box2 = (cx - nw // 2, cy - nh // 2, cx - nw // 2 + nw, cy - nh // 2 + nh)
    win1, win2 = expand(box, _PAD), expand(box2, _PAD)
    if s > 1 and not canvas.is_free(union(win1, win2)):
        return None
    content = cv2.resize(canvas.window(box), (nw, nh), interpolation=cv2.INTER_LINEAR)
    core2 = cv2.resize(core.astype(np.float32), (nw, nh)) >= 0.5
    core_p, core2_p = np.pad(core, _PAD), np.pad(core2, _PAD)
    alpha = feather(core2_p, rng.uniform(0.7, 1.5))
    u, pixels, core_u, _ = _cut_and_paste(
        canvas,
        win1,
        win2,
        hole=grow(core_p, 2),
        core1=core_p,
        front=_edge_padded(content, _PAD),
        alpha=alpha,
        core2=core2_p,
    )
    return [Part(u, pixels, core_u)]
