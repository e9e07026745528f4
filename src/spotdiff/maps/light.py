"""Local light: glare and relighting, which change colours but not the scene.

A handheld photo taken again under other light differs from the first by a *light field*: where a
specular glare washes the picture out, every colour moves toward the light's colour (brighter,
less saturated, less contrast); where the light is dimmer or brighter, every colour is scaled.
Both are, per pixel, the same affine map on the three channels::

    image2 = gain * image1 + offset          (gain, offset the same for R, G and B)

with ``gain = 1 - alpha`` and ``offset = alpha * light`` for a glare of strength ``alpha`` and
colour ``light``, and ``offset = 0`` for a relighting. The global tone curves
(:mod:`spotdiff.align.tone`) explain one such map for the whole picture; this module explains a
*smooth, local* one.

:func:`light_field` fits it:

1. on copies reduced :data:`REDUCE` times (the field is smooth; the cost does not grow with
   the image), each location gets the least-squares ``(gain, offset)`` over its three channels,
   fitted from the image with the more colourful (spread-out) channels onto the other (the washed
   out one is predicted, never amplified);
2. a location's fit is *trusted* only where a light change can explain it: its channels are
   spread enough (:data:`SPREAD`; grey pixels say nothing about a gain), the three channels
   agree with one map (:data:`RESIDUAL`: a hue turned does not) and the gain lies in
   ``[MIN_GAIN, 1 / MIN_GAIN]``;
3. the pair is *relit* when the smooth gain field of all trusted fits strays from 1 by
   :data:`MIN_ALPHA` or more over :data:`RELIT` of the picture (the light changed across it,
   not on one object); otherwise only *glare* fits stay trusted: the washed side moved at least
   :data:`MIN_ALPHA` toward a bright light colour (at least :data:`MIN_LIGHT`). An object
   darkened on an otherwise unchanged picture is neither. :func:`explain_light` decides it on
   the pair *before* the global tone curves, the field straying from its own median gain
   (:func:`relit_pair`: what a global tone curve gives each level is the curves' to explain),
   and fits a relit pair's field there too, to explain the colour map (the structure is
   explained by the field after the curves, as a local gain leaves SSIM's terms alone): the
   curves take out a relighting's mean and, per channel and curved, bend
   apart under a large edit (a chip inserted, an area recoloured), so that after them the
   field strayed too little to tell and was no longer one gain per location (10 and 5 false
   boxes on the tests' relit boards). On a relit pair the fits the field of all trusted fits
   at :data:`ROBUST` times the smoothing scale does not predict are outliers
   (:func:`outliers`): an object darkened or a chip inserted is no light, and the field
   would otherwise follow it;
4. a light change spans an area: under :data:`MIN_EXTENT` of the picture trusted (for a glare,
   its core washed out by :data:`GLARE_CORE` or more), nothing is explained (on the synthetic
   benchmark and on the real pairs without a light change the trusted glare fits, on edited
   objects, cover 0-4%; on the relit handheld pair 72%);
5. the trusted fits are spread into a smooth field by normalized convolution (a Gaussian of
   :data:`SMOOTH` working px): a glare's soft falloff is followed, an object's sharp outline
   is not.

:func:`relight` brings both images to the washed-out side's light (image 1 through the field
where image 2 is the washed or dimmer one, image 2 through its inverse elsewhere), so differences
shrink with the light's contrast and nothing is amplified. :func:`explain_light` (what
:func:`spotdiff.find` calls) fits the field after the global tone curves, compares the relit
pair as well and keeps, per pixel, the smaller colour and structural difference: the field can only explain evidence away, never add it, and what no smooth light
field explains (an object's changed structure, a hue turned) keeps its evidence; where the
light washed one image out to white (a glare's clipped core, :func:`washed_out`) nothing is
compared, since a clipped level only says "at least this bright". Renders
(screenshots, drawings) are never relit: their colour changes are edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..align.match import MatchedPair
from ._lightfit import (
    MIN_ALPHA,
    MIN_GAIN,
    REDUCE,
    RELIT,
    RESIDUAL,
    ROBUST,
    SCARCE,
    SMOOTH,
    SPREAD,
    GridFits,
    grid_fits,
    outliers,
    relit_pair,
    spread,
    strays,
)
from .colour import colour_difference
from .structure import structural_difference

__all__ = [
    "GLARE_CORE",
    "MIN_ALPHA",
    "MIN_EXTENT",
    "MIN_GAIN",
    "MIN_LIGHT",
    "REDUCE",
    "RELIT",
    "RESIDUAL",
    "ROBUST",
    "SMOOTH",
    "SPREAD",
    "WASHED_MARGIN",
    "WASHED_REACH",
    "LightField",
    "explain_light",
    "light_field",
    "pair_in_one_light",
    "relight",
    "relit_pair",
    "washed_out",
]

#: ... and the light's colour (``offset / (1 - gain)``, mean level) is at least this bright.
MIN_LIGHT = 160.0
#: Smallest share of the compared picture a light change covers (trusted locations; for a
#: glare, its core): a glare or a relighting spans an area, not one object.
MIN_EXTENT = 0.05
#: A glare's core is washed out at least this far toward the light (a specular highlight);
#: JPEG's chroma loss on a white spacesuit moves bright pixels 10-15%, and over 8% of that
#: photo (tests/test_detect.py's planted object), which is no glare.
GLARE_CORE = 0.2
#: A level within this margin of 255 on every channel is washed out (:func:`washed_out`) ...
WASHED_MARGIN = 5
#: ... and so is everything within this many pixels of it (the colour map's 1-px neighbourhood
#: and the few pixels over which the field, spread from the falloff, misses the clipped core).
WASHED_REACH = 3


@dataclass(frozen=True)
class LightField:
    """Smooth local light map ``image2 ~ gain * image1 + offset`` on a reduced grid.

    Attributes:
        gain, offset: float32 (h', w') on the grid :data:`REDUCE` times coarser than the images
            (identity, 1 and 0, where nothing is trusted).
        relit: whether the whole pair counted as relit (:data:`RELIT`), not only glared.
        trusted: share of the compared grid locations with a trusted light fit, in [0, 1]
            (0 under :data:`MIN_EXTENT`: nothing is explained).
    """

    gain: np.ndarray
    offset: np.ndarray
    relit: bool
    trusted: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the ``"light"`` entry of :func:`spotdiff.find`'s metadata):
        ``trusted`` share, ``relit``, and the smallest / largest gain of the field."""
        return {
            "trusted": round(self.trusted, 4),
            "relit": self.relit,
            "gain_min": round(float(self.gain.min()), 3),
            "gain_max": round(float(self.gain.max()), 3),
        }

    @property
    def active(self) -> bool:
        """Whether any light change was found (else :func:`relight` would change nothing)."""
        return self.trusted > 0.0


