"""The Ray engine: a task mapped over payloads by long-lived actors of a Ray cluster.

:class:`RayEngine` starts ``workers`` actors once per :meth:`~RayEngine.map` (each doing the
task's ``setup()`` once: models loaded once per actor for the whole run; GPU actors with
``num_gpus``) and feeds them the payloads through a :class:`ray.util.ActorPool`, ``batch_size``
rows per call, reading the input as it goes: at most ``window`` rows (10,000 by default) are in
flight at once, so a million rows are never held. Records come back in input order (the pool
returns results in the order they were submitted; those that finish early wait). The actors
are stopped when the map ends (or is closed early). Payloads and records travel pickled, so a
record comes back exactly as the task returned it (no zero-copy read-only NumPy arrays) and
:func:`~spotdiff.batch.run_batch`'s resume, torn-line and ordering logic is the same as with
:class:`~spotdiff.batch.LocalEngine`.

Earlier versions mapped each window of rows as a Ray Data dataset (``map_batches`` over an
``ActorPoolStrategy``); Ray Data keeps an actor pool for the life of one dataset, so every
window paid the actors' start-up and ``setup()`` again. Long-lived actors pay it once.

Ray is imported when the engine is made (``pip install 'spotdiff[ray]'`` otherwise). ``ray.init``
runs only when Ray is not initialised yet: with ``address`` (or ``RAY_ADDRESS``) it joins that
cluster, else it starts a local one with ``num_cpus``; Ray keeps its files where it always does
(sessions and logs under /tmp/ray or ``RAY_TMPDIR``, the auth token in ~/.ray), never in the
working directory.
"""

from __future__ import annotations

import contextlib
import itertools
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

    return require("ray", extra="ray", purpose="the Ray engine")


def _actor_class(task: Task, cwd: str) -> type:
    """The actor class (made remote by the engine): ``task`` travels with the class (pickled by
    value). An actor works in the caller's directory ``cwd`` where it exists (this machine, a
    shared file system), so relative paths in payloads mean what they mean to the caller."""

    class SpotdiffTaskActor:
        def __init__(self) -> None:
            if os.path.isdir(cwd):
                os.chdir(cwd)
            self.state = task.setup()

        def run(self, payloads: list[bytes]) -> list[bytes]:
            return [pickle.dumps(task.run(self.state, pickle.loads(p))) for p in payloads]

    return SpotdiffTaskActor


class RayEngine:
    """``workers`` Ray actors, each doing its task's ``setup`` once per ``map``, then batch after
    batch for every row of the run.

    Args:
        workers: actors in the pool, one CPU each (None: the cluster's CPUs, or its GPUs /
            ``num_gpus`` for GPU actors). An actor runs once it has its resources, so on an
            existing cluster keep ``workers`` within its CPUs (and GPUs).
        num_cpus: CPUs of a local Ray started here (None: the machine's cores, and at least
            ``workers``); unused when joining a cluster.
        num_gpus: GPUs of each actor (0: CPU actors; 1: one GPU per actor, for model backends;
            a fraction shares a GPU).
        address: the cluster to join (``"auto"``, ``"ray://host:10001"``; None: ``RAY_ADDRESS``
            when set, else a local Ray of this machine). Ignored when Ray is initialised
            already: the caller's ``ray.init`` wins.
        batch_size: rows per actor call; 1 streams the rows in small steps, larger batches
            cut Ray's per-call cost for cheap rows.
        window: rows in flight at most (sent to the actors and not yet yielded): memory
            holds one window of payloads and records; the actors serve every window (started
            and set up once per ``map``).
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
        """``task`` over ``payloads``, read lazily: at most ``window`` payloads (plus one batch)
        are read ahead of the records yielded. The actors start once (at most one per batch of
        the first window) and serve every row; they stop when the map ends. No payload: Ray is
        not started."""
        it = iter(payloads)
        head = list(itertools.islice(it, self.window))
        if not head:
            return
        start = time.perf_counter()
        self.connect()
        ray = self._ray
        from ray.util import ActorPool

        options: dict[str, Any] = {"num_cpus": 1}
        if self.num_gpus:
            options["num_gpus"] = self.num_gpus
        remote = ray.remote(_actor_class(task, os.getcwd())).options(**options)
        size = min(self._actors(), -(-len(head) // self.batch_size))
        actors = [remote.remote() for _ in range(size)]
        pool = ActorPool(actors)
        batches = _batches(itertools.chain(head, it), self.batch_size)
        del head
        in_flight = 0  # rows sent and not yet yielded
        first = True
        try:
            while True:
                while in_flight < self.window:
                    batch = next(batches, None)
                    if batch is None:
                        break
                    pool.submit(lambda actor, rows: actor.run.remote(rows), batch)
                    in_flight += len(batch)
                if not pool.has_next():
                    return
                records = pool.get_next()
                in_flight -= len(records)
                for record in records:
                    if first:
                        self.startup_seconds, first = time.perf_counter() - start, False
                    yield pickle.loads(record)
        finally:
            for actor in actors:  # their setup (models) is freed; an interrupted row is dropped
                with contextlib.suppress(Exception):
                    ray.kill(actor)


def _batches(payloads: Iterator[Any], size: int) -> Iterator[list[bytes]]:
    """The payloads pickled, ``size`` at a time."""
    while batch := [pickle.dumps(p) for p in itertools.islice(payloads, size)]:
        yield batch
