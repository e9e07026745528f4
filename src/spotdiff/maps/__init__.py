"""Pixel-level difference maps (torch): metrics, strategies, pre/post-processors and ``Finder``.

A complete superset of the ``difference-finder`` library. Importing this package imports torch.
"""

from ..viz.colormap import save_map as save
from .finder import Finder, MapResult
from .metrics import *  # noqa: F403
from .metrics import __all__ as _metric_names
from .processors import (
    gaussian_blur,
    get_postprocessor,
    get_preprocessor,
    list_postprocessors,
    list_preprocessors,
)
from .strategies import get_strategy, list_strategies

__all__ = [
    "Finder",
    "MapResult",
    "gaussian_blur",
    "get_postprocessor",
    "get_preprocessor",
    "get_strategy",
    "list_postprocessors",
    "list_preprocessors",
    "list_strategies",
    "save",
    *_metric_names,
]
