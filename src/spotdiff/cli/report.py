"""``spotdiff report``: the HTML report of a batch's results (find, imgdiff or ground rows)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import emit_json

HELP = """Build an HTML report of a batch: one folder that opens from file:// (no server, no CDN).

RESULTS is a JSON-lines file written by spotdiff find (--json, or summary.jsonl of a directory
run), spotdiff imgdiff or spotdiff ground. OUTDIR gets index.html (open it in a browser),
data.js and assets/.

\b
The page: a summary (pairs, with differences, unchanged, errors, run time), a list sortable and
filterable by status, score, kind and name, and for each pair side by side, a slider, onion
skin, the difference heatmap, numbered boxes with kind and score (on / off), synchronized zoom
and pan, keyboard navigation (j/k next/previous, 1-4 views, b boxes, ? help) and each failed
row with its message.

\b
Examples:
  spotdiff find shots/ new_shots/ -o out/ --report report/    # the report of a run, at its end
  spotdiff report out/summary.jsonl -o report/
  spotdiff report boxes.jsonl -o report/ --base data/          # imgdiff rows, paths under data/
  spotdiff report out/summary.jsonl -o report/ --copy-images   # a folder that can be moved

Pictures are linked by their path relative to OUTDIR (nothing is decoded: 10,000 rows build in
about a second); --copy-images copies them into OUTDIR/images/. Heatmaps: the ones the run wrote
(find --report writes them); --heatmaps computes the missing ones with spotdiff find (one find
per pair).

Exit codes: 0 written, 2 bad input (the results file missing or not rows of these commands).
"""


@app.command("report", help=HELP)
def report_command(
    results: Annotated[Path, typer.Argument(help="JSON-lines results of find, imgdiff or ground.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The report folder (created).")
    ] = Path("report"),
    title: Annotated[str | None, typer.Option(help="Page title.")] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            help="Folder that relative image paths start from (default: the current folder, "
            "then RESULTS' folder)."
        ),
    ] = None,
    copy_images: Annotated[
        bool, typer.Option("--copy-images", help="Copy the pictures into OUTDIR/images/.")
    ] = False,
    heatmaps: Annotated[
        bool,
        typer.Option("--heatmaps", help="Compute missing heatmaps with spotdiff find (slower)."),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print what was written as one JSON line.")
    ] = False,
) -> int:
    from ..viz.report import build_report

    info = build_report(
        results, output, title=title, base=base, copy_images=copy_images, heatmaps=heatmaps
    )
    missing = len(info.missing)
    if json_output:
        emit_json(
            {
                "index": str(info.index),
                "counts": info.counts,
                "seconds": round(info.seconds, 3),
                "missing_images": list(info.missing),
            }
        )
    else:
        c = info.counts
        sys.stderr.write(
            f"report of {c['pairs']} pairs ({c['diff']} with differences, {c['same']} "
            f"unchanged, {c['error']} errors) in {info.index}\n"
        )
    if missing:
        shown = ", ".join(info.missing[:3]) + (" ..." if missing > 3 else "")
        sys.stderr.write(
            f"spotdiff: warning: {missing} image path(s) not found ({shown}); the page shows a "
            "placeholder: pass --base DIR, the folder the paths start from\n"
        )
    return 0
