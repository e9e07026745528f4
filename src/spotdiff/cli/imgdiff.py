"""``spotdiff imgdiff``: the ImgDiff difference-area generator over a JSONL dataset, resumable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .._validate import check_number
from . import app
from ._batch_run import EngineOption, check_batch_engine, model_engine
from ._imgdiff_config import load_config
from ._jsonl_run import check_first_row, check_output, check_paths

HELP = """Find the object-level differences of image pairs with captions (Data-Juicer's ImgDiff
difference-area generator) for every row of a JSONL file.

\b
Each input row is a JSON object with image_path1, image_path2, caption1, caption2 (other fields
are copied). Each output row is the input row plus
  "__dj__meta__": {"__dj__bbox__": [[cx, cy, w, h], ...], "spotdiff_imgdiff": {...},
                   "spotdiff_line": N}
([[0, 0, 0, 0]] when the pair is filtered out), or, when the row fails, the input row plus
"error": "...".

\b
Examples:
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl --config imgdiff.yaml --backend classical
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl --retry-errors      # resume, redo failed rows
  spotdiff imgdiff pairs.jsonl -o boxes.jsonl --backend classical --workers 8

\b
The config file (YAML or JSON) holds the operator's arguments:
  image_pair_similarity_filter_args: {min_score_1: 0.1, max_score_1: 1.0, hf_clip: ...}
  image_segment_mapper_args: {imgsz: 1024, conf: 0.05, iou: 0.5, model_path: FastSAM-x.pt}
  image_text_matching_filter_args: {min_score: 0.1, max_score: 1.0, hf_blip: ...}
  backend: auto
\b
or a Data-Juicer recipe whose `process` list has imgdiff_difference_area_generator_mapper or
spotdiff_difference_area_generator_mapper.

Rows are written as they finish, in input order, one line each (flushed), whatever --workers. --workers N runs
the rows in N processes, each loading its own models once: the default is 1 when a model runs
(one model copy per worker; more workers on one device mostly multiply its memory), else the
machine's cores (the model-free steps are CPU bound).

Resuming: OUTPUT.run.json beside OUTPUT holds what the rows depend on (the operator's options,
--id-field, --image-root; not --device, --batch-size or --workers). When OUTPUT exists and was
written with the same settings, rows already in it are skipped and new rows are appended; rows
are keyed by --id-field when given, else by line number. A torn last line (a run killed
mid-write) is cut off with a warning and redone; error rows already there count as failed
(--retry-errors redoes them). With other settings, or without OUTPUT.run.json, the run starts
again (a warning says so); a file that is not an output of this command is refused. Starting
again (and --overwrite) keeps the old OUTPUT until the first new row replaces it. OUTPUT must
not be INPUT.

\b
--id-field NAME: the first row must have the field (else one error line, nothing written); a
later row without it (or with null) becomes an error row "row has no field NAME (--id-field)".

\b
Bad lines (not UTF-8, not JSON, not an object, missing fields, unreadable images) become error
rows and the run goes on. stderr shows one "spotdiff: ..." line naming the backends that run,
"spotdiff: warning: ..." lines (each once), one "spotdiff: error: line N: ..." line per failed
row, and a summary: written, already done, failed, of all rows.

Exit codes: 0 every row in OUTPUT done, 2 bad options, or any row in OUTPUT failed (the others
are written).
"""


def describe_backends(backends: Any) -> str:
    """:meth:`Backends.describe <spotdiff.imgdiff.Backends.describe>` as one line."""
    return " ".join(str(backends.describe()).split())


def _options(
    config: Path | None, backend: str | None, device: str | None, batch_size: int | None
) -> dict[str, Any]:
    options = load_config(config) if config is not None else {}
    if batch_size is not None:
        options["batch_size"] = check_number("--batch-size", batch_size, low=1, integer=True)
    for name, value in (("backend", backend), ("device", device)):
        if value is not None:
            options[name] = value
    device = options.get("device")
    if isinstance(device, str) and device.strip().lower() == "auto":
        options["device"] = None
    elif device is not None:
        from .._device import resolve_device

        options["device"] = str(resolve_device(device))
    return options


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
        str | None, typer.Option("--backend", help="auto (default), models or classical.")
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="torch device: auto (default), cpu, cuda:1.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Crops per forward pass (32).")
    ] = None,
    id_field: Annotated[
        str | None,
        typer.Option("--id-field", help="Row field that keys resuming (default: line number)."),
    ] = None,
    image_root: Annotated[
        Path | None, typer.Option("--image-root", help="Folder that relative image paths are in.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes, each with its own models (default: 1 when a model runs, else the "
            "machine's cores).",
        ),
    ] = None,
    engine: EngineOption = "local",
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="On resume, redo the rows that failed.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the HTML report of OUTPUT into this folder (open its index.html).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Start again instead of resuming OUTPUT.")
    ] = False,
) -> int:
    check_paths(input_path, output)  # before anything is read
    options = _options(config, backend, device, batch_size)
    # --workers / --engine checked now (a bad value is one error line); the one engine is made
    # once the backends are known (1 worker with a model; GPU actors on Ray with CUDA)
    check_batch_engine(workers, engine)
    if id_field is not None:
        check_first_row(input_path, id_field)

    from ..imgdiff import DifferenceAreaGenerator
    from ._imgdiff_run import imgdiff_settings, run_imgdiff, uses_models

    op = DifferenceAreaGenerator(**options)
    # an OUTPUT that is not ours: refused before any model loads
    check_output(output, imgdiff_settings(op, id_field, image_root), id_field=id_field,
                 overwrite=overwrite)  # fmt: skip
    backends = op.prepare()  # a missing model with backend=models fails here
    sys.stderr.write(f"spotdiff: {describe_backends(backends)}\n")
    runner = model_engine(
        workers, engine, models=uses_models(backends), device=options.get("device")
    )
    # main() shows every Python warning raised in here as one "spotdiff: warning:" line
    failed = run_imgdiff(
        input_path,
        output,
        op,
        backends,
        engine=runner,
        id_field=id_field,
        image_root=image_root,
        retry_errors=retry_errors,
        overwrite=overwrite,
    )
    if report is not None:
        from ..viz.report import build_report

        info = build_report(output, report, title=output.name)
        sys.stderr.write(f"report: {info.index}\n")
    return 2 if failed else 0
