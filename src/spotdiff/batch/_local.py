"""The local engine: a task mapped over payloads in worker processes of this machine.

A :class:`Task` is a picklable object with ``setup()`` (run once per worker: load models, read
settings) and ``run(state, payload) -> dict`` (one row). :class:`LocalEngine` runs it inline for
one worker, else in a pool of ``workers`` processes started with ``forkserver`` (``spawn`` where
there is none), never ``fork`` (no copied locks, threads or CUDA contexts). Results come back in
input order, whatever the number of workers, so a row's content and place never depend on N.

Threads: each worker process may use ``cores // workers`` threads (at least 1) in OpenCV, torch
and the OpenMP / BLAS pools (:func:`limit_threads`), so N workers on N cores do not run N x N
threads that fight over the cores (OpenCV's pool spins while it waits).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol

from .._validate import check_number

__all__ = ["Engine", "LocalEngine", "Task", "default_workers", "limit_threads"]


class Task(Protocol):
    """The work of one row, engine-neutral (the local engine and a Ray actor).

    A task may also name modules to import once before the workers start (a ``preload`` tuple
    of module names, e.g. ``("spotdiff.detect",)``): the local engine imports them in its
    ``forkserver``, so each worker starts with them loaded instead of importing them itself.
    Only modules that start no threads and hold no device belong there (no torch, no CUDA).
    """

    def setup(self) -> Any:
        """Once per worker, before its first row: what ``run`` needs (models, settings)."""

    def run(self, state: Any, payload: Any) -> dict[str, Any]:
        """One row: the record to write (a failure is a record with ``"error"``, not raised)."""


class Engine(Protocol):
    """Runs a :class:`Task` over payloads; yields one record per payload, in input order.
    ``payloads`` may be any iterable (a generator: :func:`~spotdiff.batch.run_batch` streams
    its rows); an engine reads it as it goes, a bounded number ahead, and to its end."""

    def map(self, task: Task, payloads: Iterable[Any]) -> Iterator[dict[str, Any]]: ...


def default_workers() -> int:
    """The cores this process may use (``os.sched_getaffinity`` where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


#: Thread-pool sizes read by OpenMP, OpenBLAS and MKL when they load.
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(threads: int) -> None:
    """Let this process use ``threads`` threads in its numeric libraries: OpenCV and torch when
    they are loaded (``cv2.setNumThreads``, ``torch.set_num_threads``), and the OpenMP / BLAS
    pools of libraries loaded later (their environment variables, unless already set)."""
    for name in _THREAD_ENV:
        os.environ.setdefault(name, str(threads))
    cv2 = sys.modules.get("cv2")
    if cv2 is not None and hasattr(cv2, "setNumThreads"):
        cv2.setNumThreads(threads)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "set_num_threads"):
        torch.set_num_threads(threads)


# the task and its state in a worker process (set by _start_worker)
_WORKER: tuple[Task, Any] | None = None


def _start_worker(task: Task, threads: int) -> None:
    global _WORKER
    # Ctrl-C goes to the whole process group: the parent stops the run, workers just finish
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads(threads)  # the pools of libraries the setup loads
    state = task.setup()
    limit_threads(threads)  # and of those it loaded (OpenCV, torch)
    _WORKER = (task, state)


def _run_in_worker(payload: Any) -> dict[str, Any]:
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker used before its setup")
    task, state = _WORKER
    return task.run(state, payload)


class LocalEngine:
    """``workers`` processes on this machine (None: :func:`default_workers`; 1: inline, in this
    process, its threads untouched). At most ``2 x workers`` rows are in flight, so memory stays
    flat for any input length; a worker does its ``setup`` once and then takes row after row,
    with ``max(1, cores // workers)`` threads (:func:`limit_threads`)."""

    def __init__(self, workers: int | None = None) -> None:
        if workers is None:
            workers = default_workers()
        self.workers = int(check_number("workers", workers, low=1, integer=True))

    def map(self, task: Task, payloads: Iterable[Any]) -> Iterator[dict[str, Any]]:
        """``task`` over ``payloads``, read lazily (any iterable, a generator included): at most
        ``2 x workers`` payloads are taken ahead of the records yielded. No payload: no setup,
        no process; fewer payloads than workers: as many workers as payloads."""
        it = iter(payloads)
        head = list(itertools.islice(it, self.workers))  # at most `workers` payloads
        workers = len(head)
        if workers <= 1:
            state = task.setup() if head else None
            for payload in itertools.chain(head, it):
                yield task.run(state, payload)
            return
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        preload = list(getattr(task, "preload", ()))
        if preload and context.get_start_method() == "forkserver":
            # effective when this process starts its forkserver (its first pool), else ignored
            context.set_forkserver_preload(["__main__", *preload])
        threads = max(1, default_workers() // workers)
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(task, threads),
        )
        pending: deque[Future[dict[str, Any]]] = deque()
        try:
            for payload in itertools.chain(head, it):
                pending.append(pool.submit(_run_in_worker, payload))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            # an interrupted run: drop the rows not started, let the running ones end
            pool.shutdown(wait=True, cancel_futures=True)
