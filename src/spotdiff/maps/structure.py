"""Structural difference: one minus the local contrast-structure SSIM term of the grey images.

The map is :func:`spotdiff.maps.ssim_cv.ssim_map_cv` (the same SSIM as
:func:`spotdiff.maps.metrics.ssim.ssim_map`, gaussian window sigma 1.5) with two changes:

- the luminance term is switched off (``k1 = 1000`` makes it 1 to within 1e-6), leaving
  ``cs = (2 cov + C2) / (var_a + var_b + C2)``: brightness differences are the colour map's job,
  and the luminance term is unstable in dark areas;
- the contrast constant grows with the measured noise, ``C2 = (0.03 L)^2 + (4 * noise)^2``, so
  that sensor noise or JPEG ringing in flat areas (where the local variance is about the noise
  variance) does not read as a change of structure.

With ``noise=0`` it is ``1 - ssim_map(a, b, k1=1000)`` of the torch metric (a parity test). It
finds what the colour difference cannot: texture that appears or disappears where the colours
stay within the neighbourhood's range (an object inpainted away on a textured background, a thin
line).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .ssim_cv import gaussian_radius, ssim_map_cv

__all__ = ["structural_difference"]

#: ``c`` in ``C2 = (0.03 L)^2 + (c * noise)^2``.
NOISE_FACTOR = 4.0

#: ``k1`` so large that SSIM's luminance term is 1 to within 1e-6: only contrast and structure
#: remain (``cs``); brightness differences are the colour map's job, and the luminance term is
#: unstable in dark areas (noise clipped at 0 shifts a mean of 3 to 5 and costs 0.1).
_K1_NO_LUMINANCE = 1000.0


def structural_difference(
    gray1: np.ndarray,
    gray2: np.ndarray,
    *,
    noise: float = 0.0,
    sigma: float = 1.5,
    unreliable: np.ndarray | None = None,
) -> np.ndarray:
    """``1 - cs`` (SSIM without its luminance term) per pixel of two grey images.

    Args:
        gray1, gray2: uint8 (H, W) grey images of one size (image 1, image 2 aligned and
            tone-matched).
        noise: standard deviation of the noise, in levels (0-255), e.g. from
            :func:`spotdiff.maps.noise.noise_sigma`.
        sigma: gaussian window of the SSIM, in pixels.
        unreliable: (H, W) bool, pixels whose levels say little about image 1's (clipped or
            strongly quantized by a tone change): the map is 0 wherever the SSIM window touches
            one, since texture lost to clipping is not a change of the scene.

    Returns:
        float32 (H, W) in [0, 2]: 0 where the neighbourhoods match, about 1 where their structures
        are unrelated.
    """
    k2 = math.sqrt(0.03**2 + (NOISE_FACTOR * noise / 255.0) ** 2)
    s = ssim_map_cv(gray1, gray2, data_range=255.0, sigma=sigma, k1=_K1_NO_LUMINANCE, k2=k2)
    d = np.subtract(np.float32(1.0), s, out=s)
    if unreliable is not None and unreliable.any():
        r = 2 * gaussian_radius(sigma) + 1
        near = cv2.dilate(unreliable.view(np.uint8), np.ones((r, r), np.uint8))
        d[near > 0] = 0.0
    return d
