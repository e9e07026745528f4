"""``spotdiff map``: difference maps (difference-finder's job) for a pair or two directories."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from .._errors import InvalidOptionError
from . import app
from ._batch_run import (
    OverwriteOption,
    RetryErrorsOption,
    WorkersOption,
    refuse_batch_options,
)
from ._map_run import MapSpec, build_finder, map_directories, print_row, row_record, save_map

HELP = """Write the difference map between two images (or every pair of two directories).

\b
Examples:
  spotdiff map a.png b.png -o map.png
  spotdiff map a.png b.png -o map.png --strategy difference
  spotdiff map a.png b.png -o map.png --strategy gradient --metric ssim --pre highpass_filter:factor=0.2
  spotdiff map a.png b.png -o map.npy            # raw float32 values
  spotdiff map dir1/ dir2/ -o maps/              # pairs matched by file name
  spotdiff map dir1/ dir2/ -o maps/ --workers 4 --retry-errors   # resume

Strategies: gradient (autograd gradient of the metric), difference (|img1 - img2|), ssim_map
(1 - SSIM). Metrics: mse, psnr, ssim, ms_ssim, lpips. Pre-processors: identity, normalize,
highpass_filter, lowpass_filter, grayscale, gaussian_blur. Post-processors: identity, abs,
normalize, gaussian_blur, threshold. Options of a component: NAME:key=value,key=value.

Directories: files are paired by name (a.png with a.png or a.jpg). OUTDIR gets one map picture
per pair (NAME.png) and summary.jsonl, one JSON line per file name in file-name order, each
written whole as it is done: "name", "image1", "image2", "output" (the picture), "metric",
"value", and "error" for a pair that failed or a file without a match (its other image null).
--json prints the same lines ("error": null when there is none). A pair that fails is reported
and the run goes on. --workers N maps the pairs in N processes, each loading the metric once
(default: the machine's cores); the rows are the same for any N.

Resuming: a stopped run (Ctrl-C, kill, crash) is resumed by running the same command again: the
rows already in summary.jsonl are skipped (not printed again) and a torn last line is dropped.
Resuming requires summary.run.json (beside summary.jsonl) to match this run's options (strategy,
metric, processors, reduce, size policy, colours; not --workers or --device); otherwise the run
starts again. --retry-errors redoes the rows with "error"; --overwrite starts again.

Exit codes: 0 done, 2 bad input or options (or any file of a directory run failed: a file with no
partner of the same name, an unreadable file, ...; the other maps are still written).
"""


def _check_display_range(vmin: float, vmax: float | None) -> None:
    """The values shown as the two ends of the colormap: ``0 <= vmin < vmax < inf``.

    The picture shows the map's magnitude, so a negative end means nothing; NaN, inf, 0 or
    ``vmin >= vmax`` would paint every pixel one colour.

    Raises:
        InvalidOptionError: naming the option, the value and what to pass instead.
    """
    if not (math.isfinite(vmin) and vmin >= 0):
        raise InvalidOptionError(
            f"--vmin must be a finite number >= 0 (the map magnitude shown as the bottom colour); "
            f"got {vmin}"
        )
    if vmax is None:
        return
    if not (math.isfinite(vmax) and vmax > vmin):
        raise InvalidOptionError(
            f"--vmax must be a finite number > --vmin ({vmin}) (the map magnitude shown as the "
            f"top colour), got {vmax}; omit it to use each map's maximum"
        )


@app.command("map", help=HELP)
def map_command(
    img1: Annotated[Path, typer.Argument(help="First image (the reference), or a directory.")],
    img2: Annotated[Path, typer.Argument(help="Second image, or a directory.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Map file (.png, .jpg, .npy) or directory.")
    ],
    strategy: Annotated[str, typer.Option(help="gradient, difference or ssim_map.")] = "gradient",
    metric: Annotated[str, typer.Option(help="mse, psnr, ssim, ms_ssim or lpips.")] = "mse",
    pre: Annotated[str, typer.Option("--pre", help="Pre-processor (both images).")] = "identity",
    post: Annotated[str, typer.Option("--post", help="Post-processor (the map).")] = "identity",
    colormap: Annotated[str, typer.Option(help="inferno, viridis, turbo, jet, gray, ...")] = (
        "inferno"
    ),
    reduce: Annotated[str, typer.Option(help="Channel reduction: mean, max.")] = "mean",
    vmin: Annotated[
        float, typer.Option(help="Map magnitude shown as the bottom colour (>= 0).")
    ] = 0.0,
    vmax: Annotated[
        float | None,
        typer.Option(help="Map magnitude shown as the top colour (> vmin; default: the max)."),
    ] = None,
    size_mismatch: Annotated[
        str, typer.Option(help="Different sizes: resize (image 2 to image 1), pad or error.")
    ] = "resize",
    device: Annotated[
        str, typer.Option(help="auto (CUDA when available, else CPU), cpu, cuda, cuda:1, ...")
    ] = "auto",
    json_output: Annotated[bool, typer.Option("--json", help="One JSON line per pair.")] = False,
    workers: WorkersOption = None,
    retry_errors: RetryErrorsOption = False,
    overwrite: OverwriteOption = False,
) -> int:
    from .._validate import check_choice
    from ..io import is_directory_pair
    from ..viz.colormap import COLORMAPS

    if reduce == "none":
        raise typer.BadParameter(
            "a map picture needs one channel: use mean or max", param_hint="--reduce"
        )
    colormap = check_choice("colormap", colormap, COLORMAPS)
    _check_display_range(vmin, vmax)
    spec = MapSpec(pre, post, strategy, metric, device, reduce, size_mismatch)
    finder = build_finder(spec)
    look = {"colormap": colormap, "vmin": vmin, "vmax": vmax}
    if is_directory_pair(img1, img2):
        return map_directories(
            spec,
            finder,
            img1,
            img2,
            output,
            look,
            json_output,
            workers=workers,
            retry_errors=retry_errors,
            overwrite=overwrite,
        )
    refuse_batch_options(workers, retry_errors, overwrite)
    result = finder.map(img1, img2)
    written = save_map(result.map[0], output, look)
    record = row_record(img1.stem, img1, img2, spec.metric_name, written, result.values[0])
    print_row(record, json_output)
    return 0
