"""``Finder``: difference maps with difference-finder's interface, on every input spotdiff reads."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from .._validate import check_choice
from ..io import is_directory_pair, load_tensor_pair, pair_directories
from ..viz.colormap import save_map
from .metrics import get_metric
from .processors import get_postprocessor, get_preprocessor
from .strategies import get_strategy

__all__ = ["Finder", "MapResult"]

Reduce = Literal["mean", "max", "none"]
Output = Literal["numpy", "torch"]


@dataclass(frozen=True)
class MapResult:
    """One pair of a directory run: its name, the two paths, the map and the metric value."""

    name: str
    path1: Path
    path2: Path
    map: Any
    metric: Any = None


def _resolve(kind: str, spec: Any, getter: Callable[..., Any]) -> Any:
    """A registered name -> the built object; a callable / configured object is used as is."""
    if isinstance(spec, str):
        return getter(spec)
    if callable(spec):
        return spec
    raise TypeError(f"{kind} must be a registered name or a callable; got {type(spec).__name__}")


class Finder:
    """Difference maps between two images (or batches, or directories of pairs).

    Each argument takes a registered name (see ``spotdiff.maps.list_metrics()`` etc.) or a callable /
    configured object, e.g. ``Finder(metric=get_metric("lpips", pretrained=False))``.

    Args:
        pre_processor: applied to both images (N, C, H, W) -> (N, C', H, W). Default "identity".
        post_processor: applied to the map. Default "identity".
        strategy: "gradient" (default), "difference" or "ssim_map", or a callable
            ``(img1, img2, *, metric) -> (map, values)``.
        metric: "mse" (default), "psnr", "ssim", "ms_ssim", "lpips", or a callable
            ``(x, y) -> (N,) or scalar`` tensor; differentiable for the gradient strategy.
        device: torch device the work runs on ("cpu", "cuda", "cuda:1", ...).
        reduce: channel reduction of the map: "mean" (difference-finder's), "max", or "none".
        output: "numpy" (default) or "torch" maps.
        size_mismatch: "resize" (default), "pad" or "error" when the two images differ in size.
        layout: axis order of array / tensor inputs ("auto", "HW", "CHW", "HWC", "NCHW", "NHWC",
            "NHW").
    """

    def __init__(
        self,
        pre_processor: str | Callable[..., Any] = "identity",
        post_processor: str | Callable[..., Any] = "identity",
        strategy: str | Callable[..., Any] = "gradient",
        metric: str | Callable[..., Any] = "mse",
        device: str | torch.device = "cpu",
        *,
        reduce: Reduce = "mean",
        output: Output = "numpy",
        size_mismatch: str = "resize",
        layout: str = "auto",
    ) -> None:
        self.pre_processor = _resolve("pre_processor", pre_processor, get_preprocessor)
        self.post_processor = _resolve("post_processor", post_processor, get_postprocessor)
        self.strategy = _resolve("strategy", strategy, get_strategy)
        self.metric = _resolve("metric", metric, get_metric)
        self.device = torch.device(device)
        self.reduce = check_choice("reduce", reduce, ("mean", "max", "none"))
        self.output = check_choice("output", output, ("numpy", "torch"))
        self.size_mismatch = size_mismatch
        self.layout = layout
        if isinstance(self.metric, torch.nn.Module):
            self.metric = self.metric.to(self.device)

    def __repr__(self) -> str:
        names = ("pre_processor", "post_processor", "strategy", "metric")
        parts = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"Finder({parts}, device={str(self.device)!r}, reduce={self.reduce!r})"

    # ------------------------------------------------------------------------------------------

    def maps(self, img1: Any, img2: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """The full computation on one pair of images or batches.

        Returns:
            (map, values): the reduced map (N, H, W) (or (N, C, H, W) with ``reduce="none"``) as
            a detached tensor on ``device``, and the metric's per-sample values (N,).
        """
        a, b = load_tensor_pair(
            img1, img2, size_mismatch=self.size_mismatch, layout=self.layout, device=self.device
        )
        a, b = self.pre_processor(a), self.pre_processor(b)
        diff_map, values = self.strategy(a, b, metric=self.metric)
        diff_map = self.post_processor(diff_map).detach()
        if self.reduce == "mean":
            diff_map = diff_map.mean(dim=1)
        elif self.reduce == "max":
            diff_map = diff_map.amax(dim=1)
        return diff_map, values

    def run_on_image(self, img1: Any, img2: Any, return_metric: bool = False) -> Any:
        """One pair (or one batch pair): see :meth:`run`."""
        diff_map, values = self.maps(img1, img2)
        out = self._export(diff_map[0] if diff_map.shape[0] == 1 else diff_map)
        if not return_metric:
            return out
        values = values.detach().cpu()
        metric = float(values[0]) if values.numel() == 1 else values.numpy()
        return out, metric

    def run_on_directory(
        self,
        dir1: str | os.PathLike[str],
        dir2: str | os.PathLike[str],
        return_metric: bool = False,
    ) -> Any:
        """Every pair of two directories (matched by file name): lists in sorted name order."""
        results = list(self.iter_directory(dir1, dir2))
        maps = [r.map for r in results]
        if return_metric:
            return maps, [r.metric for r in results]
        return maps

    def iter_directory(self, dir1: str | os.PathLike[str], dir2: str | os.PathLike[str]) -> Any:
        """Yield a :class:`MapResult` per pair, one at a time (streams large directories)."""
        for name, path1, path2 in pair_directories(dir1, dir2).pairs:
            diff_map, metric = self.run_on_image(path1, path2, return_metric=True)
            yield MapResult(name=name, path1=path1, path2=path2, map=diff_map, metric=metric)

    def run(self, img1: Any, img2: Any, return_metric: bool = False) -> Any:
        """Difference map(s) between ``img1`` and ``img2``.

        Inputs: paths, directories, bytes, PIL images, NumPy arrays or torch tensors in any layout,
        or lists of these (a batch).

        Returns:
            - one pair: a (H, W) float32 map (channels reduced by ``reduce``; (C, H, W) with
              ``reduce="none"``), NumPy or torch per ``output``;
            - a batch of N > 1: (N, H, W) (every element, not only the first);
            - two directories: a list of maps in sorted file-name order;
            - with ``return_metric=True``: ``(maps, metric)`` where metric is a float per pair
              (a (N,) array for a batch, a list for directories).
        """
        if is_directory_pair(img1, img2):
            return self.run_on_directory(img1, img2, return_metric)
        return self.run_on_image(img1, img2, return_metric)

    __call__ = run

    def _export(self, diff_map: torch.Tensor) -> Any:
        if self.output == "torch":
            return diff_map
        return diff_map.float().cpu().numpy()

    @staticmethod
    def save(
        diff_map: Any,
        path: str | os.PathLike[str],
        *,
        colormap: str = "inferno",
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> Path:
        """Write a (H, W) map as a colour-mapped PNG (or raw ``.npy``); see ``viz.save_map``."""
        if isinstance(diff_map, torch.Tensor):
            diff_map = diff_map.detach().float().cpu().numpy()
        return save_map(np.asarray(diff_map), path, colormap=colormap, vmin=vmin, vmax=vmax)
