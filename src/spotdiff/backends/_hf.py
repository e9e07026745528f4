"""Loading transformers models from a local directory or a hub id (resolution in :mod:`._spec`).

Image processors are always the PIL / NumPy ("slow") ones: the "fast" ones need torchvision,
which spotdiff never imports.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from .._errors import WeightsNotFoundError
from .._optional import require
from ._cache import cached
from ._spec import (
    WeightsSpec,
    hf_cache_dir,
    hub_cache_path,
    hub_offline,
    is_hub_id,
    local_candidates,
    missing_weights,
)

__all__ = [
    "batches",
    "load_cached_model",
    "load_image_processor",
    "pick_device",
    "pixel_values",
    "resolve_and_load",
]

T = TypeVar("T")


def transformers_major() -> int:
    transformers = require("transformers", purpose="CLIP / BLIP backends")
    return int(transformers.__version__.split(".")[0])


def resolve_and_load(spec: WeightsSpec, source: str, load: Callable[[str, dict], T]) -> T:
    """Find ``source`` (local dir, Data-Juicer homes, hub cache, hub) and ``load(path, kwargs)``.

    ``load`` receives the directory or hub id and the ``from_pretrained`` keyword arguments to
    pass (``local_files_only``, ``cache_dir``).

    Raises:
        WeightsNotFoundError: nothing found and no download possible; names the paths searched.
        MissingDependencyError: transformers is not installed.
    """
    require(spec.library, extra=spec.extra, purpose=f"the {spec.name} backend")
    if not isinstance(source, str) or not source:
        raise WeightsNotFoundError(
            f"{spec.name} weights must be a hub id or a directory, got {source!r}"
        )
    searched: list[Path] = []
    for candidate in local_candidates(source):
        if candidate.is_dir():
            missing = [f for f in spec.required if not (candidate / f).is_file()]
            if missing:
                raise WeightsNotFoundError(
                    f"{candidate} is not a complete {spec.name} model: missing "
                    f"{', '.join(missing)} (save the model and its processor with "
                    "save_pretrained into that directory)"
                )
            return load(str(candidate), {"local_files_only": True})
        searched.append(candidate)
    if not is_hub_id(source):
        raise missing_weights(spec, source, searched, "no such directory")
    cache = hf_cache_dir()
    searched.append(hub_cache_path(source))
    try:
        return load(source, {"cache_dir": str(cache), "local_files_only": True})
    except OSError:
        pass
    if hub_offline():
        raise missing_weights(spec, source, searched, "not in the cache and HF_HUB_OFFLINE is set")
    try:
        return load(source, {"cache_dir": str(cache)})
    except OSError as exc:
        raise missing_weights(spec, source, searched, f"download failed: {exc}") from exc


def load_cached_model(
    spec: WeightsSpec,
    source: str,
    build: Callable[[Any, str, dict, str], T],
    *,
    device: Any,
    batch_size: int,
    trust_remote_code: bool,
    purpose: str,
) -> T:
    """A transformers backend loaded once per process, with its own ``batch_size``.

    The loaded object is cached under ``(spec.name, source, device, trust_remote_code)``;
    ``build(transformers, path, kwargs, device)`` makes it from the resolved directory or hub id
    (see :func:`resolve_and_load`). When the cached object's ``batch_size`` differs, a shallow
    copy with ``batch_size`` is returned (the model and processors are shared).

    Args:
        purpose: what needs transformers, for the missing-dependency message
            (``"the CLIP backend"``).
    """
    dev = pick_device(device)

    def load() -> T:
        transformers = require("transformers", purpose=purpose)
        return resolve_and_load(
            spec, source, lambda path, kwargs: build(transformers, path, kwargs, dev)
        )

    loaded: Any = cached((spec.name, source, dev, bool(trust_remote_code)), load)
    if loaded.batch_size == int(batch_size):
        return loaded
    resized = copy.copy(loaded)
    resized.batch_size = int(batch_size)
    return resized


def pixel_values(processor: Any, images: Sequence[Any], device: str) -> Any:
    """``processor``'s (N, 3, h, w) float32 ``pixel_values`` of N (H, W, 3) uint8 RGB arrays, on
    ``device``."""
    pil = [Image.fromarray(np.ascontiguousarray(im)) for im in images]
    return processor(images=pil, return_tensors="pt")["pixel_values"].to(device)


def load_image_processor(path: str, kwargs: dict) -> Any:
    """The PIL-backed image processor saved at ``path`` (never the torchvision one)."""
    transformers = require("transformers", purpose="CLIP / BLIP backends")
    if transformers_major() >= 5:
        return transformers.AutoImageProcessor.from_pretrained(path, backend="pil", **kwargs)
    return transformers.AutoImageProcessor.from_pretrained(path, use_fast=False, **kwargs)


def pick_device(device: Any = None, rank: int | None = None) -> str:
    """``device`` as a string; None: ``cuda:<rank % count>`` when CUDA is available, else cpu."""
    if device is not None:
        return str(device)
    torch = require("torch", purpose="model backends")
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        return f"cuda:{(rank or 0) % count}"
    return "cpu"


def batches(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """``(start, chunk)`` for consecutive chunks of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield start, items[start : start + size]
