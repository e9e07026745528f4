"""Tight boxes: each region's box shrunk, at full resolution, to the pixels whose colour differs.

The evidence map that finds regions is wider than the change: the structural (SSIM) map spreads
a change over its gaussian window (a few working pixels on each side), and the working
resolution rounds outward when the region is scaled back to image-1 pixels. An 8x8 px change at
1920x1080 came out as a 26 px box. Here the box is refined from a tight per-pixel cue: the
shift-tolerant colour difference (:func:`~.colour.colour_difference`) of the full-resolution
images inside the box plus a margin, divided by the colour threshold, kept where it is at least
``low`` and inside the region's own (slightly dilated) support. A change under 3 px across (a
strand of hair, a thin stroke) is invisible to that cue (:mod:`spotdiff.maps.thin`): where it
marks nothing in the region's support, the one-way thin difference decides instead
(``puzzle_animalfarm``'s removed strand: a box 4 px too wide on the left, IoU 0.39 -> a TP).

On a pair that registration left as it was (identity), the colour cue's 1-px shift tolerance
explains away a change's pixels that no shift made: a detail a few pixels across, or a contour
moved by 1-2 px (a hair tuft redrawn), reads as an edge a pixel off. Its share of a change grows
as the picture gets smaller (at 0.75x ``graphic_people``'s redrawn tuft lost 3.5 px on the left,
IoU 0.41). There the pixels whose plain per-pixel difference reaches the threshold, connected to
the cue's own, may grow the tight box back (never shrink it): 0.75x real pairs 101/12/20 ->
104/9/17 TP/FP/FN, the pairs at their own size unchanged.

A tiny strong change kept under the score's floor (:mod:`.tiny`) keeps its support's box but
for the structural halo beyond its 1-px outline (:data:`OUTLINE`): at 0.75x
``puzzle_animalfarm``'s 4 px changes came with 2 px of halo a side (IoU 0.22-0.48; 3 more TPs).

A small region's box then grows along its faint ends (a removed spire's tip fading into the
sky), by hysteresis from its strong pixels (:mod:`.extent`).

Guards, so that a large object is never cut (and :func:`spotdiff.find` refines only boxes whose
shorter side is at most 3x the SSIM window's reach, where the halo is a large share of the box):

- shrink only to the colour cue: the tight box lies inside the region's box (faint ends
  aside);
- a side moves inwards only when the colour cue ends within ``max_shrink`` pixels of it (the
  reach of the SSIM window and the rounding, in image-1 pixels); further in, the structural map
  sees something the colour cue does not (texture without a change of colour) and the side stays.

Masks at image-1 resolution (every region, when masks are kept): the region's support, scaled up
from the working resolution, carries the same halo and the working grid's staircase outline.
Within the SSIM window's reach of its outline a mask keeps only the pixels the full-resolution
colour cue marks and what they enclose; deeper pixels always stay; a region whose colour cue
explains less than :data:`COLOUR_SHARE` of it (a change of texture) keeps its mask; the outline
keeps pixels that differ by :data:`MASK_CUE` of the box cue's threshold (soft edges). Four discs
at 2048x1152 (compared at 1024x576): mask F1 0.836 -> 0.971; synthetic benchmark (90 pairs)
0.926 -> 0.930; boxes are unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..align.tone import ToneMap
from ..align.warp import warp_window
from ..maps.colour import colour_difference
from ..maps.glyph import reshaped_glyphs
from ..maps.ssim_cv import gaussian_radius
from ..maps.thin import thin_difference
from ..result import DiffResult, RegionMasks
from .extent import connected_to, extend_box, grow_faint

__all__ = ["THIN_MIN_PIXELS", "refine_boxes", "tight_box"]

#: Boxes are refined only when their shorter side is at most this many times the SSIM window's
#: reach: there the halo is a large share of the box (across a thin object too: a 14 x 38 px
#: figure came out 5 px wider a side, IoU 0.49, when the longer side decided; on the real pairs
#: the shorter side gave 4 more boxes at IoU 0.5 and lost one). On larger objects the evidence
#: already ends inside the edited pixels (the soft edges of a pasted object read as unchanged)
#: and shrinking further cost 2% box F1 on the synthetic benchmark. The halo is a fixed reach
#: of the working grid while a change grows with its picture: squares of 4-7 px in a drawing
#: enlarged 2x (regions of 16-22 px) keep their halo (IoU 0.4). 4x refined them, and cost 3 of
#: the synthetic benchmark's 918 boxes and the match of an upscaled real pair's boxes at a
#: whole-factor working size (tests/test_find_config.py); open.
SMALL = 3.0

#: Fewest pixels of the thin difference (:mod:`spotdiff.maps.thin`) that may decide a box: JPEG
#: and WebP specks of it are 1-2 px (all 47 on ``nochange_goose_webp``); a thin change is more.
THIN_MIN_PIXELS = 3
_SSIM_SIGMA = 1.5

#: On an unregistered pair the plain per-pixel difference grows a tight box where it reaches
#: this share of the change's own contrast (its median over the colour cue's strong pixels),
#: and the threshold: a pixel half covered by a thin part still does, JPEG's ringing around a
#: strong change (a tenth to a quarter of it) does not.
CORE_SHARE = 0.5

#: A tiny strong change (:mod:`.tiny`) is kept with its outline: its support's sides move in to
#: the colour cue only when they pass it by more than this (px): the outline, one px on the
#: working grid, is part of such a change's object (a recoloured hub's ring), the structural
#: map's wider halo at a reduced size (2 px around a 4 px change at 0.75x) is not.
OUTLINE = 1

#: How far beyond a small region's box its faint ends may grow (:mod:`.extent`), in multiples
#: of the SSIM window's reach (the evidence map's own spread around a change).
FAINT_REACH = 2.0


def tight_box(
    tight: np.ndarray,
    box: tuple[int, int, int, int],
    origin: tuple[int, int],
    *,
    max_shrink: float,
    min_pixels: int = 1,
) -> tuple[int, int, int, int]:
    """The region's box shrunk to the pixels of ``tight``, each side by at most ``max_shrink``.

    Args:
        tight: (h, w) bool, pixels that differ at full resolution, in a window of image 1 placed
            at ``origin`` ``(x0, y0)`` (image-1 pixels) and covering ``box``.
        box: ``(x1, y1, x2, y2)`` int, exclusive ends, the region's box in image-1 pixels.
        max_shrink: most pixels a side may move inwards (>= 0); a side that would move further
            stays where it is.
        min_pixels: fewer tight pixels than this inside ``box`` leave the box unchanged.

    Returns:
        ``(x1, y1, x2, y2)`` int inside ``box`` (``box`` itself when nothing may shrink).
    """
    x1, y1, x2, y2 = box
    ox, oy = origin
    inner = tight[y1 - oy : y2 - oy, x1 - ox : x2 - ox]
    if int(inner.sum()) < max(1, min_pixels):
        return box
    ys = np.flatnonzero(inner.any(axis=1))
    xs = np.flatnonzero(inner.any(axis=0))
    cuts = (int(xs[0]), int(ys[0]), (x2 - x1) - int(xs[-1]) - 1, (y2 - y1) - int(ys[-1]) - 1)
    # a side the colour cue leaves further in than the structural map can reach keeps its place
    c = [v if v <= max_shrink else 0 for v in cuts]
    return x1 + c[0], y1 + c[1], x2 - c[2], y2 - c[3]


def _unshifted(
    tight: np.ndarray,
    tb: tuple[int, int, int, int],
    bx: tuple[int, int, int, int],
    plain: np.ndarray,
    origin: tuple[int, int],
    reach: float,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The colour cue ``tight`` (bool, a window of image 1 at ``origin``) with the pixels of
    ``plain`` (the per-pixel difference, no shift tolerance) connected to it, and the tight box
    ``tb`` grown to them (never shrunk; ``bx`` the region's box, ``reach`` the most a side may
    move inwards, as for :func:`tight_box`)."""
    tight = connected_to(tight, plain)
    ub = tight_box(tight, bx, origin, max_shrink=reach)
    return tight, (min(tb[0], ub[0]), min(tb[1], ub[1]), max(tb[2], ub[2]), max(tb[3], ub[3]))


