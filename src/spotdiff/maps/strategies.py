"""Strategies: how a difference map is made from two images and a metric.

A strategy is called as ``strategy(img1, img2, metric=metric)`` on float tensors (N, C, H, W) and
returns ``(map, values)``: the map (N, C', H, W) and the metric's per-sample values (N,), detached.

- ``difference``: ``|img1 - img2|`` (difference-finder's "difference").
- ``gradient``: the autograd gradient of the metric with respect to the reference image
  (``reference_idx`` 0: img1, 1: img2), as difference-finder does: each pixel says how much it
  moves the metric. Signed; use the ``abs`` post-processor for magnitudes. Per-sample values are
  summed before the backward pass, so each batch element gets its own gradient (difference-finder
  averaged over the batch, which scales gradients by 1/N).
- ``ssim_map``: ``1 - local SSIM`` (gaussian window, sigma 1.5): a direct structural map.

difference-finder returned the mean absolute difference as the "metric" of its difference strategy;
spotdiff returns the configured metric's value for every strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .._errors import InvalidOptionError
from .._registry import Registry
from .._validate import check_choice, check_finite

__all__ = ["STRATEGIES", "get_strategy", "list_strategies"]

MetricFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
StrategyFn = Callable[..., tuple[torch.Tensor, torch.Tensor]]

STRATEGIES: Registry[StrategyFn] = Registry("strategy")


def get_strategy(name: str, /, **options: Any) -> StrategyFn:
    """Build the strategy ``name`` (``difference``, ``gradient``, ``ssim_map``) with ``options``."""
    return STRATEGIES.get(name, **options)


def list_strategies() -> list[str]:
    return STRATEGIES.names()


def per_sample(values: torch.Tensor, batch: int) -> torch.Tensor:
    """A metric's output as (N,): accepts per-sample (N,) values or one scalar for the batch."""
    values = values.reshape(-1) if values.dim() else values.reshape(1)
    if values.numel() == batch:
        return values
    if values.numel() == 1:
        return values.expand(batch)
    raise InvalidOptionError(
        f"a metric must return one value per sample ({batch}) or one scalar; got shape "
        f"{tuple(values.shape)}"
    )


def _evaluate(metric: MetricFn, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return per_sample(metric(img1, img2), img1.shape[0]).detach()


@dataclass(frozen=True)
class Difference:
    def __call__(
        self, img1: torch.Tensor, img2: torch.Tensor, *, metric: MetricFn
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return (img1 - img2).abs(), _evaluate(metric, img1, img2)


@dataclass(frozen=True)
class Gradient:
    reference_idx: int = 0

    def __post_init__(self) -> None:
        check_choice("reference_idx", self.reference_idx, (0, 1))

    def __call__(
        self, img1: torch.Tensor, img2: torch.Tensor, *, metric: MetricFn
    ) -> tuple[torch.Tensor, torch.Tensor]:
        target, compare = (img1, img2) if self.reference_idx == 0 else (img2, img1)
        target = target.detach().requires_grad_(True)  # a new leaf; the input is untouched
        compare = compare.detach()
        with torch.enable_grad():
            values = per_sample(metric(compare, target), target.shape[0])
            (grad,) = torch.autograd.grad(values.sum(), target)
        return grad, values.detach()


@dataclass(frozen=True)
class SSIMMap:
    sigma: float = 1.5

    def __post_init__(self) -> None:
        check_finite("sigma", self.sigma, low=0.0, low_inclusive=False)

    def __call__(
        self, img1: torch.Tensor, img2: torch.Tensor, *, metric: MetricFn
    ) -> tuple[torch.Tensor, torch.Tensor]:
        from .metrics import ssim_map

        with torch.no_grad():
            local = ssim_map(img1, img2, data_range=1.0, sigma=self.sigma)
        return 1.0 - local, _evaluate(metric, img1, img2)


@STRATEGIES.register("difference", aliases=("diff", "absdiff"))
def _difference() -> StrategyFn:
    return Difference()


@STRATEGIES.register("gradient", aliases=("grad",))
def _gradient(reference_idx: int = 0) -> StrategyFn:
    return Gradient(reference_idx=reference_idx)


@STRATEGIES.register("ssim_map", aliases=("ssim",))
def _ssim_map(sigma: float = 1.5) -> StrategyFn:
    return SSIMMap(sigma=sigma)
