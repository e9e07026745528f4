"""What every directory command shares on the batch runner (``find DIR1 DIR2``, ``map DIR1
DIR2``): the engine (built in one place, where an ``--engine`` option plugs in), the key of a
directory row read back from summary.jsonl, a row's messages captured in the worker and printed
by the parent in row order, and the run itself with its progress bar.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._common import progress

if TYPE_CHECKING:
    from ..batch import BatchRow, Engine, Task

__all__ = [
    "EngineOption",
    "OverwriteOption",
    "RetryErrorsOption",
    "WorkersOption",
    "batch_engine",
    "capture_stderr",
    "check_batch_engine",
    "directory_key_of",
    "print_messages",
    "refuse_batch_options",
    "run_rows",
]

#: The options of a directory run, defined once for every directory command.
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Directories: processes (--engine ray: actors) running pairs (default: the "
        "machine's cores; ray: the cluster's CPUs).",
    ),
]
#: ``--engine local|ray``: passed with ``--workers`` to :func:`batch_engine`.
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="local|ray",
        help="Directories: where rows run: local (processes of this machine) or ray (Ray "
        "actors: a local Ray, or the cluster of RAY_ADDRESS, e.g. auto; needs "
        "pip install 'spotdiff[ray]'). The rows are the same.",
    ),
]
RetryErrorsOption = Annotated[
    bool,
    typer.Option(
        "--retry-errors", help="Directories: redo the failed rows of an earlier summary.jsonl."
    ),
]
OverwriteOption = Annotated[
    bool,
    typer.Option("--overwrite", help="Directories: start again instead of resuming summary.jsonl."),
]


def check_batch_engine(workers: int | None, engine: str = "local") -> None:
    """Check ``--workers`` and ``--engine`` of a command that makes its engine later, once it
    knows its size (:func:`model_engine`): a bad value is one error line, and no engine is made
    twice (:func:`spotdiff.batch.check_engine`).

    Raises:
        InvalidOptionError: ``workers`` below 1, an unknown engine.
        MissingDependencyError: ``"ray"`` without Ray installed.
    """
    from .._errors import InvalidOptionError
    from ..batch import check_engine

    if workers is not None and workers < 1:
        raise InvalidOptionError(f"--workers {workers}: give 1 or more processes")
    check_engine(engine, workers=workers)


def batch_engine(workers: int | None, engine: str = "local", *, num_gpus: float = 0) -> Engine:
    """The engine of a batch command (:func:`spotdiff.batch.make_engine`): ``"local"``,
    :class:`spotdiff.batch.LocalEngine` with ``workers`` processes (None: the machine's cores),
    or ``"ray"``, :class:`spotdiff.batch.RayEngine` with ``workers`` actors. Built before
    anything is written, so a bad value is one error line and no file.

    Raises:
        InvalidOptionError: ``workers`` below 1, an unknown engine.
        MissingDependencyError: ``"ray"`` without Ray installed.
    """
    from ..batch import make_engine

    check_batch_engine(workers, engine)
    return make_engine(engine, workers=workers, **({"num_gpus": num_gpus} if num_gpus else {}))


def model_engine(workers: int | None, engine: str, *, models: bool, device: Any = None) -> Engine:
    """The engine of a command whose rows may run a model (imgdiff, ground --batch): ``workers``
    default to 1 when a model runs (one model copy per worker), else the machine's cores; on
    ``"ray"`` each actor then gets one GPU when ``device`` resolves to CUDA here (GPU actors),
    else a CPU."""
    from ..batch import default_workers

    if workers is None:
        workers = 1 if models else default_workers()
    gpus = 0
    if engine == "ray" and models:
        from .._device import resolve_device

        gpus = 1 if resolve_device(device).type == "cuda" else 0
    return batch_engine(workers, engine, num_gpus=gpus)


def refuse_batch_options(
    workers: int | None, retry_errors: bool, overwrite: bool, engine: str = "local"
) -> None:
    """For one pair (no batch run): refuse the options of a batch run.

    Raises:
        InvalidOptionError: naming the first of them given.
    """
    from .._errors import InvalidOptionError

    named = (
        ("--workers", workers),
        ("--engine", None if engine == "local" else engine),
        ("--retry-errors", retry_errors),
        ("--overwrite", overwrite),
    )
    given = [name for name, value in named if value not in (None, False)]
    if given:
        raise InvalidOptionError(
            f"{given[0]} applies to two directories (a batch run); leave it out for one pair"
        )


def directory_key_of(record: dict[str, Any]) -> str | None:
    """The key of a directory row read back from summary.jsonl (its pair's name, or
    ``only1:FILE`` / ``only2:FILE``; see :func:`spotdiff.batch._rows.directory_key`); None for a
    line that is not a directory row (needs ``name`` and ``image1`` or ``image2``)."""
    from ..batch._rows import directory_key

    name = record.get("name")
    if not isinstance(name, str) or not ("image1" in record or "image2" in record):
        return None
    return directory_key(name, record.get("image1"), record.get("image2"))


def capture_stderr(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run()``'s record with what it wrote to stderr (errors, warnings) under ``"_stderr"``:
    a worker's messages travel back with its row and :func:`print_messages` prints them in row
    order."""
    import io
    from contextlib import redirect_stderr

    buffer = io.StringIO()
    with redirect_stderr(buffer):
        record = run()
    record["_stderr"] = buffer.getvalue()
    return record


def print_messages(record: dict[str, Any]) -> None:
    """Write a row's captured messages (:func:`capture_stderr`) to stderr."""
    if record.get("_stderr"):
        sys.stderr.write(record["_stderr"])
        sys.stderr.flush()


def run_rows(
    rows: Iterable[BatchRow],
    summary: Path | None,
    task: Task,
    *,
    engine: Engine,
    key_of: Callable[[dict[str, Any]], str | None],
    settings: Any,
    on_row: Callable[[dict[str, Any], bool], None],
    description: str,
    retry_errors: bool = False,
    overwrite: bool = False,
    total: int | None = None,
) -> int:
    """Run ``task`` over ``rows`` with a progress bar (rate and time left): into ``summary``
    (resumable, see :func:`spotdiff.batch.run_batch`), or with no summary to keep (None) just
    mapped. ``key_of`` and ``on_row(record, fresh)`` as in ``run_batch`` (a row kept from an
    earlier run, ``fresh=False``, as the input reaches it); the bar advances after it. ``rows`` is read as the rows run (a generator
    too); ``total``: their number, for the bar (None: ``len(rows)``).

    Returns:
        The number of rows kept from an earlier run.
    """
    from ..batch import run_batch

    with progress(len(rows) if total is None else total, description) as advance:

        def counted(record: dict[str, Any], fresh: bool) -> None:
            on_row(record, fresh)
            advance(fresh)

        if summary is None:  # nothing to keep: no summary to resume
            for record in engine.map(task, (row.payload for row in rows)):
                counted(record, True)
            return 0
        run = run_batch(
            rows,
            summary,
            task,
            key_of=key_of,
            settings=settings,
            engine=engine,
            retry_errors=retry_errors,
            overwrite=overwrite,
            on_row=counted,
        )
    return run.kept
