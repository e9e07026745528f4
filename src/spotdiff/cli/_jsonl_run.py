"""The JSONL batch commands (``spotdiff imgdiff IN.jsonl``, ``spotdiff ground --batch``) on the
batch runner (:func:`spotdiff.batch.run_batch`).

Each non-blank input line is one row (:func:`spotdiff.batch.manifest_rows`: key ``id:VALUE`` of
``--id-field``, else ``line:N``). Its output row (:func:`line_record`, shared by the commands'
tasks) is the command's record of the input row with ``__dj__meta__.spotdiff_line = N``, or the
input row plus ``"error"`` (a line that is not UTF-8 / JSON / an object, a row without the
``--id-field``, a pair that fails); the run goes on. :func:`check_output` refuses, before any
model loads, an OUTPUT that is not this command's; :func:`run_manifest` is the run: rows written
in input order, resumed by key when ``OUTPUT.run.json`` holds the same settings, messages
printed in row order, and the closing counts line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import InvalidOptionError

if TYPE_CHECKING:
    from ..batch import Engine, Task
    from ..batch._jsonl import InputLine

__all__ = [
    "check_first_row",
    "check_output",
    "check_paths",
    "line_record",
    "output_key",
    "run_manifest",
]


def check_paths(input_path: Path, output: Path) -> None:
    """INPUT must be a file, OUTPUT not a folder and not the input itself (checked before
    anything is read: ``-o`` equal to the input used to loop forever)."""
    if not input_path.is_file():
        what = "is a directory" if input_path.is_dir() else "no such file"
        raise InvalidOptionError(f"{input_path}: {what}; pass a JSONL file of image pairs")
    if output.is_dir():
        raise InvalidOptionError(f"-o {output} is a directory; pass the JSONL file to write")
    if output.exists() and os.path.samefile(input_path, output):
        raise InvalidOptionError(
            f"-o {output} is the input file {input_path}; write the output to another file "
            "(the input is never written to)"
        )


def check_first_row(input_path: Path, id_field: str) -> None:
    """--id-field naming no field of the first row is a typo: one error line, nothing written."""
    from ..batch._jsonl import read_rows

    first = next((line for line in read_rows(input_path) if line.row is not None), None)
    if first is not None and first.row.get(id_field) is None:
        fields = ", ".join(map(str, first.row)) or "none"
        raise InvalidOptionError(
            f"--id-field {id_field!r}: the first row (line {first.number}) has no such field "
            f"(its fields: {fields}); name a field every row has, or leave --id-field out to "
            "key rows by line number"
        )


def line_record(
    line: InputLine, id_field: str | None, work: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The output row of one input line.

    ``work(row)`` makes the command's record of a valid row (a new dict); the record gets
    ``__dj__meta__.spotdiff_line`` (the line number, beside the meta it has). A bad line, a row
    without ``id_field`` or an exception in ``work`` give the input row (``{}`` for a line that
    is no object) plus ``"error": "ExceptionType: message"``. Warnings and the error line
    (``spotdiff: error: line N: ...``) are returned in ``"_stderr"`` (printed by the parent in
    row order, never written to the output).
    """
    from ..batch._jsonl import LINE_KEY, META
    from ._batch_run import capture_stderr
    from ._common import warnings_to_stderr

    def record_of_line() -> dict[str, Any]:
        record = dict(line.row) if line.row is not None else {}
        with warnings_to_stderr():
            try:
                if line.problem is not None:
                    raise InvalidOptionError(line.problem)
                if id_field is not None and record.get(id_field) is None:
                    raise InvalidOptionError(
                        f"row has no field {id_field!r} (--id-field); add it, or leave "
                        "--id-field out to key rows by line number"
                    )
                record = work(dict(record))
            except Exception as exc:  # a failing row is recorded and the run goes on
                record["error"] = " ".join(f"{type(exc).__name__}: {exc}".split())
                sys.stderr.write(f"spotdiff: error: line {line.number}: {record['error']}\n")
        meta = record.get(META)
        record[META] = {**(meta if isinstance(meta, Mapping) else {}), LINE_KEY: line.number}
        return record

    return capture_stderr(record_of_line)


