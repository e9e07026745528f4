"""Model backends (CLIP, BLIP ITM, FastSAM), their model-free stand-ins, and their registry.

Three roles, each a small protocol (:mod:`._protocols`), so the ImgDiff pipeline does not care
which backend runs:

- :class:`Similarity` (the similarity gates): ``.similarity(images1, images2, tally=) -> (N,)
  float32``: ``"clip"`` (:class:`~.clip.ClipEmbedder`, cosine of CLIP embeddings) or
  ``"structural"`` (:class:`~.similarity.StructuralSimilarity`, model-free, same [0, 1] scale);
- :class:`Segmenter` (segmentation): ``.propose(img1, img2, tally=) -> (boxes1, boxes2)``:
  ``"fastsam"`` (:class:`~.fastsam.FastSamSegmenter`) or ``"find"``
  (:class:`~.proposals.FindProposals`, model-free; ``needs_same_size = True`` asks for image 2
  at image 1's size);
- :class:`Matcher` (image-text matching): ``.match(images, texts, tally=) -> (N, K) float32``:
  ``"blip"`` (:class:`~.blip.BlipMatcher`) or ``"skip"`` (no matching).

Backends are registered per role (:func:`register_backend`), built by name
(:func:`get_backend`, :func:`list_backends`), and chosen for ``"auto"`` / ``"models"`` /
``"classical"`` by walking :data:`PREFERENCES` (:func:`choose_backend`). Weights are described
as data in :mod:`._spec` (explicit path -> local caches -> a download only when allowed and the
host answers a fast probe, :mod:`._network`); loaders cache one model per process
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
    "PREFERENCES",
    "PROTOCOLS",
    "ROLES",
    "SPECS",
    "BackendEntry",
    "BlipMatcher",
    "ClipEmbedder",
    "FastSamSegmenter",
    "FindProposals",
    "Matcher",
    "Segmenter",
    "Similarity",
    "StructuralSimilarity",
    "WeightsSpec",
    "backend_entry",
    "choose_backend",
    "clear_cache",
    "clear_probes",
    "get_backend",
    "list_backends",
    "load_blip",
    "load_clip",
    "load_fastsam",
    "region_proposals",
    "register_backend",
    "structural_similarity",
]

_LAZY = {
    "BLIP_ITM": "._spec",
    "CLIP": "._spec",
    "FASTSAM": "._spec",
    "SPECS": "._spec",
    "WeightsSpec": "._spec",
    "clear_cache": "._cache",
    "clear_probes": "._network",
    "Matcher": "._protocols",
    "PROTOCOLS": "._protocols",
    "Segmenter": "._protocols",
    "Similarity": "._protocols",
    "BackendEntry": "._registry",
    "PREFERENCES": "._registry",
    "ROLES": "._registry",
    "backend_entry": "._registry",
    "choose_backend": "._registry",
    "get_backend": "._registry",
    "list_backends": "._registry",
    "register_backend": "._registry",
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
    from ._network import clear_probes
    from ._protocols import PROTOCOLS, Matcher, Segmenter, Similarity
    from ._registry import (
        PREFERENCES,
        ROLES,
        BackendEntry,
        backend_entry,
        choose_backend,
        get_backend,
        list_backends,
        register_backend,
    )
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
