"""Photometric matching of image 2 onto image 1: per-channel tone curves.

Photometry (:func:`fit_tone`): per channel, a curve ``ref = offset + gain * (img / 255) ** gamma``
fitted robustly (Tukey IRLS on the joint histogram of reduced copies of the images; the identity or
a linear curve is kept when it explains the pixels within 15 % of the best robust cost) maps image
2's values onto image 1's, so a global brightness / contrast / gamma or white-balance change does
not show as a difference; edited areas are outliers of the fit. Only rising curves are fitted: a
picture inverted (in a channel or whole) or replaced is a change, not a photometric nuisance
(:data:`MIN_GAIN`). :meth:`ToneMap.interval_luts`
gives, for each level of image 2, the range of image-1 levels consistent with it (quantization
and clipping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from .._threads import map_threads

__all__ = ["MIN_GAIN", "ToneMap", "fit_tone"]


#: A channel whose levels are exactly equal on at least this share of the pixels keeps the
#: identity curve: a pixel-identical render or screenshot with one object recoloured (the
#: robust fit sees only the few levels that are not clipped white or black, where the edit
#: can be the majority).
SAME_SHARE = 0.5
#: ... and on at least this share of the pixels not clipped in both: levels 0 and 255 are fixed
#: points of every gamma curve, so a gamma-changed screenshot keeps its white page and black text
#: equal while its other levels moved (there 0.00-0.15 of them stay equal; 0.47-1.0 on the real
#: screenshot and render pairs of ``../shared/realpairs`` whose edits leave the identity).
SAME_SHARE_UNCLIPPED = 0.3
#: The least rise (levels of image 1 over image 2's whole range) of a tone curve: a flatter one
#: would explain any picture by a constant (image 2 replaced by noise or another picture); a
#: falling one inverts. Such channels keep the identity: photometry never explains them away.
MIN_GAIN = 32.0
_OCCAM = 1.15  # a simpler tone curve is kept while its robust cost is within 15 % of the best
_GAMMAS = np.exp(np.linspace(math.log(1 / 3.5), math.log(3.5), 41))
_POW = (np.arange(256) / 255.0)[None, :] ** _GAMMAS[:, None]  # (G, 256)
_LEVELS = np.arange(256, dtype=np.uint8)  # the identity table
_IDENTITY = (1.0, 0.0, 255.0)  # (gamma, offset, gain) of the identity curve


@dataclass(frozen=True)
class ToneMap:
    """Per-channel tone curves mapping image-2 levels onto image-1 levels.

    Attributes:
        curves: (C, 256) float64 in [0, 255], non-decreasing: ``curves[c, v]`` is the image-1
            level that image-2 level ``v`` of channel ``c`` corresponds to.
        params: (C, 3) float64 ``(gamma, offset, gain)`` of ``offset + gain * (v / 255) ** gamma``.
    """

    curves: np.ndarray
    params: np.ndarray

    @classmethod
    def identity(cls, channels: int = 3) -> ToneMap:
        curves = np.tile(np.arange(256, dtype=np.float64), (channels, 1))
        return cls(curves, np.tile(_IDENTITY, (channels, 1)))

    @property
    def is_identity(self) -> bool:
        """True when no level moves by half a level or more."""
        return bool(np.abs(self.curves - np.arange(256)).max() < 0.5)

    def luts(self) -> np.ndarray:
        """(C, 256) uint8, the curves rounded."""
        return np.clip(np.rint(self.curves), 0, 255).astype(np.uint8)

    def interval_luts(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi), each (C, 256) uint8: the image-1 levels consistent with each image-2 level.

        Level ``v`` of image 2 stands for the image-1 levels in ``[f(v - 0.5), f(v + 0.5)]``
        (quantization: a single level for the identity, several where the curve is steep), and
        for everything beyond ``f`` at a clipped level 0 or 255 (a saturated pixel says only
        "at most" / "at least").
        """
        f = self.curves
        mid = (f[:, 1:] + f[:, :-1]) / 2
        lo = np.concatenate([np.zeros((len(f), 1)), mid], axis=1)
        hi = np.concatenate([mid, np.full((len(f), 1), 255.0)], axis=1)
        r = np.rint(f)
        lo = np.minimum(np.ceil(lo - 1e-6), r)
        hi = np.maximum(np.floor(hi + 1e-6), r)
        return np.clip(lo, 0, 255).astype(np.uint8), np.clip(hi, 0, 255).astype(np.uint8)

    def moved(self, luts: np.ndarray | None = None) -> list[bool]:
        """Per channel: True when its table (``luts``, default :meth:`luts`) moves a level
        (is not the identity)."""
        luts = self.luts() if luts is None else luts
        return [not np.array_equal(lut, _LEVELS) for lut in luts]

    def apply(self, img: np.ndarray, luts: np.ndarray | None = None) -> np.ndarray:
        """Map a uint8 (H, W, C) image through ``luts`` (default :meth:`luts`): a new array.

        Channel by channel (OpenCV's one-channel table is about four times faster per pixel
        than its per-channel table), channels whose table is the identity copied as they are.
        """
        luts = self.luts() if luts is None else luts
        moved = self.moved(luts)
        if not any(moved):
            return img.copy()
        planes = list(cv2.split(img))
        for c in np.flatnonzero(moved):
            planes[c] = cv2.LUT(planes[c], luts[c])
        return cv2.merge(planes).reshape(img.shape)


