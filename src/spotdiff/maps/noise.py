"""Noise level of a pair (the robust spread of the per-pixel grey difference) and of one image
relative to its own tonal range."""

from __future__ import annotations

import numpy as np

from ..align.sharpness import noise_level

__all__ = ["noise_sigma", "relative_noise"]


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
    hist = np.bincount((d.ravel() + 255).astype(np.intp), minlength=511)
    med = round(_hist_median(hist)) - 255
    dev = np.abs(np.arange(-255, 256) - med)  # |d - med| of each histogram bin
    mad = _hist_median(np.bincount(dev, weights=hist, minlength=511))
    return float(1.4826 * mad)


def relative_noise(gray: np.ndarray, valid: np.ndarray | None = None, *, step: int = 2) -> float:
    """An image's pixel noise as a share of its tonal range: ``noise / (p99 - p1)``.

    Args:
        gray: uint8 (H, W) grey image, as it came (before any blur: blurring hides noise).
        valid: (H, W) bool, pixels whose range counts (None: all).
        step: sampling stride of the range.

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
    g = gray[::step, ::step]
    if valid is not None:
        g = g[valid[::step, ::step]]
    if g.size == 0:
        return 0.0
    cum = np.bincount(g.ravel(), minlength=256).cumsum()
    lo = int(np.searchsorted(cum, 0.01 * cum[-1]))
    hi = int(np.searchsorted(cum, 0.99 * cum[-1]))
    return noise_level(gray) / max(hi - lo, 1)


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
