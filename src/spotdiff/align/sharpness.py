"""Sharpness matching: blur the sharper image of a pair down to the other's sharpness.

Resampling (a downscale and upscale, a sub-pixel warp, a re-encode) removes the finest detail of
one image; compared as they are, every fine texture of the sharper image reads as changed. The
sharpness of each image is its gradient energy (mean Sobel magnitude after a 3x3 median filter)
in each cell of a 6x4 grid; the pair's sharpness ratio is the median over the cells of the
per-cell ratios, so edits covering a minority of the cells do not move it. When one image is more
than ``TOLERANCE`` sharper, it is blurred with the gaussian (sigma from a short ladder) that
brings the ratio closest to 1 -- unless it is also the noisier one (Immerkaer's estimate), since
pixel noise reads as sharpness too. A real change stays visible through a blur of a pixel or two.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["SIGMAS", "TOLERANCE", "match_sharpness", "noise_level", "sharpness_cells"]

#: Relative sharpness difference left alone.
TOLERANCE = 0.03
#: Gaussian sigmas tried on the sharper image, in pixels.
SIGMAS = (0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 1.7, 2.0)
_GRID = (6, 4)
_NOISE_MARGIN = 1.0  # levels: the sharper image may be this much noisier and still be blurred


def sharpness_cells(gray: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Mean gradient magnitude of a uint8 (H, W) image in each cell of a 6x4 grid.

    Returns:
        float32 (4, 6) levels per pixel; NaN in cells with fewer than a quarter valid pixels.
    """
    g = cv2.medianBlur(gray, 3)
    mag = cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    gx, gy = _GRID
    h, w = mag.shape
    ch, cw = h // gy, w // gx
    if ch == 0 or cw == 0:
        return np.full((gy, gx), np.nan, np.float32)

    def cell_means(x: np.ndarray) -> np.ndarray:  # integer-factor area reduction: fast path
        crop = np.ascontiguousarray(x[: ch * gy, : cw * gx], dtype=np.float32)
        return cv2.resize(crop, (gx, gy), interpolation=cv2.INTER_AREA)

    if valid is None:
        return cell_means(mag)
    total = cell_means(np.where(valid, mag, np.float32(0)))
    share = cell_means(valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(share > 0.25, total / share, np.nan).astype(np.float32)


def noise_level(gray: np.ndarray) -> float:
    """Pixel-noise sigma of one uint8 (H, W) image, in levels.

    Immerkaer's (1996) estimator, ``sqrt(pi / 2) / 6 * mean |I * N|`` with ``N`` the 3x3 kernel
    ``[[1, -2, 1], [-2, 4, -2], [1, -2, 1]]``, taken over the flattest fifth of 16x16 blocks so
    that texture does not count as noise.
    """
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    r = np.abs(cv2.filter2D(gray.astype(np.float32), -1, k)[1:-1, 1:-1])
    h, w = r.shape
    blocks = cv2.resize(r, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
    return float(math.sqrt(math.pi / 2) / 6 * np.percentile(blocks, 20))


def _log_ratio(c1: np.ndarray, c2: np.ndarray) -> float:
    ok = np.isfinite(c1) & np.isfinite(c2) & (c1 > 0.5) & (c2 > 0.5)
    if ok.sum() < 3:
        return 0.0
    return float(np.median(np.log(c1[ok] / c2[ok])))


def match_sharpness(
    gray1: np.ndarray, gray2: np.ndarray, valid: np.ndarray | None = None
) -> tuple[float, float]:
    """Gaussian sigmas (px) to apply to images 1 and 2 so that their sharpness matches.

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched.
        valid: (H, W) bool, pixels to compare (None: all): leave out pixels image 2 does not
            cover and pixels clipped by a tone change (clipping flattens texture, it does not
            blur it).

    Returns:
        ``(sigma1, sigma2)``: at most one is non-zero (the sharper image's), both 0 when the
        sharpness agrees within ``TOLERANCE`` or the sharper image is the noisier one.
    """
    c1, c2 = sharpness_cells(gray1, valid), sharpness_cells(gray2, valid)
    ratio = _log_ratio(c1, c2)
    if abs(ratio) <= math.log1p(TOLERANCE):
        return 0.0, 0.0
    first_sharper = ratio > 0
    sharp, other_cells = (gray1, c2) if first_sharper else (gray2, c1)
    blunt = gray2 if first_sharper else gray1
    if noise_level(sharp) > noise_level(blunt) + _NOISE_MARGIN:
        return 0.0, 0.0
    best, best_err = 0.0, abs(ratio)
    for sigma in SIGMAS:
        r = _log_ratio(sharpness_cells(cv2.GaussianBlur(sharp, (0, 0), sigma), valid), other_cells)
        if abs(r) < best_err:
            best, best_err = sigma, abs(r)
        if r < 0:
            break
    return (best, 0.0) if first_sharper else (0.0, best)
