"""Shifts between the grey copies of :mod:`.register` (registration scale, float32): sampling one
through a transform, their correlation (NCC, phase correlation over the frame and over a grid of
tiles) and the Lucas-Kanade refinement of a translation.

Conventions: ``w_ab`` maps pixel coordinates of ``a`` (image 1) to those of ``b`` (image 2).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .._gradient import magnitude
from .._threads import map_threads, workers

__all__ = [
    "GRID",
    "MIN_RESPONSE",
    "ncc",
    "phase",
    "projective",
    "refine_shift",
    "tile_shifts",
    "warp_inv",
]

GRID = (4, 3)
MIN_RESPONSE = 0.05  # phase-correlation peak below this: the tile has no usable structure
_LK_STEPS = 3  # Lucas-Kanade steps refining a translation
_LK_REACH = 1.0  # px: a refinement that moves farther than this has diverged, and is dropped


#: Value of the pixels outside ``b`` in a constant-border warp: so negative that a pixel mixing
#: it in by more than 3 % is negative too, and left out (a border value of -1 let such mixed
#: pixels count, and a correct sub-pixel shift then correlated worse than none).
_OUTSIDE = -1e4


def warp_inv(b: np.ndarray, w_ab: np.ndarray, border: int = cv2.BORDER_REFLECT) -> np.ndarray:
    """``b`` sampled at ``w_ab @ x`` for every pixel ``x`` of ``a`` (w_ab: a coords -> b coords);
    with ``cv2.BORDER_CONSTANT``, pixels not inside ``b`` come out negative."""
    h, w = b.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    kw = {"flags": flags, "borderMode": border, "borderValue": _OUTSIDE}
    if projective(w_ab):
        return cv2.warpPerspective(b, w_ab, (w, h), **kw)
    return cv2.warpAffine(b, w_ab[:2], (w, h), **kw)


def projective(t: np.ndarray) -> bool:
    return bool(abs(t[2, 0]) > 1e-12 or abs(t[2, 1]) > 1e-12)


def ncc(a: np.ndarray, b: np.ndarray, w_ab: np.ndarray) -> float:
    bw = warp_inv(b, w_ab, cv2.BORDER_CONSTANT)
    m = bw >= 0
    x, y = (a.ravel(), bw.ravel()) if m.all() else (a[m], bw[m])
    x = x - x.mean()
    y = y - y.mean()
    den = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    return float((x * y).sum() / den) if den > 0 else 0.0


def phase(a: np.ndarray, b: np.ndarray, win: np.ndarray) -> tuple[tuple[float, float], float]:
    """``cv2.phaseCorrelate`` on copies: OpenCV 5.0 multiplies the window into its inputs."""
    return cv2.phaseCorrelate(a.copy(), b.copy(), win)


def tile_shifts(a: np.ndarray, bw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phase-correlation shift of each tile: (centres (K, 2), shifts (K, 2), responses (K,))."""
    h, w = a.shape
    gx, gy = GRID
    tw, th = w // gx, h // gy
    win = cv2.createHanningWindow((tw, th), cv2.CV_32F)
    tiles = [(i, j) for j in range(gy) for i in range(gx)]

    def run(band: list[tuple[int, int]]) -> list[tuple[tuple[float, float], float]]:
        return [
            phase(
                a[j * th : (j + 1) * th, i * tw : (i + 1) * tw],
                bw[j * th : (j + 1) * th, i * tw : (i + 1) * tw],
                win,
            )
            for i, j in band
        ]

    n = workers()  # the tiles spread over the threads, in bands of consecutive tiles
    bands = [tiles[k * len(tiles) // n : (k + 1) * len(tiles) // n] for k in range(n)]
    found = [f for band in map_threads(run, bands) for f in band]
    centres = [(i * tw + (tw - 1) / 2, j * th + (th - 1) / 2) for i, j in tiles]
    shifts = [shift for shift, _ in found]
    return np.array(centres), np.array(shifts), np.array([r for _, r in found])


def refine_shift(a: np.ndarray, b: np.ndarray, w_ab: np.ndarray) -> np.ndarray:
    """A translation ``w_ab`` refined by Lucas-Kanade steps on smoothed copies ``a``, ``b``.

    Phase correlation's sub-pixel peak is biased towards whole pixels (0.1-0.3 px at the
    registration scale on a 0.5 px shift); least squares on the image gradients is not. A gain
    and an offset are fitted with the shift: the two grey copies are equalized separately, so an
    edit that changes the histogram changes every level a little, which on a smooth ramp reads
    as a shift. Every second pixel of every second row votes (a quarter of the cost, the same
    estimate within 0.01 px); pixels whose difference a shift of :data:`_LK_REACH` px cannot
    explain (above the typical difference plus the local gradient) are changed content and do
    not vote.
    """
    m, k = 4, 2  # margin (Sobel and warp borders), voting grid step
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3)[m:-m:k, m:-m:k] * np.float32(0.125)
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3)[m:-m:k, m:-m:k] * np.float32(0.125)
    reach = magnitude(gx, gy) * np.float32(_LK_REACH)
    inner = np.ascontiguousarray(a[m:-m:k, m:-m:k])
    level = (inner - np.float32(inner.mean())) * np.float32(1.0 / 128)
    basis = np.stack([gx.ravel(), gy.ravel(), level.ravel(), np.ones(level.size, np.float32)])
    grid = np.array([[k, 0, m], [0, k, m], [0, 0, 1]], dtype=np.float64)  # voter -> a coords
    size = (inner.shape[1], inner.shape[0])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    out = w_ab.copy()
    for _ in range(_LK_STEPS):
        to_b = (out @ grid)[:2]
        bw = cv2.warpAffine(b, to_b, size, flags=flags, borderValue=_OUTSIDE)
        diff = bw - inner
        apart = np.abs(diff)
        typical = float(np.median(apart[::2, ::2]))
        vote = ((bw >= 0) & (apart < reach + max(4.5 * typical, 1.0))).ravel()
        if vote.sum() < 64:
            break
        weighted = basis * vote.astype(np.float32)
        normal = (weighted @ basis.T).astype(np.float64)
        rhs = (weighted @ diff.ravel()).astype(np.float64)
        # the shift's own information once gain and offset are accounted for (Schur complement)
        own = normal[:2, :2] - normal[:2, 2:] @ np.linalg.pinv(normal[2:, 2:]) @ normal[2:, :2]
        if np.linalg.det(own) <= 1e-6 * np.trace(own) ** 2:
            break  # gradients in one direction only, or explained by a tone change
        step = np.linalg.solve(normal, rhs)[:2]
        out[:2, 2] -= step
        if math.hypot(*step) < 0.01:
            break
    moved = float(np.hypot(*(out[:2, 2] - w_ab[:2, 2])))
    return out if np.isfinite(moved) and moved <= _LK_REACH else w_ab
