"""The common interface of spotdiff's image-quality metrics and their shared validation.

Every metric is a pure function pair (``<name>(img1, img2, *, ...)`` -> per-sample scalar and
``<name>_map(img1, img2, *, ...)`` -> per-pixel map, the scalar derived from the map) plus a
:class:`Metric` module that holds the options and calls them.

Conventions (scikit-image-like): the two images are positional, everything else is keyword-only;
inputs are float tensors (N, C, H, W) on any device, of any float dtype, with values in
``[0, data_range]``; outputs keep the device and dtype of ``img1``.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from ..._errors import InvalidOptionError, LayoutError
from ..._validate import check_data_range

__all__ = [
    "REDUCTIONS",
    "Metric",
    "channels_last",
    "check_data_range",
    "check_pair",
    "check_reduction",
    "reduce",
]

REDUCTIONS = ("none", "mean", "sum")


class Metric(torch.nn.Module):
    """Base class of the registered metrics (``get_metric(name, **options)`` builds one).

    Subclasses set the class attributes and implement both methods:

    - ``forward(img1, img2) -> (N,)``: one scalar per sample, differentiable w.r.t. both inputs.
    - ``map(img1, img2) -> (N, C', H, W)``: the per-pixel map the scalar is derived from (C' is C
      for the pixel metrics, 1 for LPIPS).

    Inputs: float tensors (N, C, H, W) of one shape, values in ``[0, data_range]``; the outputs
    have ``img1``'s device and dtype.
    """

    #: registry name, e.g. ``"ssim"``
    name: ClassVar[str] = ""
    #: True for similarities (SSIM, PSNR), False for distances (MSE, LPIPS)
    higher_is_better: ClassVar[bool] = False

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def map(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def extra_repr(self) -> str:
        options = getattr(self, "_options", None)
        return ", ".join(f"{k}={v!r}" for k, v in options.items()) if options else ""


def check_pair(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    metric: str,
    min_size: int = 1,
    min_size_hint: str = "",
) -> None:
    """Validate a pair of image batches; raise a typed error saying what to do.

    Args:
        img1, img2: the inputs; both must be floating-point torch tensors (N, C, H, W) of one
            shape on one device.
        metric: name used in the messages.
        min_size: smallest allowed H and W.
        min_size_hint: what to do when the images are smaller (appended to the message).

    Raises:
        LayoutError: not tensors, not 4-D, not floating point, different shapes or devices.
        InvalidOptionError: H or W below ``min_size``.
    """
    for label, t in (("img1", img1), ("img2", img2)):
        if not isinstance(t, torch.Tensor):
            raise LayoutError(
                f"{metric} expects torch tensors (N, C, H, W), got {label} of type "
                f"{type(t).__name__}; convert images with spotdiff's io helpers or "
                "torch.from_numpy(...).permute(2, 0, 1)[None].float() / 255"
            )
        if t.ndim != 4:
            hint = f" (add a batch axis with {label}[None])" if t.ndim == 3 else ""
            raise LayoutError(
                f"{metric} expects 4-D tensors (N, C, H, W), got {label} of shape "
                f"{tuple(t.shape)}{hint}"
            )
        if not t.is_floating_point():
            raise LayoutError(
                f"{metric} expects floating-point tensors, got {label} of dtype {t.dtype}; "
                f"convert with {label}.float() (and divide uint8 images by 255, or pass "
                "data_range=255)"
            )
    if img1.shape != img2.shape:
        raise LayoutError(
            f"{metric} compares batches of the same shape, got {tuple(img1.shape)} and "
            f"{tuple(img2.shape)}; resize or crop one of them first"
        )
    if img1.device != img2.device:
        raise LayoutError(
            f"{metric}: img1 is on {img1.device} and img2 on {img2.device}; move both to one device"
        )
    if img1.shape[0] == 0 or img1.shape[1] == 0:
        raise LayoutError(f"{metric}: empty batch or no channels, got shape {tuple(img1.shape)}")
    h, w = img1.shape[-2:]
    if min(h, w) < min_size:
        raise InvalidOptionError(
            f"{metric} needs images of at least {min_size}x{min_size} pixels, got {w}x{h}"
            + (f"; {min_size_hint}" if min_size_hint else "")
        )


def reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce per-sample values (N,): ``"none"`` keeps them, ``"mean"`` / ``"sum"`` -> 0-d."""
    if reduction == "none":
        return values
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    raise InvalidOptionError(
        f"reduction must be one of {', '.join(repr(r) for r in REDUCTIONS)}, got {reduction!r}"
    )


def check_reduction(reduction: str) -> str:
    """Validate ``reduction`` early (before any computation)."""
    if reduction not in REDUCTIONS:
        raise InvalidOptionError(
            f"reduction must be one of {', '.join(repr(r) for r in REDUCTIONS)}, got {reduction!r}"
        )
    return reduction


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` (N, C, H, W) in channels-last memory with canonical strides (a view when it already is).

    Depthwise convolutions run several times faster channels-last on CPU, but only when the strides
    are the canonical ones: a tensor whose size-1 dimensions carry other strides (a single image
    from ``torch.from_numpy(hwc).permute(2, 0, 1)[None]`` has batch stride C, not C*H*W) counts as
    channels-last yet takes the slow kernel (~20x slower at 1080p).
    """
    x = x.contiguous(memory_format=torch.channels_last)
    _, c, h, w = x.shape
    canonical = (c * h * w, 1, w * c, c)
    if x.stride() != canonical:  # only size-1 dimensions can differ here: same memory, new view
        x = x.as_strided(x.shape, canonical)
    return x
