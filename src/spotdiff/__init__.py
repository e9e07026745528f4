"""spotdiff: find, localize and explain the differences between two images.

``import spotdiff`` loads NumPy and Pillow only. Heavier parts load on first use:
``spotdiff.Finder`` and ``spotdiff.maps`` import torch; ``spotdiff.find`` imports OpenCV.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import (
    ImageReadError,
    InvalidOptionError,
    LayoutError,
    MissingDependencyError,
    PairingError,
    SizeMismatchError,
    SpotdiffError,
    SpotdiffWarning,
    UnknownNameError,
    WeightsNotFoundError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_LAZY = {
    "Finder": "spotdiff.maps.finder",
    "get_metric": "spotdiff.maps.metrics",
    "get_strategy": "spotdiff.maps.strategies",
    "get_preprocessor": "spotdiff.maps.processors",
    "get_postprocessor": "spotdiff.maps.processors",
    "find": "spotdiff.detect",
    "ground": "spotdiff.grounding",
    "FindConfig": "spotdiff.find_config",
    "DiffResult": "spotdiff.result",
    "read_image": "spotdiff.io",
    "load_pair": "spotdiff.io",
}

__all__ = [
    "DiffResult",
    "FindConfig",
    "Finder",
    "ImageReadError",
    "InvalidOptionError",
    "LayoutError",
    "MissingDependencyError",
    "PairingError",
    "SizeMismatchError",
    "SpotdiffError",
    "SpotdiffWarning",
    "UnknownNameError",
    "WeightsNotFoundError",
    "__version__",
    "find",
    "get_metric",
    "get_postprocessor",
    "get_preprocessor",
    "get_strategy",
    "ground",
    "load_pair",
    "read_image",
]

if TYPE_CHECKING:
    from .detect import find
    from .find_config import FindConfig
    from .grounding import ground
    from .io import load_pair, read_image
    from .maps.finder import Finder
    from .maps.metrics import get_metric
    from .maps.processors import get_postprocessor, get_preprocessor
    from .maps.strategies import get_strategy
    from .result import DiffResult


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spotdiff' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
