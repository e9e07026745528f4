"""Rows of the HTML report: the batch output of ``find``, ``imgdiff`` and ``ground``, read into
one shape the page draws.

Three schemas are understood, recognized per row (one file may mix them):

- ``find`` (``summary.jsonl`` and ``--json`` lines): :meth:`DiffResult.to_record` plus
  ``image1``, ``image2``, ``name`` and, for a failed pair, ``error``; regions
  ``{"box": [x1, y1, x2, y2], "score", "area", "kind"}`` in image-1 pixels; ``transform`` maps
  image-2 pixels to image-1 pixels; optional ``annotated`` / ``heatmap`` picture paths.
- ``ground``: find's schema plus ``"query"`` (a string or the parsed query object with its
  ``"text"``; shown and searched); a ``ground --batch`` row (``"results": [{"query", "box",
  "score", ...}]``) shows each query's answer box.
- ``imgdiff`` (Data-Juicer rows): ``image_path1``, ``image_path2``, ``caption1``, ``caption2``
  and ``__dj__meta__.__dj__bbox__``, boxes ``[cx, cy, w, h]`` (``[[0, 0, 0, 0]]``: none), or
  ``error``.

A row becomes a :class:`Row`: status ``"diff"`` (regions), ``"same"`` (none) or ``"error"``;
regions as ``[x1, y1, x2, y2, score | None, kind, area | None]``. Importing this module loads the
standard library only.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import InvalidOptionError

__all__ = ["Row", "iter_rows", "no_rows", "parse_row", "read_rows"]

_KINDS = ("added", "removed", "changed")


@dataclass
class Row:
    """One pair of the report.

    Attributes:
        name: what the list shows (the record's ``name``, else image 2's file name).
        status: ``"diff"``, ``"same"`` or ``"error"``.
        image1, image2: paths as the run wrote them (None when the row has none).
        size: ``(W, H)`` of image 1 when the record gives it.
        transform: (3, 3) nested lists, image-2 pixels to image-1 pixels, or None (identity).
        regions: ``[x1, y1, x2, y2, score, kind, area]`` each, image-1 pixels; ``score`` and
            ``area`` may be None.
        error: the row's error message, or None.
        source: ``"find"``, ``"ground"`` or ``"imgdiff"``.
        query, captions: ``ground``'s query; ``imgdiff``'s two captions.
        heatmap, annotated: pictures the run wrote for the pair, or None.
    """

    name: str
    status: str
    image1: str | None = None
    image2: str | None = None
    size: tuple[int, int] | None = None
    transform: list[list[float]] | None = None
    regions: list[list[Any]] = field(default_factory=list)
    error: str | None = None
    source: str = "find"
    query: str | None = None
    captions: tuple[str, str] | None = None
    heatmap: str | None = None
    annotated: str | None = None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _box(value: Any, where: str) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise InvalidOptionError(f"{where}: a box must be 4 numbers, got {value!r}")
    numbers = [_number(v) for v in value]
    if any(v is None for v in numbers):
        raise InvalidOptionError(f"{where}: a box must be 4 finite numbers, got {value!r}")
    return numbers  # type: ignore[return-value]


def _find_regions(record: Mapping[str, Any], where: str) -> list[list[Any]]:
    regions = record.get("regions") or []
    if not isinstance(regions, list):
        raise InvalidOptionError(f"{where}: 'regions' must be a list, got {type(regions).__name__}")
    out = []
    for i, region in enumerate(regions):
        if not isinstance(region, Mapping):
            raise InvalidOptionError(f"{where}: regions[{i}] must be an object, got {region!r}")
        x1, y1, x2, y2 = _box(region.get("box"), f"{where}: regions[{i}]")
        kind = region.get("kind")
        kind = kind if kind in _KINDS else "changed"
        area = _number(region.get("area"))
        out.append([x1, y1, x2, y2, _number(region.get("score")), kind, area])
    return out


def _dj_regions(record: Mapping[str, Any], where: str) -> list[list[Any]]:
    meta = record.get("__dj__meta__")
    boxes = meta.get("__dj__bbox__") if isinstance(meta, Mapping) else None
    if boxes is None:
        return []
    if not isinstance(boxes, list):
        raise InvalidOptionError(f"{where}: __dj__bbox__ must be a list of [cx, cy, w, h]")
    out = []
    for i, value in enumerate(boxes):
        cx, cy, w, h = _box(value, f"{where}: __dj__bbox__[{i}]")
        if w <= 0 or h <= 0:  # [[0, 0, 0, 0]]: the pair was filtered out, no box
            continue
        out.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, None, "changed", None])
    return out


def _query_text(value: Any) -> str | None:
    """ground's query: a string, or the parsed query object (its ``"text"``)."""
    if isinstance(value, Mapping):
        value = value.get("text")
    return _text(value)


def _ground_batch(record: Mapping[str, Any], where: str) -> tuple[list[list[Any]], str | None]:
    """A row of ``spotdiff ground --batch``: the answer box of each query in ``"results"``."""
    regions, queries = [], []
    for i, result in enumerate(record.get("results") or []):
        if not isinstance(result, Mapping):
            raise InvalidOptionError(f"{where}: results[{i}] must be an object, got {result!r}")
        text = _query_text(result.get("query"))
        if text:
            queries.append(text)
        if result.get("box") is not None:
            box = _box(result["box"], f"{where}: results[{i}]")
            regions.append([*box, _number(result.get("score")), "changed", None])
    return regions, "; ".join(queries) or None


