"""The per-location light fits of :mod:`.light` and what is decided from them alone.

Each location of a grid :data:`REDUCE` times coarser than the images gets the least-squares
``(gain, offset)`` of ``image2 ~ gain * image1 + offset`` over its three channels and a trust
weight (:func:`fit_locations`); the fits spread into a smooth field by normalized convolution
(:func:`spread`); a pair is *relit* when that field strays from 1 (or from its own median
gain: :func:`relit_pair`) over a share of the picture (:func:`strays`); on a relit pair the
fits the light around them does not predict are outliers (:func:`outliers`). The fits of one
pair (:class:`GridFits`, :func:`grid_fits`) are made once and read by every decision on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from .._area import reduce_area
from .._threads import map_threads

__all__ = [
    "MIN_ALPHA",
    "MIN_GAIN",
    "REDUCE",
    "RELIT",
    "RESIDUAL",
    "ROBUST",
    "SCARCE",
    "SMOOTH",
    "SPREAD",
    "GridFits",
    "compared_grid",
    "fit_locations",
    "grid_fits",
    "grid_size",
    "outliers",
    "reduced_pair",
    "relit_pair",
    "spread",
    "strays",
]

#: Reduction factor of the grid the field is fitted on (working px per grid cell).
REDUCE = 4
#: Gaussian sigma (working px) of the smooth field: 8 and 12 follow a glare of Gaussian falloff
#: (sigma 50 px) to within the colour threshold; 16 left a ring around its peak above it.
SMOOTH = 8.0
#: On a relit pair, a fit is an outlier (not light) when its gain strays from the field of all
#: trusted fits smoothed this many times wider than :data:`SMOOTH` (:func:`outliers`): a
#: relighting is smooth at that scale (32 working px), a changed object of that size is not.
ROBUST = 4.0
#: Channel spread (levels, RMS of a location's channels about their mean) at which a location's
#: fit is half trusted: grey locations cannot tell a gain from an offset.
SPREAD = 12.0
#: RMS residual (levels) of the three channels about the fitted map at which trust falls to 1/e.
RESIDUAL = 6.0
#: Smallest gain (and largest, ``1 / MIN_GAIN``) a light change may have.
MIN_GAIN = 0.25
#: Smallest light change: a gain straying from 1 (or a glare's washed side moving toward the
#: light's colour, :mod:`.light`) by this share.
MIN_ALPHA = 0.1
#: The pair counts as relit (any light colour, dimming included) when the smooth gain field of
#: all trusted fits strays from 1 by ``MIN_ALPHA`` (either way) over at least this share of the
#: compared picture.
RELIT = 0.2
#: Local trust (normalized-convolution weight) below which the field fades out.
SCARCE = 0.1


def fit_locations(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-location (gain, offset, trust weight) of ``b ~ gain * a + offset`` over channels.

    ``a``, ``b``: uint8 (h, w, 3); the three channels of a location are its samples (their mean,
    spread and covariance in closed form; the RMS residual is ``vb - 2 g cab + g^2 va``).
    """
    pa = [p.astype(np.float32) for p in cv2.split(a)]
    pb = [p.astype(np.float32) for p in cv2.split(b)]
    third = np.float32(1 / 3)
    ma, mb = sum(pa) * third, sum(pb) * third
    va = sum(x * x for x in pa) * third - ma * ma
    vb = sum(y * y for y in pb) * third - mb * mb
    cab = sum(x * y for x, y in zip(pa, pb, strict=True)) * third - ma * mb
    forward = va >= vb  # predict the less colourful side from the more colourful one
    gain = np.where(forward, (cab + 1) / (va + 1), (vb + 1) / np.maximum(cab + 1, 1e-3))
    gain = np.where(forward | (cab > 0), gain, np.float32(-1)).astype(np.float32)
    offset = mb - gain * ma
    res2 = np.maximum(vb - 2 * gain * cab + gain * gain * va, 0)
    res2 = np.where(forward, res2, res2 / np.maximum(gain * gain, 1e-6))  # washed side's levels
    spread = np.maximum(va, vb)
    weight = spread / (spread + SPREAD**2) * np.exp(-res2 / np.float32(RESIDUAL**2))
    weight[(gain < MIN_GAIN) | (gain > 1 / MIN_GAIN)] = 0.0
    return gain, offset, weight.astype(np.float32)


@dataclass(frozen=True)
class GridFits:
    """The light fits of one pair on its grid (:func:`grid_fits`); read only.

    Attributes:
        pair: both images reduced to the grid, uint8 (h', w', 3) each.
        gain, offset, weight: float32 (h', w'), :func:`fit_locations` of ``pair``, ``weight``
            0 where the grid is not wholly compared.
        compared: bool (h', w'), :func:`compared_grid`.
    """

    pair: list[np.ndarray]
    gain: np.ndarray
    offset: np.ndarray
    weight: np.ndarray
    compared: np.ndarray


def grid_fits(
    img1: np.ndarray,
    img2: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    reduced1: np.ndarray | None = None,
    compared: np.ndarray | None = None,
) -> GridFits:
    """:class:`GridFits` of a pair (uint8 (H, W, 3) each; ``valid`` (H, W) bool, the compared
    pixels, None: all). ``reduced1`` (image 1 already reduced to the grid) and ``compared``
    (:func:`compared_grid` of ``valid``), when given, are not computed again."""
    size = grid_size(img1)
    if reduced1 is None:
        pair = reduced_pair(img1, img2, size)
    else:
        pair = [reduced1, reduce_area(img2, size)]
    gain, offset, weight = fit_locations(*pair)
    compared = compared_grid(valid, size) if compared is None else compared
    weight[~compared] = 0.0
    return GridFits(pair, gain, offset, weight, compared)


