"""Evidence at the scale of the change, for pairs whose pixels are dominated by white noise.

Where a pair's per-pixel difference is large next to the picture's contrasts (relative noise,
:func:`~.noise.relative_noise`, at least :data:`NOISY_SHARE`: a dark, low-contrast scene, a
high-ISO photo) a change the size of a building (5-30 px) moves each of its pixels by about the
noise: per pixel it passes the threshold only as scattered specks, and so does the noise. Averaged
over the change's area the noise falls and the change does not.

The map: the residual ``r = img1 - img2`` (image 2 aligned and tone-matched), per channel,
band-passed at each scale ``s`` of :data:`SCALES`, ``G_s * r - G_{3s} * r`` (the change against
its own surroundings, so a local tone change the global curves left behind is removed), judged
against the pair's own noise *at that scale*: the robust sigma (1.4826 x MAD) of each channel's
band over the compared pixels. The evidence is the root mean square over the channels of
``band / sigma``, the largest over the scales, divided by :data:`SEED_SIGMAS` (1 = seed, as in
:mod:`.evidence`). Structure smaller than the finest scale (a 1-2 px speck) is averaged away.

When it is used (:func:`scale_evidence` returns a map): the pair is noisy, one of its images'
pixel noise is at least :data:`NOISY_SHARE` of its tonal range (:func:`~.noise.relative_noise`),
*and* the pair's residual is white noise at the change's scale: from the finest to the coarsest
band its robust spread falls as white noise's does, to within :data:`WHITE_LIMIT`
(:func:`whiteness`). Where the residual is structured instead (sub-pixel misregistration of
dense texture, a sharpness mismatch, unlabelled changes at every scale: the Sentinel-2 pairs of
``../shared/realpairs``, whiteness 2.4-2.7, pixel noise 0.033-0.038 of the range) averaging
does not lift a change above it. Used there, it reported 62 boxes on the two pairs, 8 of them
on the dataset's change mask (box F1 0.189 -> 0.167: 3 more true boxes for 40 more false ones;
the pixel masks would gain, 0.21 / 0.22 -> 0.28 / 0.30), so the per-pixel evidence stays. There
even an ideal detector at each labelled blob's own shape and scale (mean residual inside minus
a ring around it) finds, for 28 of the 39 blobs away from the border, ten or more equally
strong patches elsewhere in the picture (unlabelled changes, tone and sharpness mismatch): the
labels, not the noise, are what a model-free detector cannot reach there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "NOISY_SHARE",
    "SCALES",
    "SEED_SIGMAS",
    "SURROUND",
    "WHITE_LIMIT",
    "WHITE_SCALES",
    "ScaleEvidence",
    "band_pass",
    "scale_evidence",
    "whiteness",
]

#: Gaussian scales (px at the working resolution) of the evidence bands. One: with 1, 2 and 4 px
#: together the coarse band's wider support joined neighbouring blocks and the fine one added
#: specks (constructed noisy pair: 9-13 of 20 blocks boxed at IoU 0.5 instead of 20; 1.5 and
#: 2.5 px: 16-17).
SCALES = (2.0,)

#: The finest and the coarsest band of :func:`whiteness`.
WHITE_SCALES = (1.0, 4.0)

#: The surroundings a band is measured against: a gaussian this many times wider.
SURROUND = 3.0

#: A seed is this many robust sigmas of the band (root mean square over the channels). White
#: gaussian noise passes 4 at about one pixel in 10^9; 8 leaves room for the heavier tails of
#: real sensor noise and JPEG. On the constructed noisy pair of ``tests/maps/test_scale.py``
#: (20 blocks, 18-32 levels under noise sigma 5) 8 finds every block, 12 all but one or two.
SEED_SIGMAS = 8.0

#: Relative pixel noise (:func:`~.noise.relative_noise`, the noisier image) from which a pair
#: counts as noisy: the real pairs span 0-0.006 (puzzles, screenshots, illustrations, photos),
#: 0.020 (the re-lit circuit-board photo) and 0.033-0.038 (Sentinel-2); the constructed noisy
#: pair 0.059-0.064, dim photographs with sigma-5 noise 0.05-0.08 (``tests/maps/test_scale.py``).
NOISY_SHARE = 0.05

#: Largest :func:`whiteness` for which the scale evidence is used: white noise gives 1, the
#: constructed noisy pair 1.2-1.6 (its blocks and the sharpness matching's blur count), the
#: Sentinel-2 pairs 2.4-2.7 (structured residuals).
WHITE_LIMIT = 2.0


@dataclass(frozen=True)
class ScaleEvidence:
    """The outcome of :func:`scale_evidence`.

    Attributes:
        z: float32 (H, W) >= 0, evidence at the change's scale (1 = seed), or None when the
            pair is not noisy or its noise is not white (the per-pixel evidence is used).
        relative_noise: the larger relative pixel noise of the two images
            (:func:`~.noise.relative_noise`).
        whiteness: :func:`whiteness` of the residual, or None when the pair is not noisy (not
            measured).
    """

    z: np.ndarray | None
    relative_noise: float
    whiteness: float | None

    @property
    def applied(self) -> bool:
        return self.z is not None

    def to_dict(self) -> dict:
        """JSON-ready summary for a result's metadata."""
        return {
            "applied": self.applied,
            "relative_noise": round(self.relative_noise, 4),
            "whiteness": None if self.whiteness is None else round(self.whiteness, 3),
        }