def light_field(
    img1: np.ndarray,
    img2: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    relit: bool | None = None,
    fits: GridFits | None = None,
) -> LightField:
    """Fit the smooth local light field of a pair (see the module docstring).

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 aligned (and tone-matched) onto image 1.
        valid: (H, W) bool, the compared pixels (None: all).
        relit: whether the pair is relit, decided by the caller (:func:`relit_pair`), or None:
            decided here, by how far the field strays from 1 (step 3).
        fits: the pair's :func:`~._lightfit.grid_fits` when already made (then the images are
            not read).

    Returns:
        :class:`LightField` on a grid :data:`REDUCE` times coarser.
    """
    fits = grid_fits(img1, img2, valid) if fits is None else fits
    pair, gain, offset, compared = fits.pair, fits.gain, fits.offset, fits.compared
    weight = fits.weight.copy()  # the fits stay as made (a caller may read them again)
    n_compared = max(int(compared.sum()), 1)
    if relit is None:
        relit = strays(gain, weight, compared)
    extent = weight > 0.2
    if not relit:  # glare only: the washed side moved toward a bright light
        inv = 1.0 / np.maximum(gain, 1e-3)
        alpha = 1.0 - np.where(gain < 1, gain, inv)
        light = np.where(gain < 1, offset, -offset * inv) / np.maximum(alpha, 1e-3)
        weight[(alpha < MIN_ALPHA) | (light < MIN_LIGHT)] = 0.0
        extent = (weight > 0.2) & (alpha >= GLARE_CORE)  # the glare's washed-out core
    else:  # a compact change is no light: its fits stray from the light around them
        weight[outliers(pair, gain, offset, weight)] = 0.0
    share = float((weight > 0.2).sum()) / n_compared
    if float(extent.sum()) / n_compared < MIN_EXTENT:
        ones = np.ones(gain.shape, np.float32)
        return LightField(ones, np.zeros_like(ones), relit, 0.0)
    g, norm = spread(gain.astype(np.float32), weight)
    o, _ = spread(offset.astype(np.float32), weight)
    conf = np.clip(norm * np.float32(1 / SCARCE), 0, 1)
    g = 1 + conf * (g - 1)
    o = conf * o
    return LightField(g.astype(np.float32), o.astype(np.float32), relit, share)


