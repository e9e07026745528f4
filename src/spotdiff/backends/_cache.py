"""Process-wide cache of loaded backends: each model is loaded once per process and reused.

Keys are tuples of what determines the loaded object (backend name, resolved source, device,
options). Loading is serialized per key with a lock, so two threads asking for the same model
load it once; different keys load in parallel. A forked or spawned worker has its own cache
(models are never pickled across processes). A key names the source as given (a hub id or a
path), not where it was found: after changing ``HF_HOME`` or the Data-Juicer model folders in a
running process, call :func:`clear_cache` to resolve again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["cached", "clear_cache"]

T = TypeVar("T")

_CACHE: dict[Hashable, Any] = {}
_LOCKS: dict[Hashable, threading.Lock] = {}
_GUARD = threading.Lock()


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """The object cached under ``key``, built with ``load()`` on first use (thread-safe)."""
    try:
        return _CACHE[key]
    except KeyError:
        pass
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key not in _CACHE:
            _CACHE[key] = load()
        return _CACHE[key]


def clear_cache() -> None:
    """Forget every loaded backend (the next use loads again)."""
    with _GUARD:
        _CACHE.clear()
        _LOCKS.clear()
