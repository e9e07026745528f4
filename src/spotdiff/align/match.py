"""The pair-matching step: image 2, already registered, brought to comparable form with image 1.

:func:`match_pair` fits tone curves (:mod:`.tone`) on the pixels both images cover, fills the
areas that must not count (image 2 missing after the warp, ignored areas) with image 1, and blurs
the sharper image to the other's sharpness (:mod:`.sharpness`). What comes out is what the map
makers (:mod:`spotdiff.maps`) compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .greys import PairGreys
from .sharpness import match_sharpness
from .tone import ToneMap, fit_tone

__all__ = ["MatchedPair", "match_pair"]

#: Gaussian sigma (px) matching the softening of a bilinear sub-pixel warp.
_WARP_BLUR = 0.5
#: A level of image 2 standing for more than this many levels of image 1 (clipped, or squeezed by
#: a tone change) carries no texture to compare.
_UNRELIABLE_WIDTH = 6


@dataclass(frozen=True)
class MatchedPair:
    """A pair brought to comparable form: tone-matched and equally sharp.

    Attributes:
        img1: uint8 (h, w, 3) image 1 (blurred when it was the sharper).
        lo2, hi2: uint8 (h, w, 3): lowest / highest image-1 level each pixel of image 2 stands
            for (tone curve, quantization and clipping; see :meth:`ToneMap.interval_luts`).
        mid2: uint8 (h, w, 3): image 2 through the tone curves.
        gray1, gray2: uint8 (h, w) grey of ``img1`` and ``mid2``.
        unreliable: (h, w) bool, clipped / squeezed levels of image 2.
        quiet: (h, w) bool, pixels that never count (image 2 missing, ignored areas).
        tone: the fitted :class:`~.tone.ToneMap` (identity when photometric matching is off).
        blur: gaussian sigmas (px) applied to image 1 and image 2 (0 = none).
        greys: the greys of the pair as it came and their noise (:class:`~.greys.PairGreys`),
            for the steps after this one; None when not given.
    """

    img1: np.ndarray
    lo2: np.ndarray
    hi2: np.ndarray
    mid2: np.ndarray
    gray1: np.ndarray
    gray2: np.ndarray
    unreliable: np.ndarray
    quiet: np.ndarray
    tone: ToneMap
    blur: tuple[float, float]
    greys: PairGreys | None = None

    @property
    def fit_on(self) -> np.ndarray | None:
        """(h, w) bool, the pixels statistics are taken on (None: all)."""
        return ~self.quiet if self.quiet.any() else None


def _unreliable(img2: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of image 2 whose level in some channel is a wide interval of image 1."""
    width = (hi.astype(np.int16) - lo.astype(np.int16)) > _UNRELIABLE_WIDTH
    out = np.zeros(img2.shape[:2], dtype=bool)
    for c in range(img2.shape[2]):
        if width[c].any():
            out |= cv2.LUT(img2[..., c], width[c].astype(np.uint8)) > 0
    return out


def match_pair(
    img1: np.ndarray,
    img2: np.ndarray,
    quiet: np.ndarray,
    *,
    warped: bool,
    photometric: bool = True,
    sharpness: bool = True,
    greys: PairGreys | None = None,
) -> MatchedPair:
    """Tone matching, quiet areas filled, sharpness matching.

    Args:
        img1, img2: uint8 (h, w, 3) RGB, image 2 already registered onto image 1.
        quiet: (h, w) bool, pixels that must not count.
        warped: image 2 went through a sub-pixel warp (it is then at least this soft).
        photometric: fit tone curves (else the identity).
        sharpness: blur the sharper image to the other's sharpness.
        greys: the greys of ``img1`` and ``img2`` (:class:`~.greys.PairGreys`, shared with the
            steps before and after; one is made when None or made for other arrays).
    """
    fit_on = ~quiet if quiet.any() else None
    tone = fit_tone(img1, img2, fit_on) if photometric else ToneMap.identity()
    lo_lut, hi_lut = tone.interval_luts()
    lo2, hi2, mid2 = tone.apply(img2, lo_lut), tone.apply(img2, hi_lut), tone.apply(img2)
    if fit_on is not None:  # nothing differs where image 2 is missing or ignored
        quiet8 = quiet.view(np.uint8)
        for img in (lo2, hi2, mid2):
            cv2.copyTo(img1, quiet8, dst=img)
    greys = PairGreys(img1, img2) if greys is None else greys.for_pair(img1, img2)
    gray1 = greys.grey(0)
    if fit_on is None and not any(tone.moved()):  # image 2's own pixels: its grey as it came
        gray2 = greys.grey(1)
    else:
        gray2 = cv2.cvtColor(mid2, cv2.COLOR_RGB2GRAY)
    unreliable = _unreliable(img2, lo_lut, hi_lut)
    blur1 = blur2 = 0.0
    if sharpness:
        compare_on = ~(unreliable | quiet) if (unreliable.any() or quiet.any()) else None
        blur1, blur2 = match_sharpness(gray1, gray2, compare_on, noise=greys.noise)
        if warped and not blur2:
            blur1 = max(blur1, _WARP_BLUR)  # the bilinear warp softened image 2 this much
    if blur1:
        # into NumPy's buffers: fresh OpenCV outputs cost more at this size
        img1 = cv2.GaussianBlur(img1, (0, 0), blur1, dst=np.empty_like(img1))
        gray1 = cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY, dst=np.empty_like(gray1))
    if blur2:
        lo2, hi2, mid2 = (cv2.GaussianBlur(x, (0, 0), blur2) for x in (lo2, hi2, mid2))
        gray2 = cv2.cvtColor(mid2, cv2.COLOR_RGB2GRAY)
    blur = (blur1, blur2)
    return MatchedPair(img1, lo2, hi2, mid2, gray1, gray2, unreliable, quiet, tone, blur, greys)
