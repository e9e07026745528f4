"""``spotdiff find``: the regions that differ between two images (or every pair of two directories).

Thin over :func:`spotdiff.find` (same option names). Only typer and the standard library load
with the CLI; NumPy, OpenCV and Pillow load when the command runs, the picture modules only when
a picture is asked for, torch never. JSON records come from :meth:`DiffResult.to_record`; every
output file is written atomically (:mod:`spotdiff._atomic`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from .._errors import InvalidOptionError
from . import app
from ._batch_run import (
    EngineOption,
    OverwriteOption,
    RetryErrorsOption,
    WorkersOption,
    refuse_batch_options,
)
from ._common import check_outputs, emit_json
from ._find_run import (  # HEATMAP_VMAX stays importable from here
    HEATMAP_VMAX,  # noqa: F401
    Ignore,
    Outputs,
    count_text,
    pair_record,
    run_directories,
    run_pair,
    write_report,
)

if TYPE_CHECKING:
    from ..result import DiffResult

__all__ = ["find_command", "pair_record"]

HELP = """Find the regions that differ between two images (or every pair of two directories).

Prints a table of regions (number, kind, score, changed pixels, box x1 y1 x2 y2 in image-1
pixels), or with --json one JSON object:
{"schema_version": 1, "image1", "image2", "size": [w, h], "aligned", "transform": 3x3
(image-2 to image-1 pixels), "regions": [{"box": [x1, y1, x2, y2], "score", "area", "kind"}]}.

\b
Examples:
  spotdiff find before.png after.png
  spotdiff find before.png after.png --json
  spotdiff find a.png b.png -o annotated.png --heatmap heat.png --mask mask.png
  spotdiff find a.png b.png --ignore 0,0,200,40 --ignore 600,0,640,480
  spotdiff find a.png b.png --ignore-mask clock.png --sensitivity 0.8 --min-area 100
  spotdiff find a.png b.jpg --no-align --size-mismatch error
  spotdiff find shots/ new_shots/ -o out/    # pairs matched by file name
  spotdiff find shots/ new_shots/ -o out/ --workers 8 --retry-errors    # resume
  RAY_ADDRESS=auto spotdiff find shots/ new_shots/ -o out/ --engine ray    # on a Ray cluster
  spotdiff find shots/ new_shots/ --report report/    # + HTML report (report/index.html)

Pictures are written whole or not at all: the ones asked for appear together once all are
rendered, and an earlier file is replaced only then.

Directories: files are paired by name (a.png with a.png or a.jpg). OUTDIR gets one annotated
picture per pair (NAME.png) and summary.jsonl, one JSON line per pair in file-name order, each
written whole as it is done, with "name" and, for a pair that failed or a file without a match
in the other directory, "error" (and only "image1" or "image2"). --heatmap and --mask then name
directories too. A pair that fails is reported and the run goes on. --workers N runs the pairs
in N processes (default: the machine's cores); the rows are the same for any N. --engine ray
runs them on Ray actors instead (--workers N: N actors), with the same rows.

Resuming: a run stopped (Ctrl-C, kill, crash) is resumed by running the same command again:
the pairs already in summary.jsonl are skipped (not printed again), a torn last line is dropped,
and the exit code counts every row of the final summary. Resuming requires summary.run.json
(written beside summary.jsonl) to match this run's options (sensitivity, sizes, ignore, outputs;
not --workers); with other options, or a summary.jsonl without it, the run starts again and
replaces summary.jsonl when it has its first line. --retry-errors redoes the rows with "error";
--overwrite starts again.

--report DIR (one pair or directories): at the end, the HTML report of the run in DIR (open
DIR/index.html; see spotdiff report --help), with summary.jsonl there too when -o is not given
and the heatmaps in DIR/heatmaps/ when --heatmap is not given.

\b
Exit codes (like diff and visual-regression tools):
  0  no differences
  1  differences found (in any pair)
  2  error: bad input or options, or any pair or file of a directory run failed