def relight(
    img1: np.ndarray, img2: tuple[np.ndarray, ...], field: LightField
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Both images in the washed-out side's light.

    Args:
        img1: uint8 (H, W, 3), image 1.
        img2: uint8 (H, W, 3) arrays of image 2 in image-1 levels (its bounds ``lo2``, ``hi2``
            and ``mid2`` of :class:`spotdiff.align.MatchedPair`).
        field: :func:`light_field` of the pair.

    Returns:
        ``(img1', [img2', ...])`` uint8 (H, W, 3): image 1 through ``gain * x + offset`` where
        the gain is below 1 (image 2 is the washed or dimmer side), image 2's arrays through the
        inverse map where it is above 1; unchanged where the field is the identity.
    """
    h, w = img1.shape[:2]
    g, o = field.gain, field.offset
    fwd = g < 1
    inv = 1.0 / g

    def up(x: np.ndarray) -> np.ndarray:
        return cv2.resize(x.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)

    g1, o1 = up(np.where(fwd, g, 1.0)), up(np.where(fwd, o, 0.0))
    g2, o2 = up(np.where(fwd, 1.0, inv)), up(np.where(fwd, 0.0, -o * inv))

    def apply(x: np.ndarray, gg: np.ndarray, oo: np.ndarray) -> np.ndarray:
        y = x.astype(np.float32) * gg[..., None] + (oo[..., None] + np.float32(0.5))
        return np.clip(y, 0, 255).astype(np.uint8)

    return apply(img1, g1, o1), [apply(x, g2, o2) for x in img2]


def pair_in_one_light(
    img1: np.ndarray, img2: np.ndarray, quiet: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(img1', img2')``, both uint8 (H, W, 3) in the washed-out side's light (:func:`relight`),
    or None when no light change is found: what the dense flow (:mod:`spotdiff.align.flow`)
    is estimated on, since a glare breaks its constant-brightness assumption.

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 registered onto image 1 (not yet tone-matched:
            the per-location fit absorbs a global tone change too).
        quiet: (H, W) bool, pixels not compared (None: none).
    """
    field = light_field(img1, img2, None if quiet is None or not quiet.any() else ~quiet)
    if not field.active:
        return None
    out1, (out2,) = relight(img1, (img2,), field)
    return out1, out2


