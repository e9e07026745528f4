"""Structural difference: one minus the local contrast-structure SSIM term of the grey images.

The map is :func:`spotdiff.maps.ssim_cv.ssim_map_cv` (the same SSIM as
:func:`spotdiff.maps.metrics.ssim.ssim_map`, gaussian window sigma 1.5) with these changes:

- the luminance term is switched off (``k1 = 1000`` makes it 1 to within 1e-6), leaving
  ``cs = (2 cov + C2) / (var_a + var_b + C2)``: brightness differences are the colour map's job,
  and the luminance term is unstable in dark areas;
- the contrast constant grows with the measured noise, ``C2 = (0.03 L)^2 + (4 * noise)^2``, so
  that sensor noise or JPEG ringing in flat areas (where the local variance is about the noise
  variance) does not read as a change of structure;
- on pairs whose whole-picture noise is low (under the level that raises the colour threshold),
  the constant also follows the pair's noise at each pixel's shared texture
  (:func:`texture_noise`, :data:`TEXTURE_NOISE_FACTOR`): a re-encode or a resampling leaves its
  error on texture and edges (JPEG q50 of a photo: sigma 4-7 on trees, 1.6 overall), which the
  whole picture's sigma, dominated by flat areas, does not see.

With ``noise=0`` it is ``1 - ssim_map(a, b, k1=1000)`` of the torch metric (a parity test). It
finds what the colour difference cannot: texture that appears or disappears where the colours
stay within the neighbourhood's range (an object inpainted away on a textured background, a thin
line).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .evidence import COLOUR_FLOOR, COLOUR_PER_NOISE
from .noise import noise_at_texture, texture_curve
from .ssim_cv import gaussian_radius, gaussian_window, ssim_map_cv, ssim_map_hwc

__all__ = ["NOISE_FACTOR", "TEXTURE_NOISE_FACTOR", "structural_difference", "texture_noise"]

#: ``c`` in ``C2 = (0.03 L)^2 + (c * noise)^2``.
NOISE_FACTOR = 4.0

#: ``c`` in ``C2 = (0.03 L)^2 + (c * local_noise)^2`` beyond the whole picture's noise
#: (:func:`texture_noise`): noise alone of sigma ``s`` on a textured window costs ``cs`` at most
#: ``s^2 / (s^2 + (c s)^2)``, 0.10 for ``c = 3``, under the regions' low threshold on the
#: structure map (0.5 x 0.35); 2 would give 0.20, above it. Not 4 as on flat areas: on an edge
#: moved by a pixel (an outline redrawn a little larger) the larger constant hid the change.
TEXTURE_NOISE_FACTOR = 3.0

#: ``k1`` so large that SSIM's luminance term is 1 to within 1e-6: only contrast and structure
#: remain (``cs``); brightness differences are the colour map's job, and the luminance term is
#: unstable in dark areas (noise clipped at 0 shifts a mean of 3 to 5 and costs 0.1).
_K1_NO_LUMINANCE = 1000.0


def texture_noise(
    gray1: np.ndarray, gray2: np.ndarray, noise: float, valid: np.ndarray | None = None
) -> np.ndarray | None:
    """The pair's noise at each pixel's shared texture, never below ``noise``.

    A re-encode (JPEG, WebP) or a resampling leaves its error on texture and edges, where the
    whole-picture sigma (dominated by flat areas) says nothing of it; the SSIM constant taken
    from that sigma let the re-encoded texture read as changed structure. Here each pixel gets
    the robust sigma of the pair's difference among the pixels of its own shared texture
    (:func:`~.noise.noise_by_texture` over :func:`~.noise.shared_texture`, interpolated
    linearly): what the pair itself shows that pixels of that texture differ by. Texture that
    appeared or disappeared is not shared (one image is smooth there): its pixels fall in a
    low class and keep a low constant, so an object inpainted away on a texture is still
    found. Measured on the step-2 grid (:func:`~.noise.texture_curve`) and scaled up.

    Args:
        gray1, gray2: uint8 (H, W) grey images, image 2 aligned and tone-matched to image 1.
        noise: the pair's sigma (:func:`~.noise.noise_sigma`), levels.
        valid: (H, W) bool, pixels to use (None: all).

    Returns:
        float32 (H, W) sigma in levels, ``>= noise``; None where no class lies above ``noise``
        (the constant is the whole picture's), fewer than two classes hold pixels, the least
        textured class already differs by more than ``noise`` (the scene itself changed
        everywhere, as between two Sentinel-2 passes: the per-texture sigma is then the
        change's, 11 levels in every class of ``aerial_oscd_bordeaux`` against 5.5 overall,
        and it hid the changed fields' masks), or the pair
        is noisy (``noise`` raises the colour threshold: ``COLOUR_PER_NOISE x noise >
        COLOUR_FLOOR``): its sigma already holds its texture's residue, and raising the
        constant further lowered the structure evidence of the whole picture, hence the
        pair's global level, so that colour specks of a handheld photo of a cloth were boxed.
    """
    if COLOUR_PER_NOISE * noise > COLOUR_FLOOR:
        return None  # a noisy pair: its sigma already holds the texture's residue
    _, _, texture, levels, sigmas = texture_curve(gray1, gray2, valid)
    if len(levels) < 2 or sigmas[-1] <= noise or sigmas[0] > noise:
        return None
    local = np.maximum(noise_at_texture(texture, levels, sigmas), np.float32(noise))
    out = np.empty(gray1.shape, local.dtype)  # NumPy's buffer: a fresh OpenCV one costs more
    return cv2.resize(local, gray1.shape[::-1], dst=out, interpolation=cv2.INTER_LINEAR)


def structural_difference(
    gray1: np.ndarray,
    gray2: np.ndarray,
    *,
    noise: float = 0.0,
    sigma: float = 1.5,
    unreliable: np.ndarray | None = None,
    local_noise: np.ndarray | None = None,
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
        local_noise: float32 (H, W) noise sigma per pixel, levels, ``>= noise``
            (:func:`texture_noise`): the contrast constant follows it,
            ``C2 = (0.03 L)^2 + (4 noise)^2 + 3^2 (local_noise^2 - noise^2)``
            (:data:`TEXTURE_NOISE_FACTOR`); None: ``noise`` everywhere.

    Returns:
        float32 (H, W) in [0, 2]: 0 where the neighbourhoods match, about 1 where their structures
        are unrelated.
    """
    k2 = math.sqrt(0.03**2 + (NOISE_FACTOR * noise / 255.0) ** 2)
    if local_noise is None:
        s = ssim_map_cv(gray1, gray2, data_range=255.0, sigma=sigma, k1=_K1_NO_LUMINANCE, k2=k2)
    else:
        scale = np.float32((TEXTURE_NOISE_FACTOR / 255.0) ** 2)
        extra = np.empty(local_noise.shape, local_noise.dtype)  # NumPy's: costs less
        extra = cv2.multiply(local_noise, local_noise, dst=extra, scale=scale)  # (3 sigma / L)^2
        extra -= scale * np.float32(noise * noise)  # ... beyond the noise already in k2
        s = ssim_map_hwc(
            gray1,
            gray2,
            data_range=255.0,
            window=gaussian_window(sigma),
            k1=_K1_NO_LUMINANCE,
            k2=k2,
            c2_extra=extra,
        )
    d = np.subtract(np.float32(1.0), s, out=s)
    if unreliable is not None and unreliable.any():
        r = 2 * gaussian_radius(sigma) + 1
        near = cv2.dilate(unreliable.view(np.uint8), np.ones((r, r), np.uint8))
        d[near > 0] = 0.0
    return d
