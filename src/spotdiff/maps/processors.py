"""Pre-processors (applied to both images) and post-processors (applied to the map).

Every processor maps a float tensor (N, C, H, W) to a float tensor (N, C', H, W), is
differentiable where that makes sense, and is built by name from a registry with its settings:
``get_preprocessor("highpass_filter", factor=0.2)``. Any callable with that signature can be passed
to :class:`~spotdiff.maps.Finder` instead of a name.

The FFT filters follow difference-finder: the centred 2-D spectrum (``fftshift(fft2(x))``) is
multiplied by a box mask over the central ``factor`` fraction of each axis (half-width
``int(size * factor // 2)`` around ``size // 2``), and the real part of the inverse is kept.
``highpass_filter`` zeroes that box (default ``factor=0.1``); ``lowpass_filter`` keeps only it
(default ``factor=0.9``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .._registry import Registry
from .._validate import check_finite, check_number

__all__ = [
    "POSTPROCESSORS",
    "PREPROCESSORS",
    "gaussian_blur",
    "get_postprocessor",
    "get_preprocessor",
    "list_postprocessors",
    "list_preprocessors",
]

Processor = Callable[[torch.Tensor], torch.Tensor]

PREPROCESSORS: Registry[Processor] = Registry("pre-processor")
POSTPROCESSORS: Registry[Processor] = Registry("post-processor")


def get_preprocessor(name: str, /, **options: Any) -> Processor:
    """Build the pre-processor ``name`` (see :func:`list_preprocessors`) with ``options``."""
    return PREPROCESSORS.get(name, **options)


def get_postprocessor(name: str, /, **options: Any) -> Processor:
    """Build the post-processor ``name`` (see :func:`list_postprocessors`) with ``options``."""
    return POSTPROCESSORS.get(name, **options)


def list_preprocessors() -> list[str]:
    return PREPROCESSORS.names()


def list_postprocessors() -> list[str]:
    return POSTPROCESSORS.names()


# ----------------------------------------------------------------------------------------------
# shared pieces


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _minmax(x: torch.Tensor) -> torch.Tensor:
    """Per-sample min-max scaling to [0, 1]; a constant sample becomes zeros (no division by 0)."""
    flat = x.flatten(1)
    low = flat.min(dim=1).values.view(-1, 1, 1, 1)
    span = (flat.max(dim=1).values.view(-1, 1, 1, 1) - low).clamp_min(torch.finfo(x.dtype).tiny)
    return (x - low) / span


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable gaussian blur of (N, C, H, W) float, same shape and dtype out.

    The kernel has radius ``round(3 * sigma)`` (at least 1), capped at the image's longer side (a
    wider kernel only sees padding: without the cap ``sigma=1e9`` would allocate gigabytes);
    borders are reflected (replicated when the image is smaller than the radius).
    """
    radius = min(max(1, int(3.0 * sigma + 0.5)), max(x.shape[-2:]))
    coords = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(coords**2) / (2.0 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    pad_mode = "reflect" if min(x.shape[-2:]) > radius else "replicate"
    out = F.pad(x, (radius, radius, radius, radius), mode=pad_mode)
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def _box_mask(height: int, width: int, factor: float, device: torch.device) -> torch.Tensor:
    """1 inside the central ``factor`` box of a centred spectrum, 0 outside; (H, W) bool."""
    mask = torch.zeros(height, width, dtype=torch.bool, device=device)
    ch, cw = height // 2, width // 2
    hh, hw = int(height * factor // 2), int(width * factor // 2)
    mask[ch - hh : ch + hh, cw - hw : cw + hw] = True
    return mask


@dataclass(frozen=True)
class FrequencyFilter:
    """FFT box filter (see the module notes); ``keep_center`` selects lowpass (True) / highpass."""

    factor: float
    keep_center: bool

    def __post_init__(self) -> None:
        check_number("factor", self.factor, low=0.0, high=1.0)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        spectrum = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))
        mask = _box_mask(x.shape[-2], x.shape[-1], self.factor, x.device)
        if not self.keep_center:
            mask = ~mask
        filtered = spectrum * mask
        return torch.fft.ifft2(torch.fft.ifftshift(filtered, dim=(-2, -1))).real.to(x.dtype)