def _wmedian(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cw = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cw, cw[-1] / 2)])


def _power_irls(
    levels: np.ndarray,
    y: np.ndarray,
    base: np.ndarray,
    candidates: np.ndarray,
    *,
    iters: int,
    scale: float,
) -> tuple[int, float, float, float]:
    """Tukey-IRLS fit of ``y ~ offset + gain * (levels / 255) ** gamma`` over candidate gammas.

    ``base`` weighs each sample; returns (gamma index, offset, gain, residual scale).
    """
    xp = _POW[candidates][:, levels]
    wts, k = base.copy(), 0
    offset = gain = np.zeros(len(candidates))
    for _ in range(iters):
        sw, sx, sxx = wts.sum(), xp @ wts, (xp * xp) @ wts
        sy, sxy = wts @ y, xp @ (wts * y)
        det = sw * sxx - sx * sx + 1e-9
        gain = (sw * sxy - sx * sy) / det
        offset = (sy - gain * sx) / max(sw, 1e-9)
        res = y[None] - (offset[:, None] + gain[:, None] * xp)
        u = np.minimum((res / (4.685 * scale)) ** 2, 1.0)
        k = int(np.argmin((1 - (1 - u) ** 3) @ base))
        scale = 1.4826 * _wmedian(np.abs(res[k]), base) + 0.5
        uu = res[k] / (4.685 * scale)
        wts = base * np.where(np.abs(uu) < 1, (1 - uu * uu) ** 2, 0.0)
    return int(candidates[k]), float(offset[k]), float(gain[k]), scale


