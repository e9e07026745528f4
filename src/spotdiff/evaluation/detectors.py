"""The detector interface the benchmark scores, its registry, and the spotdiff adapter.

A detector is any callable ``(img1, img2) -> output`` taking two uint8 (H, W, 3) RGB images of
the same size and returning the regions it finds in image-1 pixels, as one of:

- ``(boxes, scores)`` or ``(boxes, scores, mask)``: boxes (N, 4) xyxy, scores (N,), mask (H, W)
  bool (the pixels it calls changed) or None;
- a :class:`Detection`;
- any object with ``boxes`` and ``scores`` attributes and optionally ``masks`` (N, H, W), such as
  :class:`spotdiff.DiffResult` (its masks are merged into one change mask).

:func:`as_detection` turns every form into a :class:`Detection`. Detectors are registered by
name (``get_detector("absdiff")``); ``"spotdiff"`` calls :func:`spotdiff.detect.find`, imported
when first called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._errors import LayoutError
from .._registry import Registry

__all__ = [
    "DETECTORS",
    "Detection",
    "Detector",
    "SpotdiffDetector",
    "as_detection",
    "get_detector",
    "list_detectors",
]


@runtime_checkable
class Detector(Protocol):
    """``(img1, img2) -> output``: both uint8 (H, W, 3) RGB, output as described in the module."""

    def __call__(self, img1: np.ndarray, img2: np.ndarray, /) -> Any: ...


@dataclass(frozen=True, repr=False)
class Detection:
    """What a detector found on one pair, in image-1 pixels.

    Attributes:
        boxes: (N, 4) float32 ``x1, y1, x2, y2`` (exclusive right/bottom edges).
        scores: (N,) float32, larger = more confident (used to rank for AP).
        mask: (H, W) bool change mask, or None when the detector gives none.
    """

    boxes: np.ndarray
    scores: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        boxes = np.asarray(self.boxes, dtype=np.float32)
        boxes = boxes.reshape(0, 4) if boxes.size == 0 else boxes
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise LayoutError(
                f"detector boxes must have shape (N, 4) (x1, y1, x2, y2), got {boxes.shape}"
            )
        scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        if scores.shape != (len(boxes),):
            raise LayoutError(
                f"detector scores must have shape ({len(boxes)},) (one per box), got {scores.shape}"
            )
        mask = self.mask
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim != 2:
                raise LayoutError(f"detector mask must have shape (H, W), got {mask.shape}")
            mask = mask.astype(bool, copy=False)
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "mask", mask)

    def __len__(self) -> int:
        return len(self.boxes)

    def __repr__(self) -> str:
        mask = "None" if self.mask is None else f"{self.mask.shape[1]}x{self.mask.shape[0]}"
        return f"Detection(n={len(self)}, boxes={self.boxes.tolist()}, mask={mask})"


def as_detection(output: Any) -> Detection:
    """Normalize a detector's output (tuple, :class:`Detection`, ``DiffResult``-like)."""
    if isinstance(output, Detection):
        return output
    if isinstance(output, tuple | list):
        if len(output) not in (2, 3):
            raise LayoutError(
                "a detector must return (boxes, scores) or (boxes, scores, mask), got a "
                f"sequence of {len(output)} items"
            )
        return Detection(*output)
    if hasattr(output, "boxes") and hasattr(output, "scores"):
        masks = getattr(output, "masks", None)
        mask = None
        if masks is not None and len(masks):
            mask = np.asarray(masks).any(axis=0)
        elif masks is not None and getattr(output, "image_size", None):
            w, h = output.image_size
            mask = np.zeros((h, w), dtype=bool)
        return Detection(output.boxes, output.scores, mask)
    raise LayoutError(
        "a detector must return (boxes, scores[, mask]), a Detection or an object with boxes "
        f"and scores (such as DiffResult), got {type(output).__name__}"
    )


#: name -> factory returning a :class:`Detector`.
DETECTORS: Registry[Detector] = Registry("detector")


def get_detector(name: str, /, **options: Any) -> Detector:
    """Build the registered detector ``name`` (``"spotdiff"``, ``"absdiff"``, ``"ssim"``)."""
    from . import baselines  # noqa: F401  (registers the baselines)

    return DETECTORS.get(name, **options)


def list_detectors() -> list[str]:
    """Names of the registered detectors."""
    from . import baselines  # noqa: F401

    return DETECTORS.names()


class SpotdiffDetector:
    """:func:`spotdiff.detect.find` as a :class:`Detector` (imported on the first call).

    Args:
        **options: keyword options passed to ``find`` on every call.

    ``any_size`` (True): the benchmark hands it image 2 at its own size (``find`` registers
    near-size halves on image 1's canvas and resizes the rest).
    """

    any_size = True

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._find: Callable[..., Any] | None = None

    def __call__(self, img1: np.ndarray, img2: np.ndarray, /) -> Detection:
        if self._find is None:
            self._find = importlib.import_module("spotdiff.detect").find
        return as_detection(self._find(img1, img2, **self.options))

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"SpotdiffDetector({opts})"


@DETECTORS.register("spotdiff", aliases=("find",))
def _spotdiff(**options: Any) -> Detector:
    return SpotdiffDetector(**options)
