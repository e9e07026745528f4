"""The inputs of a batch run as keyed rows (:class:`~spotdiff.batch.BatchRow`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ._runner import BatchRow

__all__ = ["count_rows", "directory_key", "directory_rows", "manifest_rows"]


def directory_key(name: str, path1: str | None, path2: str | None) -> str:
    """The key of a directory row: the pair's name (unique among pairs, see
    :func:`spotdiff.io.pair_directories`), or for a file without a match ``"only1:FILE"`` /
    ``"only2:FILE"`` (its file name; a file name is never on both sides unmatched)."""
    if path1 is not None and path2 is not None:
        return name
    if path1 is not None:
        return "only1:" + os.path.basename(path1)
    return "only2:" + os.path.basename(str(path2))


def directory_rows(dir1: Path, dir2: Path) -> list[BatchRow]:
    """Every pair and every unmatched file of two directories, sorted by file name, as rows
    whose payload is a :class:`spotdiff.io.DirectoryRow` (unmatched: one path None and
    ``error`` saying why)."""
    from ..io import directory_rows as listed

    return [
        BatchRow(
            directory_key(row.name, row.path1 and str(row.path1), row.path2 and str(row.path2)),
            row,
        )
        for row in listed(dir1, dir2)
    ]


def manifest_rows(path: Path, *, id_field: str | None = None) -> Iterator[BatchRow]:
    """Every non-blank line of a JSONL manifest, read line by line as the rows are taken (a
    generator: a manifest of millions of lines is never held in memory; :func:`count_rows`
    gives their number); payload a :class:`spotdiff.batch._jsonl.InputLine` (a line that is not
    a JSON object has ``problem`` set and is still a row), key ``id:VALUE`` of ``id_field`` or
    ``line:N``."""
    from ._jsonl import read_rows, row_key

    for line in read_rows(path):
        yield BatchRow(row_key(line.row, line.number, id_field), line)


def count_rows(path: Path) -> int:
    """The number of rows :func:`manifest_rows` gives: the non-blank lines of ``path`` (one
    pass over its bytes, no JSON decoded; the progress bar's total)."""
    with open(path, "rb") as fh:
        return sum(1 for raw in fh if raw.strip())
