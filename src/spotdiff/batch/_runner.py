"""The batch runner: keyed rows in, one JSONL row per key out, resumable.

:func:`run_batch` writes one row per input row with :class:`~spotdiff.batch._jsonl.RowWriter`
(one ``os.write`` per whole line, so a crash or ``kill -9`` leaves at most a torn last line), in
input order. Before a run, an existing output is resumed when its settings file
(``OUTPUT.run.json``: what the rows depend on) says it was written with the same settings:
:func:`~spotdiff.batch._jsonl.scan_output` finds the keys already done, a torn last line is cut
off (with a warning) and only the other rows run; ``retry_errors`` redoes rows with
``"error"``. Otherwise (``overwrite``, other settings, no settings file) the run starts again
and its first row replaces the earlier file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._local import Engine, LocalEngine, Task

__all__ = ["BatchRow", "BatchRun", "run_batch", "settings_path"]


@dataclass(frozen=True)
class BatchRow:
    """One input row: ``key`` (unique in the run; what resuming skips) and the task's
    ``payload`` (picklable)."""

    key: str
    payload: Any


@dataclass
class BatchRun:
    """What :func:`run_batch` did: rows ``written`` now, ``kept`` from an earlier run (of them
    ``kept_failed`` with ``"error"``), ``total`` input rows, ``resumed`` (an earlier output
    was resumed) and the bytes of a ``torn`` last line cut off."""

    written: int = 0
    kept: int = 0
    kept_failed: int = 0
    total: int = 0
    resumed: bool = False
    torn: int = 0
    notes: list[str] = field(default_factory=list)


def settings_path(output: Path) -> Path:
    """The settings file of ``output``: ``summary.jsonl`` -> ``summary.run.json``."""
    return output.with_name(output.stem + ".run.json")


def _earlier_settings(output: Path) -> Any:
    try:
        return json.loads(settings_path(output).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_settings(output: Path, settings: Any) -> None:
    from .._atomic import atomic_write

    with atomic_write(settings_path(output), "w") as handle:
        handle.write(json.dumps(settings, sort_keys=True) + "\n")


def _private(key: str) -> bool:
    return key.startswith("_") and not key.startswith("__")


def run_batch(
    rows: Iterable[BatchRow],
    output: str | os.PathLike[str],
    task: Task,
    *,
    key_of: Callable[[dict[str, Any]], str | None],
    settings: Any,
    engine: Engine | str | None = None,
    retry_errors: bool = False,
    overwrite: bool = False,
    on_row: Callable[[dict[str, Any], bool], None] | None = None,
) -> BatchRun:
    """Run ``task`` over ``rows``, one JSONL row each in ``output``; resume an earlier run.

    Args:
        rows: the input, in the order rows are written (keys unique).
        task: the work of a row (:class:`~spotdiff.batch.Task`); its record is written without
            the keys that start with one ``_`` (``on_row`` gets them: messages, outcome); a
            key that starts with ``__`` is data (Data-Juicer's ``__dj__meta__``).
        key_of: the key of a record read back from ``output`` (None: not a row of it).
        settings: JSON-able value of everything a row depends on; an earlier output is resumed
            only when it was written with equal settings.
        engine: where rows run: an :class:`~spotdiff.batch.Engine`, or a name for
            :func:`~spotdiff.batch.make_engine` (``"local"``, ``"ray"``; default: the local
            engine with the machine's cores).
        retry_errors: rows of an earlier run with ``"error"`` run again (their lines dropped).
        overwrite: start again even when the earlier output could be resumed.
        on_row: ``on_row(record, fresh)`` for every row of the final output, earlier rows first
            (``fresh=False``, as read back) then each new one once written (``fresh=True``):
            counting, printing, progress.

    Raises:
        InvalidOptionError: the earlier output, written with these settings, has a line that is
            not a row (other than a torn last line); nothing is changed.
    """
    from ._jsonl import RowWriter, resume_output, scan_output

    output = Path(output)
    rows = list(rows)
    if isinstance(engine, str):
        from ._engines import make_engine

        engine = make_engine(engine)
    engine = engine or LocalEngine()
    run = BatchRun(total=len(rows))
    done: set[str] = set()
    earlier = _earlier_settings(output) if output.exists() else None
    same = earlier is not None and earlier == settings
    if earlier is not None and not same and not overwrite:
        run.notes.append(
            f"{output} was written with other settings; this run starts again (the file is "
            "replaced when its first row is written)"
        )
    if same and not overwrite:
        kept: list[dict[str, Any]] = []
        scan = scan_output(
            output, id_field=None, retry_errors=retry_errors, key_of=key_of, on_kept=kept.append
        )
        resume_output(output, scan)
        run.resumed, run.torn, done = True, scan.torn, scan.done
        wanted = {row.key for row in rows}
        for record in kept:  # rows of the earlier run for keys still in the input
            if key_of(record) in wanted:
                run.kept += 1
                run.kept_failed += "error" in record
                if on_row is not None:
                    on_row(record, False)
    for note in run.notes:
        sys.stderr.write(f"spotdiff: warning: {note}\n")
    sys.stderr.flush()
    pending = [row for row in rows if row.key not in done]
    output.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if not run.resumed:
            with contextlib.suppress(FileNotFoundError):  # old settings never describe new rows
                settings_path(output).unlink()
        writer = stack.enter_context(RowWriter(output, replace=not run.resumed))
        records = engine.map(task, [row.payload for row in pending])
        stack.callback(getattr(records, "close", lambda: None))
        for record in records:
            writer.write({k: v for k, v in record.items() if not _private(k)})
            if writer.rows == 1 and not run.resumed:
                _write_settings(output, settings)
            run.written += 1
            if on_row is not None:
                on_row(record, True)
    return run
