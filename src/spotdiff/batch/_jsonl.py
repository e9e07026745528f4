"""JSONL streams for the batch commands: tolerant input, resumable append-only output.

- :func:`read_rows` reads the input as bytes and decodes each line on its own, so one line that
  is not UTF-8, not JSON or not an object becomes one :class:`InputLine` with a ``problem``
  instead of ending the run.
- :func:`scan_output` reads an existing output before a resume: the keys of the rows already
  there, how many of them are error rows, and whether its last line is torn (a run killed in the
  middle of a write); :func:`repair_output` then cuts the torn line off (or, with
  ``retry_errors``, rewrites the file without its error rows, atomically).
- :class:`RowWriter` appends one JSON object per line with a single ``write`` system call, so an
  interrupted run leaves at most one torn last line, which the next resume removes.

Rows are keyed for resuming by ``--id-field`` (``"id:<json value>"``) or by line number
(``"line:<n>"``, also for rows that have no id).
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import _temp_beside, atomic_path
from .._errors import InvalidOptionError

__all__ = [
    "LINE_KEY",
    "META",
    "InputLine",
    "OutputScan",
    "RowWriter",
    "join_image_root",
    "read_rows",
    "repair_output",
    "resume_output",
    "row_key",
    "scan_output",
]

#: Data-Juicer's meta field; the batch commands put the input line number in it.
META = "__dj__meta__"
LINE_KEY = "spotdiff_line"


@dataclass(frozen=True)
class InputLine:
    """One non-blank input line: its 1-based ``number`` and the ``row`` or the ``problem``."""

    number: int
    row: dict[str, Any] | None
    problem: str | None = None


def _decode(raw: bytes, number: int) -> tuple[Any, str | None]:
    """``(value, None)`` for a line of JSON, else ``(None, what is wrong with it)``."""
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (
            f"line {number} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
            f"{exc.start + 1}); re-encode the file as UTF-8"
        )
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"line {number} is not JSON: {exc}"


def read_rows(path: str | os.PathLike[str]) -> Iterator[InputLine]:
    """Every non-blank line of the JSONL file ``path``, streamed, one :class:`InputLine` each.

    Lines are split on ``\\n`` and decoded one by one (a UTF-8 byte-order mark on the first line
    is allowed).
    """
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            value, problem = _decode(raw, number)
            if problem is not None:
                yield InputLine(number, None, problem)
                continue
            if not isinstance(value, dict):
                kind = "null" if value is None else type(value).__name__
                problem = f"line {number} is not a JSON object (got {kind}); each line is one row"
                yield InputLine(number, None, problem)
                continue
            yield InputLine(number, value)


def join_image_root(row: dict[str, Any], image_root: Path | None) -> dict[str, Any]:
    """``row`` with relative ``image_path1`` / ``image_path2`` joined to ``image_root`` (a new
    dict; ``row`` itself when there is no root)."""
    if image_root is None:
        return row
    out = dict(row)
    for name in ("image_path1", "image_path2"):
        given = out.get(name)
        if isinstance(given, str) and not os.path.isabs(given):
            out[name] = str(image_root / given)
    return out


def row_key(row: dict[str, Any] | None, number: Any, id_field: str | None) -> str:
    """The resume key of a row: its ``id_field`` value when it has one, else its line number."""
    if id_field is not None and row is not None and row.get(id_field) is not None:
        return "id:" + json.dumps(row[id_field], sort_keys=True, default=str)
    return f"line:{number}"


@dataclass
class OutputScan:
    """What :func:`scan_output` found in an existing output file.

    Attributes:
        done: keys (:func:`row_key`) of the rows to skip on resume.
        failed: error rows kept (they count as failed rows of the run).
        retried: error rows to drop because they are redone (``retry_errors``).
        keep_end: byte offset just after the last line to keep (the rest is a torn line).
        torn: bytes of the torn last line (0 when the file ends cleanly).
        needs_newline: the last kept row lacks its final newline.
    """

    done: set[str] = field(default_factory=set)
    failed: int = 0
    retried: int = 0
    keep_end: int = 0
    torn: int = 0
    needs_newline: bool = False


def _not_ours(path: Path, number: int, what: str) -> InvalidOptionError:
    return InvalidOptionError(
        f"{path} line {number} {what}, so it is not an output of this command that can be "
        "resumed; fix or remove that line, pass --overwrite to start again, or choose another -o"
    )


def scan_output(
    path: str | os.PathLike[str],
    *,
    id_field: str | None,
    retry_errors: bool,
    key_of: Callable[[Any], str | None] | None = None,
    on_kept: Callable[[dict[str, Any]], None] | None = None,
) -> OutputScan:
    """Read an existing output (streamed; nothing is changed, see :func:`repair_output`).

    A last line that is not JSON but starts like a row (``{``, or NUL bytes a crash left) is a
    torn write (``torn`` > 0). Any other line that is not a JSON object with
    ``__dj__meta__.spotdiff_line`` means the file is not this command's output.

    ``key_of`` (other outputs, e.g. ``find``'s summary.jsonl): the key of a row read back, None
    for a line that is not a row of that output; it replaces the line-number key and
    ``id_field``. ``on_kept`` is called with every row kept (not redone).

    Raises:
        InvalidOptionError: a line other than the last is not an output row (nothing touched).
    """
    path = Path(path)
    scan = OutputScan()
    bad: tuple[int, int, str] | None = None  # (line number, byte offset, why) of a bad line
    offset = 0
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                if bad is None:
                    scan.keep_end = offset
                continue
            if bad is not None:  # the bad line was not the last one
                raise _not_ours(path, bad[0], bad[2])
            value, problem = _decode(raw, number)
            if problem is not None:
                body = raw.strip(b"\x00 \t\r\n")
                if body and not body.startswith(b"{"):
                    raise _not_ours(path, number, "is not JSON")  # nor part of a row of ours
                bad = (number, start, "is not JSON")
                continue
            if key_of is not None:
                key = key_of(value) if isinstance(value, dict) else None
                if key is None:
                    raise _not_ours(path, number, "is not a row of this output")
            else:
                meta = value.get(META) if isinstance(value, dict) else None
                line = meta.get(LINE_KEY) if isinstance(meta, dict) else None
                if not isinstance(line, int):
                    raise _not_ours(path, number, f"has no {META}.{LINE_KEY} line number")
                key = row_key(value, line, id_field)
            scan.keep_end = offset
            scan.needs_newline = not raw.endswith(b"\n")
            if "error" in value:
                if retry_errors:
                    scan.retried += 1
                    continue
                scan.failed += 1
            scan.done.add(key)
            if on_kept is not None:
                on_kept(value)
    if bad is not None:
        scan.torn = offset - bad[1]
        scan.needs_newline = False
    return scan


def repair_output(path: str | os.PathLike[str], scan: OutputScan) -> None:
    """Make ``path`` end with its last complete row, dropping error rows if they are redone.

    Cutting a torn line truncates the file in place; dropping error rows writes the kept lines to
    a temporary file that replaces ``path`` only when complete (through a symlink: its target).
    """
    path = Path(os.path.realpath(path))
    if scan.retried:
        offset = 0
        with atomic_path(path) as tmp, open(path, "rb") as src, open(tmp, "wb") as dst:
            for raw in src:
                if offset >= scan.keep_end:
                    break  # the torn last line
                offset += len(raw)
                value, problem = _decode(raw, 0)
                if problem is None and isinstance(value, dict) and "error" in value:
                    continue  # redone by this run
                dst.write(raw if raw.endswith(b"\n") else raw + b"\n")
            shutil.copymode(path, tmp)
        return
    if scan.torn:
        os.truncate(path, scan.keep_end)
    if scan.needs_newline:
        with open(path, "ab") as fh:
            fh.write(b"\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


class RowWriter:
    """Append rows to a JSONL file, one line per :meth:`write`, each in one system call.

    Use as a context manager. The file is created if needed and opened in append mode; a row is
    serialized completely before anything is written, so a crash leaves at most a torn last line.

    With ``replace=True`` an existing file is kept until the first row: that row goes to a
    temporary file beside ``path`` which then replaces it (``os.replace``; through a symlink,
    its target, whose permissions the new file keeps), later rows are appended to it; a run that
    writes no row leaves ``path`` as it was. ``rows`` counts the rows written.
    """

    def __init__(self, path: str | os.PathLike[str], *, replace: bool = False) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._tmp: Path | None = None
        self._real = self.path
        self._replace = replace
        self.rows = 0

    def __enter__(self) -> RowWriter:
        target = self.path
        if self._replace:
            self._real = Path(os.path.realpath(self.path))
            target = self._tmp = _temp_beside(self._real)
        self._fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        return self

    def write(self, row: dict[str, Any]) -> None:
        if self._fd is None:
            raise RuntimeError("RowWriter.write outside its 'with' block")
        data = memoryview((json.dumps(row, default=_json_default) + "\n").encode("utf-8"))
        while data:
            data = data[os.write(self._fd, data) :]
        if self._tmp is not None:  # the first row: the new file takes the old one's place
            os.replace(self._tmp, self._real)
            self._tmp = None
        self.rows += 1

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        if self._tmp is not None:  # replace=True and no row written
            with contextlib.suppress(OSError):
                self._tmp.unlink()
            self._tmp = None


def resume_output(output: Path, scan: OutputScan) -> None:
    """Make ``output`` resumable as ``scan`` found it (:func:`repair_output`); a torn last line
    cut off is said in one warning line."""
    import sys

    repair_output(output, scan)
    if scan.torn:
        sys.stderr.write(
            f"spotdiff: warning: {output}: dropped its torn last line ({scan.torn} bytes, "
            "a run stopped mid-write); that row is done again\n"
        )
        sys.stderr.flush()
