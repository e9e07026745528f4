"""The Ray Data engine: a task mapped over payloads by an actor pool of a Ray cluster.

:class:`RayEngine` reads the payloads a window at a time (``window`` rows, 10,000 by default)
and turns each window into a dataset (``ray.data.from_items``: each item its index and the
pickled payload, one block per batch), maps it with ``map_batches`` over a pool of ``workers``
actors, each doing the task's ``setup()`` once per window (models loaded once per actor and
window; GPU actors with ``num_gpus``), and yields the records in input order: results stream
back as Ray finishes them and wait in a buffer until every earlier row has come (at most a
window). So a million rows are never held at once; the price is one pool start-up per window
(Ray Data keeps an actor pool for the life of one dataset, not across datasets). Payloads and records travel pickled, so a record comes back exactly as the
task returned it (no conversion to Arrow or NumPy types) and :func:`~spotdiff.batch.run_batch`'s
resume, torn-line and ordering logic is the same as with :class:`~spotdiff.batch.LocalEngine`.

Ray is imported when the engine is made (``pip install 'spotdiff[ray]'`` otherwise). ``ray.init``
runs only when Ray is not initialised yet: with ``address`` (or ``RAY_ADDRESS``) it joins that
cluster, else it starts a local one with ``num_cpus``; Ray keeps its files where it always does
(sessions and logs under /tmp/ray or ``RAY_TMPDIR``, the auth token in ~/.ray), never in the
working directory.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pickle
import time
from collections.abc import Iterable, Iterator
from typing import Any

from .._validate import check_number
from ._local import Task, default_workers

__all__ = ["RayEngine"]


def _require_ray() -> Any:
    from .._optional import require

    ray = require("ray", extra="ray", purpose="the Ray engine")
    require("ray.data", extra="ray", purpose="the Ray engine")
    return ray


class _RayDataQuiet(logging.Filter):
    """Ray Data's notes of a run (plan, progress, "finished in") off; its warnings kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING and not record.getMessage().startswith(
            "Progress bars disabled"
        )


@contextlib.contextmanager
def _quiet_ray_data() -> Iterator[None]:
    logger, quiet = logging.getLogger("ray.data"), _RayDataQuiet()
    handlers = [logger, *logger.handlers]
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def _actor_class(task: Task, cwd: str) -> type:
    """The callable class of ``map_batches``: ``task`` travels with the class (pickled by value).
    An actor works in the caller's directory ``cwd`` where it exists (this machine, a shared
    file system), so relative paths in payloads mean what they mean to the caller."""

    class SpotdiffTaskActor:
        def __init__(self) -> None:
            if os.path.isdir(cwd):
                os.chdir(cwd)
            self.state = task.setup()

        def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
            records = [
                pickle.dumps(task.run(self.state, pickle.loads(payload)))
                for payload in batch["payload"]
            ]
            return {"index": batch["index"], "record": records}

    return SpotdiffTaskActor


