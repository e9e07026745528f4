"""Loading transformers models from a local directory, the hub cache or the hub (:mod:`._spec`).

Loading has two phases, so that a missing model costs no heavy import and no network wait:

1. :func:`locate` (file checks only, then at most one cached connectivity probe): an explicit
   directory or one under Data-Juicer's homes, else the hub cache, else a download when
   allowed, else :class:`~spotdiff._errors.WeightsNotFoundError` naming the paths expected;
2. the load itself (transformers and torch are imported here). A network error during a
   download becomes a :class:`~spotdiff._errors.WeightsNotFoundError` too.

Image processors are always the PIL / NumPy ("slow") ones: the "fast" ones need torchvision,
which spotdiff never imports.
"""

from __future__ import annotations

import copy
import importlib.util
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from .._errors import WeightsNotFoundError
from .._optional import require
from .._validate import check_image
from ._cache import cached
from ._network import download_blocker, hub_host, is_network_error
from ._spec import (
    WeightsSpec,
    hf_cache_dir,
    hub_cache_path,
    is_hub_id,
    local_candidates,
    missing_weights,
)

__all__ = [
    "HFBackend",
    "batches",
    "load_cached_model",
    "load_image_processor",
    "locate",
    "pixel_values",
    "require_installed",
    "resolve_and_load",
]

T = TypeVar("T")


def transformers_major() -> int:
    transformers = require("transformers", purpose="CLIP / BLIP backends")
    return int(transformers.__version__.split(".")[0])


def require_installed(library: str, *, extra: str, purpose: str) -> None:
    """Raise :class:`~spotdiff._errors.MissingDependencyError` unless ``library`` is installed.

    Checks without importing it (importing transformers or ultralytics takes seconds).
    """
    try:
        found = importlib.util.find_spec(library)
    except (ImportError, ValueError):
        found = None
    if found is None:
        require(library, extra=extra, purpose=purpose)  # raises the message naming the extra


def _cached_snapshot(spec: WeightsSpec, source: str) -> bool:
    """Whether the hub cache holds a snapshot of ``source`` with ``spec.required`` files."""
    snapshots = hub_cache_path(source) / "snapshots"
    if not snapshots.is_dir():
        return False
    return any(all((snap / f).is_file() for f in spec.required) for snap in snapshots.iterdir())


def locate(spec: WeightsSpec, source: str) -> tuple[str, str, list[Path]]:
    """Where ``source`` will be loaded from, without loading anything.

    Returns:
        ``(kind, where, searched)``: kind ``"dir"`` (``where`` is the directory), ``"cache"``
        (the hub cache holds it) or ``"hub"`` (a download is allowed); ``searched`` lists the
        local paths looked at, for messages.

    Raises:
        WeightsNotFoundError: no local copy and no download possible, or an incomplete
            directory (the message names the missing files).
    """
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
            return "dir", str(candidate), searched
        searched.append(candidate)
    if not is_hub_id(source):
        raise missing_weights(spec, source, searched, "no such directory")
    searched.append(hub_cache_path(source))
    if _cached_snapshot(spec, source):
        return "cache", source, searched
    blocker = download_blocker(hub_host())
    if blocker is not None:
        raise missing_weights(spec, source, searched, blocker)
    return "hub", source, searched


def _load_located(
    spec: WeightsSpec,
    source: str,
    located: tuple[str, str, list[Path]],
    load: Callable[[str, dict], T],
) -> T:
    kind, where, searched = located
    if kind == "dir":
        return load(where, {"local_files_only": True})
    cache = str(hf_cache_dir())
    if kind == "cache":
        try:
            return load(source, {"cache_dir": cache, "local_files_only": True})
        except OSError as exc:  # an incomplete snapshot: fetch the rest when allowed
            blocker = download_blocker(hub_host())
            if blocker is not None:
                why = f"the cached copy is incomplete ({exc}) and {blocker}"
                raise missing_weights(spec, source, searched, why) from exc
    try:
        return load(source, {"cache_dir": cache})
    except Exception as exc:
        if not is_network_error(exc):
            raise
        raise missing_weights(spec, source, searched, "not cached", download_error=exc) from exc


def resolve_and_load(spec: WeightsSpec, source: str, load: Callable[[str, dict], T]) -> T:
    """Find ``source`` (:func:`locate`) and ``load(path_or_id, from_pretrained_kwargs)``.

    ``load`` receives the directory or hub id and the ``from_pretrained`` keyword arguments to
    pass (``local_files_only``, ``cache_dir``).

    Raises:
        WeightsNotFoundError: nothing found and no download possible, or the download failed;
            names the paths searched.
        MissingDependencyError: the library is not installed.
    """
    require_installed(spec.library, extra=spec.extra, purpose=f"the {spec.name} backend")
    return _load_located(spec, source, locate(spec, source), load)


