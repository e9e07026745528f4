"""The batch runner: keyed rows in, one JSONL row per key out, resumable.

:func:`run_batch` writes one row per input row with :class:`~spotdiff.batch._jsonl.RowWriter`
(one ``os.write`` per whole line, so a crash or ``kill -9`` leaves at most a torn last line), in
input order, reading its input as it goes (memory flat in the number of rows, but for a set
of keys). Before a run, an existing output is resumed when its settings file
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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InvalidOptionError
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
    ``kept_failed`` with ``"error"``), ``total`` input rows (counted as they are read),
    ``resumed`` (an earlier output was resumed) and the bytes of a ``torn`` last line cut off."""

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


_END = object()


def _private(key: str) -> bool:
    return key.startswith("_") and not key.startswith("__")


def _kept_rows(output: Path, key_of: Callable[[dict[str, Any]], str | None]) -> dict[str, int]:
    """The byte offset of each row of a resumed (repaired) ``output``, by key."""
    from ._jsonl import _decode

    offsets: dict[str, int] = {}
    offset = 0
    with open(output, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.strip():
                value, _ = _decode(raw, number)  # repaired: every non-blank line is a row
                key = key_of(value) if isinstance(value, dict) else None
                if key is not None:
                    offsets.setdefault(key, offset)
            offset += len(raw)
    return offsets


def _duplicate(key: str) -> InvalidOptionError:
    return InvalidOptionError(
        f"two input rows have the key {key!r}; a run writes one row per key and resumes by key, "
        "so each row needs its own (a manifest's --id-field: a field unique to each row). The "
        "rows before the second one are written; fix the input and run again to resume"
    )


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

    The input is streamed: ``rows`` (any iterable, a generator included) is read as the engine
    takes payloads, a bounded number ahead of the rows written (the engine's rows in flight),
    so memory does not grow with the input but for one set of keys: the keys read so far (to
    refuse a duplicate) and, on resume, the byte offset of each kept row in ``output``.

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
        on_row: ``on_row(record, fresh)`` once for every input row, in input order: a row kept
            from an earlier run (``fresh=False``, its record as read back from ``output``) as
            the input reaches it, a new one (``fresh=True``) once written; counting, printing,
            progress. Rows of ``output`` whose key is not in the input are kept in the file but
            not reported (nor counted in ``kept``).

    Raises:
        InvalidOptionError: the earlier output, written with these settings, has a line that is
            not a row (other than a torn last line): nothing is changed; two input rows have
            the same key: raised after the rows before the second one are written.
    """
    from ._jsonl import RowWriter, _decode, resume_output, scan_output

    output = Path(output)
    if isinstance(engine, str):
        from ._engines import make_engine

        engine = make_engine(engine)
    engine = engine or LocalEngine()
    run = BatchRun()
    kept: dict[str, int] = {}  # key -> byte offset of a row kept from the earlier run
    earlier = _earlier_settings(output) if output.exists() else None
    same = earlier is not None and earlier == settings
    if earlier is not None and not same and not overwrite:
        run.notes.append(
            f"{output} was written with other settings; this run starts again (the file is "
            "replaced when its first row is written)"
        )
    if same and not overwrite:
        scan = scan_output(output, id_field=None, retry_errors=retry_errors, key_of=key_of)
        resume_output(output, scan)
        run.resumed, run.torn = True, scan.torn
        del scan  # its keys: the offsets below replace them
        kept = _kept_rows(output, key_of)
    for note in run.notes:
        sys.stderr.write(f"spotdiff: warning: {note}\n")
    sys.stderr.flush()
    output.parent.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()  # the keys of the new rows read so far
    duplicate: list[str] = []
    # the input since the oldest row in flight: None for a row sent to the engine, the key of a
    # kept row read after it (reported once the rows before it are written)
    waiting: deque[str | None] = deque()
    with contextlib.ExitStack() as stack:
        earlier_rows = stack.enter_context(open(output, "rb")) if kept else None

        def report_kept(key: str) -> None:
            earlier_rows.seek(~kept[key])
            raw = earlier_rows.readline()
            record, _ = _decode(raw, 0)
            run.kept += 1
            run.kept_failed += "error" in record
            if on_row is not None:
                on_row(record, False)

        def pending() -> Iterator[Any]:
            for row in rows:
                offset = kept.get(row.key)
                if row.key in seen or (offset is not None and offset < 0):
                    duplicate.append(row.key)
                    return  # the rows before it are still written
                run.total += 1
                if offset is None:
                    seen.add(row.key)
                    waiting.append(None)
                    yield row.payload
                    continue
                kept[row.key] = ~offset  # read: negative (a kept key is not added to seen)
                if waiting:
                    waiting.append(row.key)
                else:
                    report_kept(row.key)

        if not run.resumed:
            with contextlib.suppress(FileNotFoundError):  # old settings never describe new rows
                settings_path(output).unlink()
        writer = stack.enter_context(RowWriter(output, replace=not run.resumed))
        payloads = pending()
        records = engine.map(task, payloads)
        stack.callback(getattr(records, "close", lambda: None))
        for record in records:
            if not waiting or waiting.popleft() is not None:
                raise RuntimeError("the engine gave a record for a payload it was not given")
            writer.write({k: v for k, v in record.items() if not _private(k)})
            if writer.rows == 1 and not run.resumed:
                _write_settings(output, settings)
            run.written += 1
            if on_row is not None:
                on_row(record, True)
            while waiting and waiting[0] is not None:
                report_kept(waiting.popleft())
        if next(payloads, _END) is not _END or waiting:
            raise RuntimeError("the engine stopped before the last payload's record")
    if duplicate:
        raise _duplicate(duplicate[0])
    return run
