"""One resumable batch runner for every directory / manifest command.

- :func:`run_batch`: keyed rows in (:class:`BatchRow`, streamed: a generator of millions is
  fine), one JSONL row per key out, written and flushed as each is done, in input order; resume by skipping done keys, a torn last line
  repaired, ``retry_errors``, ``overwrite``; a callback per row (counts, printing, progress).
- :class:`LocalEngine`: ``workers`` processes, each doing its task's ``setup`` once (models
  loaded once per worker); an :class:`Engine` is anything with ``map(task, payloads)`` yielding
  records in input order.
- :class:`RayEngine`: the same on a Ray cluster (long-lived Ray actors; ``spotdiff[ray]``, imported
  only when the engine is made); :func:`make_engine` makes either by name (``"local"``,
  ``"ray"``: the ``--engine`` option); :func:`check_engine` checks the same options without
  making one.
- :func:`directory_rows` / :func:`manifest_rows`: the two inputs.

See docs/batch.md.
"""

from ._engines import ENGINES, check_engine, make_engine
from ._local import Engine, LocalEngine, Task, default_workers, limit_threads
from ._ray import RayEngine
from ._rows import directory_rows, manifest_rows
from ._runner import BatchRow, BatchRun, run_batch, settings_path

__all__ = [
    "ENGINES",
    "BatchRow",
    "BatchRun",
    "Engine",
    "LocalEngine",
    "RayEngine",
    "Task",
    "check_engine",
    "default_workers",
    "directory_rows",
    "limit_threads",
    "make_engine",
    "manifest_rows",
    "run_batch",
    "settings_path",
]