def _dilate(mask: np.ndarray) -> np.ndarray:
    return cv2.dilate(mask.view(np.uint8), np.ones((3, 3), np.uint8)) > 0


#: A region's mask is cut to the pixels whose colour differs (and what they enclose) only when
#: they cover at least this share of it; below, the change is mostly texture (the structural
#: map) and the mask stays. 0.3 cut the real aerial masks (bordeaux mask F1 0.233 -> 0.206),
#: 0.7 kept the halo of most regions of a 2048x1152 disc pair.
COLOUR_SHARE = 0.5

#: A mask's outline keeps the pixels whose colour differs by at least this share of the box
#: cue's threshold (the support level): the soft edges of a pasted object differ less than its
#: middle. 1.0 cost the synthetic benchmark's masks 0.926 -> 0.918 (90 pairs); 0.5 gives 0.930,
#: the constructed aerial pair 0.87 -> 0.91, the real aerial pairs 0.217 / 0.239 -> 0.213 / 0.225.
MASK_CUE = 0.5


def _filled(mask: np.ndarray) -> np.ndarray:
    """``mask`` with its holes (background not connected to the border) filled."""
    h, w = mask.shape
    outside = np.zeros((h + 2, w + 2), np.uint8)
    outside[1:-1, 1:-1] = mask.view(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)
    return outside[1:-1, 1:-1] != 2


