"""Pixel-level difference maps: every map maker of spotdiff.

Two families, one package:

- torch (a complete superset of the ``difference-finder`` library): metrics
  (:mod:`.metrics`: MSE, PSNR, SSIM, MS-SSIM, LPIPS), strategies (:mod:`.strategies`),
  pre/post-processors (:mod:`.processors`) and :class:`Finder`;
- NumPy / OpenCV, the model-free engine behind :func:`spotdiff.find` (no torch):
  :mod:`.ssim_cv` (the local SSIM map, shared with the torch SSIM's CPU path),
  :mod:`.colour` (colour difference tolerant to 1-px shifts and clipping), :mod:`.structure`
  (noise-aware structural difference), :mod:`.noise` (the pair's noise level) and
  :mod:`.evidence` (thresholds and the combined evidence map).

Importing this package loads nothing: each name is imported on first access, so the NumPy map
makers never pull in torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_METRIC_NAMES = (
    "DEFAULT_WEIGHTS",
    "LPIPS",
    "METRICS",
    "MSE",
    "MSSSIM",
    "PSNR",
    "REDUCTIONS",
    "SSIM",
    "Metric",
    "get_metric",
    "list_metrics",
    "lpips",
    "lpips_map",
    "ms_ssim",
    "ms_ssim_map",
    "mse",
    "psnr",
    "psnr_from_mse",
    "register_metric",
    "squared_error_map",
    "ssim",
    "ssim_from_map",
    "ssim_map",
)

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    **dict.fromkeys(_METRIC_NAMES, ".metrics"),
    "Finder": ".finder",
    "MapResult": ".finder",
    "gaussian_blur": ".processors",
    "get_postprocessor": ".processors",
    "get_preprocessor": ".processors",
    "list_postprocessors": ".processors",
    "list_preprocessors": ".processors",
    "get_strategy": ".strategies",
    "list_strategies": ".strategies",
    "ssim_map_cv": ".ssim_cv",
    "gaussian_window": ".ssim_cv",
    "colour_difference": ".colour",
    "structural_difference": ".structure",
    "noise_sigma": ".noise",
    "Thresholds": ".evidence",
    "auto_thresholds": ".evidence",
    "evidence": ".evidence",
}

__all__ = [
    "DEFAULT_WEIGHTS",
    "LPIPS",
    "METRICS",
    "MSE",
    "MSSSIM",
    "PSNR",
    "REDUCTIONS",
    "SSIM",
    "Finder",
    "MapResult",
    "Metric",
    "Thresholds",
    "auto_thresholds",
    "colour_difference",
    "evidence",
    "gaussian_blur",
    "gaussian_window",
    "get_metric",
    "get_postprocessor",
    "get_preprocessor",
    "get_strategy",
    "list_metrics",
    "list_postprocessors",
    "list_preprocessors",
    "list_strategies",
    "lpips",
    "lpips_map",
    "ms_ssim",
    "ms_ssim_map",
    "mse",
    "noise_sigma",
    "psnr",
    "psnr_from_mse",
    "register_metric",
    "squared_error_map",
    "ssim",
    "ssim_from_map",
    "ssim_map",
    "ssim_map_cv",
    "structural_difference",
]

if TYPE_CHECKING:
    from .colour import colour_difference
    from .evidence import Thresholds, auto_thresholds, evidence
    from .finder import Finder, MapResult
    from .metrics import (
        DEFAULT_WEIGHTS,
        LPIPS,
        METRICS,
        MSE,
        MSSSIM,
        PSNR,
        REDUCTIONS,
        SSIM,
        Metric,
        get_metric,
        list_metrics,
        lpips,
        lpips_map,
        ms_ssim,
        ms_ssim_map,
        mse,
        psnr,
        psnr_from_mse,
        register_metric,
        squared_error_map,
        ssim,
        ssim_from_map,
        ssim_map,
    )
    from .noise import noise_sigma
    from .processors import (
        gaussian_blur,
        get_postprocessor,
        get_preprocessor,
        list_postprocessors,
        list_preprocessors,
    )
    from .ssim_cv import gaussian_window, ssim_map_cv
    from .strategies import get_strategy, list_strategies
    from .structure import structural_difference


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spotdiff.maps' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
