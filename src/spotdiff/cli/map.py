"""``spotdiff map``: difference maps (difference-finder's job) for a pair or two directories."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .._errors import InvalidOptionError, SpotdiffError
from . import app
from ._common import emit_json, parse_spec, progress, warnings_to_stderr

HELP = """Write the difference map between two images (or every pair of two directories).

\b
Examples:
  spotdiff map a.png b.png -o map.png
  spotdiff map a.png b.png -o map.png --strategy difference
  spotdiff map a.png b.png -o map.png --strategy gradient --metric ssim --pre highpass_filter:factor=0.2
  spotdiff map a.png b.png -o map.npy            # raw float32 values
  spotdiff map dir1/ dir2/ -o maps/              # pairs matched by file name

Strategies: gradient (autograd gradient of the metric), difference (|img1 - img2|), ssim_map
(1 - SSIM). Metrics: mse, psnr, ssim, ms_ssim, lpips. Pre-processors: identity, normalize,
highpass_filter, lowpass_filter, grayscale, gaussian_blur. Post-processors: identity, abs,
normalize, gaussian_blur, threshold. Options of a component: NAME:key=value,key=value.

Exit codes: 0 done, 2 bad input or options (or any file of a directory run failed: a file with no
partner of the same name, an unreadable file, ...; the other maps are still written).
"""


def _build_finder(pre: str, post: str, strategy: str, metric: str, **kwargs: Any) -> Any:
    from ..maps import Finder, get_metric, get_postprocessor, get_preprocessor, get_strategy

    def build(spec: str, option: str, getter: Any) -> Any:
        name, options = parse_spec(spec, option)
        return getter(name, **options)

    return Finder(
        pre_processor=build(pre, "--pre", get_preprocessor),
        post_processor=build(post, "--post", get_postprocessor),
        strategy=build(strategy, "--strategy", get_strategy),
        metric=build(metric, "--metric", get_metric),
        **kwargs,
    )


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


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


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
    finder = _build_finder(
        pre, post, strategy, metric, device=device, reduce=reduce, size_mismatch=size_mismatch
    )
    look = {"colormap": colormap, "vmin": vmin, "vmax": vmax}
    metric_name = parse_spec(metric, "--metric")[0]
    if not is_directory_pair(img1, img2):
        result = finder.map(img1, img2)
        written = _save(result.map[0], output, look)
        value = result.values[0]
        _report(
            json_output, img1.stem, img1, img2, metric=metric_name, written=written, value=value
        )
        return 0
    return _map_directories(finder, img1, img2, output, look, metric_name, json_output)


def _map_directories(
    finder: Any,
    dir1: Path,
    dir2: Path,
    output: Path,
    look: dict[str, Any],
    metric_name: str,
    json_output: bool,
) -> int:
    """One row per file name: a map written, or one error line; exit 2 if any row failed."""
    from ..maps.finder import directory_rows

    rows = directory_rows(dir1, dir2)
    output.mkdir(parents=True, exist_ok=True)
    failed = 0
    with progress(len(rows), "maps") as advance:
        for row in rows:
            with warnings_to_stderr(prefix=f"{row.name}: "):
                row = finder.map_row(row)
            written = None
            if row.result is not None:  # row names are unique: io and directory_rows see to it
                try:
                    written = _save(row.result.map[0], output / f"{row.name}.png", look)
                except SpotdiffError as exc:
                    row = dataclasses.replace(row, error=exc)
            if written is None:
                failed += 1
                _report(
                    json_output, row.name, row.path1, row.path2, metric=metric_name, error=row.error
                )
            else:
                value = row.result.values[0]
                _report(
                    json_output,
                    row.name,
                    row.path1,
                    row.path2,
                    metric=metric_name,
                    written=written,
                    value=value,
                )
            advance()
    sys.stderr.write(f"{len(rows) - failed} of {len(rows)} maps written to {output}\n")
    return 2 if failed else 0


def _save(diff_map: Any, path: Path, look: dict[str, Any]) -> Path:
    """Write one (H, W) map atomically (viz's ``save_map``: a picture, or ``.npy`` values)."""
    from ..viz.colormap import save_map

    return save_map(diff_map, path, **look)


def _report(
    as_json: bool,
    name: str,
    path1: Path | None,
    path2: Path | None,
    *,
    metric: str,
    written: Path | None = None,
    value: float | None = None,
    error: Exception | None = None,
) -> None:
    """One row out: a JSON line (same keys for every row) or ``OUTPUT  metric=value``; a failed
    row is also one ``spotdiff: error: NAME: ...`` line on stderr."""
    if error is not None:
        sys.stderr.write(f"spotdiff: error: {name}: {error}\n")
    if as_json:
        emit_json(
            {
                "name": name,
                "image1": None if path1 is None else str(path1),
                "image2": None if path2 is None else str(path2),
                "output": None if written is None else str(written),
                "metric": metric,
                "value": None if value is None else _number(float(value)),
                "error": None if error is None else str(error),
            }
        )
    elif error is None:
        sys.stdout.write(f"{written}  {metric}={float(value):.6g}\n")
