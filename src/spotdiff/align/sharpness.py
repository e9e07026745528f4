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
from dataclasses import dataclass

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
    return _cells(gray, _CellWeights.of(valid, gray.shape))


@dataclass(frozen=True)
class _CellWeights:
    """The valid pixels of a grid, prepared once for every image measured on it: ``mask``
    float32 (H, W) (1 valid, 0 not) and ``share`` float32 (4, 6), the valid share of each cell
    (both None: every pixel counts)."""

    mask: np.ndarray | None
    share: np.ndarray | None

    @classmethod
    def of(cls, valid: np.ndarray | None, shape: tuple[int, ...]) -> _CellWeights:
        if valid is None or _cell_size(shape) is None:
            return cls(None, None)
        mask = valid.astype(np.float32)
        return cls(mask, _cell_means(mask))


def _cell_size(shape: tuple[int, ...]) -> tuple[int, int] | None:
    """(cell height, cell width) of the grid on an image of ``shape``, None when below 1 px."""
    gx, gy = _GRID
    ch, cw = shape[0] // gy, shape[1] // gx
    return None if ch == 0 or cw == 0 else (ch, cw)


def _cell_means(x: np.ndarray) -> np.ndarray:
    """float32 (4, 6) means of a float32 (H, W) array over the grid's cells (the remainder rows
    and columns left out): an integer-factor area reduction, OpenCV's fast path."""
    gx, gy = _GRID
    ch, cw = _cell_size(x.shape)
    return cv2.resize(x[: ch * gy, : cw * gx], (gx, gy), interpolation=cv2.INTER_AREA)


def _cells(gray: np.ndarray, weights: _CellWeights) -> np.ndarray:
    """:func:`sharpness_cells` with the valid pixels prepared (:class:`_CellWeights`)."""
    if _cell_size(gray.shape) is None:
        return np.full(_GRID[::-1], np.nan, np.float32)
    g = cv2.medianBlur(gray, 3)
    mag = cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    if weights.mask is None:
        return _cell_means(mag)
    total = _cell_means(np.multiply(mag, weights.mask, out=mag))  # magnitudes are finite
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weights.share > 0.25, total / weights.share, np.nan).astype(np.float32)


def noise_level(gray: np.ndarray) -> float:
    """Pixel-noise sigma of one uint8 (H, W) image, in levels.

    Immerkaer's (1996) estimator, ``sqrt(pi / 2) / 6 * mean |I * N|`` with ``N`` the 3x3 kernel
    ``[[1, -2, 1], [-2, 4, -2], [1, -2, 1]]``, taken over the flattest fifth of 16x16 blocks so
    that texture does not count as noise.
    """
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    r = np.abs(cv2.filter2D(gray.astype(np.float32), -1, k)[1:-1, 1:-1])
    h, w = r.shape
    if h >= 16 and w >= 16:  # whole blocks (the rest left out): OpenCV's integer-factor path
        r = r[: h // 16 * 16, : w // 16 * 16]
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
    weights = _CellWeights.of(valid, gray1.shape)
    c1, c2 = _cells(gray1, weights), _cells(gray2, weights)
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
        r = _log_ratio(_cells(cv2.GaussianBlur(sharp, (0, 0), sigma), weights), other_cells)
        if abs(r) < best_err:
            best, best_err = sigma, abs(r)
        if r < 0:
            break
    return (best, 0.0) if first_sharper else (0.0, best)
