"""``spotdiff imgdiff``: the ImgDiff difference-area generator over a JSONL dataset, resumable."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from .._errors import InvalidOptionError
from . import app
from ._common import progress

HELP = """Find the object-level differences of image pairs with captions (Data-Juicer's ImgDiff
difference-area generator) for every row of a JSONL file.

\b
Each input row is a JSON object with image_path1, image_path2, caption1, caption2 (other fields
are copied). Each output row is the input row plus
  "__dj__meta__": {"__dj__bbox__": [[cx, cy, w, h], ...], "spotdiff_imgdiff": {...},
                   "spotdiff_line": N}
([[0, 0, 0, 0]] when the pair is filtered out), or, when the row fails, the input row plus
"error": "...". Rows are written as they finish (one line each, flushed).

\b
Examples:
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl --config imgdiff.yaml --backend classical
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl --retry-errors      # resume, redo failed rows

\b
The config file (YAML or JSON) holds the operator's arguments:
  image_pair_similarity_filter_args: {min_score_1: 0.1, max_score_1: 1.0, hf_clip: ...}
  image_segment_mapper_args: {imgsz: 1024, conf: 0.05, iou: 0.5, model_path: FastSAM-x.pt}
  image_text_matching_filter_args: {min_score: 0.1, max_score: 1.0, hf_blip: ...}
  backend: auto
\b
or a Data-Juicer recipe whose `process` list has imgdiff_difference_area_generator_mapper or
spotdiff_difference_area_generator_mapper.

Resuming: when OUTPUT exists, rows already in it (by --id-field, else by line number) are
skipped and new rows are appended; --overwrite starts again.

Exit codes: 0 every row done, 2 bad options or any row failed (the others are written).
"""

_OP_NAMES = (
    "spotdiff_difference_area_generator_mapper",
    "imgdiff_difference_area_generator_mapper",
)
_CONFIG_KEYS = {
    "image_pair_similarity_filter_args",
    "image_segment_mapper_args",
    "image_text_matching_filter_args",
    "backend",
    "device",
    "batch_size",
    "crop_batch_size",
    "meta_key",
    "find_options",
    "accelerator",
    "num_proc",
}
LINE_KEY = "spotdiff_line"
META = "__dj__meta__"


def load_config(path: Path) -> dict[str, Any]:
    """The operator's keyword arguments from a YAML / JSON file (plain or a Data-Juicer recipe)."""
    text = Path(path).read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        from .._optional import require

        data = require("yaml", purpose="reading --config YAML files").safe_load(text)
    data = data or {}
    if not isinstance(data, dict):
        raise InvalidOptionError(
            f"{path}: expected a mapping of options, got {type(data).__name__}"
        )
    if "process" in data:
        ops = [op for op in data["process"] or [] if isinstance(op, dict)]
        found = [op[name] or {} for op in ops for name in _OP_NAMES if name in op]
        if not found:
            raise InvalidOptionError(
                f"{path}: the recipe's process list has no {' or '.join(_OP_NAMES)}"
            )
        data = dict(found[0])
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        raise InvalidOptionError(
            f"{path}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(_CONFIG_KEYS))}"
        )
    data = dict(data)
    if "crop_batch_size" in data:
        data["batch_size"] = data.pop("crop_batch_size")
    data.pop("num_proc", None)
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _key(row: dict[str, Any], line: int, id_field: str | None) -> str:
    if id_field is not None and isinstance(row, dict) and id_field in row:
        return f"id:{row[id_field]}"
    return f"line:{line}"


def _scan_output(path: Path, id_field: str | None, retry_errors: bool) -> set[str]:
    """Keys of rows already in ``path``; drops a torn last line and (optionally) error rows."""
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is torn (or empty)
    done: set[str] = set()
    kept: list[bytes] = []
    for chunk in complete:
        try:
            row = json.loads(chunk)
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        if retry_errors and "error" in row:
            continue
        line = (row.get(META) or {}).get(LINE_KEY)
        done.add(_key(row, line, id_field))
        kept.append(chunk)
    if len(kept) != len(complete) or lines[-1]:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"".join(c + b"\n" for c in kept))
        os.replace(tmp, path)
    return done


def _rows(path: Path, image_root: Path | None) -> Iterator[tuple[int, Any, str | None]]:
    """``(line number, row or None, parse error)`` for every non-blank line (streaming)."""
    with open(path, encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except ValueError as exc:
                yield number, None, f"line {number} is not JSON: {exc}"
                continue
            if not isinstance(row, dict):
                yield number, None, f"line {number} is not a JSON object"
                continue
            if image_root is not None:
                for field in ("image_path1", "image_path2"):
                    value = row.get(field)
                    if isinstance(value, str) and not os.path.isabs(value):
                        row[field] = str(image_root / value)
            yield number, row, None


@app.command("imgdiff", help=HELP, no_args_is_help=True)
def imgdiff_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="JSONL file of image pairs with captions.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML / JSON options (see above).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="auto (default), models or classical.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="torch device: cpu, cuda, cuda:1.")] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Crops per forward pass (32).")
    ] = None,
    id_field: Annotated[
        str | None, typer.Option("--id-field", help="Row field that keys resuming (default: line).")
    ] = None,
    image_root: Annotated[
        Path | None, typer.Option("--image-root", help="Folder that relative image paths are in.")
    ] = None,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="On resume, redo the rows that failed.")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Ignore an existing OUTPUT.")] = (
        False
    ),
) -> int:
    from ..imgdiff import DifferenceAreaGenerator

    if not input_path.is_file():
        raise InvalidOptionError(f"{input_path}: no such file; pass a JSONL file of image pairs")
    options = load_config(config) if config is not None else {}
    for name, value in (("backend", backend), ("device", device), ("batch_size", batch_size)):
        if value is not None:
            options[name] = value
    op = DifferenceAreaGenerator(**options)
    op.prepare()  # a missing model with backend=models fails here, before any row

    done: set[str] = set()
    if output.exists() and not overwrite:
        done = _scan_output(output, id_field, retry_errors)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(b"")
    with open(input_path, encoding="utf-8") as fh:
        total = sum(1 for line in fh if line.strip())
    counts = {"written": 0, "skipped": 0, "errors": 0}
    with open(output, "a", encoding="utf-8") as out, progress(total, "pairs") as advance:
        for number, row, problem in _rows(input_path, image_root):
            if _key(row or {}, number, id_field) in done:
                counts["skipped"] += 1
                advance()
                continue
            record = dict(row) if row is not None else {}
            try:
                if problem is not None:
                    raise InvalidOptionError(problem)
                record = op.process_single(row)
                record[META] = {**record[META], LINE_KEY: number}
                counts["written"] += 1
            except Exception as exc:  # a failing row is recorded and the run goes on
                meta = record.get(META) if isinstance(record.get(META), dict) else {}
                record = {**record, META: {**meta, LINE_KEY: number}}
                record["error"] = f"{type(exc).__name__}: {exc}"
                counts["errors"] += 1
            out.write(json.dumps(record, default=_json_default) + "\n")
            out.flush()
            advance()
    sys.stderr.write(
        f"{counts['written']} written, {counts['skipped']} already done, "
        f"{counts['errors']} failed, of {total} rows -> {output}\n"
    )
    return 2 if counts["errors"] else 0
