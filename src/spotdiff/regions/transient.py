"""Transient specks: a glint or a vehicle that the colour bands saw at different places.

A push-broom satellite (Sentinel-2, and most multispectral imagers) takes its red, green and
blue bands a fraction of a second apart. What stays put on the ground lands on the same pixels
in the three bands; what moves (a vehicle) or flashes (the sun's specular reflection off a
windscreen, a glass roof) lands on different pixels in each: a bright speck a few pixels wide,
saturated where the bands overlap, with rims of pure colour (yellow, cyan, magenta, blue) on
its sides, where only some bands saw it. Present in one pass only, it is a strong, small change,
and it is not a change on the ground. On the Sentinel-2 pair ``aerial_oscd_bordeaux`` of the
real development set 10 of the 14 false boxes held such specks (scores 0.11-0.21), alone or
several grouped into one box, and none of its 24 labelled changes (building sites, 5-40 px) is
one. Dropping what only the specks made: 14 -> 5 false boxes, the true ones kept (4), change-mask
F1 0.223 -> 0.275; ``aerial_oscd_bercy``'s boxes are unchanged.

A blob of change is a *transient speck* (:func:`transient_specks`) when, in the image that
holds it (the one where it is brighter),

- it is small: at most :data:`MAX_AREA` pixels changed by more than the colour threshold (a
  vehicle or a glint at 10 m plus the bands' offset; a building site is larger, and a finer
  image shows a vehicle larger still, where this rule does not fire);
- it is a point of light: some band of its strongly changed pixels (some band changed by
  :data:`STRONG` x the colour threshold) reaches the level of the image's brightest pixels
  (:data:`CLIP_LEVEL`, or where fewer than a :data:`TOP_SHARE` of its pixels get there, the
  level of its brightest :data:`TOP_SHARE`), and it outshines the ground around it
  (:data:`OUTSHINE`): a specular glint, a white vehicle on a dark road. A diffuse surface of
  the ground under the same light is no brighter than its neighbours by that much; the small
  saturated objects of drawings that passed the other tests sat on brighter ground.

and, one of two:

- its bands are offset: among its strongly changed pixels are pixels of pure colour (a band
  below a third of the strongest one) of two different hues: the rims on two sides of an
  object the bands saw at different places. A new roof of one colour is one hue; a white one
  has no pure rims;
- or the pair holds a *scatter* of such points of light (at least :data:`MIN_LIGHTS`, both
  images together): a pass over a town, its vehicles and glints. Then the offset is not asked
  for: it does not survive a JPEG encoding, which keeps colour at half resolution (4:2:0) and
  spreads a 1-px rim over its neighbours. On ``aerial_oscd_bordeaux`` saved at quality 85 the
  offset found 15 speck pixels (164 on the original), its false boxes 8 -> 12 (now 5). What
  is lost with it, on such a pair: a new roof of at most :data:`MAX_AREA` px that is among the
  image's brightest pixels and outshines its ground (a 4 x 4 px white roof at 10 m, 40 x 40 m)
  is taken for a glint. None of the 34 labelled changes of the two Sentinel-2 development
  pairs is one (no true box is lost on them; saved as JPEG, bordeaux loses one, a 7 x 6 px
  change beside such a point); the offset alone kept 15 of bordeaux's 30 unlabelled small
  saturated blobs (one hue or none), two of them false boxes. A photo with one small bright
  change (a strand of hair removed) holds one point of light, not a scatter.

:func:`drop_transients` then removes the evidence components whose seeds all lie within the
evidence maps' reach of a speck (:data:`EVIDENCE_REACH`: the structural window and the colour
map's neighbourhood): the speck's own evidence, and nothing else. A component holding a speck
and a change of its own elsewhere (a seed further away) stays whole.

Rendered images (screenshots, drawings) are not passed here: a small bright mark drawn on
them (a dot, a highlight, a ClearType-rimmed glyph) is an edit, not a glint.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..maps.ssim_cv import gaussian_radius
from .components import Components, find_components
from .extract import THIN_REACH

__all__ = [
    "CLIP_LEVEL",
    "EVIDENCE_REACH",
    "MAX_AREA",
    "MIN_LIGHTS",
    "OUTSHINE",
    "RING",
    "STRONG",
    "TOP_SHARE",
    "drop_transients",
    "transient_specks",
]

#: Largest blob (pixels changed by more than the colour threshold in some band) that can be a
#: transient speck: 5 x 5 px. On the Sentinel-2 pairs the blobs holding a saturated band are 31:
#: the one labelled (a new roof in bercy) spans 90 px; the 30 unlabelled span 3-85 px, the
#: band-offset specks among them 4-19 px. 16 leaves one more false box on bordeaux, 36 the
#: same as 25; bercy is unchanged by all three.
MAX_AREA = 25
#: A speck outshines the ground around it: its mean grey at least this many times the 90th
#: percentile of the grey 2-:data:`RING` px from it (a point of light: the sun's glint off glass
#: or metal, a white vehicle on a dark road). The 15 specks of bordeaux: 1.5-3.2; the two
#: saturated puzzle objects of the development set with rims of two hues (a thin pole, a small
#: yellow-green drawing on white): 0.87 and 0.63.
OUTSHINE = 1.25
#: A band at or above this level (of 255) is saturated.
CLIP_LEVEL = 250
#: Share of an image's pixels at the level its specks must reach where fewer than this share
#: saturate: its brightest 0.1%. Specks hold that many pixels themselves (bordeaux's 15
#: band-offset specks 164 px, 0.07% of the picture), and a JPEG encoding lowers the peak of a
#: 2-3 px speck: at quality 85 bordeaux's brightest 0.01% fall from 250 to 207, under the peak
#: of 9 of the 15. (The Sentinel-2 image of 2017 in bercy peaks at 248.)
TOP_SHARE = 1e-3
#: Fewest points of light (small, among the brightest, outshining their ground; both images
#: together) that make a scatter: a sensor's pass over a town, where a point of light without
#: the bands' offset is a speck as well. The two Sentinel-2 pairs hold 22 and 54 (18 and 31
#: saved as JPEG q85); the other 23 real pairs none; a photo with one small bright change 1.
MIN_LIGHTS = 5
#: px: the ring of ground :data:`OUTSHINE` compares with ends this far from the speck.
RING = 3
#: A pixel changed strongly: some band by at least this many colour thresholds (72 levels at the
#: default threshold of 24). 2 and 3 remove the same specks on the Sentinel-2 pairs, 4 one fewer.
STRONG = 3.0
#: px: how far a pixel's evidence reaches: the structural (SSIM, sigma 1.5) window's radius and
#: the colour map's 1-px neighbourhood.
EVIDENCE_REACH = gaussian_radius(1.5) + 1


def _offset_bands(change: np.ndarray, strong: float) -> bool:
    """True when the (n, 3) per-band change of a blob's pixels has strongly changed pixels of
    pure colour (some band below a third of the strongest) of two different hues (the sets of
    bands at or above that third: red and yellow, yellow and cyan, ...)."""
    top = change.max(axis=1)
    present = change * 3 >= top[:, None]
    pure = (top >= strong) & ~present.all(axis=1)
    hues = present[pure] @ (1 << np.arange(change.shape[1]))
    return len(np.unique(hues)) >= 2


def transient_specks(img1: np.ndarray, img2: np.ndarray, *, threshold: float) -> np.ndarray:
    """The pixels of transient specks (see the module): in either image, small blobs of change
    that are points of light (among the image's brightest, outshining the ground around them)
    with offset bands, or all of them where they make a scatter (:data:`MIN_LIGHTS`).

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 aligned onto image 1 and tone-matched
            (:class:`spotdiff.align.MatchedPair` ``img1`` and ``mid2``).
        threshold: the colour threshold in levels (:attr:`~spotdiff.maps.evidence.Thresholds.colour`):
            a blob is the 8-connected pixels where some band changed by more than this.

    Returns:
        bool (H, W): True on the pixels of every transient speck (of both images).
    """
    out = np.zeros(img1.shape[:2], bool)
    if img1.ndim != 3 or img1.shape[2] != 3:
        return out
    strong = STRONG * threshold
    lights = []  # (window, blob mask, its bands offset) of every point of light
    for holder, other in ((img2, img1), (img1, img2)):  # brighter in image 2, then in image 1
        change = cv2.subtract(holder, other)  # what the holder has more of, per band (uint8)
        top = _band_max(change)
        candidates = top >= strong
        if not candidates.any():
            continue  # nothing changed strongly: the holder's brightness cannot matter
        brightest = _band_max(holder)
        candidates &= brightest >= _top_level(brightest)
        if not candidates.any():
            continue
        # a blob of at most MAX_AREA px lies within MAX_AREA px of its candidate pixels (one
        # cut by this window's edge has more than MAX_AREA px inside it): label only there
        cx, cy, cw, ch = cv2.boundingRect(candidates.view(np.uint8))
        x0, y0 = max(0, cx - MAX_AREA), max(0, cy - MAX_AREA)
        win = np.s_[y0 : cy + ch + MAX_AREA, x0 : cx + cw + MAX_AREA]
        change, candidates = change[win], candidates[win]
        blobs = (top[win] > threshold).view(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
        grey = cv2.cvtColor(holder[win], cv2.COLOR_RGB2GRAY)
        for k in np.unique(labels[candidates]):
            if stats[k, cv2.CC_STAT_AREA] > MAX_AREA:
                continue
            x, y, w, h = stats[k, :4]
            if not _outshines(grey, labels, k, (x, y, w, h)):
                continue
            blob = labels[y : y + h, x : x + w] == k
            offset = _offset_bands(change[y : y + h, x : x + w][blob].astype(np.float32), strong)
            at = np.s_[y0 + y : y0 + y + h, x0 + x : x0 + x + w]
            lights.append((at, blob, offset))
    scatter = len(lights) >= MIN_LIGHTS
    for at, blob, offset in lights:
        if offset or scatter:
            out[at] |= blob
    return out


def _outshines(grey: np.ndarray, labels: np.ndarray, k: int, box: tuple[int, ...]) -> bool:
    """True when blob ``k`` (of ``labels``, bounding ``box`` = x, y, w, h) is on average at least
    :data:`OUTSHINE` x as bright in ``grey`` as the brighter ground around it: the 90th
    percentile of the pixels 2-:data:`RING` px from it."""
    x, y, w, h = box
    r = RING
    x0, y0 = max(0, x - r), max(0, y - r)
    x1, y1 = min(grey.shape[1], x + w + r), min(grey.shape[0], y + h + r)
    blob = (labels[y0:y1, x0:x1] == k).view(np.uint8)
    near = cv2.dilate(blob, np.ones((3, 3), np.uint8))
    ring = (cv2.dilate(blob, np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > near).view(bool)
    if not ring.any():
        return False
    crop = grey[y0:y1, x0:x1]
    return float(crop[blob.view(bool)].mean()) >= OUTSHINE * float(np.percentile(crop[ring], 90))


def _top_level(brightest: np.ndarray) -> int:
    """The level a speck's brightest band reaches: :data:`CLIP_LEVEL`, or lower where the image
    never gets there, the level only a :data:`TOP_SHARE` of its pixels reach (uint8 (H, W)
    largest bands)."""
    if np.count_nonzero(brightest >= CLIP_LEVEL) >= TOP_SHARE * brightest.size:
        return CLIP_LEVEL  # the histogram below would say the same
    hist = np.bincount(brightest.ravel(), minlength=256)
    above = np.cumsum(hist[::-1])[::-1]  # pixels at or above each level
    return min(CLIP_LEVEL, int(np.flatnonzero(above >= TOP_SHARE * brightest.size)[-1]))


_ROW_OF_THREE = np.ones((1, 3), np.uint8)


def _band_max(img: np.ndarray) -> np.ndarray:
    """uint8 (H, W): the largest band of a uint8 (H, W, 3) image (``img.max(axis=2)``): the
    image's rows as ``3 W`` levels, each the largest of its 1 x 3 neighbourhood (a dilation),
    at the middle band of every pixel."""
    h, w = img.shape[:2]
    rows = np.ascontiguousarray(img).reshape(h, 3 * w)
    return np.ascontiguousarray(cv2.dilate(rows, _ROW_OF_THREE)[:, 1::3])


def drop_transients(
    z: np.ndarray,
    specks: np.ndarray,
    components: Components,
    *,
    low: float,
    reach: int = EVIDENCE_REACH,
) -> tuple[np.ndarray, Components]:
    """The evidence without the components that only transient specks made.

    Args:
        z: float32 (H, W) evidence (1 = seed threshold); not modified.
        specks: bool (H, W), :func:`transient_specks`.
        components: ``find_components(z, low=low, reach=THIN_REACH)``.
        low: the hysteresis ratio ``components`` were grown with.
        reach: px, how far a speck's evidence reaches (:data:`EVIDENCE_REACH`).

    Returns:
        ``(z, components)``: unchanged when no component touching a speck has all its seeds
        (``z >= 1``) within ``reach`` of a speck; else a copy of ``z`` with those components
        set to 0, and its components (same rule, same ``THIN_REACH``).
    """
    if len(components) == 0 or not specks.any():
        return z, components
    labels = components.labels
    touched = np.zeros(len(components) + 1, bool)
    touched[labels[specks]] = True
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    near = cv2.dilate(specks.view(np.uint8), disc) > 0
    own = np.zeros(len(components) + 1, bool)  # a seed beyond the specks' reach
    own[labels[(z >= 1.0) & ~near]] = True
    drop = touched & ~own
    drop[0] = False
    if not drop.any():
        return z, components
    z = np.where(drop[labels], np.float32(0.0), z)
    return z, find_components(z, low=low, reach=THIN_REACH)