def load_cached_model(
    spec: WeightsSpec,
    source: str,
    build: Callable[[Any, str, dict, str], T],
    *,
    device: Any,
    rank: int | None,
    batch_size: int,
    trust_remote_code: bool,
    purpose: str,
) -> T:
    """A transformers backend loaded once per process, with its own ``batch_size``.

    The weights are located first (no import, no download wait when they are missing); the
    loaded object is cached under ``(spec.name, source, device, trust_remote_code)``;
    ``build(transformers, path, kwargs, device)`` makes it from the resolved directory or hub id
    (see :func:`resolve_and_load`). When the cached object's ``batch_size`` differs, a shallow
    copy with ``batch_size`` is returned (the model and processors are shared).

    This is the contract of every transformers loader (:func:`~spotdiff.backends.load_clip`,
    :func:`~spotdiff.backends.load_blip`), whose options it receives.

    Args:
        source: hub id or a directory holding the model's ``save_pretrained`` files.
        device: torch device (:func:`spotdiff._device.resolve_device`); None or ``"auto"`` picks
            CUDA when available.
        rank: worker index; with the automatic device, worker ``rank`` gets GPU ``rank % count``.
        batch_size: most images per forward pass.
        trust_remote_code: passed to ``from_pretrained``.
        purpose: what needs transformers, for the missing-dependency message
            (``"the CLIP backend"``).

    Raises:
        MissingDependencyError: transformers is missing (``pip install 'spotdiff[models]'``).
        WeightsNotFoundError: the weights are neither local nor downloadable, or the download
            failed (the message lists the paths expected).
        InvalidOptionError: ``device`` is not a device of this machine.
    """
    from .._device import resolve_device

    require_installed(spec.library, extra=spec.extra, purpose=purpose)
    located = locate(spec, source)
    dev = str(resolve_device(device, rank=rank))

    def load() -> T:
        transformers = require("transformers", purpose=purpose)
        return _load_located(
            spec, source, located, lambda path, kwargs: build(transformers, path, kwargs, dev)
        )

    loaded: Any = cached((spec.name, source, dev, bool(trust_remote_code)), load)
    if loaded.batch_size == int(batch_size):
        return loaded
    resized = copy.copy(loaded)
    resized.batch_size = int(batch_size)
    return resized


class HFBackend:
    """What the transformers backends share: the loaded model and image processor, where they
    came from, and the batched vision forward passes.

    Attributes:
        source: the hub id or directory it was loaded from.
        device: torch device string (``"cpu"``, ``"cuda:0"``).
        batch_size: most images per vision forward pass.
    """

    name = ""

    def __init__(
        self, model: Any, processor: Any, *, source: str, device: str, batch_size: int = 32
    ) -> None:
        self.model = model
        self.processor = processor
        self.source = source
        self.device = device
        self.batch_size = int(batch_size)

    def vision_batches(
        self,
        images: Sequence[np.ndarray],
        forward: Callable[[Any], T],
        *,
        tally: Counter | None = None,
        passes: tuple[str, ...] = (),
    ) -> Iterator[tuple[int, T]]:
        """``(start, forward(pixels))`` for consecutive chunks of at most ``batch_size`` images.

        Args:
            images: N (H, W, 3) uint8 RGB arrays (any sizes).
            forward: called under ``torch.inference_mode()`` with the processor's (n, 3, h, w)
                float32 ``pixel_values`` of one chunk, on :attr:`device`.
            tally: a Counter; ``tally[key]`` is increased by 1 per chunk for each key of
                ``passes`` (the forward passes ``forward`` runs).

        Raises:
            LayoutError: an item is not an (H, W, 3) uint8 array (one image passed instead of a
                list of images gives 2-D rows); checked before the first forward pass.
        """
        torch = require("torch", purpose=f"the {self.name.upper()} backend")
        for i, image in enumerate(images):
            check_image(f"images[{i}]", image, channels=(3,), dtype=np.uint8)
        for start, chunk in batches(images, self.batch_size):
            pixels = pixel_values(self.processor, chunk, self.device)
            with torch.inference_mode():
                result = forward(pixels)
            if tally is not None:
                for key in passes:
                    tally[key] += 1
            yield start, result

    def __repr__(self) -> str:
        return f"{type(self).__name__}(source={self.source!r}, device={self.device!r})"


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


def batches(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """``(start, chunk)`` for consecutive chunks of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield start, items[start : start + size]
