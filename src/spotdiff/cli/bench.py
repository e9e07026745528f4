"""``spotdiff bench``: the quality benchmark, spotdiff and the naive baselines side by side."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .._errors import InvalidOptionError
from . import app
from ._common import emit_json, parse_spec, progress

if TYPE_CHECKING:
    from ..evaluation.report import BenchmarkReport

HELP = """Score spotdiff and the two naive baselines on synthetic pairs (precision, recall, F1@IoU, AP).

\b
Pairs: photographs bundled with scikit-image, 1-3 planted edits (added, removed, recoloured,
moved, resized) with exact ground-truth boxes, image 2 under one nuisance (none, jpeg, noise,
brightness, contrast, gamma, translate, rotate, scale). Every scene is shown under every
nuisance; the same seed gives the same pairs. Baselines: absdiff (grayscale |img1 - img2| +
Otsu + contours) and ssim (scikit-image SSIM + Otsu + contours), run on the same pairs.

\b
Examples:
  spotdiff bench                                  # 90 pairs at 1280x720
  spotdiff bench --pairs 45 --size 640x360 --seed 1
  spotdiff bench --nuisances none,jpeg --edits added,removed
  spotdiff bench --detector absdiff:min_area=0    # another detector under test
  spotdiff bench --no-baselines --json > report.json
  spotdiff bench --real tests/fixtures/real/pairs.json   # real labelled pairs instead
  spotdiff bench --real ../shared/realpairs/pairs.json --masks benchmarks/realpairs_masks.json
  spotdiff bench --grounding --pairs 60          # the grounding benchmark (spotdiff.ground)

\b
--real MANIFEST scores a JSON list of real pairs with hand-drawn boxes instead of synthetic
ones: [{"name", "image1", "image2", "boxes": [[x1, y1, x2, y2], ...], "kinds", "condition"}],
paths relative to the manifest (see spotdiff.evaluation.real). A pair with a change mask
("mask": "m.png" in the manifest, or --masks FILE: {"name": "m.png", ...} relative to the
manifest's folder) is also scored pixel by pixel: a "mask F1" table per masked pair and group,
spotdiff and the baselines side by side.

\b
--grounding scores spotdiff.ground instead: pairs with 2-4 planted edits (recoloured, replaced,
removed, added) and template queries that never name the object; Acc@0.5 per query type for
spotdiff and, on the same proposals, the random, find-top-score and oracle rankers
(--pairs, --size, --seed and --json apply; see spotdiff.evaluation.grounding_bench).

Needs scikit-image (pip install 'spotdiff[eval]'). Exit codes: 0 done, 2 bad options.
"""


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


@app.command("bench", help=HELP)
def bench_command(
    pairs: Annotated[int, typer.Option("--pairs", "-n", help="Number of pairs.", min=1)] = 90,
    size: Annotated[str, typer.Option(help="Image size WxH.")] = "1280x720",
    seed: Annotated[int, typer.Option(help="Random seed of the pairs.")] = 0,
    edits: Annotated[
        str | None, typer.Option(help="Comma-separated edit kinds (default: all).")
    ] = None,
    nuisances: Annotated[
        str | None, typer.Option(help="Comma-separated nuisances (default: all).")
    ] = None,
    max_edits: Annotated[int, typer.Option(help="Most edits per pair.", min=1)] = 3,
    iou: Annotated[float, typer.Option(help="IoU of a match.")] = 0.5,
    detector: Annotated[
        str, typer.Option(help="The detector under test, NAME[:key=value,...].")
    ] = "spotdiff",
    no_baselines: Annotated[
        bool, typer.Option("--no-baselines", help="Skip the absdiff and ssim baselines.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object.")
    ] = False,
    real: Annotated[
        Path | None,
        typer.Option("--real", help="A manifest of real labelled pairs, scored instead."),
    ] = None,
    masks: Annotated[
        Path | None,
        typer.Option(
            "--masks",
            help="With --real: a JSON object {pair name: change mask path relative to the "
            "manifest's folder}, scored as pixel mask F1.",
        ),
    ] = None,
    grounding: Annotated[
        bool, typer.Option("--grounding", help="The grounding benchmark (spotdiff.ground).")
    ] = False,
) -> int:
    if grounding:
        return _grounding(pairs, size, seed, json_output)
    from ..evaluation import get_detector, run_benchmark
    from ..evaluation.detectors import DETECTORS
    from ..evaluation.synthetic import parse_size

    width, height = parse_size(size)
    name, options = parse_spec(detector, "--detector")
    under_test = get_detector(name, **options)
    name = DETECTORS.resolve(name)  # "ABSDIFF", "absdiff_otsu" -> "absdiff"
    detectors = {name: under_test}
    if not no_baselines:
        detectors.update({b: get_detector(b) for b in ("absdiff", "ssim") if b != name})
    if masks is not None and real is None:
        raise InvalidOptionError("--masks needs --real MANIFEST (the pairs the masks belong to)")
    if real is not None:
        from ..evaluation import evaluate
        from ..evaluation.real import load_real_pairs

        labelled = load_real_pairs(real, masks=masks)
        with progress(len(labelled), "pairs") as advance:
            report = evaluate(
                detectors,
                labelled,
                iou=iou,
                progress=lambda _done: advance(),
                settings={"size": "real", "seed": "-", "iou": iou},
            )
        _emit(report, json_output, matrix=False)
        return 0
    with progress(pairs, "pairs") as advance:
        report = run_benchmark(
            detectors,
            n_pairs=pairs,
            size=(width, height),
            seed=seed,
            edits=_names(edits),
            nuisances=_names(nuisances),
            max_edits=max_edits,
            iou=iou,
            progress=lambda _done: advance(),
        )
    _emit(report, json_output)
    return 0


def _emit(report: BenchmarkReport, json_output: bool, *, matrix: bool = True) -> None:
    if json_output:
        emit_json(report.to_dict())
    else:
        sys.stdout.write(report.to_markdown(matrix=matrix))


def _grounding(pairs: int, size: str, seed: int, json_output: bool) -> int:
    from ..evaluation.grounding_bench import run_grounding_benchmark

    with progress(pairs, "pairs") as advance:
        report = run_grounding_benchmark(
            pairs, size=size, seed=seed, progress=lambda _done: advance()
        )
    if json_output:
        emit_json(report.to_dict())
    else:
        sys.stdout.write(report.to_markdown())
    return 0
