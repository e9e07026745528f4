"""The size policy for two images of different sizes.

``size_mismatch``:
- ``"resize"`` (default): image 2 is resized to image 1's size (area interpolation when shrinking,
  bilinear when enlarging), with a :class:`~spotdiff._errors.SpotdiffWarning`; results are in
  image-1 geometry.
- ``"pad"``: both are padded at the bottom and right, with white, to the larger height and width;
  the area only one image covers shows as different (as visual-regression tools do).
- ``"error"``: :class:`~spotdiff._errors.SizeMismatchError`.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal

import numpy as np

from .._errors import SizeMismatchError, SpotdiffWarning
from .._validate import check_choice
from ._layout import mark_layout

if TYPE_CHECKING:
    import torch

__all__ = ["SIZE_POLICIES", "SizeMismatch", "match_sizes", "match_sizes_tensor"]

SizeMismatch = Literal["resize", "pad", "error"]
SIZE_POLICIES = ("resize", "pad", "error")


def _plan(size1: tuple[int, int], size2: tuple[int, int], policy: str) -> str | None:
    """Sizes are (width, height); returns the policy to apply, or None when sizes match."""
    policy = check_choice("size_mismatch", policy, SIZE_POLICIES)
    if size1 == size2:
        return None
    (w1, h1), (w2, h2) = size1, size2
    if policy == "error":
        raise SizeMismatchError(
            f"images are {w1}x{h1} and {w2}x{h2}: pass size_mismatch='resize' (--resize) to resize "
            "the second to the first, or size_mismatch='pad' (--pad) to pad both"
        )
    if policy == "resize":
        warnings.warn(
            f"images are {w1}x{h1} and {w2}x{h2}: resized the second to {w1}x{h1} "
            "(size_mismatch='resize'; pass 'pad' or 'error' to change)",
            SpotdiffWarning,
            stacklevel=4,
        )
    return policy


def match_sizes(
    img1: np.ndarray, img2: np.ndarray, size_mismatch: str = "resize"
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the size policy to two (H, W, C) arrays (uint8 in [0, 255] or float32 in [0, 1]).

    Returns:
        two (H, W, C) arrays of one size and the input dtype: image 1 unchanged and image 2
        resized to it (``"resize"``), or both padded with white (``"pad"``).

    Raises:
        SizeMismatchError: sizes differ and ``size_mismatch="error"``.
        InvalidOptionError: an unknown ``size_mismatch``.
    """
    import cv2

    size1, size2 = (img1.shape[1], img1.shape[0]), (img2.shape[1], img2.shape[0])
    action = _plan(size1, size2, size_mismatch)
    if action == "resize":
        shrink = size2[0] * size2[1] > size1[0] * size1[1]
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        resized = cv2.resize(img2, size1, interpolation=interp)
        img2 = resized.reshape(img1.shape[0], img1.shape[1], -1)
    elif action == "pad":
        height, width = max(img1.shape[0], img2.shape[0]), max(img1.shape[1], img2.shape[1])
        white = 255 if img1.dtype == np.uint8 else 1.0
        img1, img2 = _pad_np(img1, height, width, white), _pad_np(img2, height, width, white)
    return mark_layout(img1, "HWC"), mark_layout(img2, "HWC")


def _pad_np(array: np.ndarray, height: int, width: int, value: float) -> np.ndarray:
    pad = ((0, height - array.shape[0]), (0, width - array.shape[1]), (0, 0))
    return np.pad(array, pad, constant_values=value)


def match_sizes_tensor(
    img1: torch.Tensor, img2: torch.Tensor, size_mismatch: str = "resize"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the size policy to two (N, C, H, W) float tensors in [0, 1] (on their device).

    Returns and raises as :func:`match_sizes`.
    """
    import torch.nn.functional as F

    size1, size2 = (img1.shape[-1], img1.shape[-2]), (img2.shape[-1], img2.shape[-2])
    action = _plan(size1, size2, size_mismatch)
    if action == "resize":
        shrink = size2[0] * size2[1] > size1[0] * size1[1]
        resized = F.interpolate(
            img2,
            size=(img1.shape[-2], img1.shape[-1]),
            mode="bilinear",
            align_corners=False,
            antialias=shrink,
        )
        img2 = resized.clamp(0.0, 1.0)
    elif action == "pad":
        height = max(img1.shape[-2], img2.shape[-2])
        width = max(img1.shape[-1], img2.shape[-1])

        def pad(t: torch.Tensor) -> torch.Tensor:
            return F.pad(t, (0, width - t.shape[-1], 0, height - t.shape[-2]), value=1.0)

        img1, img2 = pad(img1), pad(img2)
    return mark_layout(img1, "NCHW"), mark_layout(img2, "NCHW")
