"""``spotdiff map``: difference maps (difference-finder's job) for a pair or two directories."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .._errors import SpotdiffError
from . import app
from ._common import emit_json, parse_spec, progress

HELP = """Write the difference map between two images (or every pair of two directories).

\b
Examples:
  spotdiff map a.png b.png -o map.png
  spotdiff map a.png b.png -o map.png --strategy difference
  spotdiff map a.png b.png -o map.png --strategy gradient --metric ssim --pre highpass_filter:factor=0.2
  spotdiff map a.png b.png -o map.npy            # raw float32 values
  spotdiff map dir1/ dir2/ -o maps/              # pairs matched by file name

Strategies: gradient (autograd gradient of the metric), difference (|a - b|), ssim_map (1 - SSIM).
Metrics: mse, psnr, ssim, ms_ssim, lpips. Pre-processors: identity, normalize, highpass_filter,
lowpass_filter, grayscale, gaussian_blur. Post-processors: identity, abs, normalize, gaussian_blur,
threshold. Options of a component: NAME:key=value,key=value.

Exit codes: 0 done, 2 bad input or options (or any pair of a directory run failed).
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


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@app.command("map", help=HELP)
def map_command(
    image1: Annotated[Path, typer.Argument(help="First image (the reference), or a directory.")],
    image2: Annotated[Path, typer.Argument(help="Second image, or a directory.")],
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
    vmax: Annotated[
        float | None, typer.Option(help="Map value shown as the top colour (default: the max).")
    ] = None,
    size_mismatch: Annotated[
        str, typer.Option(help="Different sizes: resize (image 2 to image 1), pad or error.")
    ] = "resize",
    device: Annotated[str, typer.Option(help="torch device: cpu, cuda, cuda:1, ...")] = "cpu",
    json_output: Annotated[bool, typer.Option("--json", help="One JSON line per pair.")] = False,
) -> int:
    from ..io import is_directory_pair, pair_directories

    if reduce == "none":
        raise typer.BadParameter(
            "a map picture needs one channel: use mean or max", param_hint="--reduce"
        )
    finder = _build_finder(
        pre, post, strategy, metric, device=device, reduce=reduce, size_mismatch=size_mismatch
    )
    if not is_directory_pair(image1, image2):
        diff_map, value = finder.run(image1, image2, return_metric=True)
        written = finder.save(diff_map, output, colormap=colormap, vmax=vmax)
        _report(json_output, image1, image2, written, metric, value)
        return 0
    pairs = pair_directories(image1, image2).pairs
    output.mkdir(parents=True, exist_ok=True)
    failed = 0
    with progress(len(pairs), "maps") as advance:
        for name, path1, path2 in pairs:
            try:
                diff_map, value = finder.run(path1, path2, return_metric=True)
                written = finder.save(
                    diff_map, output / f"{name}.png", colormap=colormap, vmax=vmax
                )
                _report(json_output, path1, path2, written, metric, value)
            except SpotdiffError as exc:
                failed += 1
                sys.stderr.write(f"spotdiff: error: {name}: {exc}\n")
            advance()
    sys.stderr.write(f"{len(pairs) - failed} of {len(pairs)} maps written to {output}\n")
    return 2 if failed else 0


def _report(
    as_json: bool, path1: Path, path2: Path, written: Path, metric: str, value: float
) -> None:
    name = parse_spec(metric, "--metric")[0]
    if as_json:
        emit_json(
            {
                "image1": str(path1),
                "image2": str(path2),
                "output": str(written),
                "metric": name,
                "value": _number(float(value)),
            }
        )
    else:
        sys.stdout.write(f"{written}  {name}={float(value):.6g}\n")