def explain_light(
    matched: MatchedPair,
    colour: np.ndarray,
    structure: np.ndarray | None,
    *,
    noise: float,
    before: tuple[np.ndarray, np.ndarray] | None = None,
    before_fits: GridFits | None = None,
) -> tuple[np.ndarray, np.ndarray | None, LightField]:
    """The colour and structural differences with what a smooth light field explains removed.

    Args:
        matched: the compared pair (:func:`spotdiff.align.match_pair`): the field is fitted on
            it, after the global tone curves.
        colour: float32 (H, W), :func:`~.colour.colour_difference` of ``matched``.
        structure: float32 (H, W), :func:`~.structure.structural_difference` of ``matched``,
            or None (not computed).
        noise: the pair's noise sigma (levels), as the structural map was given it.
        before: the pair before the tone curves (uint8 (H, W, 3), image 2 aligned), on which
            whether it is relit is decided (:func:`light_field`), or None: on ``matched``.
        before_fits: :func:`~._lightfit.grid_fits` of ``before`` (``matched.fit_on`` the
            compared pixels) when the caller already made them, else None: made here.

    Returns:
        ``(colour, structure, field)``: per pixel the smaller of each map and the same map of
        the relit pair (:func:`relight`), so evidence is only ever removed; the inputs
        themselves (not copied) when no light change was found.
    """
    # image 1 before the tone curves is matched.img1 unless blurred: reduced once for both fits
    same1 = before is not None and before[0] is matched.img1
    known = before_fits if same1 else None
    after = grid_fits(  # after the tone curves
        matched.img1,
        matched.mid2,
        matched.fit_on,
        reduced1=None if known is None else known.pair[0],
        compared=None if before_fits is None else before_fits.compared,
    )
    field = light_field(matched.img1, matched.mid2, fits=after)
    if field.active:
        img1, (lo2, hi2, mid2) = relight(
            matched.img1, (matched.lo2, matched.hi2, matched.mid2), field
        )
        np.minimum(colour, colour_difference(img1, lo2, hi2), out=colour)
        if structure is not None:
            gray1 = cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY)
            gray2 = cv2.cvtColor(mid2, cv2.COLOR_RGB2GRAY)
            relit = structural_difference(gray1, gray2, noise=noise, unreliable=matched.unreliable)
            np.minimum(structure, relit, out=structure)
    pair = (matched.img1, matched.mid2)
    fits = before_fits
    if before is not None and fits is None:
        reduced1 = after.pair[0] if same1 else None
        fits = grid_fits(*before, matched.fit_on, reduced1=reduced1, compared=after.compared)
    if fits is not None and relit_pair(*before, fits=fits):
        # a relighting is one gain per location of the pair before the tone curves (after them
        # it is not, per channel and curved): fitted there, image 2 as sharp as image 1. It
        # explains the colour map only: SSIM's contrast and structure follow a local gain, and
        # the un-tone-matched grey pair took a changed roof's rim off an aerial pair
        raw = light_field(*before, relit=True, fits=fits)
        if raw.active:
            blur = matched.blur[1]
            img2 = before[1] if not blur else cv2.GaussianBlur(before[1], (0, 0), blur)
            field, pair = raw, (matched.img1, img2)
            img1, (img2,) = relight(matched.img1, (img2,), raw)
            np.minimum(colour, colour_difference(img1, img2, img2), out=colour)
    if not field.active:
        return colour, structure, field
    washed = washed_out(*pair, field)
    if washed is not None:  # what the light saturated says nothing about the scene
        colour[washed] = 0.0
        if structure is not None:
            structure[washed] = 0.0
    return colour, structure, field


def washed_out(img1: np.ndarray, img2: np.ndarray, field: LightField) -> np.ndarray | None:
    """Where the light washed one image out to white: the pixels (and those within
    :data:`WASHED_REACH` px) clipped to white (every channel at least ``255 - WASHED_MARGIN``)
    in the image the field makes the brighter side by :data:`MIN_ALPHA` or more.

    A glare's core clips: the washed image holds 255 where the other shows the scene, and no
    gain and offset (:func:`light_field`, whose fits there fall under :data:`MIN_GAIN`) maps
    one onto the other, so the smooth field, spread from the falloff around it, leaves the core
    as a change (on ``object_arduino`` two boxes, over the crystal in image 2 and the regulator
    in image 1). A clipped level only says "at least this bright": what lies under it cannot be
    compared.

    Args:
        img1, img2: uint8 (H, W, 3), image 1 and image 2 aligned and tone-matched.
        field: :func:`light_field` of the pair.

    Returns:
        (H, W) bool, or None when nothing is washed out.
    """
    h, w = img1.shape[:2]
    gain = cv2.resize(field.gain, (w, h), interpolation=cv2.INTER_LINEAR)
    white = np.uint8(255 - WASHED_MARGIN)
    washed = (gain < 1.0 - MIN_ALPHA) & (img2.min(axis=2) >= white)  # image 2 the brighter side
    washed |= (gain > 1.0 / (1.0 - MIN_ALPHA)) & (img1.min(axis=2) >= white)
    if not washed.any():
        return None
    k = np.ones((2 * WASHED_REACH + 1, 2 * WASHED_REACH + 1), np.uint8)
    return cv2.dilate(washed.view(np.uint8), k) > 0