def band_pass(residual: np.ndarray, scale: float) -> np.ndarray:
    """``G_scale * r - G_{SURROUND * scale} * r``: float32 of ``residual``'s shape (H, W[, C])."""
    r = residual.astype(np.float32, copy=False)
    return cv2.GaussianBlur(r, (0, 0), scale) - cv2.GaussianBlur(r, (0, 0), SURROUND * scale)


@functools.lru_cache(maxsize=8)
def _kernel_norm(scale: float) -> float:
    """L2 norm of :func:`band_pass`'s kernel: the factor it scales white noise's sigma by."""
    n = 2 * int(np.ceil(4 * SURROUND * scale)) + 1
    delta = np.zeros((n, n), np.float32)
    delta[n // 2, n // 2] = 1.0
    return float(np.sqrt((band_pass(delta, scale).astype(np.float64) ** 2).sum()))


def _sample(x: np.ndarray, valid: np.ndarray | None, step: int) -> np.ndarray:
    """(N, C) samples of an (H, W, C) array on a ``step`` grid, inside ``valid``."""
    s = x[::step, ::step]
    if valid is not None:
        s = s[valid[::step, ::step]]
    return s.reshape(-1, x.shape[2])


def _robust_sigma(samples: np.ndarray) -> np.ndarray:
    """(C,) 1.4826 x the median absolute deviation of (N, C) samples."""
    med = np.median(samples, axis=0)
    return 1.4826 * np.median(np.abs(samples - med), axis=0)


def _bands(residual: np.ndarray, scale: float) -> np.ndarray:
    band = band_pass(residual, scale)
    return band if band.ndim == 3 else band[..., None]


def _residual(img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
    r = img1.astype(np.float32) - img2.astype(np.float32)
    return r if r.ndim == 3 else r[..., None]


def whiteness(residual: np.ndarray, valid: np.ndarray | None = None, *, step: int = 2) -> float:
    """How much more of the residual survives the coarsest band than white noise would.

    Args:
        residual: float32 (H, W, C) ``img1 - img2``.
        valid: (H, W) bool, the compared pixels (None: all).
        step: sampling stride in both directions.

    Returns:
        The median over the channels of ``(sigma_coarse / |k_coarse|) / (sigma_fine / |k_fine|)``
        with ``sigma`` the robust spread of :func:`band_pass` at the two scales of
        :data:`WHITE_SCALES` and ``|k|`` its kernel's L2 norm (what it leaves of unit white
        noise): about 1 for white noise (even lightly blurred), larger when the residual is
        structured over the bands' scales; 0 when the residual is 0.
    """
    lo, hi = WHITE_SCALES
    fine = _robust_sigma(_sample(_bands(residual, lo), valid, step)) / _kernel_norm(lo)
    coarse = _robust_sigma(_sample(_bands(residual, hi), valid, step)) / _kernel_norm(hi)
    ok = fine > 0
    if not ok.any():
        return 0.0
    return float(np.median(coarse[ok] / fine[ok]))


def scale_evidence(
    img1: np.ndarray,
    img2: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    relative_noise: float,
    scales: tuple[float, ...] = SCALES,
    seed: float = SEED_SIGMAS,
    step: int = 2,
) -> ScaleEvidence:
    """Evidence at the change's scale where the pair is noisy and its noise white.

    Args:
        img1, img2: uint8 (H, W, C) (or (H, W)) images, image 2 aligned and tone-matched.
        valid: (H, W) bool, the compared pixels (None: all); noise is measured there only.
        relative_noise: the larger :func:`~.noise.relative_noise` of the two images.
        scales: gaussian scales of the bands, in pixels.
        seed: seed threshold in robust sigmas of a band (:data:`SEED_SIGMAS`).
        step: sampling stride of the noise measurements.

    Returns:
        :class:`ScaleEvidence`; its ``z`` (float32 (H, W), 1 = seed) is None unless
        ``relative_noise >= NOISY_SHARE`` and :func:`whiteness` ``<= WHITE_LIMIT``.
    """
    if relative_noise < NOISY_SHARE:
        return ScaleEvidence(None, relative_noise, None)
    r = _residual(img1, img2)
    white = whiteness(r, valid, step=step)
    if not 0 < white <= WHITE_LIMIT:
        return ScaleEvidence(None, relative_noise, white)
    out = np.zeros(r.shape[:2], np.float32)
    for s in scales:
        band = _bands(r, s)
        sigma = np.maximum(_robust_sigma(_sample(band, valid, step)), 1e-3)
        energy = np.zeros(r.shape[:2], np.float32)
        for c in range(band.shape[2]):
            energy += np.square(band[..., c] * np.float32(1.0 / sigma[c]))
        np.maximum(out, energy, out=out)
    out = np.sqrt(out * np.float32(1.0 / r.shape[2]))
    out *= np.float32(1.0 / seed)
    return ScaleEvidence(out, relative_noise, white)
