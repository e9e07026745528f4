"""Model-free image similarity on CLIP's gate scale: the fallback of the ImgDiff similarity gates.

The two similarity gates of the ImgDiff generator (whole pair, then each kept crop pair) compare
a CLIP cosine similarity with ``[min_score, max_score]``. Without CLIP weights they use
:func:`structural_similarity`, a perceptual / structural score in ``[0, 1]``:

    ``s = 0.5 * max(0, SSIM_64) + 0.5 * max(0, CS_16)``

- ``SSIM_64``: mean local SSIM (gaussian window, sigma 1.5) of the two grey images resized to
  64 x 64 (area interpolation): structure and detail, sensitive to misalignment;
- ``CS_16``: the SSIM contrast-structure term computed over the whole of the two grey images
  resized to 16 x 16, ``(2 cov + C2) / (var1 + var2 + C2)`` with ``C2 = 0.03 ** 2``: the coarse
  layout, tolerant to shifts, rotations, noise and tone changes.

Both images are resized to the same square whatever their aspect (a crop pair always has one
size). Calibration on the scikit-image photographs (``benchmarks/bench_imgdiff.py --calibrate``,
table in ``docs/imgdiff.md``): identical images score 1, near-duplicates (JPEG, noise, tone,
small shifts, with planted edits) 0.85-0.99, crops of planted changes 0.2-0.8, unrelated
photographs 0.0-0.35 (median about 0.05). CLIP's cosine between unrelated photographs is higher
(about 0.4-0.6), so a ``min_score`` tuned for CLIP above 0.35 rejects more pairs here; the
near-duplicate end of the two scales agrees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import cv2
import numpy as np

from .._errors import InvalidOptionError
from .._validate import check_image
from ..maps.ssim_cv import ssim_map_cv
from ._registry import register_backend

__all__ = ["StructuralSimilarity", "structural_similarity"]

_FINE = 64
_COARSE = 16
_C2 = 0.03**2


def _grey(image: np.ndarray, side: int) -> np.ndarray:
    check_image("image", image, channels=(3,))
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / np.float32(255.0)


def _contrast_structure(a: np.ndarray, b: np.ndarray) -> float:
    da, db = a - a.mean(), b - b.mean()
    cov = float((da * db).mean())
    return (2.0 * cov + _C2) / (float((da * da).mean()) + float((db * db).mean()) + _C2)


def structural_similarity(img1: np.ndarray, img2: np.ndarray) -> float:
    """Model-free similarity of two images in ``[0, 1]`` (1 = identical); module docstring.

    Args:
        img1, img2: (H, W, 3) uint8 RGB images of any sizes (each is resized to 64x64 and 16x16
            grey).

    Returns:
        ``0.5 * max(0, SSIM_64) + 0.5 * max(0, CS_16)``, a float in ``[0, 1]``.

    Raises:
        LayoutError: an input is not a non-empty (H, W, 3) array.
    """
    fine = float(ssim_map_cv(_grey(img1, _FINE), _grey(img2, _FINE), data_range=1.0).mean())
    coarse = _contrast_structure(_grey(img1, _COARSE), _grey(img2, _COARSE))
    return float(np.clip(0.5 * max(0.0, fine) + 0.5 * max(0.0, coarse), 0.0, 1.0))


def check_pair_lists(images1: Sequence[np.ndarray], images2: Sequence[np.ndarray]) -> None:
    """Raise :class:`~spotdiff._errors.InvalidOptionError` unless the two lists pair up 1:1.

    Shared by every similarity-gate backend's ``similarity(images1, images2)``.
    """
    if len(images1) != len(images2):
        raise InvalidOptionError(
            f"need two lists of one length (images1[i] is compared with images2[i]), got "
            f"{len(images1)} and {len(images2)} images"
        )


@register_backend("similarity", "structural", model=False)
class StructuralSimilarity:
    """Model-free similarity gate: SSIM and contrast-structure of small grey copies, in [0, 1]."""

    name = "structural"

    def similarity(
        self,
        images1: Sequence[np.ndarray],
        images2: Sequence[np.ndarray],
        *,
        tally: Counter | None = None,
    ) -> np.ndarray:
        """(N,) float32 :func:`structural_similarity` of ``images1[i]`` and ``images2[i]``."""
        check_pair_lists(images1, images2)
        return np.array(
            [structural_similarity(a, b) for a, b in zip(images1, images2, strict=True)],
            dtype=np.float32,
        )

    def __repr__(self) -> str:
        return "StructuralSimilarity()"