def output_key(record: dict[str, Any], id_field: str | None) -> str | None:
    """The key of a row read back from OUTPUT (as :func:`spotdiff.batch.manifest_rows` keys its
    input line), None for a line that is no row of these commands."""
    from ..batch._jsonl import LINE_KEY, META, row_key

    meta = record.get(META)
    number = meta.get(LINE_KEY) if isinstance(meta, dict) else None
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    return row_key(record, number, id_field)


def check_output(
    output: Path, settings: dict[str, Any], *, id_field: str | None, overwrite: bool
) -> None:
    """Before any model loads: an existing OUTPUT that this run would start again (other or no
    settings) is refused when it is not an output of these commands (it would be lost), with a
    warning when it has rows but no settings file. A resumed OUTPUT is read by the run."""
    from ..batch import settings_path
    from ..batch._jsonl import scan_output
    from ..batch._runner import _earlier_settings

    if overwrite or not output.exists():
        return
    earlier = _earlier_settings(output)
    if earlier == _as_json(settings):
        return
    scan = scan_output(output, id_field=id_field, retry_errors=False)  # raises when not ours
    if earlier is None and (scan.done or scan.torn):
        sys.stderr.write(
            f"spotdiff: warning: {output} has no settings file {settings_path(output).name} "
            "(written by an older spotdiff, or stopped before its first row); this run starts "
            "again (the file is replaced when its first row is written)\n"
        )


def _as_json(settings: dict[str, Any]) -> Any:
    """``settings`` as read back from OUTPUT.run.json (tuples become lists, ...)."""
    return json.loads(json.dumps(settings, sort_keys=True, default=str))


def run_manifest(
    input_path: Path,
    output: Path,
    task: Task,
    *,
    engine: Engine,
    id_field: str | None,
    settings: dict[str, Any],
    retry_errors: bool,
    overwrite: bool,
    description: str,
) -> int:
    """Run ``task`` (its ``run`` returns :func:`line_record`'s rows) over every line of
    ``input_path`` into ``output`` on ``engine`` (:func:`~._batch_run.run_rows`: the runner
    with its progress bar); write the closing line (written, already done, failed, of all
    rows); return the failed rows of the final OUTPUT (error rows kept from an earlier run
    included).

    Args:
        settings: what the rows depend on (JSON-able; ``OUTPUT.run.json``): the same settings
            resume OUTPUT, other ones start it again with a warning. The command calls
            :func:`check_output` with them first, before it loads any model.
        description: the progress bar's label.
    """
    from collections import Counter

    from ..batch import manifest_rows
    from ..batch._rows import count_rows
    from ._batch_run import run_rows

    rows = manifest_rows(input_path, id_field=id_field)  # read as the rows run
    counts: Counter[str] = Counter()
    shown: set[str] = set()

    def on_row(record: dict[str, Any], fresh: bool) -> None:
        failed = "error" in record
        counts[("errors" if failed else "written") if fresh else "kept"] += 1
        counts["kept_failed"] += failed and not fresh
        for text in str(record.get("_stderr") or "").splitlines(keepends=True) if fresh else ():
            if text.startswith("spotdiff: warning: "):  # each warning once per run
                if text in shown:
                    continue
                shown.add(text)
            sys.stderr.write(text)
        sys.stderr.flush()

    run_rows(rows, output, task, engine=engine, key_of=lambda r: output_key(r, id_field),
             settings=_as_json(settings), on_row=on_row, description=description,
             retry_errors=retry_errors, overwrite=overwrite,
             total=count_rows(input_path))  # fmt: skip
    earlier = counts["kept_failed"]
    failed = counts["errors"] + earlier
    note = f" ({earlier} from an earlier run; --retry-errors redoes them)" if earlier else ""
    sys.stderr.write(
        f"{counts['written']} written, {counts['kept']} already done, {failed} failed{note}, "
        f"of {counts['written'] + counts['errors'] + counts['kept']} rows -> {output}\n"
    )
    return failed
