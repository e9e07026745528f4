"""Peak signal-to-noise ratio, derived from the squared-error map.

``PSNR = 10 log10(data_range**2 / MSE)`` in decibels, per sample (the MSE over C, H and W), as
``skimage.metrics.peak_signal_noise_ratio(x_i, y_i, data_range=data_range)``.

Identical images (MSE = 0) give ``+inf``, like scikit-image, and a gradient of exactly 0 (not
NaN): the logarithm is evaluated on a safe value where MSE = 0 and masked out, so a PSNR loss
over a batch that contains exact matches still backpropagates finite gradients.
"""

from __future__ import annotations

import math

import torch

from . import register_metric
from ._base import Metric, check_data_range, check_pair, check_reduction, reduce

__all__ = ["PSNR", "psnr", "psnr_from_mse"]


def psnr_from_mse(mse_values: torch.Tensor, *, data_range: float = 1.0) -> torch.Tensor:
    """PSNR in dB from MSE values (any shape): ``+inf`` where MSE is 0, finite gradients there."""
    data_range = check_data_range(data_range)
    zero = mse_values <= 0
    safe = torch.where(zero, torch.ones_like(mse_values), mse_values)
    db = (20.0 * math.log10(data_range)) - (10.0 / math.log(10.0)) * torch.log(safe)
    return torch.where(zero, torch.full_like(db, math.inf), db)


def psnr(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    data_range: float = 1.0,
    reduction: str = "none",
) -> torch.Tensor:
    """PSNR per sample, in dB.

    Args:
        img1, img2: float tensors (N, C, H, W) of one shape, any device / float dtype, values in
            ``[0, data_range]``.
        data_range: the span of the values (1.0 for [0, 1], 255 for 8-bit values).
        reduction: ``"none"`` -> (N,), ``"mean"`` / ``"sum"`` over the batch -> 0-d tensor (a
            mean that includes an identical pair is ``+inf``).

    Returns:
        (N,) (or 0-d) tensor in ``img1``'s dtype: ``10 log10(data_range**2 / MSE)``, higher is more
        similar, ``+inf`` for identical images (gradient 0 there). Equals scikit-image's
        ``peak_signal_noise_ratio(x_i, y_i, data_range=data_range)``.
    """
    check_reduction(reduction)
    data_range = check_data_range(data_range)
    check_pair(img1, img2, metric="psnr")
    err = (img1 - img2).square().mean(dim=(1, 2, 3))
    return reduce(psnr_from_mse(err, data_range=data_range), reduction)


@register_metric("psnr")
class PSNR(Metric):
    """Peak signal-to-noise ratio in dB (higher is better, +inf for identical images).

    Args:
        data_range: the span of the input values (1.0 for [0, 1]).

    ``map`` is the squared error (N, C, H, W) from which the PSNR is derived
    (``10 log10(L**2 / map.mean((1, 2, 3)))``).
    """

    name = "psnr"
    higher_is_better = True

    def __init__(self, *, data_range: float = 1.0) -> None:
        super().__init__()
        self.data_range = check_data_range(data_range)
        self._options = {"data_range": self.data_range}

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N,) PSNR per sample in dB."""
        return psnr(img1, img2, data_range=self.data_range)

    def map(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) squared error, in ``img1``'s dtype."""
        check_pair(img1, img2, metric="psnr")
        return (img1 - img2).square()
