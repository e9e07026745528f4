"""``spotdiff ground``: the box of the difference a sentence refers to (one pair, or a JSONL batch).

Thin over :func:`spotdiff.ground` (same option names). Without models nothing heavy is imported
(no torch): ``--backend auto`` uses CLIP only when its weights are on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._errors import InvalidOptionError
from . import app
from ._batch_run import EngineOption
from ._common import check_outputs, emit_json

if TYPE_CHECKING:
    from ..result import DiffResult

__all__ = ["ground_command", "ground_record"]

HELP = """Find the difference a sentence refers to: the candidate regions of a pair ranked by how
well each matches the query, the answer first.

\b
Examples:
  spotdiff ground before.png after.jpg "the thing that disappeared from the table"
  spotdiff ground a.png b.png "the red car that turned blue" --json
  spotdiff ground a.png b.png "the leftmost new object" -o answer.png --top-k 3
  spotdiff ground a.png b.png "what was added" "the biggest change"   # several queries, one pair
  spotdiff ground --batch queries.jsonl -o out.jsonl

The table lists the candidates (match probability, find's kind and score, the dominant colour
before/after, box x1 y1 x2 y2 in image-1 pixels) and what the query parser understood and did not.
--json prints one JSON object per query: find's schema plus "query" (the parsed query) and, per
region, "find_score", "colour_before", "colour_after", "kinds" (probabilities) and "cues" (the
cue values behind the ranking). -o draws the answer box (thick) over the other candidates (faint).

\b
--batch FILE: one JSON object per line, {"image1", "image2", "query" (or "queries": [...]),
optional "id" and truth "box": [x1, y1, x2, y2] (or "boxes", one per query)}; relative paths are
taken from --image-root, else from FILE's folder. -o OUTPUT (JSONL) gets one line per row: the row
plus "results": [{"query", "parsed", "box", "score", "regions", and with truth "iou"}], or
"error". Rows are written in input order, resumable like `spotdiff imgdiff` (OUTPUT.run.json
holds the settings; with the same ones rows already in OUTPUT are skipped, other ones start
again; --retry-errors redoes failed rows, --overwrite starts again); with truth boxes,
Acc@0.3/0.5/0.7 and mean IoU over OUTPUT are printed at the end. --workers N: processes, each
with its own ranker (default: 1 with CLIP, one model copy per worker; the machine's cores with
the model-free cues).

Backends: auto (CLIP when its weights are local, else cues), cues (model-free), clip (needs
transformers and CLIP weights; --clip DIR_OR_ID, --blip DIR_OR_ID for re-ranking).

