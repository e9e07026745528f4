"""Multi-scale structural similarity (MS-SSIM, Wang, Simoncelli & Bovik 2003).

Reproduces pytorch-msssim 1.0's ``ms_ssim(x, y, data_range=L, size_average=False)``: at each of
``len(weights)`` scales (default 5, weights ``[0.0448, 0.2856, 0.3001, 0.2363, 0.1333]``) the
SSIM core of :mod:`.ssim` gives the contrast-structure map ``cs`` (and, at the coarsest scale,
the SSIM map); each is averaged over its "valid" region (the border of ``(win_size - 1) // 2``
pixels cropped, as pytorch-msssim's unpadded convolutions do), passed through ``relu`` and raised
to its weight; the product over scales is averaged over channels. Between scales the images are
halved with ``avg_pool2d(kernel_size=2, padding=(H % 2, W % 2))`` (zero padding counted in the
average, as pytorch-msssim does). Values are in [0, 1], 1 for identical images.

The images must be larger than ``(win_size - 1) * 2 ** (scales - 1)`` pixels on their shorter
side (161 px for the defaults), as pytorch-msssim requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F

from ..._errors import InvalidOptionError
from ..ssim_cv import ssim_options
from . import register_metric
from ._base import Metric, check_pair, check_reduction, reduce
from .ssim import ssim_components

__all__ = ["DEFAULT_WEIGHTS", "MSSSIM", "ms_ssim", "ms_ssim_map"]

#: Wang et al. 2003's scale weights, finest first (pytorch-msssim's default)
DEFAULT_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _check_weights(weights: Sequence[float] | None) -> tuple[float, ...]:
    if weights is None:
        return DEFAULT_WEIGHTS
    try:
        values = tuple(float(w) for w in weights)
    except (TypeError, ValueError):
        values = ()
    if not values or any(not w >= 0 for w in values):
        raise InvalidOptionError(
            f"weights must be a non-empty sequence of non-negative numbers, one per scale "
            f"(finest first), got {weights!r}; default: {list(DEFAULT_WEIGHTS)}"
        )
    return values


def min_ms_ssim_size(win_size: int = 11, scales: int = 5) -> int:
    """Smallest image side MS-SSIM accepts: ``(win_size - 1) * 2 ** (scales - 1) + 1``."""
    return (win_size - 1) * 2 ** (scales - 1) + 1


def _levels(
    x: torch.Tensor,
    y: torch.Tensor,
    options: dict[str, float],
    weights: Sequence[float] | None,
    *,
    valid: bool = False,
) -> tuple[list[torch.Tensor], tuple[float, ...]]:
    """Validate the weights and the pair, then every scale's map at that scale's size, finest
    first. ``options``: validated SSIM options (:func:`~spotdiff.maps.ssim_cv.ssim_options`).

    Returns:
        ``(maps, weights)``: ``maps[j]`` is scale j's (N, C, H_j, W_j) contrast-structure
        map ``cs_j``, except the coarsest, which is its SSIM map ``luminance * cs``.
    """
    size = int(options["win_size"])
    w = _check_weights(weights)
    need = min_ms_ssim_size(size, len(w))
    check_pair(
        x,
        y,
        metric="ms_ssim",
        min_size=need,
        min_size_hint=f"MS-SSIM with {len(w)} scales and a {size}px window halves the images "
        f"{len(w) - 1} times; upsample them to at least {need}px, pass fewer weights "
        "(scales), or use ssim",
    )
    levels = []
    for i in range(len(w)):
        luminance, cs = ssim_components(x, y, valid=valid, **options)
        levels.append(luminance * cs if i == len(w) - 1 else cs)
        if i < len(w) - 1:
            padding = [s % 2 for s in x.shape[2:]]
            x = F.avg_pool2d(x, kernel_size=2, padding=padding)
            y = F.avg_pool2d(y, kernel_size=2, padding=padding)
    return levels, w


def _relu_pow(v: torch.Tensor, weight: float) -> torch.Tensor:
    """``relu(v) ** weight`` with gradient 0 (not NaN) where ``v <= 0``."""
    positive = v > 0
    safe = torch.where(positive, v, torch.ones_like(v))
    return torch.where(positive, safe.pow(weight), torch.zeros_like(v))


def _weighted_product(values: Iterable[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
    """``prod_j relu(values[j]) ** weights[j]`` (one value per weight)."""
    out = None
    for v, weight in zip(values, weights, strict=True):
        factor = _relu_pow(v, weight)
        out = factor if out is None else out * factor
    return out


def ms_ssim(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    data_range: float = 1.0,
    weights: Sequence[float] | None = None,
    win_size: int | None = None,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    reduction: str = "none",
) -> torch.Tensor:
    """MS-SSIM per sample.

    Args:
        img1, img2: float tensors (N, C, H, W) of one shape, any device and float dtype, values in
            ``[0, data_range]``, shorter side > ``(win_size - 1) * 2 ** (len(weights) - 1)``
            (160 px for the defaults).
        data_range: the span of the values (1.0 for [0, 1], 255 for 8-bit values).
        weights: one exponent per scale, finest first; None = :data:`DEFAULT_WEIGHTS`.
        win_size, sigma, k1, k2: the SSIM window and constants (see :func:`.ssim.ssim_map`).
        reduction: ``"none"`` -> (N,), ``"mean"`` / ``"sum"`` over the batch -> 0-d tensor.

    Returns:
        (N,) (or 0-d) tensor in ``img1``'s dtype, in [0, 1], 1 for identical images; equal to
        pytorch-msssim's ``ms_ssim(x, y, data_range=L, size_average=False)`` (within ~1e-6 in
        float32). Differentiable; where a scale's mean ``cs`` is <= 0 its factor is 0 and so is
        its gradient (pytorch-msssim gives NaN there).

    Raises:
        InvalidOptionError: images too small for the scales (the message says the minimum), bad
            options.
        LayoutError: inputs not float (N, C, H, W) tensors of one shape and device.
    """
    check_reduction(reduction)
    options = ssim_options(data_range=data_range, win_size=win_size, sigma=sigma, k1=k1, k2=k2)
    levels, w = _levels(img1, img2, options, weights, valid=True)
    value = _weighted_product((m.mean(dim=(2, 3)) for m in levels), w)  # (N, C)
    return reduce(value.mean(dim=1).to(img1.dtype), reduction)


def ms_ssim_map(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    data_range: float = 1.0,
    weights: Sequence[float] | None = None,
    win_size: int | None = None,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Per-pixel MS-SSIM: the scales' maps upsampled to (H, W) and combined like the scalar.

    ``prod_j relu(cs_j)^w_j * relu(ssim_M)^w_M`` per pixel, where ``cs_j`` is scale j's
    contrast-structure map (symmetric borders) and ``ssim_M`` the coarsest scale's SSIM map,
    each bilinearly upsampled (``align_corners=False``) to the input size. The coarse scales
    make it respond to large-area changes that the single-scale SSIM map misses.

    Args:
        img1, img2, data_range, weights, win_size, sigma, k1, k2: as in :func:`ms_ssim`.

    Returns:
        (N, C, H, W) tensor in ``img1``'s dtype and device, values in [0, 1], 1 where the images
        agree. Its mean is not :func:`ms_ssim` (which multiplies per-scale means).
    """
    options = ssim_options(data_range=data_range, win_size=win_size, sigma=sigma, k1=k1, k2=k2)
    levels, w = _levels(img1, img2, options, weights)
    size = tuple(img1.shape[-2:])
    upsampled = (
        m if i == 0 else F.interpolate(m, size=size, mode="bilinear", align_corners=False)
        for i, m in enumerate(levels)
    )
    return _weighted_product(upsampled, w).to(img1.dtype)


