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
    a: np.ndarray, b: np.ndarray, policy: str = "resize"
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the size policy to two (H, W, C) arrays (uint8 or float32)."""
    import cv2

    size_a, size_b = (a.shape[1], a.shape[0]), (b.shape[1], b.shape[0])
    action = _plan(size_a, size_b, policy)
    if action is None:
        return a, b
    if action == "resize":
        shrink = size_b[0] * size_b[1] > size_a[0] * size_a[1]
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        resized = cv2.resize(b, size_a, interpolation=interp)
        return a, resized.reshape(a.shape[0], a.shape[1], -1)
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    white = 255 if a.dtype == np.uint8 else 1.0
    return _pad_np(a, height, width, white), _pad_np(b, height, width, white)


def _pad_np(array: np.ndarray, height: int, width: int, value: float) -> np.ndarray:
    pad = ((0, height - array.shape[0]), (0, width - array.shape[1]), (0, 0))
    return np.pad(array, pad, constant_values=value)


def match_sizes_tensor(
    a: torch.Tensor, b: torch.Tensor, policy: str = "resize"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the size policy to two (N, C, H, W) float tensors in [0, 1] (on their device)."""
    import torch.nn.functional as F

    size_a, size_b = (a.shape[-1], a.shape[-2]), (b.shape[-1], b.shape[-2])
    action = _plan(size_a, size_b, policy)
    if action is None:
        return a, b
    if action == "resize":
        shrink = size_b[0] * size_b[1] > size_a[0] * size_a[1]
        resized = F.interpolate(
            b,
            size=(a.shape[-2], a.shape[-1]),
            mode="bilinear",
            align_corners=False,
            antialias=shrink,
        )
        return a, resized.clamp(0.0, 1.0)
    height, width = max(a.shape[-2], b.shape[-2]), max(a.shape[-1], b.shape[-1])

    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, width - t.shape[-1], 0, height - t.shape[-2]), value=1.0)

    return pad(a), pad(b)