def _colour_mask(crop: np.ndarray, colour: np.ndarray, reach: float) -> np.ndarray:
    """``crop`` with its halo cut: pixels within ``reach`` of its outline kept only where
    ``colour`` (same shape) marks them or they are enclosed by such pixels; deeper pixels always
    stay (there the structural map sees texture the colour cue does not, and inside a changed
    object the colour may happen to match: a removed object over a similar background). Cut
    only when the colour pixels and what they enclose cover at least :data:`COLOUR_SHARE` of
    ``crop``."""
    n = int(crop.sum())
    explained = crop & _filled(crop & colour)
    if n == 0 or int(explained.sum()) < COLOUR_SHARE * n:
        return crop
    r = max(1, round(reach))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    padded = cv2.copyMakeBorder(crop.view(np.uint8), r, r, r, r, cv2.BORDER_CONSTANT, value=0)
    deep = cv2.erode(padded, disc)[r:-r, r:-r] > 0
    return explained | (crop & deep)


def refine_boxes(
    regions: DiffResult,
    img1: np.ndarray,
    img2: np.ndarray,
    *,
    transform: np.ndarray | None,
    tone: ToneMap,
    blur: tuple[float, float],
    colour_threshold: float,
    skip: np.ndarray | None,
    scale: float,
    masks_follow_colour: bool = True,
    keep: np.ndarray | None = None,
    glyphs: np.ndarray | None = None,
) -> DiffResult:
    """Small regions' boxes shrunk to the pixels whose colour differs at full resolution.

    Args:
        regions: boxes in image-1 pixels, with ``data["area"]`` and (optionally) masks.
        img1, img2: uint8 (H, W, 3) full-resolution images (image 2 not yet aligned).
        transform: (3, 3) image 2 -> image 1 at full resolution, or None (identity).
        tone: the pair's tone curves (image 2 -> image 1 levels).
        blur: gaussian sigmas (working pixels) the pair-matching step gave image 1 and image 2.
        colour_threshold: colour difference (levels) a pixel needs to count as changed.
        skip: (H, W) bool, ignored pixels, or None.
        scale: image-1 pixels per working pixel (>= 1).
        keep: (N,) bool, regions whose box and mask stay as found (None: none): a tiny strong
            change (:mod:`.tiny`) a few pixels across, whose support is the change and its
            outline, and whose colour cue sees only part of it.
        glyphs: (h, w) on the working grid, non-zero at characters reshaped on a clean render
            (:func:`~spotdiff.maps.glyph.reshaped_glyphs`), or None: in a box that holds one,
            their plain difference at full resolution, which the colour cue's 1-px tolerance
            forgives, counts too (not grown by a pixel).

    Returns:
        ``regions`` with refined boxes; masks (and ``data["area"]``) cut to the new boxes.
    """
    if len(regions) == 0:
        return regions
    h, w = img1.shape[:2]
    lo_lut, hi_lut = tone.interval_luts()
    blur1, blur2 = (s * scale for s in blur)
    # the SSIM window's reach plus the upsampling's rounding, in image-1 pixels
    reach = (gaussian_radius(_SSIM_SIGMA) + 1) * scale + 1
    margin = int(np.ceil(scale)) + 2
    boxes = regions.boxes.copy()
    areas = regions.data["area"].copy()
    masks = regions.masks
    crops, origins = [], []

    def pair_window(win: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """uint8 (h, w, 3) x 3: image 1 over ``win``, and image 2 aligned onto it as the
        interval of image-1 levels (tone), both at the pair's matched sharpness."""
        a = img1[win[1] : win[3], win[0] : win[2]]
        b = warp_window(img2, transform, win)
        if blur1:
            a = cv2.GaussianBlur(a, (0, 0), blur1)
        b_lo, b_hi = tone.apply(b, lo_lut), tone.apply(b, hi_lut)
        if blur2:
            b_lo, b_hi = (cv2.GaussianBlur(x, (0, 0), blur2) for x in (b_lo, b_hi))
        return a, b_lo, b_hi

    def difference(
        win: tuple[int, int, int, int], *, thin: bool = False, plain: bool = False
    ) -> np.ndarray:
        """(h, w) float32: full-resolution colour difference (levels) of ``win``; with ``thin``
        the one-way difference of changes under 3 px across instead
        (:func:`~spotdiff.maps.thin.thin_difference`); with ``plain`` the per-pixel difference,
        without the 1-px shift tolerance."""
        if thin:
            return thin_difference(*pair_window(win))
        return colour_difference(*pair_window(win), radius=0 if plain else 1)

    def reshaped(win: tuple[int, int, int, int], box) -> np.ndarray | None:
        """(h, w) float32: the plain difference of characters reshaped in ``win``
        (:func:`~spotdiff.maps.glyph.reshaped_glyphs`; a clean render: image 2's interval is
        one level), None when ``box`` holds none on the working grid."""
        if glyphs is None:
            return None
        x0, y0 = int(box[0] // scale), int(box[1] // scale)
        x1, y1 = int(np.ceil(box[2] / scale)), int(np.ceil(box[3] / scale))
        if not glyphs[y0:y1, x0:x1].any():
            return None
        a, b_lo, _ = pair_window(win)
        return reshaped_glyphs(a, b_lo, threshold=colour_threshold)

    def changed(
        d: np.ndarray,
        win: tuple[int, int, int, int],
        threshold: float,
        *,
        grow: bool = True,
        exact: np.ndarray | None = None,
    ) -> np.ndarray:
        """(h, w) bool: pixels of ``win`` whose difference ``d`` reaches ``threshold``; with
        ``grow``, 1 px more along each edge (the colour difference's 1-px shift tolerance loses
        one there; the thin difference marks the changed pixels themselves); and those of
        ``exact`` (a plain difference, not grown)."""
        out = _dilate(d >= threshold) if grow else d >= threshold
        if exact is not None:
            out |= exact >= threshold
        if skip is not None:
            out &= ~skip[win[1] : win[3], win[0] : win[2]]
        return out

    mask_threshold = MASK_CUE * colour_threshold
    reach_px = int(np.ceil(reach))
    far = int(np.ceil(FAINT_REACH * reach))  # how far beyond its box a faint end may grow

    def faint_ends(
        nb: tuple[int, int, int, int], bx: tuple[int, int, int, int], tight: np.ndarray, win
    ) -> tuple[tuple[int, int, int, int], np.ndarray, tuple[int, int]]:
        """The box ``nb`` grown along the region's faint ends (:mod:`.extent`) from its strong
        pixels ``tight`` (bool, over ``win``), the pixels grown (bool, a window of image 1) and
        that window's origin."""
        gw = (max(0, bx[0] - far), max(0, bx[1] - far), min(w, bx[2] + far), min(h, bx[3] + far))
        core = np.zeros((gw[3] - gw[1], gw[2] - gw[0]), bool)
        core[win[1] - gw[1] : win[3] - gw[1], win[0] - gw[0] : win[2] - gw[0]] = tight
        inside = np.zeros_like(core)  # the strong pixels of the box as refined
        inside[nb[1] - gw[1] : nb[3] - gw[1], nb[0] - gw[0] : nb[2] - gw[0]] = True
        allowed = None if skip is None else ~skip[gw[1] : gw[3], gw[0] : gw[2]]
        grown = grow_faint(
            *pair_window(gw),
            core & inside,
            threshold=colour_threshold,
            ring=reach_px,
            allowed=allowed,
        )
        return extend_box(nb, grown, (gw[0], gw[1])), grown, (gw[0], gw[1])

    for i, box in enumerate(regions.boxes.astype(np.int64)):
        bx = tuple(int(v) for v in box)
        win = tuple(
            int(v) for v in np.clip(np.add(bx, (-margin,) * 2 + (margin,) * 2), 0, (w, h) * 2)
        )
        if keep is not None and keep[i]:  # a tiny change: its box to the cue, its outline kept
            tight = changed(difference(win), win, colour_threshold)
            tb = tight_box(tight, bx, win[:2], max_shrink=reach, min_pixels=THIN_MIN_PIXELS)
            # a side moves only past the outline the structural map sees around any change
            nb = [t if abs(t - b) > OUTLINE * scale else b for t, b in zip(tb, bx, strict=True)]
            boxes[i] = nb
            if masks is not None:
                crop, (mx, my) = masks.crop(i)
                cut = crop[nb[1] - my : nb[3] - my, nb[0] - mx : nb[2] - mx]
                crops.append(np.ascontiguousarray(cut if cut.any() else np.ones_like(cut)))
                origins.append((nb[0], nb[1]))
                areas[i] = int(crops[-1].sum())
            continue
        if min(bx[2] - bx[0], bx[3] - bx[1]) > SMALL * reach:
            if masks is not None:
                crop, origin = masks.crop(i)
                if masks_follow_colour:
                    window = (*origin, origin[0] + crop.shape[1], origin[1] + crop.shape[0])
                    colour = changed(difference(window), window, mask_threshold)
                    crop = _colour_mask(crop, colour, reach)
                    areas[i] = int(crop.sum())
                crops.append(crop)
                origins.append(origin)
            continue
        d, shaped = difference(win), reshaped(win, bx)
        tight = changed(d, win, colour_threshold, exact=shaped)
        support = np.ones_like(tight)
        if masks is not None:  # stray pixels outside the region's own support do not count
            crop, (mx, my) = masks.crop(i)
            support = np.zeros_like(tight)
            support[
                my - win[1] : my - win[1] + crop.shape[0], mx - win[0] : mx - win[0] + crop.shape[1]
            ] = crop
            support = _dilate(support)
            tight &= support
        grow, min_pixels = True, 1
        if not tight.any():  # a change under 3 px across: the colour cue cannot see it
            d, grow, min_pixels = difference(win, thin=True), False, THIN_MIN_PIXELS
            shaped = None
            tight = changed(d, win, colour_threshold, grow=grow) & support
        tb = tight_box(tight, bx, (win[0], win[1]), max_shrink=reach, min_pixels=min_pixels)
        core = (d >= colour_threshold) & support if grow else None
        if transform is None and core is not None and core.any():  # unregistered: no shift
            plain = difference(win, plain=True)
            level = max(colour_threshold, CORE_SHARE * float(np.median(plain[core])))
            more = changed(plain, win, level, grow=False) & support
            tight, tb = _unshifted(tight, tb, bx, more, (win[0], win[1]), reach)
        nb, grown, (gx, gy) = faint_ends(tb, bx, tight, win)
        boxes[i] = nb
        if masks is not None:
            crop, (mx, my) = masks.crop(i)
            cut = crop[tb[1] - my : tb[3] - my, tb[0] - mx : tb[2] - mx]
            if masks_follow_colour:
                colour = changed(d, win, mask_threshold, grow=grow, exact=shaped)
                colour = colour[tb[1] - win[1] : tb[3] - win[1], tb[0] - win[0] : tb[2] - win[0]]
                cut = _colour_mask(cut, colour, reach)
            if not cut.any():
                cut = np.ones_like(cut)
            if nb != tb:  # faint ends added: the mask on the grown box, with what grew
                wide = grown[nb[1] - gy : nb[3] - gy, nb[0] - gx : nb[2] - gx].copy()
                wide[tb[1] - nb[1] : tb[3] - nb[1], tb[0] - nb[0] : tb[2] - nb[0]] |= cut
                cut = wide
            crops.append(np.ascontiguousarray(cut))
            origins.append((nb[0], nb[1]))
            areas[i] = int(cut.sum())
    new_masks = None if masks is None else RegionMasks(crops, np.asarray(origins), (w, h))
    return replace(regions, boxes=boxes, masks=new_masks, data={**regions.data, "area": areas})
