"""Pixel-level difference maps: every map maker of spotdiff.

Two families, one package:

- torch (a complete superset of the ``difference-finder`` library): metrics
  (:mod:`.metrics`: MSE, PSNR, SSIM, MS-SSIM, LPIPS), strategies (:mod:`.strategies`),
  pre/post-processors (:mod:`.processors`) and :class:`Finder`;
- NumPy / OpenCV, the model-free engine behind :func:`spotdiff.find` (no torch):
  :mod:`.ssim_cv` (the local SSIM map, shared with the torch SSIM's CPU path),
  :mod:`.colour` (colour difference tolerant to 1-px shifts and clipping), :mod:`.thin` (its
  one-way form, for changes under 3 px across), :mod:`.glyph` (a character reshaped in small
  text on a clean render, which the 1-px tolerance forgives), :mod:`.structure`
  (noise-aware structural difference), :mod:`.noise` (the pair's noise level),
  :mod:`.light` (a glare or relighting explained away) and :mod:`.evidence` (thresholds and
  the combined evidence map).

Importing this package loads nothing: each name is imported on first access, so the NumPy map
makers never pull in torch. Every metric of :mod:`.metrics` is reachable here too
(``spotdiff.maps.ssim_map``); :mod:`.metrics` is the one place that lists them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "get_metric": ".metrics",
    "list_metrics": ".metrics",
    "register_metric": ".metrics",
    "DirectoryMap": ".finder",
    "Finder": ".finder",
    "MapResult": ".finder",
    "directory_rows": ".finder",
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
    "DirectoryMap",
    "Finder",
    "MapResult",
    "Thresholds",
    "auto_thresholds",
    "colour_difference",
    "directory_rows",
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
    "noise_sigma",
    "register_metric",
    "ssim_map_cv",
    "structural_difference",
]

if TYPE_CHECKING:
    from .colour import colour_difference
    from .evidence import Thresholds, auto_thresholds, evidence
    from .finder import DirectoryMap, Finder, MapResult, directory_rows
    from .metrics import get_metric, list_metrics, register_metric
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
        # every metric (mse, ssim_map, LPIPS, ...) is also reachable here, as in
        # spotdiff.maps.metrics: its module is the one place that lists them
        if name.startswith("__"):
            raise AttributeError(name)
        metrics = importlib.import_module(".metrics", __name__)
        if name not in metrics.__all__:
            raise AttributeError(f"module 'spotdiff.maps' has no attribute {name!r}")
        module = ".metrics"
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
