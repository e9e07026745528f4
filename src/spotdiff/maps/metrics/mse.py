"""Mean squared error: the squared-error map and its per-sample mean."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import register_metric
from ._base import Metric, check_pair, check_reduction, reduce

__all__ = ["MSE", "mse", "squared_error_map"]

# per-sample F.mse_loss calls up to this batch size (its fused backward is ~3x faster than the
# autograd of (x - y).square().mean()); one vectorised pass for larger batches of small images
_FUSED_MAX_BATCH = 64


def squared_error_map(img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
    """Per-pixel squared error ``(img1 - img2) ** 2``.

    Args:
        img1, img2: float tensors (N, C, H, W) of one shape, any device / float dtype, any range.

    Returns:
        (N, C, H, W) tensor in ``img1``'s dtype and device, >= 0, 0 where the images agree.
    """
    check_pair(img1, img2, metric="mse")
    return (img1 - img2).square()


def mse(img1: torch.Tensor, img2: torch.Tensor, *, reduction: str = "none") -> torch.Tensor:
    """Mean squared error per sample: the mean of :func:`squared_error_map` over (C, H, W).

    Args:
        img1, img2: float tensors (N, C, H, W) of one shape, any device / float dtype.
        reduction: ``"none"`` -> (N,), ``"mean"`` / ``"sum"`` over the batch -> 0-d tensor.

    Returns:
        (N,) (or 0-d) tensor in ``img1``'s dtype, >= 0; 0 for identical images. In the units of the
        inputs squared (multiply by 255**2 to compare [0, 1] inputs with 8-bit MSEs).
        Equals ``skimage.metrics.mean_squared_error`` of each sample.
    """
    check_reduction(reduction)
    check_pair(img1, img2, metric="mse")
    if img1.shape[0] <= _FUSED_MAX_BATCH:  # fused loss: one pass forward, one pass backward
        values = torch.stack([F.mse_loss(xi, yi) for xi, yi in zip(img1, img2, strict=True)])
    else:
        values = squared_error_map(img1, img2).mean(dim=(1, 2, 3))
    return reduce(values, reduction)


@register_metric("mse", aliases=("l2",))
class MSE(Metric):
    """Mean squared error (lower is better, 0 for identical images); see :func:`mse`."""

    name = "mse"
    higher_is_better = False

    def __init__(self) -> None:  # no options (stated, so get_metric can say so)
        super().__init__()

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N,) mean squared error per sample."""
        return mse(img1, img2)

    def map(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) squared error."""
        return squared_error_map(img1, img2)
