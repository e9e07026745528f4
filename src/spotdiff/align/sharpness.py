"""Sharpness matching: blur the sharper image of a pair down to the other's sharpness.

Resampling (a downscale and upscale, a sub-pixel warp, a re-encode) removes the finest detail of
one image; compared as they are, every fine texture of the sharper image reads as changed.

The sharpness of an image is measured on the edges and texture *both* images show, as the ratio
of its fine-scale to its coarse-scale gradient energy: ``sum |grad I|^2 / sum |grad D(I)|^2``
(Sobel gradients; ``D`` a Gaussian pyramid reduction, about a 2 px blur, the sum taken at half
resolution), summed in each cell of a 6x4 grid over the pixels where the coarse gradient of both
images is at least :data:`EDGE` (a 3-level step per pixel). A blur of ``b`` px widens a step
edge from ``w`` to ``sqrt(w^2 + b^2)`` and lowers the ratio, whatever the step's height: the
mean gradient magnitude would not do (across a step edge it integrates to the height whatever
the blur, so a blurred drawing or a re-encoded texture kept its sharpness), nor would the plain
gradient energy (a recolour's new edges, present in one image only, dominate it). An edit's new
edges are not shared and do not count; an element whose contrast changed keeps its ratio. The
pair's sharpness difference is the median over the cells of the per-cell log ratios, so edits
covering a minority of the cells do not move it. When it exceeds :data:`TOLERANCE`, the sharper
image is blurred with the Gaussian (sigma from a short ladder) that brings it closest to 0 --
unless the sharper image is also the noisier one (Immerkaer's estimate), since pixel noise reads
as sharpness too, or it is an aliased drawing that the smallest blur would match (the other is
the same drawing anti-aliased, :func:`aliased`). A real change stays visible through a blur of a
pixel or two.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from .._threads import map_threads, workers

__all__ = [
    "ALIASED_SHARE",
    "EDGE",
    "SIGMAS",
    "TOLERANCE",
    "match_sharpness",
    "noise_level",
    "sharpness_cells",
]

#: Difference of the log fine-to-coarse energy ratios left alone (a blur of about 0.3 px on a
#: sharp edge).
TOLERANCE = 0.04
#: Gaussian sigmas tried on the sharper image, in pixels.
SIGMAS = (0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 1.7, 2.0)
#: Coarse Sobel magnitude (half resolution) from which a pixel is an edge of an image.
EDGE = 48.0
_GRID = (6, 4)
_MIN_SHARE = 0.02  # share of a cell's pixels on shared edges for the cell to count
_MIN_CELLS = 3
_NOISE_MARGIN = 1.0  # levels: the sharper image may be this much noisier and still be blurred
#: Share of ramp pixels on an image's shared edges below which it is an aliased drawing.
ALIASED_SHARE = 0.1
#: Gaussian sigma (px) of anti-aliasing: it spreads an edge over at most one pixel (a 1-px box).
_RASTER_BLUR = 0.5
_STEP = 8  # levels: 3x3 range of an edge pixel (:func:`aliased`)
_SECOND = np.array([1, -2, 1], np.float32)  # a second difference (:func:`noise_level`)


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


def _energy(gray: np.ndarray) -> np.ndarray:
    """float32 squared Sobel gradient magnitude of a uint8 (H, W) image.

    Both 3x3 Sobel derivatives in one pass, in int16 (``cv2.spatialGradient``: the same border
    as ``cv2.Sobel``'s default), squared and summed in float32: every value is a whole number
    below 2 ** 24 (at most 2 x 1020 ** 2), so exact, and equal to the float32 Sobels' to the
    bit. The buffers are NumPy's, written in place (fresh OpenCV outputs cost more here)."""
    gx, gy = (np.empty(gray.shape, np.int16) for _ in range(2))
    gx, gy = cv2.spatialGradient(gray, dx=gx, dy=gy)
    out, t = (np.empty(gray.shape, np.float32) for _ in range(2))
    out = cv2.multiply(gx, gx, dst=out, dtype=cv2.CV_32F)
    return cv2.add(out, cv2.multiply(gy, gy, dst=t, dtype=cv2.CV_32F), dst=out)


def _even(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    return gray[: h // 2 * 2, : w // 2 * 2]


def _coarse(gray: np.ndarray) -> np.ndarray:
    """float32 (H // 2, W // 2) gradient energy of the pyramid-reduced image."""
    return _energy(cv2.pyrDown(_even(gray)))


class _Shared:
    """The shared-edge pixels of a pair: ``fine`` float32 (H', W') and ``coarse`` float32
    (H' / 2, W' / 2) weights (1 on a shared edge, else 0; H', W' the even part of the image),
    and ``cells``, bool (4, 6), the cells holding enough of them."""

    def __init__(self, coarse1: np.ndarray, coarse2: np.ndarray, valid: np.ndarray | None):
        on = cv2.min(coarse1, coarse2) >= np.float32(EDGE * EDGE)
        if valid is not None:
            half = cv2.resize(_even(valid).view(np.uint8), on.shape[::-1], cv2.INTER_AREA)
            on &= half == 1  # every pixel of the 2x2 block valid
        self.coarse = on.astype(np.float32)
        self.fine = cv2.resize(self.coarse, (on.shape[1] * 2, on.shape[0] * 2), cv2.INTER_NEAREST)
        self.cells = (
            _cell_means(self.coarse) >= _MIN_SHARE
            if _cell_size(on.shape) is not None
            else np.zeros(_GRID[::-1], bool)
        )

    def log_ratio(self, gray: np.ndarray, coarse: np.ndarray | None = None) -> np.ndarray:
        """float32 (4, 6): log of the fine-to-coarse energy ratio of ``gray`` in each cell over
        the shared edges (0 outside :attr:`cells`)."""
        c = _coarse(gray) if coarse is None else coarse
        fine = _energy(_even(gray))
        fine = cv2.multiply(fine, self.fine, dst=fine)  # in place: a fresh buffer costs more
        coarse_sum = _cell_means(cv2.multiply(c, self.coarse))
        with np.errstate(invalid="ignore", divide="ignore"):
            # the fine sum is over 4x the pixels of the coarse one: a constant, it cancels
            ratio = np.log(_cell_means(fine) / coarse_sum)
        return np.where(self.cells, ratio, np.float32(0.0))


def sharpness_cells(
    gray1: np.ndarray, gray2: np.ndarray, valid: np.ndarray | None = None
) -> np.ndarray:
    """Per-cell sharpness of image 1 relative to image 2, on the edges both show.

    Args:
        gray1, gray2: uint8 (H, W) grey images of one size, image 2 aligned to image 1.
        valid: (H, W) bool, pixels to compare (None: all).

    Returns:
        float32 (4, 6): ``log(r1 / r2)`` with ``r`` an image's fine-to-coarse gradient energy
        ratio over the cell's shared-edge pixels (see the module); > 0 where image 1 is the
        sharper; NaN in cells with fewer than 2 % of their pixels on shared edges.
    """
    c1, c2 = _coarse(gray1), _coarse(gray2)
    shared = _Shared(c1, c2, valid)
    out = shared.log_ratio(gray1, c1) - shared.log_ratio(gray2, c2)
    return np.where(shared.cells, out, np.nan).astype(np.float32)


def aliased(gray: np.ndarray, where: np.ndarray) -> bool:
    """True when the edges of a uint8 (H, W) grey image are hard steps: fewer than
    :data:`ALIASED_SHARE` of its edge pixels (3x3 range above 8 levels) among ``where`` ((H, W)
    bool or float32 weights) are a ramp step (strictly between the 3x3 neighbourhood's extremes).

    A drawing rasterized without anti-aliasing (or a bitmap font) has none (0.000 on the
    constructed renders and the aliased text of ``../shared/realpairs``); anti-aliased renders,
    screenshots, photos and resampled copies have 0.29-0.97. Its difference to an anti-aliased
    copy is how each edge was rasterized, not a blur: :mod:`spotdiff.maps.antialias` judges it
    edge by edge, and blurring the aliased copy only makes its glyphs unlike the other's.
    """
    k = np.ones((3, 3), np.uint8)
    lo, hi = cv2.erode(gray, k), cv2.dilate(gray, k)
    edge = (cv2.subtract(hi, lo) > _STEP) & (where > 0)
    n = int(np.count_nonzero(edge))
    if n == 0:
        return False
    ramp = np.count_nonzero(edge & (gray > lo) & (gray < hi))
    return ramp < ALIASED_SHARE * n


def noise_level(gray: np.ndarray) -> float:
    """Pixel-noise sigma of one uint8 (H, W) image, in levels.

    Immerkaer's (1996) estimator, ``sqrt(pi / 2) / 6 * mean |I * N|`` with ``N`` the 3x3 kernel
    ``[[1, -2, 1], [-2, 4, -2], [1, -2, 1]]``, taken over the flattest fifth of 16x16 blocks so
    that texture does not count as noise.
    """
    # the kernel is [1, -2, 1] across times [1, -2, 1] down: two 3-tap passes, every partial
    # sum a whole number of at most 4080 in magnitude, exact in float32 (the 3x3 filter's
    # numbers to the bit, at a third of its cost)
    r = cv2.sepFilter2D(gray, cv2.CV_32F, _SECOND, _SECOND)
    r = np.abs(r, out=r)[1:-1, 1:-1]
    h, w = r.shape
    if h >= 16 and w >= 16:  # whole blocks (the rest left out): OpenCV's integer-factor path
        r = r[: h // 16 * 16, : w // 16 * 16]
    blocks = cv2.resize(r, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
    return float(math.sqrt(math.pi / 2) / 6 * np.percentile(blocks, 20))


def match_sharpness(
    gray1: np.ndarray,
    gray2: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    noise: Callable[[np.ndarray], float] = noise_level,
) -> tuple[float, float]:
    """Gaussian sigmas (px) to apply to images 1 and 2 so that their sharpness matches.

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched.
        valid: (H, W) bool, pixels to compare (None: all): leave out pixels image 2 does not
            cover and pixels clipped by a tone change (clipping flattens texture, it does not
            blur it).
        noise: the noise measure of a grey image (default :func:`noise_level`); find's
            :meth:`~.greys.PairGreys.noise` measures each grey once for all its steps.

    Returns:
        ``(sigma1, sigma2)``: at most one is non-zero (the sharper image's), both 0 when the
        sharpness agrees within ``TOLERANCE``, fewer than 3 cells hold shared edges, or the
        sharper image is the noisier one, or an aliased drawing (:func:`aliased`) that the
        smallest blur of the ladder would match: the other is the same drawing anti-aliased.
    """
    if _cell_size((gray1.shape[0] // 2, gray1.shape[1] // 2)) is None:
        return 0.0, 0.0
    # the two images' measurements at once (OpenCV's Sobel and filter2D run on one core)
    c1, c2 = map_threads(_coarse, [gray1, gray2])
    shared = _Shared(c1, c2, valid)
    ok = shared.cells
    if ok.sum() < _MIN_CELLS:
        return 0.0, 0.0
    l1, l2 = map_threads(lambda gc: shared.log_ratio(*gc), [(gray1, c1), (gray2, c2)])
    ok = ok & np.isfinite(l1) & np.isfinite(l2)  # a cell without energy in either has no ratio
    if ok.sum() < _MIN_CELLS:
        return 0.0, 0.0
    ratio = float(np.median(l1[ok] - l2[ok]))
    if abs(ratio) <= TOLERANCE:
        return 0.0, 0.0
    first_sharper = ratio > 0
    sharp, blunt, target = (gray1, gray2, l2) if first_sharper else (gray2, gray1, l1)
    noise_sharp, noise_blunt = map_threads(noise, [sharp, blunt])
    if noise_sharp > noise_blunt + _NOISE_MARGIN:
        return 0.0, 0.0

    def error(sigma: float) -> float:
        blurred = cv2.GaussianBlur(sharp, (0, 0), sigma, dst=np.empty_like(sharp))
        return float(np.median(shared.log_ratio(blurred)[ok] - target[ok]))

    best, best_err = 0.0, abs(ratio)
    n = workers()  # as many blurs at once as threads: the ladder's order and stop unchanged
    errors = (r for i in range(0, len(SIGMAS), n) for r in map_threads(error, SIGMAS[i : i + n]))
    for sigma, r in zip(SIGMAS, errors, strict=True):
        if abs(r) < best_err:  # the ratio falls as the blur grows: stop once past the target
            best, best_err = sigma, abs(r)
        if r < 0:
            break
    if best <= _RASTER_BLUR and aliased(_even(sharp), shared.fine):
        return 0.0, 0.0  # anti-aliasing, not a blur: judged edge by edge (maps.antialias)
    return (best, 0.0) if first_sharper else (0.0, best)
