"""``Finder``: difference maps with difference-finder's interface, on every input spotdiff reads.

One method per kind of answer, each with one return type:

- :meth:`Finder.map` -> :class:`MapResult`: one pair of images, or one pair of batches;
- :meth:`Finder.map_dirs` -> ``list[DirectoryMap]``: every file of two directories, one row per
  name, unmatched files and pairs that fail recorded as rows with an error;
- :meth:`Finder.run`: difference-finder's entry point, kept for compatibility (its return type
  depends on the inputs and ``return_metric``); new code calls the two above.

Picture writing is not done here (maps never import viz): write a map with
``spotdiff.viz.colormap.save_map``; :meth:`Finder.save` remains for difference-finder users.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from .._device import resolve_device
from .._errors import InvalidOptionError, PairingError, SpotdiffError
from .._validate import check_choice
from ..io import directory_rows as listed
from ..io import is_directory_pair, load_tensor_pair
from .metrics import get_metric
from .processors import get_postprocessor, get_preprocessor
from .strategies import get_strategy

__all__ = ["DirectoryMap", "Finder", "MapResult", "directory_rows"]

Reduce = Literal["mean", "max", "none"]
Output = Literal["numpy", "torch"]


@dataclass(frozen=True)
class MapResult:
    """The difference maps of one pair of images or of one pair of batches (N pairs).

    Attributes:
        map: (N, H, W) float32 maps, channels reduced by the finder's ``reduce`` ((N, C', H, W)
            with ``reduce="none"``); a NumPy array, or a detached torch tensor on the finder's
            device with ``output="torch"``. Unsigned strategies give values >= 0; the
            ``gradient`` strategy's maps are signed.
        values: (N,) the metric's value per pair (e.g. MSE in [0, 1], PSNR in dB, SSIM in
            [-1, 1]), same kind as ``map``.
    """

    map: Any
    values: Any

    def __len__(self) -> int:
        return int(self.map.shape[0])


@dataclass(frozen=True)
class DirectoryMap:
    """One row of a directory run: a file name and its maps, or why there are none.

    Attributes:
        name: the pair's name (the file name without its suffix).
        path1, path2: the file in the first / second directory; None when it has no partner.
        result: the pair's :class:`MapResult` (N = 1); None when the row failed (or, in
            :func:`directory_rows`, has not been computed yet).
        error: why the row failed: a :class:`~spotdiff._errors.PairingError` for a file with no
            partner, the error the pair raised (unreadable file, size policy, ...) otherwise.
    """

    name: str
    path1: Path | None
    path2: Path | None
    result: MapResult | None = None
    error: SpotdiffError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def directory_rows(
    dir1: str | os.PathLike[str], dir2: str | os.PathLike[str]
) -> list[DirectoryMap]:
    """The rows of a directory run before any map is computed, sorted by name.

    The rows of :func:`spotdiff.io.directory_rows` (pairs matched by file name; each file left
    without a partner a row whose ``error`` says so; unique names, fit for output file names). Use it to know the
    number of rows first (a progress bar) and compute them one at a time with
    :meth:`Finder.map_row`.
    """
    return [
        DirectoryMap(
            row.name,
            row.path1,
            row.path2,
            error=None if row.error is None else PairingError(row.error),
        )
        for row in listed(dir1, dir2)
    ]


def _resolve(kind: str, spec: Any, getter: Callable[..., Any]) -> Any:
    """A registered name -> the built object; a callable / configured object is used as is."""
    if isinstance(spec, str):
        return getter(spec)
    if callable(spec):
        return spec
    raise InvalidOptionError(
        f"{kind} must be a registered name or a callable; got {type(spec).__name__}"
    )


class Finder:
    """Difference maps between two images (or batches, or directories of pairs).

    Each component takes a registered name (see ``spotdiff.maps.list_metrics()`` etc.) or a
    callable / configured object, e.g. ``Finder(metric=get_metric("lpips", pretrained=False))``.
    Every option is keyword-only.

    Args:
        pre_processor: applied to both images (N, C, H, W) -> (N, C', H, W). Default "identity".
        post_processor: applied to the map. Default "identity".
        strategy: "gradient" (default, difference-finder's), "difference" or "ssim_map", or a
            callable ``(img1, img2, *, metric) -> (map, values)``.
        metric: "mse" (default), "psnr", "ssim", "ms_ssim", "lpips", or a callable
            ``(img1, img2) -> (N,) or scalar`` tensor; differentiable for the gradient strategy.
        device: where the work runs: None or "auto" (default: CUDA when available, else CPU),
            "cpu", "cuda", "cuda:1", ... (see :func:`spotdiff._device.resolve_device`; an
            unknown name or a GPU this machine lacks raises InvalidOptionError).
        reduce: channel reduction of the map: "mean" (difference-finder's), "max", or "none".
        output: "numpy" (default) or "torch" maps.
        size_mismatch: "resize" (default), "pad" or "error" when the two images differ in size.
        layout: axis order of array / tensor inputs ("auto", "HW", "CHW", "HWC", "NCHW", "NHWC",
            "NHW").

    Raises:
        InvalidOptionError: a bad component, option or device (UnknownNameError for a name that
            is not registered).
    """

    def __init__(
        self,
        *,
        pre_processor: str | Callable[..., Any] = "identity",
        post_processor: str | Callable[..., Any] = "identity",
        strategy: str | Callable[..., Any] = "gradient",
        metric: str | Callable[..., Any] = "mse",
        device: str | torch.device | None = None,
        reduce: Reduce = "mean",
        output: Output = "numpy",
        size_mismatch: str = "resize",
        layout: str = "auto",
    ) -> None:
        self.pre_processor = _resolve("pre_processor", pre_processor, get_preprocessor)
        self.post_processor = _resolve("post_processor", post_processor, get_postprocessor)
        self.strategy = _resolve("strategy", strategy, get_strategy)
        self.metric = _resolve("metric", metric, get_metric)
        self.device = resolve_device(device)
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

    def map(self, img1: Any, img2: Any) -> MapResult:
        """The maps of one pair of images, or of one pair of batches of equal length.

        Args:
            img1, img2: paths, bytes, PIL images, NumPy arrays or torch tensors in any layout
                (see ``layout``), or lists of these (a batch); not directories (see
                :meth:`map_dirs`).

        Returns:
            A :class:`MapResult` with N maps (N = 1 for one pair) and N metric values.
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
        values = values.detach()
        if self.output == "torch":
            return MapResult(map=diff_map, values=values)
        return MapResult(map=diff_map.float().cpu().numpy(), values=values.cpu().numpy())

    def map_row(self, row: DirectoryMap) -> DirectoryMap:
        """``row`` with its maps computed, or with the :class:`SpotdiffError` the pair raised.

        A row that already failed (a file without a partner) comes back unchanged; other errors
        (a bug, out of memory) propagate.
        """
        if row.error is not None or row.path1 is None or row.path2 is None:
            return row
        try:
            return dataclasses.replace(row, result=self.map(row.path1, row.path2))
        except SpotdiffError as exc:
            return dataclasses.replace(row, error=exc)

    def map_dirs(
        self, dir1: str | os.PathLike[str], dir2: str | os.PathLike[str]
    ) -> list[DirectoryMap]:
        """Every file of two directories, matched by file name, one row per name in name order.

        A file with no partner, or a pair that cannot be mapped (unreadable file, size policy
        ``"error"``, ...), is a row with ``error`` set; the other rows carry their maps. For
        directories too large to hold every map in memory, iterate :func:`directory_rows` and call
        :meth:`map_row` on each.

        Raises:
            PairingError: a path is not a directory, or a directory holds no images.
        """
        return [self.map_row(row) for row in directory_rows(dir1, dir2)]

    # difference-finder's interface ----------------------------------------------------------

    def run(self, img1: Any, img2: Any, return_metric: bool = False) -> Any:
        """difference-finder's entry point, kept for compatibility: new code calls :meth:`map`
        (one return type) or :meth:`map_dirs`.

        Returns:
            - one pair: a (H, W) float32 map ((C, H, W) with ``reduce="none"``), NumPy or torch
              per ``output``;
            - a batch of N > 1: (N, H, W) (every element, not only the first);
            - two directories: a list of maps in sorted file-name order;
            - with ``return_metric=True``: ``(maps, metric)`` where metric is a float per pair
              (a (N,) NumPy array for a batch, a list of floats for directories).

        Raises:
            SpotdiffError: for directories, the first row that failed (a file without a partner
                or a pair that cannot be mapped).
        """
        if is_directory_pair(img1, img2):
            maps, metrics = [], []
            for row in self.map_dirs(img1, img2):
                if row.error is not None:
                    raise row.error
                assert row.result is not None  # set on every row without an error
                maps.append(row.result.map[0])
                metrics.append(float(row.result.values[0]))
            return (maps, metrics) if return_metric else maps
        result = self.map(img1, img2)
        out = result.map[0] if len(result) == 1 else result.map
        if not return_metric:
            return out
        values = torch.as_tensor(result.values).detach().cpu()
        return out, (float(values[0]) if values.numel() == 1 else values.numpy())

    @staticmethod
    def save(
        diff_map: Any,
        path: str | os.PathLike[str],
        *,
        colormap: str = "inferno",
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> Path:
        """Write a (H, W) map as a colour-mapped picture (or raw ``.npy``), for difference-finder
        users; see :func:`spotdiff.viz.colormap.save_map`, which new code calls directly."""
        import numpy as np

        # maps must not import viz at module level (data flows maps -> viz); this one helper
        # reaches it lazily for difference-finder's interface.
        from ..viz.colormap import save_map

        if isinstance(diff_map, torch.Tensor):
            diff_map = diff_map.detach().float().cpu().numpy()
        return save_map(np.asarray(diff_map), path, colormap=colormap, vmin=vmin, vmax=vmax)