@dataclass(frozen=True)
class GaussianBlur:
    sigma: float = 1.0

    def __post_init__(self) -> None:
        check_finite("sigma", self.sigma, low=0.0, low_inclusive=False)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return gaussian_blur(x, self.sigma)


# ----------------------------------------------------------------------------------------------
# pre-processors


@PREPROCESSORS.register("identity")
def _pre_identity() -> Processor:
    return _identity


@PREPROCESSORS.register("normalize")
def _pre_normalize() -> Processor:
    """Per-image min-max scaling to [0, 1]."""
    return _minmax


@PREPROCESSORS.register("highpass_filter", aliases=("highpass",))
def _pre_highpass(factor: float = 0.1) -> Processor:
    return FrequencyFilter(factor=factor, keep_center=False)


@PREPROCESSORS.register("lowpass_filter", aliases=("lowpass",))
def _pre_lowpass(factor: float = 0.9) -> Processor:
    return FrequencyFilter(factor=factor, keep_center=True)


_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as OpenCV and Pillow convert RGB to gray


def _grayscale(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] != 3:
        return x if x.shape[1] == 1 else x.mean(dim=1, keepdim=True)
    weights = torch.tensor(_LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


@PREPROCESSORS.register("grayscale", aliases=("gray",))
def _pre_grayscale() -> Processor:
    """RGB -> luma (N, 1, H, W) with BT.601 weights; other channel counts: channel mean."""
    return _grayscale


@PREPROCESSORS.register("gaussian_blur", aliases=("blur",))
def _pre_blur(sigma: float = 1.0) -> Processor:
    return GaussianBlur(sigma=sigma)


# ----------------------------------------------------------------------------------------------
# post-processors


@POSTPROCESSORS.register("identity")
def _post_identity() -> Processor:
    return _identity


@POSTPROCESSORS.register("abs")
def _post_abs() -> Processor:
    """Magnitude of a signed map (e.g. a gradient)."""
    return torch.abs


@POSTPROCESSORS.register("normalize")
def _post_normalize() -> Processor:
    """Per-sample min-max scaling of the map to [0, 1]."""
    return _minmax


@POSTPROCESSORS.register("gaussian_blur", aliases=("blur",))
def _post_blur(sigma: float = 2.0) -> Processor:
    return GaussianBlur(sigma=sigma)


@dataclass(frozen=True)
class Threshold:
    """Binary map: 1 where ``|map| > value``; ``value=None`` picks Otsu's threshold per sample."""

    value: float | None = None
    bins: int = 256

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        magnitude = x.abs()
        if self.value is not None:
            cut = torch.full((x.shape[0], 1, 1, 1), float(self.value), device=x.device)
        else:
            cut = torch.stack([_otsu(sample.flatten(), self.bins) for sample in magnitude])
            cut = cut.view(-1, 1, 1, 1).to(x.dtype)
        return (magnitude > cut).to(x.dtype)


def _otsu(values: torch.Tensor, bins: int) -> torch.Tensor:
    """Otsu's threshold of a 1-D tensor (between-class variance maximised over ``bins`` bins)."""
    low, high = values.min(), values.max()
    if not bool(high > low):
        return high
    hist = torch.histc(values.float(), bins=bins, min=float(low), max=float(high))
    centers = low + (high - low) * (torch.arange(bins, device=values.device) + 0.5) / bins
    weight1 = torch.cumsum(hist, 0)
    weight2 = weight1[-1] - weight1
    mean1 = torch.cumsum(hist * centers, 0) / weight1.clamp_min(1)
    mean2 = ((hist * centers).sum() - torch.cumsum(hist * centers, 0)) / weight2.clamp_min(1)
    between = weight1 * weight2 * (mean1 - mean2) ** 2
    index = int(torch.argmax(between[:-1]))
    return low + (high - low) * (index + 1) / bins


@POSTPROCESSORS.register("threshold", aliases=("otsu",))
def _post_threshold(value: float | None = None) -> Processor:
    """Dynamic (Otsu) or fixed thresholding of the map's magnitude into {0, 1}."""
    if value is not None:
        check_finite("value", value, low=0.0)
    return Threshold(value=value)
