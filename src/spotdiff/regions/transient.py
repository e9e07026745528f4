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
one. Dropping what only the specks made: 14 -> 9 false boxes, the 3 true ones kept, change-mask
F1 0.223 -> 0.244; ``aerial_oscd_bercy``, which holds no such speck, is unchanged.

A blob of change is a *transient speck* (:func:`transient_specks`) when, in the image that
holds it (the one where it is brighter),

- it is small: at most :data:`MAX_AREA` pixels changed by more than the colour threshold (a
  vehicle or a glint at 10 m plus the bands' offset; a building site is larger, and a finer
  image shows a vehicle larger still, where this rule does not fire);
- it is saturated: some band reaches :data:`CLIP_LEVEL` there (a specular glint or a white
  roof in the sun clips; a diffuse surface of the ground under the same light does not);
- its bands are offset: among its strongly changed pixels (some band changed by
  :data:`STRONG` x the colour threshold) are pixels of pure colour (a band below a third of
  the strongest one) of two different hues: the rims on two sides of an object the bands saw
  at different places. A new roof of one colour is one hue; a white one has no pure rims.

:func:`drop_transients` then removes the evidence components whose seeds all lie within the
evidence maps' reach of a speck (:data:`EVIDENCE_REACH`: the structural window and the colour
map's neighbourhood): the speck's own evidence, and nothing else. A component holding a speck
and a change of its own elsewhere (a seed further away) stays whole.

Rendered images (screenshots, drawings) are not passed here: sub-pixel (ClearType) text
rendering draws exactly such coloured rims around glyphs.
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
    "STRONG",
    "drop_transients",
    "transient_specks",
]

#: Largest blob (pixels changed by more than the colour threshold in some band) that can be a
#: transient speck: 5 x 5 px. On the Sentinel-2 pairs the blobs holding a saturated band are 31:
#: the one labelled (a new roof in bercy) spans 90 px and has no pure-colour pixel; of the 30
#: unlabelled, 15 are band-offset specks of 4-19 px (found), 9 have rims of one hue only and 6
#: none (3-85 px; kept: a roof of one colour looks the same). 16 leaves one more false box on
#: bordeaux, 36 the same as 25; bercy is unchanged by all three.
MAX_AREA = 25
#: A band at or above this level (of 255) is saturated.
CLIP_LEVEL = 250
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
    """The pixels of transient specks (see the module): in either image, small, saturated blobs
    of change whose bands are offset.

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 aligned onto image 1 and tone-matched
            (:class:`spotdiff.align.MatchedPair` ``img1`` and ``mid2``).
        threshold: the colour threshold in levels (:attr:`~spotdiff.maps.evidence.Thresholds.colour`):
            a blob is the 8-connected pixels where some band changed by more than this.

    Returns:
        bool (H, W): True on the pixels of every transient speck (of both images).
    """
    if img1.ndim != 3 or img1.shape[2] != 3:
        return np.zeros(img1.shape[:2], bool)
    out = np.zeros(img1.shape[:2], bool)
    strong = STRONG * threshold
    for holder, other in ((img2, img1), (img1, img2)):  # brighter in image 2, then in image 1
        change = cv2.subtract(holder, other)  # what the holder has more of, per band (uint8)
        blobs = (_band_max(change) > threshold).view(np.uint8)
        saturated = blobs.view(bool) & (_band_max(holder) >= CLIP_LEVEL)
        if not saturated.any():
            continue
        _, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
        for k in np.unique(labels[saturated]):
            if stats[k, cv2.CC_STAT_AREA] > MAX_AREA:
                continue
            x, y, w, h = stats[k, :4]
            blob = labels[y : y + h, x : x + w] == k
            if _offset_bands(change[y : y + h, x : x + w][blob].astype(np.float32), strong):
                out[y : y + h, x : x + w] |= blob
    return out


def _band_max(img: np.ndarray) -> np.ndarray:
    """uint8 (H, W): the largest band of a uint8 (H, W, 3) image."""
    return cv2.max(cv2.max(img[..., 0], img[..., 1]), img[..., 2])


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
