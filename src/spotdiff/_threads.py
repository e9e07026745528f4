"""The one thread pool of find's OpenCV / NumPy work (both release the GIL).

:func:`workers` follows OpenCV's thread count (``cv2.setNumThreads`` limits both, as the batch
engine's workers do: :func:`spotdiff.batch.limit_threads`); :func:`map_threads` runs a function
over a few items, the first in the calling thread and the others in the pool (a forked child
starts a pool of its own on demand).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2

__all__ = ["map_threads", "pool", "workers"]

T = TypeVar("T")
R = TypeVar("R")

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


#: The machine's cores, read once: ``os.cpu_count()`` reads a system file on every call (about
#: 40 us; :func:`workers` is asked some twenty times per find).
_CORES = os.cpu_count() or 1


def workers() -> int:
    """Threads for one step: OpenCV's thread count, at most the cores (at least 1)."""
    return max(1, min(cv2.getNumThreads(), _CORES))


def _forget_pool_after_fork() -> None:
    # a forked child inherits the pool object but not its threads: start a new one on demand
    global _POOL, _POOL_LOCK
    _POOL = None
    _POOL_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def pool() -> ThreadPoolExecutor:
    """The process's pool (as many threads as cores, at least 2), started on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(2, _CORES), thread_name_prefix="spotdiff")
        return _POOL


def map_threads(fn: Callable[[T], R], items: Sequence[T], threads: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``: the first item in the calling thread, the others in the pool
    at the same time, when ``threads`` (None: :func:`workers`) is more than one (else one by
    one here). Results in order; an exception raised by ``fn`` is raised here. ``fn`` must not
    itself call :func:`map_threads` (the pool does not grow: nested waits could take all its
    threads)."""
    n = min(len(items), workers() if threads is None else threads)
    if n <= 1:
        return [fn(x) for x in items]
    futures = [pool().submit(fn, x) for x in items[1:]]
    first = fn(items[0])
    return [first, *(f.result() for f in futures)]
