"""Noise level of a pair (the robust spread of the per-pixel grey difference; on a photograph,
what a smooth change of light leaves of it), the same level as a function of the texture both
images share, and the noise of one image relative to its own tonal range."""

from __future__ import annotations

import cv2
import numpy as np

from .._gradient import magnitude
from .._threads import map_threads
from ..align.sharpness import noise_level
from .evidence import COLOUR_FLOOR, COLOUR_PER_NOISE, GLOBAL_MEDIAN

__all__ = [
    "LIGHT_SHARE",
    "LIGHT_SIGMA",
    "TEXTURE_BINS",
    "TEXTURE_SIGMA",
    "level_by_texture",
    "lit_noise_sigma",
    "local_colour_gain",
    "noise_at_texture",
    "noise_by_texture",
    "noise_sigma",
    "relative_noise",
    "relit_noise",
    "shared_texture",
    "texture_curve",
]

#: Gaussian sigma (px, at the working resolution) over which the gradient magnitude is averaged
#: into a pixel's texture (:func:`shared_texture`).
TEXTURE_SIGMA = 2.0

#: Gaussian sigma (px, at the working resolution) of the neighbourhood over which
#: :func:`lit_noise_sigma` takes a smooth change of light (a local gain and offset) out.
LIGHT_SIGMA = 8.0

#: :func:`relit_noise`: the light made most of a pair's spread when what a smooth change of
#: light leaves is at most this share of it (:func:`lit_noise_sigma` over :func:`noise_sigma`).
#: Relit gravel, grass and brick (scikit-image's) leave 0.03-0.16 with no noise, about 0.3 with
#: sensor noise 4; on the real pairs of ``../shared/realpairs`` the Sentinel-2 passes leave
#: 0.58-0.63, the relit handheld circuit-board photo (a misregistered cloth) 0.75, puzzles,
#: screenshots and other photos 0.8 and more.
LIGHT_SHARE = 1.0 / 3.0

#: Texture classes of :func:`noise_by_texture`: the deciles of the shared texture.
TEXTURE_BINS = 10

#: Texture is measured in steps of 1 / this (levels per pixel; 63.75 and above share a class).
_TEXTURE_QUANT = 4.0
#: Levels within this margin of 0 or 255 count as clipped (:func:`local_colour_gain`) ...
_CLIP_MARGIN = 5
#: ... and so does everything within this many pixels of them (the texture's gaussian reach).
_CLIP_REACH = 6


def noise_sigma(
    gray1: np.ndarray, gray2: np.ndarray, valid: np.ndarray | None = None, *, step: int = 2
) -> float:
    """Robust standard deviation of ``gray1 - gray2`` (1.4826 x the median absolute deviation).

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched to image 1.
        valid: (H, W) bool, pixels to use (None: all).
        step: sampling stride in both directions.

    Returns:
        float >= 0, in levels (0-255). About the sensor-noise sigma for noisy pairs, 1-3 for JPEG,
        0 for identical images. Edits cover a minority of pixels and do not move the median.
    """
    d = gray1[::step, ::step].astype(np.int16) - gray2[::step, ::step].astype(np.int16)
    if valid is not None:
        d = d[valid[::step, ::step]]
    if d.size == 0:
        return 0.0
    return _hist_sigma(np.bincount((d.ravel() + 255).astype(np.intp), minlength=511))