"""


def _parse_rect(text: str) -> tuple[float, float, float, float]:
    import math

    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidOptionError(
            f"--ignore {text!r}: expected x1,y1,x2,y2 (four numbers, image-1 pixels), e.g. "
            "--ignore 0,0,200,40"
        )
    x1, y1, x2, y2 = values
    if x2 < x1 or y2 < y1:
        raise InvalidOptionError(
            f"--ignore {text!r}: x2 must be >= x1 and y2 >= y1 (corners, not x,y,width,height)"
        )
    return values  # type: ignore[return-value]


def _size_policy(size_mismatch: str | None, resize: bool, pad: bool) -> str:
    from .._validate import check_choice
    from ..io import SIZE_POLICIES

    chosen = {
        name
        for name, given in (("resize", resize), ("pad", pad), (size_mismatch, size_mismatch))
        if given
    }
    if len(chosen) > 1:
        raise InvalidOptionError(
            f"conflicting size policies {sorted(str(c) for c in chosen)}: give one of --resize, "
            "--pad or --size-mismatch resize|pad|error"
        )
    return check_choice("size_mismatch", chosen.pop() if chosen else "resize", SIZE_POLICIES)


def _score(score: float | None) -> str:
    return "nan" if score is None else f"{score:.3f}"


def _table(path1: Path, path2: Path, result: DiffResult, out: TextIO) -> None:
    w, h = result.image_size or (0, 0)
    aligned = ", image 2 aligned" if result.aligned else ""
    regions = result.to_record()["regions"]
    out.write(f"{path1} vs {path2}: {count_text(len(regions))} ({w}x{h}{aligned})\n")
    if not regions:
        out.flush()
        return
    header = ("#", "kind", "score", "area", "x1", "y1", "x2", "y2")
    rows = [
        (str(i + 1), r["kind"], _score(r["score"]), str(r["area"]), *(f"{v:g}" for v in r["box"]))
        for i, r in enumerate(regions)
    ]
    widths = [max(len(row[c]) for row in (header, *rows)) for c in range(len(header))]
    for row in (header, *rows):
        cells = [
            cell.ljust(widths[c]) if c == 1 else cell.rjust(widths[c]) for c, cell in enumerate(row)
        ]
        out.write("  " + "  ".join(cells).rstrip() + "\n")
    out.flush()


@app.command("find", help=HELP)
def find_command(
    image1: Annotated[Path, typer.Argument(help="First image (the reference), or a directory.")],
    image2: Annotated[Path, typer.Argument(help="Second image, or a directory.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Annotated picture: A and B side by side with numbered boxes (.png, .jpg); "
            "for directories, the output directory.",
        ),
    ] = None,
    heatmap: Annotated[
        Path | None,
        typer.Option(
            help="Difference heatmap over image 1, dark (no difference) to bright (twice the "
            "threshold) (a directory for directories)."
        ),
    ] = None,
    mask: Annotated[
        Path | None,
        typer.Option(
            help="Binary PNG mask, 255 = different, in image-1 pixels (a directory for "
            "directories)."
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="JSON instead of the table (one line per pair).")
    ] = False,
    sensitivity: Annotated[
        float | None,
        typer.Option(help="0-1 (default 0.5): higher finds fainter per-pixel changes."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Fixed per-pixel colour threshold in RGB levels (default: automatic, "
            "max(24, 4 x noise))."
        ),
    ] = None,
    min_area: Annotated[
        float | None,
        typer.Option(help="Smallest region in image-1 pixels (default max(16, 2e-5 x W x H))."),
    ] = None,
    max_regions: Annotated[
        int | None, typer.Option(help="Most regions reported (default 50).")
    ] = None,
    align: Annotated[
        str,
        typer.Option(
            help="Registration of image 2: auto, translation, similarity, affine, homography, none."
        ),
    ] = "auto",
    no_align: Annotated[
        bool, typer.Option("--no-align", help="Do not align image 2 (same as --align none).")
    ] = False,
    size_mismatch: Annotated[
        str | None,
        typer.Option(
            help="Images of different sizes: resize (image 2 to image 1, the default), pad or "
            "error."
        ),
    ] = None,
    resize: Annotated[
        bool, typer.Option("--resize", help="Same as --size-mismatch resize (the default).")
    ] = False,
    pad: Annotated[bool, typer.Option("--pad", help="Same as --size-mismatch pad.")] = False,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            metavar="X1,Y1,X2,Y2",
            help="Area never reported, corners in image-1 pixels; repeat for more.",
        ),
    ] = None,
    ignore_mask: Annotated[
        Path | None,
        typer.Option(
            help="Picture of image 1's size: its non-zero (and not transparent) pixels are "
            "never reported."
        ),
    ] = None,
    max_side: Annotated[
        int | None,
        typer.Option(
            help="Working resolution: the most pixels its longer side may have (default 1024; "
            "reduced by a whole factor where that keeps 90%: 1920x1080 -> 960x540; 0 = full)."
        ),
    ] = None,
    antialias: Annotated[
        bool | None,
        typer.Option(
            "--antialias/--no-antialias",
            help="Tolerate anti-aliasing on renders and screenshots (edges drawn with and without "
            "smoothing are not differences; default on).",
        ),
    ] = None,
    flow: Annotated[
        bool | None,
        typer.Option(
            "--flow/--no-flow",
            help="Dense-flow refinement of parallax left after a registration beyond a "
            "translation (default: auto, only then; --flow always, --no-flow never).",
        ),
    ] = None,
    colormap: Annotated[str, typer.Option(help="Colormap of --heatmap.")] = "inferno",
    report: Annotated[
        Path | None,
        typer.Option(
            help="Also build the HTML report (index.html) in this folder, with heatmaps "
            "(see spotdiff report --help)."
        ),
    ] = None,
    workers: WorkersOption = None,
    engine: EngineOption = "local",
    retry_errors: RetryErrorsOption = False,
    overwrite: OverwriteOption = False,
) -> int:
    from ..detect import FindConfig
    from ..io import is_directory_pair

    config = FindConfig(
        sensitivity=sensitivity,
        threshold=threshold,
        min_area=min_area,
        max_regions=max_regions,
        align="none" if no_align else align,
        max_side=max_side,
        antialias=antialias,
        flow=flow,
    )
    policy = _size_policy(size_mismatch, resize, pad)
    if heatmap is not None:  # the picture modules load only when a picture is asked for
        from .._validate import check_choice
        from ..viz.colormap import COLORMAPS

        colormap = check_choice("colormap", colormap, COLORMAPS)
    rects = [_parse_rect(text) for text in ignore or []]
    skip = Ignore(rects, ignore_mask)
    settings = {"config": config, "size_mismatch": policy, "ignore": skip}
    directories = is_directory_pair(image1, image2)
    if report is not None:
        if report.exists() and not report.is_dir():
            raise InvalidOptionError(f"--report {report} is a file; give a folder (e.g. report/)")
        if heatmap is None:  # the report shows heatmaps: the run writes them into its folder
            heatmap = report / "heatmaps"
            heatmap = heatmap if directories else heatmap / f"{image1.stem}.png"
    outputs = Outputs(output, heatmap, mask, colormap)  # files, or directories of pictures
    check_outputs(outputs.paths(), directories=directories)

    if not directories:
        refuse_batch_options(workers, retry_errors, overwrite, engine)
        start = time.perf_counter()
        result = run_pair(image1, image2, outputs=outputs, **settings)
        record = pair_record(image1, image2, result)
        if json_output:
            emit_json(record)
        else:
            _table(image1, image2, result, sys.stdout)
        if report is not None:
            _pair_report(record, outputs, report, time.perf_counter() - start)
        return 1 if len(result) else 0
    return run_directories(
        image1,
        image2,
        outputs,
        json_output,
        settings,
        report,
        workers=workers,
        engine=engine,
        retry_errors=retry_errors,
        overwrite=overwrite,
    )


def _pair_report(record: dict, outputs: Outputs, folder: Path, seconds: float) -> None:
    """``--report`` of one pair: summary.jsonl (one row) and the report in ``folder``."""
    from .._atomic import atomic_write
    from ._common import json_line

    row = {"name": Path(record["image1"]).stem, **record}
    row["annotated"] = str(outputs.annotated) if outputs.annotated else None
    row["heatmap"] = str(outputs.heatmap) if outputs.heatmap else None
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_write(folder / "summary.jsonl") as handle:
        handle.write(json_line(row))
    write_report([row], folder, run_seconds=seconds)
