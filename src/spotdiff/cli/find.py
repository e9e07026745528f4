"""``spotdiff find``: the regions that differ between two images (or every pair of two directories).

Thin over :func:`spotdiff.find` (same option names). Only typer and the standard library load
with the CLI; NumPy, OpenCV and Pillow load when the command runs, torch never.
"""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from .._errors import InvalidOptionError, SpotdiffError
from . import app
from ._common import emit_json, progress

if TYPE_CHECKING:
    import numpy as np

    from ..result import DiffResult

__all__ = ["find_command", "region_records", "result_record"]

#: Version of the ``--json`` / ``summary.jsonl`` record layout.
SCHEMA_VERSION = 1

#: The heatmap's colour scale: find()'s evidence map is 1 at the per-pixel threshold, so 0..2 puts
#: the threshold mid-scale and a pair without differences stays dark (its noise is not stretched).
HEATMAP_VMAX = 2.0

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
  spotdiff find shots/ new_shots/ -o report/    # pairs matched by file name

Directories: OUTDIR gets one annotated picture per pair (NAME.png) and summary.jsonl (one JSON
line per pair as it is done, with "name" and, for a pair that failed, "error"); --heatmap and
--mask then name directories too. A pair that fails is reported and the run goes on.

\b
Exit codes (like diff and visual-regression tools):
  0  no differences
  1  differences found (in any pair)
  2  error: bad input or options, or any pair of a directory run failed
"""


@dataclass(frozen=True)
class _Outputs:
    annotated: Path | None
    heatmap: Path | None
    mask: Path | None
    colormap: str


@dataclass(frozen=True)
class _Ignore:
    rects: list[tuple[float, float, float, float]]
    mask_path: Path | None

    def mask(self, size1: tuple[int, int], size: tuple[int, int]) -> np.ndarray | None:
        """(H, W) bool over the compared images (``size``), from areas given in image 1's pixels
        (``size1``; smaller than ``size`` after ``size_mismatch="pad"``)."""
        import numpy as np

        from ..io import read_image
        from ..regions.ignore import ignore_mask

        w, h = size
        out = np.zeros((h, w), dtype=bool)
        if self.rects:
            out |= ignore_mask(np.asarray(self.rects, dtype=np.float64), size)
        if self.mask_path is not None:
            # transparent pixels count as 0, so a painted transparent layer works as a mask
            picture = read_image(self.mask_path, background=(0, 0, 0))
            part = ignore_mask(picture, size1)
            if part is not None:
                out[: size1[1], : size1[0]] |= part
        return out if out.any() else None


def _parse_rect(text: str) -> tuple[float, float, float, float]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
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


@contextmanager
def _warnings_to_stderr(prefix: str = "") -> Any:
    """Show spotdiff's warnings as ``spotdiff: warning: ...`` lines (others as Python does)."""
    from .._errors import SpotdiffWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpotdiffWarning)  # other categories: filters as set
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                if issubclass(w.category, SpotdiffWarning):
                    text = f"spotdiff: warning: {prefix}{w.message}\n"
                    if text not in seen:
                        seen.add(text)
                        sys.stderr.write(text)
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def region_records(result: DiffResult) -> list[dict[str, Any]]:
    """``[{"box": [x1, y1, x2, y2], "score", "area", "kind"}, ...]`` in the result's order."""
    kinds = result.kind
    areas = result.area
    return [
        {
            "box": [round(float(v), 2) for v in box],
            "score": round(float(result.scores[i]), 6),
            "area": int(areas[i]),
            "kind": "changed" if kinds is None else str(kinds[i]),
        }
        for i, box in enumerate(result.boxes)
    ]


def result_record(path1: Path, path2: Path, result: DiffResult) -> dict[str, Any]:
    """The ``--json`` object of one pair (schema version :data:`SCHEMA_VERSION`)."""
    size = result.image_size
    return {
        "schema_version": SCHEMA_VERSION,
        "image1": str(path1),
        "image2": str(path2),
        "size": [int(size[0]), int(size[1])] if size else None,
        "aligned": bool(result.aligned),
        "transform": [[round(float(v), 6) for v in row] for row in result.transform],
        "regions": region_records(result),
    }


def _count(n: int) -> str:
    return "no differences" if n == 0 else f"{n} difference" + ("s" if n > 1 else "")


def _table(path1: Path, path2: Path, result: DiffResult, out: TextIO) -> None:
    w, h = result.image_size or (0, 0)
    aligned = ", image 2 aligned" if result.aligned else ""
    n = len(result)
    out.write(f"{path1} vs {path2}: {_count(n)} ({w}x{h}{aligned})\n")
    if n == 0:
        out.flush()
        return
    header = ("#", "kind", "score", "area", "x1", "y1", "x2", "y2")
    rows = [
        (str(i + 1), r["kind"], f"{r['score']:.3f}", str(r["area"]), *(f"{v:g}" for v in r["box"]))
        for i, r in enumerate(region_records(result))
    ]
    widths = [max(len(row[c]) for row in (header, *rows)) for c in range(len(header))]
    for row in (header, *rows):
        cells = [
            cell.ljust(widths[c]) if c == 1 else cell.rjust(widths[c]) for c, cell in enumerate(row)
        ]
        out.write("  " + "  ".join(cells).rstrip() + "\n")
    out.flush()