@register_metric("ms_ssim", aliases=("ms-ssim", "msssim"))
class MSSSIM(Metric):
    """Multi-scale SSIM (higher is better, 1 for identical images); see :func:`ms_ssim`.

    Args:
        data_range, weights, win_size, sigma, k1, k2: as in :func:`ms_ssim`.

    ``forward`` -> (N,) MS-SSIM; ``map`` -> (N, C, H, W) per-pixel MS-SSIM (:func:`ms_ssim_map`).
    """

    name = "ms_ssim"
    higher_is_better = True

    def __init__(
        self,
        *,
        data_range: float = 1.0,
        weights: Sequence[float] | None = None,
        win_size: int | None = None,
        sigma: float = 1.5,
        k1: float = 0.01,
        k2: float = 0.03,
    ) -> None:
        super().__init__()
        options = ssim_options(data_range=data_range, win_size=win_size, sigma=sigma, k1=k1, k2=k2)
        weights = _check_weights(weights)
        # this order is extra_repr's: data_range, weights, then the window options
        self._options = {"data_range": options.pop("data_range"), "weights": weights, **options}

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N,) MS-SSIM per sample."""
        return ms_ssim(img1, img2, **self._options)

    def map(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) per-pixel MS-SSIM."""
        return ms_ssim_map(img1, img2, **self._options)
