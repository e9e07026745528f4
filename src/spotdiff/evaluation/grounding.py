"""Grounding metrics and the grounding JSONL row format.

Metrics (as in MIG-Bench and the referring-expression literature): for each query the top box
is compared with the one truth box; ``Acc@t`` is the share of queries whose top box has IoU >=
``t`` with the truth (t = 0.3, 0.5, 0.7), ``mean_iou`` the mean of those IoUs. A query with no
predicted box counts as IoU 0.

Rows (one JSON object per line; the input of ``spotdiff ground --batch`` and of
:func:`read_grounding_jsonl`)::

    {"id": "p1", "image1": "a.png", "image2": "b.png", "query": "the red cup that vanished",
     "box": [x1, y1, x2, y2]}

- ``image1``, ``image2``: paths (relative paths are taken from the file's folder, or from
  ``image_root``);
- ``query`` (a string) or ``queries`` (a list of strings, the same pair);
- optional ``id`` and truth: ``box`` (xyxy in image-1 pixels, exclusive ends) for ``query``,
  ``boxes`` (one per query) for ``queries``; other fields are kept.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InvalidOptionError
from .metrics import box_iou

__all__ = [
    "THRESHOLDS",
    "GroundingRow",
    "grounding_accuracy",
    "grounding_ious",
    "parse_grounding_row",
    "read_grounding_jsonl",
]

#: The IoU thresholds reported (Acc@0.3 / 0.5 / 0.7).
THRESHOLDS = (0.3, 0.5, 0.7)


def grounding_ious(pred: Any, truth: Any) -> np.ndarray:
    """(Q,) IoU of each predicted top box with its truth box.

    Args:
        pred: (Q, 4) xyxy top boxes; a row of NaN (or None in a list) means no prediction.
        truth: (Q, 4) xyxy truth boxes.

    Raises:
        InvalidOptionError: shapes differ or are not (Q, 4).
    """
    rows = [[math.nan] * 4 if p is None else p for p in pred] if isinstance(pred, list) else pred
    p = np.asarray(rows, dtype=np.float64).reshape(-1, 4) if len(rows) else np.zeros((0, 4))
    t = np.asarray(truth, dtype=np.float64).reshape(-1, 4) if len(truth) else np.zeros((0, 4))
    if p.shape != t.shape:
        raise InvalidOptionError(
            f"pred and truth must both be (Q, 4) boxes, one per query; got {p.shape} and {t.shape}"
        )
    missing = ~np.isfinite(p).all(axis=1)
    out = np.zeros(len(p))
    ok = ~missing
    if ok.any():
        out[ok] = np.diag(box_iou(p[ok], t[ok]))
    return out


def grounding_accuracy(
    pred: Any, truth: Any, *, thresholds: Sequence[float] = THRESHOLDS
) -> dict[str, float]:
    """``{"acc@0.3": ..., "acc@0.5": ..., "acc@0.7": ..., "mean_iou": ..., "n": Q}``.

    ``pred`` and ``truth`` as in :func:`grounding_ious`; accuracies are shares in [0, 1]
    (NaN for no query).
    """
    ious = grounding_ious(pred, truth)
    n = len(ious)
    out = {f"acc@{t:g}": float((ious >= t).mean()) if n else math.nan for t in thresholds}
    out["mean_iou"] = float(ious.mean()) if n else math.nan
    out["n"] = n
    return out


@dataclass(frozen=True)
class GroundingRow:
    """One pair with its queries (and truth boxes when given).

    Attributes:
        image1, image2: paths as resolved.
        queries: the sentences.
        boxes: (Q, 4) float32 truth boxes xyxy in image-1 pixels, or None (no truth).
        id: the row's ``id`` or None.
        extra: the row's other fields.
    """

    image1: str
    image2: str
    queries: tuple[str, ...]
    boxes: np.ndarray | None = None
    id: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _box(value: Any, where: str) -> list[float]:
    ok = isinstance(value, list | tuple) and len(value) == 4
    nums = []
    if ok:
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                ok = False
                break
            nums.append(float(v))
    if not ok or nums[2] < nums[0] or nums[3] < nums[1]:
        raise InvalidOptionError(
            f"{where} must be [x1, y1, x2, y2] (four numbers, image-1 pixels, x2 >= x1, "
            f"y2 >= y1); got {value!r}"
        )
    return nums


def parse_grounding_row(row: Mapping[str, Any], *, root: Path | None = None) -> GroundingRow:
    """Check one row (module docstring) and resolve its paths against ``root``.

    Raises:
        InvalidOptionError: a field is missing or malformed (the message names it).
    """
    if not isinstance(row, Mapping):
        raise InvalidOptionError(f"a row must be a JSON object, got {type(row).__name__}")
    paths = []
    for name in ("image1", "image2"):
        value = row.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidOptionError(
                f"row has no {name!r} path (got {value!r}); each row needs image1, image2 and "
                "query (or queries)"
            )
        if root is not None and not os.path.isabs(value):
            value = str(root / value)
        paths.append(value)
    if "query" in row and "queries" in row:
        raise InvalidOptionError("row has both 'query' and 'queries'; give one of them")
    if "queries" in row:
        queries = row["queries"]
        if (
            not isinstance(queries, list)
            or not queries
            or not all(isinstance(q, str) and q.strip() for q in queries)
        ):
            raise InvalidOptionError(
                f"'queries' must be a non-empty list of sentences, got {queries!r}"
            )
    else:
        query = row.get("query")
        if not isinstance(query, str) or not query.strip():
            raise InvalidOptionError(f"row has no 'query' sentence (got {query!r})")
        queries = [query]
    boxes = None
    if "queries" in row and row.get("boxes") is not None:
        given = row["boxes"]
        if not isinstance(given, list) or len(given) != len(queries):
            raise InvalidOptionError(
                f"'boxes' must hold one box per query ({len(queries)}), got {given!r}"
            )
        boxes = [_box(b, f"boxes[{i}]") for i, b in enumerate(given)]
    elif row.get("box") is not None:
        if "queries" in row:
            raise InvalidOptionError("a row with 'queries' gives its truth as 'boxes' (a list)")
        boxes = [_box(row["box"], "box")]
    known = {"image1", "image2", "query", "queries", "box", "boxes", "id"}
    return GroundingRow(
        image1=paths[0],
        image2=paths[1],
        queries=tuple(queries),
        boxes=None if boxes is None else np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        id=row.get("id"),
        extra={k: v for k, v in row.items() if k not in known},
    )


def read_grounding_jsonl(
    path: str | os.PathLike[str], *, image_root: str | os.PathLike[str] | None = None
) -> list[GroundingRow]:
    """Every row of a grounding JSONL file (blank lines skipped).

    Relative image paths are taken from ``image_root`` when given, else from the file's folder.

    Raises:
        InvalidOptionError: a line is not a JSON object or not a valid row (names the line).
    """
    path = Path(path)
    root = Path(image_root) if image_root is not None else path.parent
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                rows.append(parse_grounding_row(value, root=root))
            except (ValueError, InvalidOptionError) as exc:
                raise InvalidOptionError(f"{path} line {number}: {exc}") from exc
    return rows
