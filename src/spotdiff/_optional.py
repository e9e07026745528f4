"""Lazy imports of optional, heavy dependencies.

``import spotdiff`` loads NumPy and Pillow only. Modules that need torch, scikit-image or a model
library call :func:`require` at the point of use; a missing package raises
:class:`~spotdiff._errors.MissingDependencyError` naming the extra to install. Nothing is ever
installed at run time.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._errors import MissingDependencyError

__all__ = ["require"]

# import name -> (pip package, spotdiff extra)
_PACKAGES: dict[str, tuple[str, str]] = {
    "torch": ("torch", "torch"),
    "skimage": ("scikit-image", "eval"),
    "transformers": ("transformers", "models"),
    "lemminflect": ("lemminflect", "models"),
    "yaml": ("pyyaml", "all"),
    "ultralytics": ("ultralytics", "fastsam"),
    "ray": ("ray", "ray"),
}


def require(module: str, *, extra: str | None = None, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise an error that says which extra installs it.

    Args:
        module: dotted import name, e.g. ``"torch"`` or ``"skimage.metrics"``.
        extra: the spotdiff extra that provides it (looked up from the top-level name if None).
        purpose: what needs it, for the message (e.g. ``"difference maps"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        package, default_extra = _PACKAGES.get(top, (top, "all"))
        extra = extra or default_extra
        need = f" for {purpose}" if purpose else ""
        hint = f"pip install 'spotdiff[{extra}]'"
        if top == "torch":
            hint += " (with -c constraints.txt: a torch and torchvision pair that works together)"
        raise MissingDependencyError(
            f"{package} is required{need} but is not installed ({exc}); install it with: {hint}"
        ) from exc
