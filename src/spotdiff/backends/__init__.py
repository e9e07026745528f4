"""Model backends (CLIP, BLIP ITM, FastSAM) and their model-free stand-ins.

Every backend of one role has the same method, so the ImgDiff pipeline does not care which one
runs:

- similarity gates: ``.similarity(images_a, images_b, tally=) -> (N,) float32``:
  :class:`~.clip.ClipEmbedder` (cosine of CLIP embeddings) or
  :class:`~.similarity.StructuralSimilarity` (model-free, same [0, 1] scale);
- segmentation: ``.propose(img1, img2, tally=) -> (boxes1, boxes2)``:
  :class:`~.fastsam.FastSamSegmenter` or :class:`~.proposals.FindProposals` (model-free; its
  ``needs_same_size = True`` asks for image 2 at image 1's size);
- image-text matching: ``.match(images, texts, tally=) -> (N, K) float32``:
  :class:`~.blip.BlipMatcher` (no model-free stand-in: the step is skipped).

Weights are described as data in :mod:`._spec`; loaders cache one model per process
(:mod:`._cache`). Importing this package loads nothing heavy: each name is imported on first
access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "BLIP_ITM",
    "CLIP",
    "FASTSAM",
    "SPECS",
    "BlipMatcher",
    "ClipEmbedder",
    "FastSamSegmenter",
    "FindProposals",
    "StructuralSimilarity",
    "WeightsSpec",
    "clear_cache",
    "load_blip",
    "load_clip",
    "load_fastsam",
    "region_proposals",
    "structural_similarity",
]

_LAZY = {
    "BLIP_ITM": "._spec",
    "CLIP": "._spec",
    "FASTSAM": "._spec",
    "SPECS": "._spec",
    "WeightsSpec": "._spec",
    "clear_cache": "._cache",
    "BlipMatcher": ".blip",
    "load_blip": ".blip",
    "ClipEmbedder": ".clip",
    "load_clip": ".clip",
    "FastSamSegmenter": ".fastsam",
    "load_fastsam": ".fastsam",
    "FindProposals": ".proposals",
    "region_proposals": ".proposals",
    "StructuralSimilarity": ".similarity",
    "structural_similarity": ".similarity",
}

if TYPE_CHECKING:
    from ._cache import clear_cache
    from ._spec import BLIP_ITM, CLIP, FASTSAM, SPECS, WeightsSpec
    from .blip import BlipMatcher, load_blip
    from .clip import ClipEmbedder, load_clip
    from .fastsam import FastSamSegmenter, load_fastsam
    from .proposals import FindProposals, region_proposals
    from .similarity import StructuralSimilarity, structural_similarity


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spotdiff.backends' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