class RayEngine:
    """``workers`` Ray actors, each doing its task's ``setup`` once, then batch after batch.

    Args:
        workers: actors in the pool, one CPU each (None: the cluster's CPUs, or its GPUs /
            ``num_gpus`` for GPU actors). Ray Data waits until every actor has its resources,
            so on an existing cluster keep ``workers`` within its CPUs (and GPUs).
        num_cpus: CPUs of a local Ray started here (None: the machine's cores, and at least
            ``workers``); unused when joining a cluster.
        num_gpus: GPUs of each actor (0: CPU actors; 1: one GPU per actor, for model backends;
            a fraction shares a GPU).
        address: the cluster to join (``"auto"``, ``"ray://host:10001"``; None: ``RAY_ADDRESS``
            when set, else a local Ray of this machine). Ignored when Ray is initialised
            already: the caller's ``ray.init`` wins.
        batch_size: rows per actor call (and per block of the dataset); 1 streams the rows in
            small steps, larger batches cut Ray's per-call cost for cheap rows.
        window: payloads per dataset: the input is read ``window`` rows at a time, each
            window mapped by a pool of its own (Ray Data keeps an actor pool for one dataset),
            so memory holds one window, and every window pays the pool's start-up again
            (actor processes, imports, the task's ``setup``: seconds, a model load).
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        num_cpus: int | None = None,
        num_gpus: float = 0,
        address: str | None = None,
        batch_size: int = 1,
        window: int = 10_000,
    ) -> None:
        def count(name: str, value: int | None) -> int | None:
            return None if value is None else int(check_number(name, value, low=1, integer=True))

        self.workers = count("workers", workers)
        self.num_cpus = count("num_cpus", num_cpus)
        self.num_gpus = float(check_number("num_gpus", num_gpus, low=0))
        self.batch_size = int(check_number("batch_size", batch_size, low=1, integer=True))
        self.window = int(check_number("window", window, low=1, integer=True))
        self.address = address
        #: seconds the last ``map`` spent before its first record (``ray.init`` when it ran,
        #: actors started, their ``setup``, the first row): the start-up cost of a run
        self.startup_seconds: float | None = None
        self._ray = _require_ray()  # a missing Ray is one clear error, before anything runs

    def connect(self) -> None:
        """``ray.init`` unless Ray is initialised: ``address`` / ``RAY_ADDRESS``, else local."""
        ray = self._ray
        if ray.is_initialized():
            return
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        quiet = {"include_dashboard": False, "log_to_driver": False}
        if address is not None:
            ray.init(address=address, **quiet)
        else:
            cpus = self.num_cpus or max(default_workers(), self.workers or 1)
            ray.init(num_cpus=cpus, **quiet)

    def _actors(self) -> int:
        if self.workers is not None:
            return self.workers
        resources = self._ray.cluster_resources()
        if self.num_gpus > 0:
            return max(1, int(resources.get("GPU", 0) // self.num_gpus))
        return max(1, int(resources.get("CPU", 1)))

    def map(self, task: Task, payloads: Iterable[Any]) -> Iterator[dict[str, Any]]:
        """``task`` over ``payloads``, read lazily, ``window`` payloads at a time: each window
        is one dataset mapped by its own actor pool, the next window read once every record of
        this one is yielded. No payload: Ray is not started."""
        it = iter(payloads)
        items = list(itertools.islice(it, self.window))
        if not items:
            return
        start = time.perf_counter()
        self.connect()
        actor = _actor_class(task, os.getcwd())
        first = True
        while items:
            for record in self._map_window(actor, items):
                if first:
                    self.startup_seconds, first = time.perf_counter() - start, False
                yield record
            items = list(itertools.islice(it, self.window))

    def _map_window(self, actor: type, items: list[Any]) -> Iterator[dict[str, Any]]:
        """One window: a dataset of ``items``, mapped over a pool of actors, records in order."""
        import ray.data

        rows = [{"index": i, "payload": pickle.dumps(p)} for i, p in enumerate(items)]
        del items  # pickled: the window's payloads are held once
        blocks = -(-len(rows) // self.batch_size)
        dataset = ray.data.from_items(rows, override_num_blocks=blocks)
        dataset.context.enable_progress_bars = False  # the caller shows progress (on_row)
        dataset.context.print_on_execution_start = False
        mapped = dataset.map_batches(
            actor,
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self._actors(), blocks)),
            num_cpus=1,
            num_gpus=self.num_gpus or None,
        )
        del rows
        waiting: dict[int, bytes] = {}  # records that came before an earlier one
        following = 0
        with _quiet_ray_data():
            for batch in mapped.iter_batches(batch_size=None, batch_format="numpy"):
                for index, record in zip(batch["index"], batch["record"], strict=True):
                    waiting[int(index)] = record
                while following in waiting:
                    yield pickle.loads(waiting.pop(following))
                    following += 1