Exit codes: 0 done, 2 bad input or options, or any batch row failed.
"""


def _region_extras(result: DiffResult) -> list[dict[str, Any]]:
    kinds = [k for k in ("added", "removed", "recoloured", "replaced") if f"p_{k}" in result.data]
    out = []
    for i in range(len(result)):
        cues = {
            name[4:]: round(float(v[i]), 4)
            for name, v in result.data.items()
            if name.startswith("cue_")
        }
        out.append(
            {
                "find_score": round(float(result.data["find_score"][i]), 4),
                "colour_before": str(result.data["colour_before"][i]),
                "colour_after": str(result.data["colour_after"][i]),
                "kinds": {k: round(float(result.data[f"p_{k}"][i]), 4) for k in kinds},
                "cues": cues,
            }
        )
    return out


def ground_record(path1: Any, path2: Any, result: DiffResult) -> dict[str, Any]:
    """The ``--json`` object of one query: ``find``'s record (:meth:`DiffResult.to_record`),
    the two paths, ``"query"`` (the parsed query) and per-region extras and cue values."""
    record = result.to_record()
    head = {"schema_version": record.pop("schema_version"), "image1": str(path1)}
    record = {**head, "image2": str(path2), "query": result.metadata.get("query"), **record}
    for region, extra in zip(record["regions"], _region_extras(result), strict=True):
        region.update(extra)
    record["backend"] = result.metadata.get("backend")
    return record


def _table(path1: Path, path2: Path, result: DiffResult) -> None:
    query = result.metadata.get("query") or {}
    n = result.metadata.get("candidates", len(result))
    out = sys.stdout
    out.write(f'{path1} vs {path2}: "{query.get("text", "")}" ({n} candidates, '
              f'{result.metadata.get("backend")})\n')  # fmt: skip
    from ..grounding.query import parse_query

    out.write(f"  understood: {parse_query(query.get('text', '?')).describe()}\n")
    if not len(result):
        out.write("  no candidate region: the images do not differ where find can see it\n")
        out.flush()
        return
    header = ("#", "match", "kind", "find", "colour", "x1", "y1", "x2", "y2")
    rows = []
    for i, r in enumerate(result.to_record()["regions"]):
        colour = f"{result.data['colour_before'][i]}>{result.data['colour_after'][i]}"
        find = f"{float(result.data['find_score'][i]):.2f}"
        rows.append(
            (
                str(i + 1),
                f"{r['score']:.3f}",
                r["kind"],
                find,
                colour,
                *(f"{v:g}" for v in r["box"]),
            )
        )
    widths = [max(len(row[c]) for row in (header, *rows)) for c in range(len(header))]
    for row in (header, *rows):
        cells = [
            c.ljust(widths[k]) if k in (2, 4) else c.rjust(widths[k]) for k, c in enumerate(row)
        ]
        out.write("  " + "  ".join(cells).rstrip() + "\n")
    out.flush()


def _annotated(path1: Path, path2: Path, result: DiffResult, target: Path) -> None:
    import numpy as np

    from ..io import load_pair
    from ..viz import annotate_pair, save_images
    from ..viz.annotate import default_thickness

    pair = load_pair(path1, path2)
    a, b = pair[0], pair[1]
    a = a if isinstance(a, np.ndarray) else np.asarray(a)
    h1, w1 = a.shape[:2]
    gap = max(8, w1 // 100)
    faint = annotate_pair(a, b, result[1:], thickness=1, labels=False, gap=gap)
    plain = annotate_pair(a, b, result[:0], gap=gap)
    mixed = (0.4 * faint.astype(np.float32) + 0.6 * plain.astype(np.float32)).astype(np.uint8)
    left = np.ascontiguousarray(mixed[:h1, :w1])
    right = np.ascontiguousarray(mixed[: b.shape[0], w1 + gap : w1 + gap + b.shape[1]])
    picture = annotate_pair(
        left, right, result[:1], thickness=2 * default_thickness(w1, h1), gap=gap
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    save_images([(target, picture)])


def _options(clip: str | None, blip: str | None) -> dict[str, Any]:
    return {k: v for k, v in (("clip", clip), ("blip", blip)) if v is not None}


@app.command("ground", help=HELP)
def ground_command(
    image1: Annotated[Path | None, typer.Argument(help="First image (the reference).")] = None,
    image2: Annotated[Path | None, typer.Argument(help="Second image.")] = None,
    query: Annotated[
        list[str] | None, typer.Argument(help="The sentence(s) about one difference each.")
    ] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="JSONL file of pairs and queries (see above).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Annotated picture (one pair) or JSONL (--batch)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="JSON instead of the table.")] = False,
    top_k: Annotated[
        int | None, typer.Option("--top-k", help="Candidates kept (default all).")
    ] = None,
    backend: Annotated[str, typer.Option(help="auto, cues or clip.")] = "auto",
    sensitivity: Annotated[
        float | None, typer.Option(help="find's sensitivity for the candidates (default 0.6).")
    ] = None,
    clip: Annotated[str | None, typer.Option(help="CLIP directory or hub id.")] = None,
    blip: Annotated[str | None, typer.Option(help="BLIP ITM for re-ranking (dir or id).")] = None,
    device: Annotated[str | None, typer.Option(help="torch device for models.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Crops per forward pass.")] = 32,
    id_field: Annotated[
        str | None, typer.Option("--id-field", help="Row field that keys resuming (--batch).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="--batch: processes, each with its own models (default: 1 with a model "
            "backend, else the machine's cores).",
        ),
    ] = None,
    image_root: Annotated[
        Path | None, typer.Option("--image-root", help="Folder of relative image paths.")
    ] = None,
    engine: EngineOption = "local",
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="On resume, redo the rows that failed.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Start OUTPUT again instead of resuming.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="With --batch: the HTML report of OUTPUT in this folder."),
    ] = None,
) -> int:
    settings = {"top_k": top_k, "sensitivity": sensitivity}
    if batch is not None:
        if image1 is not None or query:
            raise InvalidOptionError(
                "--batch reads the pairs and queries from its file; leave out IMAGE1 IMAGE2 QUERY"
            )
        if output is None:
            raise InvalidOptionError("--batch needs -o OUTPUT.jsonl (the results file)")
        code = _run_batch(batch, output, backend, settings, id_field=id_field, workers=workers,
                          engine=engine,
                          image_root=image_root, retry_errors=retry_errors, overwrite=overwrite,
                          build={"device": device, "batch_size": batch_size,
                                 "options": _options(clip, blip)})  # fmt: skip
        if report is not None:
            from ..viz.report import build_report

            info = build_report(output, report, title=output.name)
            sys.stderr.write(f"report: {info.index}\n")
        return code
    if workers is not None:
        raise InvalidOptionError("--workers needs --batch (one pair runs in this process)")
    if report is not None:
        raise InvalidOptionError("--report needs --batch (the report shows a batch's rows)")
    if image1 is None or image2 is None or not query:
        raise InvalidOptionError(
            "give IMAGE1 IMAGE2 and at least one QUERY (e.g. spotdiff ground a.png b.png "
            "'the thing that disappeared'), or --batch FILE -o OUT.jsonl"
        )
    if output is not None:
        check_outputs([("--output", output)], directories=False)
    from ..grounding import ground

    results = ground(image1, image2, list(query), backend=backend, top_k=top_k,
                     sensitivity=sensitivity, device=device, batch_size=batch_size,
                     backend_options=_options(clip, blip))  # fmt: skip
    for result in results:
        if json_output:
            emit_json(ground_record(image1, image2, result))
        else:
            _table(image1, image2, result)
    if output is not None:
        _annotated(image1, image2, results[0], output)
    return 0


def _run_batch(
    batch: Path,
    output: Path,
    backend: str,
    settings: dict[str, Any],
    *,
    id_field: str | None,
    workers: int | None,
    engine: str = "local",
    image_root: Path | None,
    retry_errors: bool,
    overwrite: bool,
    build: dict[str, Any],
) -> int:
    """``--batch``: checks first (nothing written, no model loaded), then the run; the exit
    code. ``build``: :func:`spotdiff.grounding.resolve_ranker`'s keyword arguments."""
    from .._validate import check_number
    from ..grounding import resolve_ranker
    from ._batch_run import check_batch_engine, model_engine
    from ._ground_run import GroundTask, ground_settings, run_ground_batch
    from ._jsonl_run import check_first_row, check_output, check_paths

    if settings["top_k"] is not None:
        check_number("--top-k", settings["top_k"], low=1, integer=True)
    check_paths(batch, output)
    # --workers / --engine checked now (a bad value is one error line); the one engine is made
    # once the ranker is known (1 worker with a model; GPU actors on Ray with CUDA)
    check_batch_engine(workers, engine)
    if id_field is not None:
        check_first_row(batch, id_field)
    root = image_root if image_root is not None else batch.parent
    run_settings = ground_settings(backend, build["options"], top_k=settings["top_k"],
                                   sensitivity=settings["sensitivity"], id_field=id_field,
                                   root=root)  # fmt: skip
    # an OUTPUT that is not ours: refused before any model loads
    check_output(output, run_settings, id_field=id_field, overwrite=overwrite)
    ranker = resolve_ranker(backend, **build)
    # a worker builds the same ranker by its resolved name; cues takes no model options
    options = {} if ranker.name == "cues" else build
    task = GroundTask(ranker.name, options, settings["top_k"], settings["sensitivity"], id_field,
                      root, ranker=ranker)  # fmt: skip
    sys.stderr.write(f"spotdiff: ground with the {ranker.name} backend\n")
    runner = model_engine(workers, engine, models=ranker.name != "cues", device=build["device"])
    failed = run_ground_batch(batch, output, task, settings=run_settings, engine=runner,
                              retry_errors=retry_errors, overwrite=overwrite)  # fmt: skip
    return 2 if failed else 0