def _size(record: Mapping[str, Any]) -> tuple[int, int] | None:
    size = record.get("size")
    if isinstance(size, list | tuple) and len(size) == 2:
        w, h = (_number(v) for v in size)
        if w and h and w > 0 and h > 0:
            return int(w), int(h)
    return None


def _transform(record: Mapping[str, Any]) -> list[list[float]] | None:
    matrix = record.get("transform")
    if not record.get("aligned") or not isinstance(matrix, list) or len(matrix) != 3:
        return None
    try:
        rows = [[float(v) for v in row] for row in matrix]
    except (TypeError, ValueError):
        return None
    if any(len(row) != 3 or not all(math.isfinite(v) for v in row) for row in rows):
        return None
    return rows


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_row(record: Any, *, where: str = "row") -> Row:
    """One output row (a parsed JSON object) as a :class:`Row`.

    Raises:
        InvalidOptionError: ``record`` is not an object of a known schema, or holds a malformed
            box; the message names ``where`` (e.g. ``"results.jsonl line 3"``).
    """
    if not isinstance(record, Mapping):
        raise InvalidOptionError(
            f"{where}: expected a JSON object (a row of find, imgdiff or ground), got "
            f"{type(record).__name__}"
        )
    error = record.get("error")
    error = None if error is None else " ".join(str(error).split())
    if "image_path1" in record or "image_path2" in record or "__dj__meta__" in record:
        image1, image2 = _text(record.get("image_path1")), _text(record.get("image_path2"))
        regions = [] if error else _dj_regions(record, where)
        captions = (str(record.get("caption1", "")), str(record.get("caption2", "")))
        source, query = "imgdiff", None
    elif any(key in record for key in ("image1", "image2", "regions", "name")):
        image1, image2 = _text(record.get("image1")), _text(record.get("image2"))
        captions = None
        query = _query_text(record.get("query"))
        source = "ground" if "query" in record or "queries" in record else "find"
        if "results" in record and "regions" not in record:  # ground --batch
            regions, query = ([], None) if error else _ground_batch(record, where)
            query = query or _query_text(record.get("query"))
            source = "ground"
        else:
            regions = [] if error else _find_regions(record, where)
    else:
        keys = ", ".join(list(map(str, record))[:8]) or "none"
        raise InvalidOptionError(
            f"{where}: not a row of find, imgdiff or ground (keys: {keys}); expected image1/"
            "image2/regions (find, ground) or image_path1/image_path2/__dj__meta__ (imgdiff)"
        )
    name = _text(record.get("name")) or _text(record.get("id"))
    if name is None:
        name = Path(image2 or image1 or "?").name
    status = "error" if error else ("diff" if regions else "same")
    return Row(
        name=str(name),
        status=status,
        image1=image1,
        image2=image2,
        size=_size(record),
        transform=_transform(record),
        regions=regions,
        error=error,
        source=source,
        query=query,
        captions=captions,
        heatmap=_text(record.get("heatmap")),
        annotated=_text(record.get("annotated")),
    )


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except UnicodeDecodeError as exc:
        raise InvalidOptionError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected the JSON "
            "lines written by spotdiff find --json, imgdiff or ground"
        ) from exc


def iter_rows(source: str | os.PathLike[str] | Iterable[Mapping[str, Any]]) -> Iterator[Row]:
    """The rows of a results file (JSON lines; blank lines skipped) or of parsed records, one at
    a time (:func:`read_rows` without the list; an empty source yields nothing).

    Raises:
        FileNotFoundError: the file does not exist (at the first ``next``).
        InvalidOptionError: a line is not JSON or not a row (the message names the line).
    """
    if not isinstance(source, str | os.PathLike):
        for i, r in enumerate(source, start=1):
            yield r if isinstance(r, Row) else parse_row(r, where=f"row {i}")
        return
    path = Path(source)
    if path.is_dir():
        raise InvalidOptionError(
            f"{path} is a directory; give the results file (e.g. {path / 'summary.jsonl'})"
        )
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such results file; pass the JSONL rows of find, imgdiff or ground"
        )
    for number, line in _lines(path):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidOptionError(
                f"{where}: not JSON ({exc.msg}); expected one JSON object per line as "
                "spotdiff find --json, imgdiff or ground write them"
            ) from exc
        yield parse_row(record, where=where)


def no_rows(path: str | os.PathLike[str]) -> InvalidOptionError:
    """The error of a results file without a row."""
    return InvalidOptionError(
        f"{path} holds no rows; expected JSON lines of spotdiff find --json (or "
        "summary.jsonl), imgdiff or ground"
    )


def read_rows(source: str | os.PathLike[str] | Iterable[Mapping[str, Any]]) -> list[Row]:
    """The rows of a results file (JSON lines; blank lines skipped) or of parsed records.

    Raises:
        FileNotFoundError: the file does not exist.
        InvalidOptionError: a line is not JSON or not a row (the message names the line); the
            file holds no row.
    """
    rows = list(iter_rows(source))
    if not rows and isinstance(source, str | os.PathLike):
        raise no_rows(source)
    return rows
