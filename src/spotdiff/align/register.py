"""Geometric registration of image 2 onto image 1 (global: translation, similarity, affine).

Geometry (:func:`register`): both images are reduced to grey at ``max_side`` pixels and
histogram-equalized (so a brightness / contrast / gamma change does not move the estimate), then

1. a global phase correlation gives the translation (sub-pixel);
2. phase correlation of a 4x3 grid of tiles, after that translation, gives local shifts; when
   they agree (median deviation from their median below 0.1 px at that scale, none above 0.3 px)
   the motion is a translation: their median shift (nothing at all when that is below 0.1 px),
   refined by Lucas-Kanade steps (:func:`._shift.refine_shift`: phase correlation's sub-pixel
   peak is biased towards whole pixels), and snapped to whole pixels when within 0.1 px of them
   (crops of screenshots are exact);
3. otherwise, in ``auto``, a picture whose structure (its edge pixels) lies within 5 % of its
   area (:data:`_SPREAD`: a logo on a flat page) gets the best translation or nothing, judged as
   in the check below -- a rotation / scale / shear cannot be observed there, and a fit follows
   the patch's own edits; else a similarity (rotation, scale, translation) is fitted to the tile shifts with RANSAC,
   twice, and refined by OpenCV's ECC (affine) when that raises the correlation;
   When the tiles disagree, ORB keypoints matched with USAC (:mod:`.features`, on the grey
   copies before equalization: rotation up to 25 degrees, shear, ``align="homography"``; in
   ``auto`` also a homography when it explains more matches than the affine fit) are further
   candidates, and ECC refines the better start. Candidates that explain fewer than 80 % of the
   keypoint matches the best one explains are dropped (the whole-image correlation is dominated
   by a textured background where one fills the frame: a handheld photo of a board on black
   fabric correlated 0.771 under a translation 7 px off the board and 0.775 under the board's
   homography), and the highest correlation among the rest wins. One that moves a corner by
   less than 2 px beyond the shift of the centre must also remove a tenth of the decorrelation
   (``1 - NCC``) that the best translation leaves, or that translation must explain fewer than
   80 % of its matches, or that translation is kept -- or the scale per axis the tile shifts
   show, when it correlates as well (two scans 1 px apart in size, both resized: a puzzle's
   correlation gains 0.2 % from it, its small changes need it; :func:`._estimate.tile_scale`)
   -- or the identity, when the translation is below a pixel and fewer than half of the tiles agree on it (a re-encoded or re-rendered
   layout, whose edits, JPEG blocks or anti-aliasing the fit followed);
4. the estimate is kept only if it raises the normalized cross-correlation (NCC) of the two
   images over their overlap (a translation or scale the tiles agree on excepted) and stays
   within sane bounds (:data:`SCALE_RANGE`, :data:`MAX_ROTATION`, :data:`MAX_SHIFT`; finite and
   non-degenerate: a NaN or singular transform never reaches a warp); otherwise identity is
   returned with a warning, never an error. Correlations are measured on copies blurred by 1 px
   (the softening of a sub-pixel warp alone used to cost more correlation than a correct
   1.5 px shift gained on a 930x701 photo) and never count a pixel mixed with the outside.

Measured on the synthetic benchmark (:mod:`spotdiff.evaluation`, 135 pairs at 1280x720, photos
with planted edits): image-corner error of the transform at most 0.43 px (median 0.07-0.21 px)
for translations of 0.3 px to 3 % of the width, rotations of 0.2-2 degrees and zooms of 0.5-3 %,
in 9 ms (translation) to 27 ms (rotation, zoom); identity kept on 89 of 90 pairs without motion.
On constructed cases ORB + RANSAC reached 0.3-0.5 px in 40 ms, ECC alone drifted by up to 40 px
under zoom (and under gamma changes without histogram equalization), phase correlation alone
cannot see rotation. Sub-pixel shifts of 0.3-2.5 px of 930x700 photos: within 0.05 px (phase
correlation and tile medians alone: 0.1-0.25 px, and a 0.5 px shift of a smooth picture kept as
identity); re-encoded layouts with two local edits (two generators, 24 pairs): identity on 21,
a 0.11-0.18 px translation on 3 (a 0.2-0.8 px similarity or affine on 24 of 24 before). OpenCV 5.0's ``phaseCorrelate`` writes its window into
its inputs: it is called on copies.

Conventions: the transform is a (3, 3) float64 matrix ``T`` with ``[x1, y1, 1] = T @ [x2, y2, 1]``
(image-2 pixel coordinates to image-1 pixel coordinates, pixel centres at integers).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

from .._area import reduce_area
from .._errors import InvalidOptionError, SpotdiffWarning
from .._threads import map_threads
from .._validate import check_choice
from ._estimate import beyond_shift, ecc, fit_tiles, tile_scale, usable
from ._shift import MIN_RESPONSE, ncc, phase, projective, refine_shift, tile_shifts, warp_inv
from .features import feature_matches, fit_matches, match_support
from .warp import displacement, scale_matrix

__all__ = ["ALIGN_MODES", "Registration", "register"]


#: Accepted ``align`` values: ``"auto"`` (translation, then similarity + affine refinement when
#: the tiles disagree, or matched keypoints when that does better), ``"translation"``,
#: ``"similarity"``, ``"affine"``, ``"homography"``, ``"none"``.
ALIGN_MODES = ("auto", "translation", "similarity", "affine", "homography", "none")

_STILL = 0.1  # px at the registration scale: below this every tile is "already aligned"
_FLAT = 2.0  # std of the equalized grey copy below this: a flat image, nothing to register
#: Gaussian sigma (px, registration scale) of the copies correlations are measured on: a
#: sub-pixel warp blurs image 2 by up to 0.5 px (bilinear), which alone changes the correlation of
#: sharp or noisy pictures by more than a real sub-pixel shift does; after this blur it does not.
_SMOOTH = 1.0
#: A rotation / scale / shear is kept over the best translation only when it removes at least this
#: share of the decorrelation the translation leaves (``1 - NCC``): on a pixel-identical layout
#: with local changes, the fit to the changed parts gains a few percent at most.
_CLEAR = 0.1
#: px at the registration scale: a rotation / scale / shear moving a corner by less than this
#: beyond the shift of the image centre is checked against the best translation
#: (:data:`_CLEAR`); larger ones clearly matter.
_CHECK_BELOW = 2.0
#: Phase-correlation peak of the equalized copies under which the copies as they came are tried
#: too (one more correlation, 2-4 ms), and used when their peak is :data:`_RAW_SHARPER` times as
#: sharp. Equalization makes the copies comparable under a tone change, but a flat-coloured
#: render and its blurred or re-encoded copy equalize apart: the copy's new in-between levels
#: remap the whole histogram. A goose drawing blurred by 1 px: peak 0.39 at a 1.9 px false shift
#: equalized, 0.91 at 0.02 px as it came (an affine with a 1.3% scale was fitted to an unmoved
#: copy); a screenshot scrolled by (2, -1) px and saved as JPEG q70: 0.57 at a shift 0.2 px off,
#: 1.00 as it came (registration gave up: 26 false boxes). Three real pairs switch (two handheld
#: photos, an upscaled render: raw peak 1.5-1.9 times the equalized), with the same boxes.
_EQUALIZED_DOUBT = 0.9
_RAW_SHARPER = 1.5
#: Sobel magnitude (|dx| + |dy|, grey levels) of an edge pixel (:func:`_structure_share`).
_EDGE = 40.0
#: In ``auto``, a picture whose structure lies within this share of its area is registered by a
#: translation at most: a rotation / scale / shear fitted to a small patch of structure (a logo
#: on a flat page) is unconstrained across the picture and fits the patch's own edits instead
#: (a logo whose bars were shortened got a 64.6 px affine). Handheld photos of one object on a
#: plain background measured 0.21-0.39, the real pairs' pages and drawings 0.43-0.97.
_SPREAD = 0.05
#: px: a translation this close to whole pixels in both axes is taken as whole (estimates on
#: whole-pixel crops come out within 0.05 px of them).
_SNAP = 0.1
#: A candidate transform explaining fewer keypoint matches than this share of the best
#: candidate's count is not the motion of the matched structure (:func:`_fit_motion`); a
#: rotation / scale / shear is kept over the best translation when that explains fewer than this
#: share of its matches.
_SUPPORT = 0.8
#: Matches the best candidate must explain before match counts judge anything.
_MIN_SUPPORT = 20
#: Bounds of an accepted transform: singular values of its linear part (scale, shear), rotation
#: (degrees), largest corner displacement (share of the longer side).
SCALE_RANGE = (0.65, 1.5)
MAX_ROTATION = 25.0
MAX_SHIFT = 0.3


@dataclass(frozen=True)
class Registration:
    """A registration of image 2 onto image 1.

    Attributes:
        transform: (3, 3) float64, image-2 pixel coordinates -> image-1 pixel coordinates.
        method: ``"identity"``, ``"translation"``, ``"similarity"`` or ``"affine"``.
        ncc_before, ncc_after: normalized cross-correlation of the equalized grey images at the
            registration scale, blurred by 1 px, before and after (in [-1, 1]).
        displacement: largest displacement of an image corner under ``transform``, in pixels.
        failed: True when an estimate was attempted and rejected (identity returned, warned).
        message: why identity was kept, or "".
    """

    transform: np.ndarray
    method: str
    ncc_before: float
    ncc_after: float
    displacement: float
    failed: bool = False
    message: str = ""

    @property
    def aligned(self) -> bool:
        """True when ``transform`` is not the identity."""
        return self.method != "identity"


def _small_gray(img: np.ndarray, max_side: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Equalized float32 grey copy at the registration scale, the same copy before equalization
    (uint8, for keypoints), and the full size (W, H)."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    s = min(1.0, max_side / max(h, w))
    if s < 1.0:
        # OpenCV's INTER_AREA, pixel for pixel, faster at 15/8 (960x540 -> 512x288)
        gray = reduce_area(gray, (max(8, round(w * s)), max(8, round(h * s))))
    return cv2.equalizeHist(gray).astype(np.float32), gray, (w, h)


def _structure_share(gray: np.ndarray) -> float:
    """Share of the picture covered by the box of its structure: the 1st-99th percentile of the
    coordinates of its edge pixels (Sobel magnitude above :data:`_EDGE` after the
    :data:`_SMOOTH` blur); 1.0 when it has too few edge pixels to tell."""
    h, w = gray.shape
    g = cv2.GaussianBlur(gray, (0, 0), _SMOOTH)
    mag = np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1))
    ys, xs = np.nonzero(mag > _EDGE)
    if len(xs) < 16:
        return 1.0
    x0, x1 = np.percentile(xs, (1, 99))
    y0, y1 = np.percentile(ys, (1, 99))
    return float((x1 - x0 + 1) * (y1 - y0 + 1) / (w * h))


def _sane(t: np.ndarray, size: tuple[int, int]) -> str:
    if not usable(t):
        return "a degenerate or non-finite transform"
    lin = t[:2, :2] / t[2, 2]
    scales = np.linalg.svd(lin, compute_uv=False)
    angle = math.degrees(math.atan2(lin[1, 0] - lin[0, 1], lin[0, 0] + lin[1, 1]))
    if not (scales.min() >= SCALE_RANGE[0] and scales.max() <= SCALE_RANGE[1]):
        return (
            f"scale {scales.min():.3f}-{scales.max():.3f} outside {SCALE_RANGE[0]}-{SCALE_RANGE[1]}"
        )
    if abs(angle) > MAX_ROTATION:
        return f"rotation {angle:.1f} deg beyond {MAX_ROTATION:g} deg"
    if projective(t):
        w, h = size
        corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], float).T
        if (t @ corners)[2].min() <= 0.1 * abs(t[2, 2]):
            return "a perspective that folds the image"
    if displacement(t, size) > MAX_SHIFT * max(size):
        return f"shift beyond {MAX_SHIFT:.0%} of the image size"
    return ""


def _to_full(w_ab: np.ndarray, size: tuple[int, int], small: tuple[int, int]) -> np.ndarray:
    """Image-1 -> image-2 map at the registration scale to image-2 -> image-1 at full size."""
    s = scale_matrix(size, small)
    t = np.linalg.inv(s) @ np.linalg.inv(w_ab) @ s
    return t / t[2, 2] if usable(t) else t


def _structure_moves(
    w_ab: np.ndarray, shift: np.ndarray, matches: tuple[np.ndarray, np.ndarray] | None
) -> bool:
    """The keypoint matches clearly follow ``w_ab`` rather than the translation ``shift``."""
    if matches is None:
        return False
    n = int(match_support(w_ab, *matches).sum())
    return n >= _MIN_SUPPORT and match_support(shift, *matches).sum() < _SUPPORT * n


def _fit_motion(
    a: np.ndarray,
    b: np.ndarray,
    w_ab: np.ndarray,
    motion: str,
    size: tuple[int, int],
    matches: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, str]:
    """The best of the tile fit (+ ECC) and the keypoint fit (+ ECC).

    Candidates whose transform is not sane (:func:`_sane`) are dropped. Among the rest, those
    that explain clearly fewer keypoint matches than the best one (below :data:`_SUPPORT` of its
    count) are dropped too -- a fit pulled by a textured background or a glare explains the
    correlation of those pixels, not the matched structure -- and the highest correlation wins.
    The tile fit is kept when nothing does better (the caller then judges it).
    """
    small = (a.shape[1], a.shape[0])
    affine = motion in ("affine", "homography")
    tiles, method = w_ab, "translation"
    for _ in range(2):
        fitted = fit_tiles(a, b, tiles, affine=affine)
        if fitted is None:
            break
        tiles, method = fitted, ("affine" if affine else "similarity")
    candidates = [(tiles, method)]
    model = {"auto": "affine", "similarity": "similarity"}.get(motion, motion)
    found = None if matches is None else fit_matches(*matches, model=model)
    if found is not None and motion == "auto" and not _sane(_to_full(found[0], size, small), size):
        # a perspective fit too: a handheld photo of a flat object is a homography, and the affine
        # fit to its matches leaves its far side off by pixels
        persp = fit_matches(*matches, model="homography")
        if persp is not None and persp[1] > found[1]:
            candidates.append((persp[0], "homography"))
    feat = None
    if found is not None and not _sane(_to_full(found[0], size, small), size):
        feat = found[0]
        candidates.append((feat, "homography" if projective(feat) else model))
    if motion != "similarity":  # ECC from the better start only (it costs most)
        start = tiles
        if feat is not None and ncc(a, b, feat) > ncc(a, b, tiles):
            start = feat
        refined = ecc(a, b, start)
        if refined is not None:
            candidates.append((refined, "homography" if projective(refined) else "affine"))
    candidates = [(c, n) for c, n in candidates if not _sane(_to_full(c, size, small), size)]
    if not candidates:
        return tiles, method
    if matches is not None:
        support = [int(match_support(c, *matches).sum()) for c, _ in candidates]
        if max(support) >= _MIN_SUPPORT:
            floor = _SUPPORT * max(support)
            candidates = [c for c, n in zip(candidates, support, strict=True) if n >= floor]
    best, best_ncc = candidates[0], -2.0
    for cand, name in candidates:
        score = ncc(a, b, cand)
        if score > best_ncc + 1e-4:
            best, best_ncc = (cand, name), score
    return best


def register(
    img1: np.ndarray, img2: np.ndarray, *, align: str = "auto", max_side: int = 512
) -> Registration:
    """Estimate the transform that brings image 2 onto image 1 (see the module docstring).

    Args:
        img1, img2: uint8 (H, W, 3) RGB or (H, W) grey, the same size.
        align: one of :data:`ALIGN_MODES`.
        max_side: longer side, in pixels, of the grey copies the estimate is computed on.

    Returns:
        :class:`Registration`; ``transform`` is in the pixel coordinates of ``img1``. A failed or
        useless estimate gives the identity (with a :class:`SpotdiffWarning` when it failed).
    """
    motion = check_choice("align", align, ALIGN_MODES)
    if img1.shape[:2] != img2.shape[:2]:
        raise InvalidOptionError(
            f"register needs images of one size, got {img1.shape[:2]} and {img2.shape[:2]}; "
            "load them with spotdiff.io.load_pair first"
        )
    (a, a8, size), (b, b8, _) = map_threads(lambda x: _small_gray(x, max_side), [img1, img2])
    small = (a.shape[1], a.shape[0])
    identity = Registration(np.eye(3), "identity", 1.0, 1.0, 0.0)
    if motion == "none" or min(small) < 32:
        return identity
    if min(float(a.std()), float(b.std())) < _FLAT:  # nothing to register on
        return identity
    win = cv2.createHanningWindow(small, cv2.CV_32F)
    (dx, dy), response = phase(a, b, win)
    if response < _EQUALIZED_DOUBT:  # equalized apart? (a blurred or re-encoded render)
        raw = a8.astype(np.float32), b8.astype(np.float32)
        (rdx, rdy), raw_response = phase(*raw, win)
        if raw_response > _RAW_SHARPER * response:
            a, b = raw
            (dx, dy), response = (rdx, rdy), raw_response
    a_s, b_s = (cv2.GaussianBlur(x, (0, 0), _SMOOTH) for x in (a, b))
    ncc0 = ncc(a_s, b_s, np.eye(3))
    w_ab = np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1]])  # a coords -> b coords
    translation = w_ab.copy()
    method = "translation"
    agreed = False  # the tiles agree on a translation: no correlation gain needed to keep it
    share = 1.0  # of the tiles that agree on a translation (within 0.3 px of their median)
    matches = None  # keypoint matches (a coords, b coords), when the tiles disagree
    scaled = None  # the tiles' scale per axis (:func:`._estimate.tile_scale`), if they show one
    if motion != "translation":
        centres, shifts, resp = tile_shifts(a, warp_inv(b, w_ab))
        ok = resp > MIN_RESPONSE
        rigid = False
        if ok.sum() >= 3:
            common = np.median(shifts[ok], axis=0)  # what the tiles agree on: a translation
            spread = np.abs(shifts[ok] - common).max(axis=1)
            share = float(np.mean(spread < 3 * _STILL))
            rigid = np.median(spread) < _STILL and spread.max() < 3 * _STILL
        agreed = motion == "auto" and rigid
        if agreed:
            w_ab[:2, 2] += common
            if math.hypot(*w_ab[:2, 2]) < _STILL:
                return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0)
        elif motion == "auto" and _structure_share(a8) < _SPREAD:
            method = "confined"  # judged as a translation below
        else:
            matches = feature_matches(a8, b8)
            if motion == "auto":
                scaled = tile_scale(w_ab, centres, shifts, ok)
            w_ab, method = _fit_motion(a, b, w_ab, motion, size, matches)
    confined = method == "confined"
    if method == "translation":
        w_ab = refine_shift(a_s, b_s, w_ab)
        if motion == "auto" and math.hypot(*w_ab[:2, 2]) < _STILL:
            return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0)
    elif motion == "auto" and (confined or beyond_shift(w_ab, small) < _CHECK_BELOW):
        # a small rotation / scale / shear must clearly beat the best translation
        shift = refine_shift(a_s, b_s, translation)
        base = max(ncc0, ncc(a_s, b_s, shift))
        if confined or (
            ncc(a_s, b_s, w_ab) - base < _CLEAR * (1.0 - base)
            and not _structure_moves(w_ab, shift, matches)
        ):
            rerender = share < 0.5 and math.hypot(*shift[:2, 2]) < 1.0  # no common sub-pixel shift
            if scaled is not None and ncc(a_s, b_s, scaled) > base - 1e-4:
                w_ab, method, agreed = scaled, "affine", True  # the tiles' scale, as good
            elif base == ncc0 or rerender or math.hypot(*shift[:2, 2]) < _STILL:
                return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0)
            else:
                w_ab, method = shift, "translation"
    ncc1 = ncc(a_s, b_s, w_ab)
    t = _to_full(w_ab, size, small)  # image-2 full coords -> image-1 full coords
    disp = displacement(t, size)
    problem = _sane(t, size)
    if not problem and ncc1 < ncc0 + 1e-4 and not agreed:
        if ncc0 >= 0.5 or disp < 1.0:  # already aligned as well as we can tell
            return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0)
        problem = f"the estimate ({method}) does not improve the correlation ({ncc0:.3f})"
    if problem and ncc0 >= 0.5:  # a wild estimate on images that already agree: keep them as is
        return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0)
    if problem:
        message = f"registration failed ({problem}); comparing the images unaligned"
        warnings.warn(message, SpotdiffWarning, stacklevel=2)
        return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0, True, message)
    if response < MIN_RESPONSE and ncc1 < 0.3:
        message = (
            f"registration is unreliable (phase correlation peak {response:.3f}, "
            f"correlation {ncc1:.3f}); comparing the images unaligned"
        )
        warnings.warn(message, SpotdiffWarning, stacklevel=2)
        return Registration(np.eye(3), "identity", ncc0, ncc0, 0.0, True, message)
    if method == "translation":  # a crop by whole pixels (screenshots): no resampling at all
        whole = np.round(t[:2, 2])
        if np.abs(t[:2, 2] - whole).max() < _SNAP:
            t[:2, 2] = whole
    return Registration(t, method, ncc0, ncc1, disp)