def relit_pair(
    img1: np.ndarray,
    img2: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    fits: GridFits | None = None,
) -> bool:
    """Whether the light changed across the picture: the smooth gain field of the pair's
    trusted light fits, less what a global tone curve explains (:func:`strays` with the
    levels: a brightness, contrast or gamma change is the tone curves' to explain), strays by
    :data:`MIN_ALPHA` or more over :data:`RELIT` of the compared picture.

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 aligned onto image 1 *before* the tone curves:
            they take out a relighting's mean gain, and bend apart under a large edit (a chip
            inserted, an area recoloured), so that after them the field strays too little to
            tell.
        valid: (H, W) bool, the compared pixels (None: all).
        fits: :func:`grid_fits` of the pair when already made (then the images are not read).
    """
    f = grid_fits(img1, img2, valid) if fits is None else fits
    return strays(f.gain, f.weight, f.compared, level=f.pair[0].mean(axis=2, dtype=np.float32))


def compared_grid(valid: np.ndarray | None, size: tuple[int, int]) -> np.ndarray:
    """bool on the grid of ``size``: the locations wholly compared (``valid`` None: all)."""
    if valid is None:
        return np.ones(size[::-1], bool)
    v8 = valid.view(np.uint8) * np.uint8(255)
    return reduce_area(v8, size) == 255


def grid_size(img: np.ndarray) -> tuple[int, int]:
    """``(w, h)`` of the grid the field is fitted on, :data:`REDUCE` times coarser."""
    h, w = img.shape[:2]
    return max(1, w // REDUCE), max(1, h // REDUCE)


def reduced_pair(img1: np.ndarray, img2: np.ndarray, size: tuple[int, int]) -> list[np.ndarray]:
    """Both images reduced to ``size`` (area interpolation: :func:`~spotdiff._area.reduce_area`)."""
    # OpenCV runs this reduction on one core: both at once
    return map_threads(partial(reduce_area, size=size), [img1, img2])


def spread(values: np.ndarray, wt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalized convolution (a Gaussian of :data:`SMOOTH` working px): the smooth field of
    ``values`` (float32 on the grid) under the weights ``wt``, and its local weight."""
    s = SMOOTH / REDUCE
    norm = cv2.GaussianBlur(wt, (0, 0), s) + np.float32(1e-6)
    return cv2.GaussianBlur(wt * values, (0, 0), s) / norm, norm


def outliers(
    pair: list[np.ndarray], gain: np.ndarray, offset: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """bool on the grid: the fits the light around them does not explain. The field of all
    trusted fits at :data:`ROBUST` times the smoothing scale predicts each location's mean
    level in image 2 from image 1 (``pair``, both reduced to the grid, uint8 (h, w, 3)); a
    location it misses by :data:`MIN_ALPHA` of its level and :data:`RESIDUAL` more is no
    light: a relighting is smooth at that scale too, an object darkened, filled in or inserted
    (a chip in a socket) is not, and the field would otherwise follow it."""
    s = ROBUST * SMOOTH / REDUCE
    norm = cv2.GaussianBlur(weight, (0, 0), s) + np.float32(1e-6)
    g = cv2.GaussianBlur(weight * gain, (0, 0), s) / norm
    o = cv2.GaussianBlur(weight * offset, (0, 0), s) / norm
    m1, m2 = (x.mean(axis=2, dtype=np.float32) for x in pair)
    miss = np.abs(m2 - (g * m1 + o))
    return miss >= MIN_ALPHA * np.maximum(m1, m2) + np.float32(RESIDUAL)


def strays(
    gain: np.ndarray,
    weight: np.ndarray,
    compared: np.ndarray,
    *,
    level: np.ndarray | None = None,
) -> bool:
    """Whether the smooth gain field of the trusted fits (``gain``, ``weight`` of
    :func:`fit_locations`) strays by :data:`MIN_ALPHA` or more (either way) over :data:`RELIT`
    of the ``compared`` grid: from 1, or, given image 1's mean ``level`` at each location
    (float32 on the grid), from the gain a global tone curve gives that level (the log gain
    fitted as a quadratic in the log level over the trusted fits: a uniform gain, a gamma, a
    contrast change; not a light that changed across the picture)."""
    log_gain = np.log(np.clip(gain, MIN_GAIN, 1 / MIN_GAIN)).astype(np.float32)
    if level is not None:
        x = np.log(np.maximum(level, 1.0) / np.float32(255.0)).ravel()
        terms = np.stack([np.ones_like(x), x, x * x], axis=1).astype(np.float64)
        root = np.sqrt(weight.ravel().astype(np.float64))
        if np.count_nonzero(root) >= terms.shape[1]:
            coef = np.linalg.lstsq(terms * root[:, None], log_gain.ravel() * root, rcond=None)[0]
            log_gain = log_gain - (terms @ coef).reshape(log_gain.shape).astype(np.float32)
    log_gain, norm = spread(log_gain, weight)
    seen = (norm >= SCARCE) & compared
    lit = seen & (np.abs(log_gain) >= -np.log(1.0 - MIN_ALPHA))
    return float(lit.sum()) / max(int(compared.sum()), 1) >= RELIT