def _fit_channel(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Robust fit of ``y = offset + gain * (x / 255) ** gamma`` over uint8 samples.

    Stage 1 fits the per-level medians of the joint histogram over every gamma of the grid
    (cheap, but a level held mostly by edited pixels pulls it); stage 2 refits around the best
    gamma on the joint-histogram cells, each weighted by its pixel count, where edited pixels are
    the minority they are in the image.
    """
    hist = np.bincount((x.astype(np.int32) << 8) | y, minlength=65536)
    hist[:256] = 0  # image-2 levels 0 and 255 are clipped: censored, not measured
    hist[-256:] = 0
    h2 = hist.reshape(256, 256)
    count = h2.sum(1).astype(np.float64)
    levels = np.flatnonzero(count)
    if len(levels) < 3:
        return _IDENTITY
    median = (h2.cumsum(1) < count[:, None] / 2).sum(1).astype(np.float64)
    all_gammas = np.arange(len(_GAMMAS))
    k, _, _, scale = _power_irls(
        levels, median[levels], np.sqrt(count[levels]), all_gammas, iters=4, scale=20.0
    )
    cells = np.flatnonzero(hist)
    cx, cy, cw = cells >> 8, (cells & 255).astype(np.float64), hist[cells].astype(np.float64)
    near = all_gammas[max(0, k - 1) : k + 2]
    k, offset, gain, scale = _power_irls(cx, cy, cw, near, iters=3, scale=max(scale, 3.0))
    fitted = (float(_GAMMAS[k]), offset, gain)
    # Occam: a simpler curve that explains the pixels about as well wins (a narrow range of levels
    # plus an edit bringing new ones lets the three parameters bend where no clean pixel is)
    one = len(_GAMMAS) // 2  # gamma 1
    _, lin_offset, lin_gain, _ = _power_irls(cx, cy, cw, np.array([one]), iters=3, scale=scale)
    c = 4.685 * max(scale, 2.0)

    def cost(gamma: float, off: float, g: float) -> float:
        u = np.minimum(((cy - off - g * (cx / 255.0) ** gamma) / c) ** 2, 1.0)
        return float((1 - (1 - u) ** 3) @ cw)

    # a falling or flat curve is no tone change: an inverted or replaced picture is a change
    rising = [fit for fit in ((1.0, lin_offset, lin_gain), fitted) if fit[2] >= MIN_GAIN]
    if not rising:
        return _IDENTITY
    best = cost(*rising[-1])
    for simpler in (_IDENTITY, *rising[:-1]):
        if cost(*simpler) <= _OCCAM * best + 1e-9:
            return simpler
    return rising[-1]


def _same_share(
    img1: np.ndarray, img2: np.ndarray, valid: np.ndarray | None, step: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """(C,) shares of (sampled) pixels whose level is exactly equal in both images: of all the
    compared pixels, and of those not clipped (level 0 or 255) in both."""
    c = img1.shape[2]
    a, b = (np.ascontiguousarray(x[::step, ::step]).reshape(-1, c) for x in (img1, img2))
    eq = a == b
    one = np.uint8(1)  # level - 1 wraps 0 to 255: 1..254 are the levels below 254
    mid = np.less(a - one, 254) | np.less(b - one, 254)
    if valid is not None:
        v = valid[::step, ::step].reshape(-1, 1)
        eq &= v
        mid &= v
        n = np.count_nonzero(v)
    else:
        n = len(a)

    # channel by channel: NumPy's count over the long axis of an (N, 3) array is 10x slower
    def counts(x: np.ndarray) -> np.ndarray:
        return np.array([np.count_nonzero(x[:, i]) for i in range(c)])

    all_share = counts(eq) / max(n, 1)
    mid_share = counts(eq & mid) / np.maximum(counts(mid), 1)
    return all_share, mid_share


def fit_tone(
    img1: np.ndarray, img2: np.ndarray, valid: np.ndarray | None = None, *, max_side: int = 400
) -> ToneMap:
    """Fit the per-channel tone curves that map ``img2`` onto ``img1`` (see the module docstring).

    Args:
        img1: uint8 (H, W, C), image 1.
        img2: uint8 (H, W, C), image 2 aligned onto image 1.
        valid: (H, W) bool, pixels to fit on (None: all).
        max_side: both images are first reduced (area interpolation, by the smallest integer
            factor that brings the longer side to at most this): the
            averaging removes the noise that would otherwise bias the curve (regression to the
            mean flattens it at rarely used levels) and makes the fit fast.

    Returns:
        :class:`ToneMap`. Robust to edits covering a minority of the pixels (Tukey weights); a
        channel whose levels are exactly equal on at least :data:`SAME_SHARE` of the pixels (and
        :data:`SAME_SHARE_UNCLIPPED` of those not clipped)
        keeps the identity.
    """
    h, w = img1.shape[:2]
    k = math.ceil(max(h, w) / max_side)  # an integer factor: OpenCV's fast area reduction
    r, m, v = img1, img2, valid
    if k > 1 and min(h, w) >= k:
        hk, wk = h // k * k, w // k * k
        size = (wk // k, hk // k)
        r, m = map_threads(  # OpenCV runs this reduction on one core: both at once
            partial(cv2.resize, dsize=size, interpolation=cv2.INTER_AREA),
            [img1[:hk, :wk], img2[:hk, :wk]],
        )
        if valid is not None:  # keep only reduced pixels made of valid pixels alone
            v8 = valid[:hk, :wk].view(np.uint8) * np.uint8(255)
            v = cv2.resize(v8, size, interpolation=cv2.INTER_AREA) == 255
    xs = np.arange(256) / 255.0
    same, same_unclipped = _same_share(img1, img2, valid)
    render = (same >= SAME_SHARE) & (same_unclipped >= SAME_SHARE_UNCLIPPED)  # keeps identity

    def fit(c: int) -> tuple[float, float, float]:
        if render[c]:
            return _IDENTITY
        x, y = m[..., c], r[..., c]
        if v is not None:
            x, y = x[v], y[v]
        return _fit_channel(x.ravel(), y.ravel())

    params = map_threads(fit, range(img2.shape[2]))  # the channels' fits at once
    curves = [
        np.arange(256, dtype=np.float64)
        if render[c]
        else np.maximum.accumulate(np.clip(offset + gain * xs**gamma, 0, 255))
        for c, (gamma, offset, gain) in enumerate(params)
    ]
    return ToneMap(np.array(curves), np.array(params))