def _run_pair(
    path1: Path,
    path2: Path,
    *,
    config: Any,
    size_mismatch: str,
    ignore: _Ignore,
    outputs: _Outputs,
) -> DiffResult:
    """Decode once, find, and write the pictures asked for; returns the result."""
    from ..detect import find
    from ..io import decode_pair, match_sizes

    img1, img2 = decode_pair(path1, path2)
    size1 = (img1.shape[1], img1.shape[0])
    a, b = match_sizes(img1, img2, size_mismatch)
    size = (a.shape[1], a.shape[0])
    skip = ignore.mask(size1, size)
    result = find(a, b, config=config, ignore=skip, size_mismatch=size_mismatch)
    if outputs.annotated or outputs.heatmap or outputs.mask:
        _write_pictures(a, b, result, size1, skip, outputs)
    return result


def _write_pictures(
    a: np.ndarray,
    b: np.ndarray,
    result: DiffResult,
    size1: tuple[int, int],
    skip: np.ndarray | None,
    outputs: _Outputs,
) -> None:
    from ..viz.annotate import annotate_pair, heatmap_overlay, mask_image, save_image

    for path in (outputs.annotated, outputs.heatmap, outputs.mask):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    if outputs.annotated is not None:
        save_image(annotate_pair(a, b, result), outputs.annotated)
    if outputs.heatmap is not None:
        if result.diff_map is None:  # pragma: no cover - find() always returns it here
            raise InvalidOptionError("this result has no difference map to draw")
        heat = heatmap_overlay(
            a, result.diff_map, colormap=outputs.colormap, vmin=0.0, vmax=HEATMAP_VMAX
        )
        save_image(heat, outputs.heatmap)
    if outputs.mask is not None:
        crop = None if skip is None else skip[: size1[1], : size1[0]]
        save_image(mask_image(result, size1, ignore=crop), outputs.mask)


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
            help="Difference heatmap over image 1, dark (no difference) to bright (twice the threshold) "
            "(a directory for directories)."
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
        typer.Option(help="Registration of image 2: auto, translation, similarity, affine, none."),
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
        typer.Option(help="Working resolution: longer side in pixels (default 1280; 0 = full)."),
    ] = None,
    colormap: Annotated[str, typer.Option(help="Colormap of --heatmap.")] = "inferno",
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
    )
    policy = _size_policy(size_mismatch, resize, pad)
    if heatmap is not None:  # the picture modules load only when a picture is asked for
        from .._validate import check_choice
        from ..viz.colormap import COLORMAPS

        colormap = check_choice("colormap", colormap, COLORMAPS)
    rects = [_parse_rect(text) for text in ignore or []]
    skip = _Ignore(rects, ignore_mask)
    settings = {"config": config, "size_mismatch": policy, "ignore": skip}

    if not is_directory_pair(image1, image2):
        outputs = _Outputs(output, heatmap, mask, colormap)
        with _warnings_to_stderr():
            result = _run_pair(image1, image2, outputs=outputs, **settings)
        if json_output:
            emit_json(result_record(image1, image2, result))
        else:
            _table(image1, image2, result, sys.stdout)
        return 1 if len(result) else 0
    return _run_directories(image1, image2, output, heatmap, mask, colormap, json_output, settings)


def _run_directories(
    dir1: Path,
    dir2: Path,
    outdir: Path | None,
    heatmap: Path | None,
    mask: Path | None,
    colormap: str,
    json_output: bool,
    settings: dict[str, Any],
) -> int:
    import json

    from ..io import pair_directories

    with _warnings_to_stderr():
        pairs = pair_directories(dir1, dir2).pairs
    for directory in (outdir, heatmap, mask):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
    summary = (outdir / "summary.jsonl").open("w", encoding="utf-8") if outdir else None
    counts = {"different": 0, "same": 0, "failed": 0}
    try:
        with progress(len(pairs), "find") as advance:
            for name, path1, path2 in pairs:
                outputs = _Outputs(
                    outdir / f"{name}.png" if outdir else None,
                    heatmap / f"{name}.png" if heatmap else None,
                    mask / f"{name}.png" if mask else None,
                    colormap,
                )
                record: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "name": name}
                try:
                    with _warnings_to_stderr(prefix=f"{name}: "):
                        result = _run_pair(path1, path2, outputs=outputs, **settings)
                except (SpotdiffError, OSError) as exc:
                    counts["failed"] += 1
                    sys.stderr.write(f"spotdiff: error: {name}: {exc}\n")
                    record |= {"image1": str(path1), "image2": str(path2), "error": str(exc)}
                else:
                    counts["different" if len(result) else "same"] += 1
                    record |= result_record(path1, path2, result)
                    record["annotated"] = str(outputs.annotated) if outputs.annotated else None
                    if not json_output:
                        sys.stdout.write(f"{name}: {_count(len(result))}\n")
                line = json.dumps(record, allow_nan=False)
                if summary is not None:
                    summary.write(line + "\n")
                    summary.flush()
                if json_output:
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                advance()
    finally:
        if summary is not None:
            summary.close()
    where = f"; pictures and summary.jsonl in {outdir}" if outdir else ""
    sys.stderr.write(
        f"{len(pairs)} pairs: {counts['different']} with differences, {counts['same']} without, "
        f"{counts['failed']} failed{where}\n"
    )
    if counts["failed"]:
        return 2
    return 1 if counts["different"] else 0