def lit_noise_sigma(
    gray1: np.ndarray, gray2: np.ndarray, valid: np.ndarray | None = None, *, step: int = 4
) -> float:
    """:func:`noise_sigma` of what a smooth change of light leaves of the difference.

    A photograph relit between the two shots (a lamp moved, the sun out) differs by a smooth
    local gain and offset the global tone curves leave; on a texture (gravel, a cloth) the gain
    scales every grain, and :func:`noise_sigma` reads that as noise (relit noise-free gravel: 18
    levels, a colour threshold of 72 that hides a grey stone). Here each image's deviation from
    its local mean ``m`` (gaussian :data:`LIGHT_SIGMA`) is compared with the other's, scaled by
    the ratio of their local standard deviations ``s`` (+1 level: about 1 where both are flat):
    ``r = (g2 - m2) - (s2 + 1) / (s1 + 1) x (g1 - m1)``. A relit texture (``g2 = L g1 + c``,
    ``L``, ``c`` smooth) leaves ``r = 0``; sensor noise and JPEG leave their own difference; a
    texture that did not land on itself (a misregistered cloth) leaves its residue too.

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched to image 1.
        valid: (H, W) bool, pixels to use (None: all).
        step: sampling stride in both directions (the local statistics are taken on that grid,
            their gaussian shrunk with it; 4: 1-7 ms at 1024x768, within 3% of step 2).

    Returns:
        float >= 0, levels: the robust sigma (as :func:`noise_sigma`) of ``r``.
    """
    a, b = (np.ascontiguousarray(g[::step, ::step], dtype=np.float32) for g in (gray1, gray2))
    sigma = LIGHT_SIGMA / step

    def moments(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = cv2.GaussianBlur(g, (0, 0), sigma)
        spread = cv2.GaussianBlur(g * g, (0, 0), sigma) - mean * mean
        return g - mean, np.sqrt(np.maximum(spread, 0.0, out=spread), out=spread)

    (d1, s1), (d2, s2) = map_threads(moments, [a, b])
    r = d2 - (s2 + 1.0) / (s1 + 1.0) * d1
    d = np.clip(np.rint(r), -255, 255).astype(np.intp)
    if valid is not None:
        d = d[valid[::step, ::step]]
    if d.size == 0:
        return 0.0
    return _hist_sigma(np.bincount(d.ravel() + 255, minlength=511))


def relit_noise(noise: float, lit: float) -> float:
    """The pair's noise sigma (levels) given its plain :func:`noise_sigma` ``noise`` and its
    :func:`lit_noise_sigma` ``lit``: ``lit`` when the pair is relit (``lit`` at most
    :data:`LIGHT_SHARE` x ``noise``: the change of light made most of the spread), else
    ``noise``. A pair that is partly noisy, partly misregistered keeps its plain sigma: the
    light explains little of it, and what it explains (a vignette, a haze) is no reason to
    judge the rest more finely.

    :func:`spotdiff.maps.judge.judge_pair` takes it only on photographs whose light changed
    across the picture (:func:`spotdiff.maps.light.relit_pair`), where the light field is taken
    out of the evidence too; where no light field is trusted (a grey texture), the relighting
    stays in the evidence and the plain sigma is what keeps it under the threshold."""
    return lit if lit <= LIGHT_SHARE * noise else noise


def shared_texture(
    gray1: np.ndarray, gray2: np.ndarray, *, sigma: float = TEXTURE_SIGMA
) -> np.ndarray:
    """The fine texture both images show at each pixel: the smaller of their local gradients.

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned to image 1.
        sigma: gaussian (px) over which each image's gradient magnitude is averaged.

    Returns:
        float32 (H, W) >= 0, levels per pixel: ``min(E1, E2)`` with ``E`` an image's Sobel
        gradient magnitude (divided by 8, the kernel's gain) averaged by the gaussian. A
        residual misregistration ``delta`` leaves a grey difference of about ``E x delta``
        where the same texture lies in both images; where texture appeared or disappeared (an
        object put on a cloth, or taken off a circuit board) one image is smooth there and
        the shared texture is low.
    """

    def local(g: np.ndarray) -> np.ndarray:
        mag = magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
        return cv2.GaussianBlur(mag, (0, 0), sigma)

    out, e2 = map_threads(local, [gray1, gray2])  # OpenCV runs these on one core: both at once
    out = np.minimum(out, e2, out=out)
    return np.multiply(out, np.float32(1.0 / 8.0), out=out)


def noise_by_texture(
    gray1: np.ndarray,
    gray2: np.ndarray,
    texture: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    step: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """The pair's noise as a function of the texture both images share.

    The pixels are put into :data:`TEXTURE_BINS` classes by ``texture`` (its deciles), and the
    robust sigma of ``gray1 - gray2`` (:func:`noise_sigma`'s estimate) is taken in each. On a
    pair whose texture did not land exactly on itself (a handheld photo of a cloth, after
    registration and dense flow) the sigma grows with the texture, about as ``E x delta``; on
    a pair with only sensor noise or JPEG it is about flat. The curve is made non-decreasing
    (each class at least the sigma of the less textured ones): more texture never means less
    residue.

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched to image 1.
        texture: float32 (H, W) :func:`shared_texture` of the pair.
        valid: (H, W) bool, pixels to use (None: all).
        step: sampling stride in both directions.

    Returns:
        ``(texture_levels, sigmas)``: float64 (K,) the middle texture of each non-empty class
        (its 5th, 15th, ... 95th percentile; non-decreasing) and its sigma in levels
        (non-decreasing); K = 0 when no pixel counts.
    """
    d = gray1[::step, ::step].astype(np.int16) - gray2[::step, ::step].astype(np.int16)
    t = _quantized(texture[::step, ::step])
    if valid is not None:
        v = valid[::step, ::step]
        d, t = d[v], t[v]
    if d.size == 0:
        return np.zeros(0), np.zeros(0)
    cls, middles = _texture_classes(t)
    hist = np.bincount(cls * 511 + (d.ravel() + 255), minlength=TEXTURE_BINS * 511)
    hist = hist.reshape(TEXTURE_BINS, 511)
    used = hist.sum(axis=1) > 0
    sigmas = [_hist_sigma(h) for h in hist[used]]
    return middles[used], np.maximum.accumulate(np.asarray(sigmas))


def texture_curve(
    gray1: np.ndarray, gray2: np.ndarray, valid: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`noise_by_texture` measured on the step-2 grid (the texture there, the sigmas every
    other pixel of it), as :func:`local_colour_gain` and the structural map's constant use it.

    Returns:
        ``(g1, g2, texture, levels, sigmas)``: the two grey images on the step-2 grid (uint8,
        contiguous), their :func:`shared_texture` (gaussian halved with the grid), and the curve.
    """
    g1, g2 = (np.ascontiguousarray(g[::2, ::2]) for g in (gray1, gray2))
    texture = shared_texture(g1, g2, sigma=TEXTURE_SIGMA / 2)
    levels, sigmas = noise_by_texture(
        g1, g2, texture, None if valid is None else valid[::2, ::2], step=2
    )
    return g1, g2, texture, levels, sigmas


def noise_at_texture(texture: np.ndarray, levels: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """float32 (H, W): a :func:`noise_by_texture` curve read at each pixel's ``texture``
    (float32 (H, W), :func:`shared_texture`), interpolated linearly (constant beyond its ends)."""
    lut = np.interp(np.arange(256) / _TEXTURE_QUANT, levels, sigmas).astype(np.float32)
    return cv2.LUT(_quantized(texture), lut)


def local_colour_gain(
    gray1: np.ndarray, gray2: np.ndarray, noise: float, valid: np.ndarray | None = None
) -> np.ndarray | None:
    """Per-pixel factor (>= 1) that lowers the colour threshold where the pair is less noisy.

    The automatic colour threshold is ``max(COLOUR_FLOOR, COLOUR_PER_NOISE x noise)``
    (:func:`~.evidence.auto_thresholds`), ``noise`` the whole pair's sigma. When the residue of
    a fine texture's misregistration (a cloth, foliage, gravel) makes that sigma large, the
    texture sets the threshold everywhere, and a clear change where the two images do not share
    a fine texture falls under it. The colour difference multiplied by this gain is judged as
    if against ``max(COLOUR_FLOOR, COLOUR_PER_NOISE x local)``, ``local`` the pair's own sigma at
    the pixel's shared texture (:func:`noise_by_texture`, interpolated linearly), never above
    ``noise``: a threshold is only ever lowered, and only as far as the pair itself shows that
    pixels of that texture differ less. Within 6 px of a clipped level (a glare washed out to
    white, a black shadow) the texture says nothing about the residue and the gain is 1: on
    ``object_arduino`` two specular glares, one in each image, would otherwise be boxed.

    Measured on the step-2 grid of :func:`noise_sigma` (texture, curve and gain), then scaled
    up: about 5 ms at 1024x576, and only on pairs whose threshold is above its floor (on the
    real pairs of ``../shared/realpairs``: the handheld circuit-board photo, whose cloth gives
    sigma 27, and one Sentinel-2 pair at sigma 7).

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched to image 1.
        noise: the pair's sigma (:func:`noise_sigma`), levels.
        valid: (H, W) bool, pixels to use (None: all).

    Returns:
        float32 (H, W) >= 1, or None when the threshold is at its floor (the gain would be 1
        everywhere) or fewer than two texture classes hold pixels.
    """
    top = max(COLOUR_FLOOR, COLOUR_PER_NOISE * noise)
    if top <= COLOUR_FLOOR:
        return None
    g1, g2, texture, levels, sigmas = texture_curve(gray1, gray2, valid)
    if len(levels) < 2:
        return None
    local = np.interp(np.arange(256) / _TEXTURE_QUANT, levels, np.minimum(sigmas, noise))
    lut = (top / np.maximum(COLOUR_FLOOR, COLOUR_PER_NOISE * local)).astype(np.float32)
    gain = cv2.LUT(_quantized(texture), lut)
    reach = 2 * (_CLIP_REACH // 2) + 1  # on the step-2 grid
    clipped = cv2.dilate(
        cv2.bitwise_or(_clipped(g1), _clipped(g2)), np.ones((reach, reach), np.uint8)
    )
    gain[clipped > 0] = 1.0
    return cv2.resize(gain, gray1.shape[::-1], interpolation=cv2.INTER_LINEAR)


def level_by_texture(
    z: np.ndarray,
    texture: np.ndarray,
    level: float,
    valid: np.ndarray | None = None,
    *,
    step: int = 2,
) -> np.ndarray | None:
    """The pair's change level at each pixel's shared texture: what divides its evidence.

    :func:`~.evidence.global_level` reads "the whole picture changed a little" from the median
    evidence. On a pair whose fine texture did not land exactly on itself (a handheld photo of
    a cloth, after registration and dense flow) that median is the texture's residue, not a
    change of the picture: the flat areas (a circuit board on the cloth) did not change. Here
    the pixels are put into the :data:`TEXTURE_BINS` classes of ``texture`` (as in
    :func:`noise_by_texture`) and each class gets ``max(1, median evidence / GLOBAL_MEDIAN)``,
    made non-decreasing with the texture (more texture never means less residue) and
    interpolated linearly: a re-rendered picture (generative edit, colour drift, blur) changed
    its flat areas too and keeps a level above 1 there, a misregistered texture's residue is
    judged against its own level and leaves the flat areas at 1.

    Args:
        z: float32 (H, W) evidence (1 = seed threshold).
        texture: float32 (H, W) :func:`shared_texture` of the pair.
        valid: (H, W) bool, the compared pixels (None: all).
        step: sampling stride in both directions.

    Returns:
        float32 (H, W) >= 1, or None when no pixel counts.
    """
    zs = z[::step, ::step]
    t = _quantized(texture[::step, ::step])
    if valid is not None:
        v = valid[::step, ::step]
        zs, t = zs[v], t[v]
    if zs.size == 0:
        return None
    cls, middles = _texture_classes(t)
    zs = zs.ravel()
    used = np.flatnonzero(np.bincount(cls, minlength=TEXTURE_BINS) > 0)
    meds = np.array([np.median(zs[cls == k]) for k in used])
    levels = np.minimum(np.maximum.accumulate(np.maximum(meds / GLOBAL_MEDIAN, 1.0)), level)
    lut = np.interp(np.arange(256) / _TEXTURE_QUANT, middles[used], levels).astype(np.float32)
    return cv2.LUT(_quantized(texture), lut)


def _texture_classes(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes of quantized texture samples ``t`` (uint8, any shape): the class (0 to
    :data:`TEXTURE_BINS` - 1, by the deciles of ``t``) of each sample, flattened, and the
    middle texture of each class (its 5th, 15th, ... 95th percentile, levels per pixel)."""
    cum = np.bincount(t.ravel(), minlength=256).cumsum()
    q = np.searchsorted(cum, np.arange(1, 2 * TEXTURE_BINS) / (2 * TEXTURE_BINS) * cum[-1])
    edges, middles = q[1::2], q[0::2] / _TEXTURE_QUANT
    return np.searchsorted(edges, np.arange(256), side="left")[t.ravel()], middles


def _quantized(texture: np.ndarray) -> np.ndarray:
    """uint8 texture levels in steps of ``1 / _TEXTURE_QUANT`` (saturating at 255)."""
    return cv2.convertScaleAbs(texture, alpha=_TEXTURE_QUANT)


def _clipped(gray: np.ndarray) -> np.ndarray:
    """uint8 (H, W): 255 where a level is within :data:`_CLIP_MARGIN` of 0 or 255."""
    low = cv2.compare(gray, _CLIP_MARGIN, cv2.CMP_LE)
    return cv2.bitwise_or(low, cv2.compare(gray, 255 - _CLIP_MARGIN, cv2.CMP_GE))


def relative_noise(
    gray: np.ndarray, valid: np.ndarray | None = None, *, step: int = 2, level: float | None = None
) -> float:
    """An image's pixel noise as a share of its tonal range: ``noise / (p99 - p1)``.

    Args:
        gray: uint8 (H, W) grey image, as it came (before any blur: blurring hides noise).
        valid: (H, W) bool, pixels whose range counts (None: all).
        step: sampling stride of the range.
        level: ``noise_level(gray)`` when already measured (None: measured here).

    Returns:
        float >= 0: Immerkaer's noise sigma of the flattest blocks
        (:func:`spotdiff.align.sharpness.noise_level`) over the 1st-99th percentile range of the
        levels (at least 1). How large a pixel's chance deviation is next to the contrasts the
        picture holds. On the real pairs of ``../shared/realpairs`` (working resolution) at most
        0.006 on puzzles, screenshots, illustrations and photos (0.020 on a dim photo), 0.033 /
        0.038 on the Sentinel-2 pairs (whose two passes differ mostly by texture, not noise);
        0.06 on the constructed noisy pair of ``tests/maps/test_scale.py`` (sigma 5 on a scene of
        about 60 levels).
    """
    g = np.ascontiguousarray(gray[::step, ::step])
    mask = None if valid is None else np.ascontiguousarray(valid[::step, ::step]).view(np.uint8)
    hist = cv2.calcHist([g], [0], mask, [256], [0, 256])  # counts, exact in float32
    cum = hist.ravel().astype(np.int64).cumsum()
    if cum[-1] == 0:
        return 0.0
    lo = int(np.searchsorted(cum, 0.01 * cum[-1]))
    hi = int(np.searchsorted(cum, 0.99 * cum[-1]))
    return (noise_level(gray) if level is None else level) / max(hi - lo, 1)


def _hist_sigma(hist: np.ndarray) -> float:
    """1.4826 x the median absolute deviation of differences given as a histogram over
    -255..255 (bin 0 = -255), about the median rounded to a whole level."""
    med = round(_hist_median(hist)) - 255
    dev = np.abs(np.arange(-255, 256) - med)  # |d - med| of each histogram bin
    return float(1.4826 * _hist_median(np.bincount(dev, weights=hist, minlength=511)))


def _hist_median(hist: np.ndarray) -> float:
    """Median of integer samples given as a histogram over 0..len-1.

    Interpolated inside the median's bin (each integer ``k`` read as the interval
    ``[k - 0.5, k + 0.5)``), which keeps small spreads from snapping to whole levels.
    """
    cum = np.cumsum(hist, dtype=np.float64)
    half = cum[-1] / 2
    k = int(np.searchsorted(cum, half))
    before = cum[k - 1] if k > 0 else 0.0
    return max(0.0, k - 0.5 + (half - before) / max(float(hist[k]), 1e-12))
