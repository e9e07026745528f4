"""``spotdiff find``: the regions that differ between two images (or every pair of two directories).

Thin over :func:`spotdiff.find` (same option names). Only typer and the standard library load
with the CLI; NumPy, OpenCV and Pillow load when the command runs, the picture modules only when
a picture is asked for, torch never. JSON records come from :meth:`DiffResult.to_record`; every
output file is written atomically (:mod:`spotdiff._atomic`).
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from .._errors import InvalidOptionError
from . import app
from ._common import (
    DirectoryRow,
    JsonLinesLog,
    check_outputs,
    debugging,
    directory_rows,
    emit_json,
    error_message,
    json_line,
    progress,
    warnings_to_stderr,
)

if TYPE_CHECKING:
    import numpy as np

    from ..result import DiffResult

__all__ = ["find_command", "pair_record"]

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

Pictures are written whole or not at all: the ones asked for appear together once all are
rendered, and an earlier file is replaced only then.

Directories: files are paired by name (a.png with a.png or a.jpg). OUTDIR gets one annotated
picture per pair (NAME.png) and summary.jsonl, one JSON line per pair as it is done, with "name"
and, for a pair that failed or a file without a match in the other directory, "error" (and only
"image1" or "image2"). summary.jsonl replaces an earlier one when the run has its first line; it
can be followed while the run goes on and never holds a torn line. --heatmap and --mask then
name directories too. A pair that fails is reported and the run goes on.

\b
Exit codes (like diff and visual-regression tools):
  0  no differences
  1  differences found (in any pair)
  2  error: bad input or options, or any pair or file of a directory run failed
"""


@dataclass(frozen=True)
class _Outputs:
    annotated: Path | None
    heatmap: Path | None
    mask: Path | None
    colormap: str

    def paths(self) -> list[tuple[str, Path]]:
        named = (("--output", self.annotated), ("--heatmap", self.heatmap), ("--mask", self.mask))
        return [(option, path) for option, path in named if path is not None]


@dataclass(frozen=True)
class _Ignore:
    rects: list[tuple[float, float, float, float]]
    mask_path: Path | None

    def mask(self, size1: tuple[int, int], size: tuple[int, int]) -> np.ndarray | None:
        """(H, W) bool over the compared images (``size``), from areas given in image 1's pixels
        (``size1``; smaller than ``size`` after ``size_mismatch="pad"``). A rectangle that covers
        no pixel is skipped with a warning."""
        import numpy as np

        from .._errors import SpotdiffWarning
        from ..io import read_image
        from ..regions.ignore import ignore_mask, rect_pixels

        w, h = size
        out = np.zeros((h, w), dtype=bool)
        for rect in self.rects:
            pixels = rect_pixels(rect, size)
            if pixels is None:
                text = ",".join(f"{v:g}" for v in rect)
                warnings.warn(
                    f"--ignore {text} covers no pixel of the {w}x{h} image; ignored",
                    SpotdiffWarning,
                    stacklevel=2,
                )
                continue
            xa, ya, xb, yb = pixels
            out[ya:yb, xa:xb] = True
        if self.mask_path is not None:
            # transparent pixels count as 0, so a painted transparent layer works as a mask
            picture = read_image(self.mask_path, background=(0, 0, 0))
            part = ignore_mask(picture, size1)
            if part is not None:
                out[: size1[1], : size1[0]] |= part
        return out if out.any() else None


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


def pair_record(path1: Path, path2: Path, result: DiffResult) -> dict[str, Any]:
    """The ``--json`` object of one pair: :meth:`DiffResult.to_record` with the two paths after
    ``schema_version`` (key order as documented in the help)."""
    record = result.to_record()
    head = {"schema_version": record.pop("schema_version"), "image1": str(path1)}
    return {**head, "image2": str(path2), **record}


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _count(n: int) -> str:
    return "no differences" if n == 0 else f"{n} difference" + ("s" if n > 1 else "")


def _score(score: float | None) -> str:
    return "nan" if score is None else f"{score:.3f}"


def _table(path1: Path, path2: Path, result: DiffResult, out: TextIO) -> None:
    w, h = result.image_size or (0, 0)
    aligned = ", image 2 aligned" if result.aligned else ""
    regions = result.to_record()["regions"]
    out.write(f"{path1} vs {path2}: {_count(len(regions))} ({w}x{h}{aligned})\n")
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


def _run_pair(
    path1: Path,
    path2: Path,
    *,
    config: Any,
    size_mismatch: str,
    ignore: _Ignore,
    outputs: _Outputs,
) -> DiffResult:
    """Decode once, find, render the pictures asked for and write them as one group."""
    from ..detect import find
    from ..io import decode_pair, match_sizes

    img1, img2 = decode_pair(path1, path2)
    size1 = (img1.shape[1], img1.shape[0])
    a, b = match_sizes(img1, img2, size_mismatch)
    size = (a.shape[1], a.shape[0])
    skip = ignore.mask(size1, size)
    result = find(a, b, config=config, ignore=skip, size_mismatch=size_mismatch)
    if outputs.paths():
        from ..viz import save_images

        pictures = _render_pictures(a, b, result, size1, skip, outputs)  # all in memory first
        for path, _ in pictures:
            path.parent.mkdir(parents=True, exist_ok=True)
        save_images(pictures)  # then all in place together, or none
    return result


def _render_pictures(
    a: np.ndarray,
    b: np.ndarray,
    result: DiffResult,
    size1: tuple[int, int],
    skip: np.ndarray | None,
    outputs: _Outputs,
) -> list[tuple[Path, np.ndarray]]:
    from ..viz import annotate_pair, heatmap_overlay, mask_image

    pictures = []
    if outputs.annotated is not None:
        pictures.append((outputs.annotated, annotate_pair(a, b, result)))
    if outputs.heatmap is not None:
        if result.diff_map is None:  # pragma: no cover - find() always returns it here
            raise InvalidOptionError("this result has no difference map to draw")
        heat = heatmap_overlay(
            a, result.diff_map, colormap=outputs.colormap, vmin=0.0, vmax=HEATMAP_VMAX
        )
        pictures.append((outputs.heatmap, heat))
    if outputs.mask is not None:
        crop = None if skip is None else skip[: size1[1], : size1[0]]
        pictures.append((outputs.mask, mask_image(result, size1, ignore=crop)))
    return pictures


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
    directories = is_directory_pair(image1, image2)
    check_outputs(_Outputs(output, heatmap, mask, colormap).paths(), directories=directories)

    if not directories:
        outputs = _Outputs(output, heatmap, mask, colormap)
        result = _run_pair(image1, image2, outputs=outputs, **settings)
        if json_output:
            emit_json(pair_record(image1, image2, result))
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
    rows = directory_rows(dir1, dir2)
    for directory in (outdir, heatmap, mask):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
    counts = {"different": 0, "same": 0, "failed": 0, "unmatched": 0}
    # a.png/a.png and a.jpg/a.jpg (one name, two pairs): pictures a.png.png and a.jpg.png
    names = Counter(row.name for row in rows)
    summary = JsonLinesLog(outdir / "summary.jsonl") if outdir else None
    try:
        with progress(len(rows), "find") as advance:
            for row in rows:
                stem = row.name if names[row.name] == 1 else row.file.name
                dirs = _Outputs(outdir, heatmap, mask, colormap)
                record = _run_row(row, stem, dirs, json_output, settings)
                counts[record.pop("_outcome")] += 1
                if summary is not None:
                    summary.write(record)
                if json_output:
                    sys.stdout.write(json_line(record))
                    sys.stdout.flush()
                advance()
    finally:
        if summary is not None:
            summary.close()
    pairs = counts["different"] + counts["same"] + counts["failed"]
    unmatched = counts["unmatched"]
    extra = f"; {_plural(unmatched, 'file')} without a match" if unmatched else ""
    where = f"; pictures and summary.jsonl in {outdir}" if outdir else ""
    sys.stderr.write(
        f"{_plural(pairs, 'pair')}: {counts['different']} with differences, {counts['same']} "
        f"without, {counts['failed']} failed{extra}{where}\n"
    )
    if counts["failed"] or unmatched:
        return 2
    return 1 if counts["different"] else 0


def _run_row(
    row: DirectoryRow, stem: str, dirs: _Outputs, json_output: bool, settings: dict[str, Any]
) -> dict[str, Any]:
    """Run one row (pictures ``STEM.png`` in the directories of ``dirs``); return its record
    with ``"_outcome"`` (a key of the run's counts)."""
    from ..result import RECORD_SCHEMA_VERSION

    record: dict[str, Any] = {"schema_version": RECORD_SCHEMA_VERSION, "name": row.name}
    if row.path1 is None or row.path2 is None:
        sys.stderr.write(f"spotdiff: error: {row.name}: {row.error}\n")
        side = "image1" if row.path1 is not None else "image2"
        return record | {
            side: str(row.path1 or row.path2),
            "error": row.error,
            "_outcome": "unmatched",
        }
    name = row.name
    outputs = _Outputs(
        *(
            None if d is None else d / f"{stem}.png"
            for d in (dirs.annotated, dirs.heatmap, dirs.mask)
        ),
        dirs.colormap,
    )
    try:
        with warnings_to_stderr(prefix=f"{name}: "):
            result = _run_pair(row.path1, row.path2, outputs=outputs, **settings)
    except Exception as exc:  # one pair failing never stops the run
        if debugging():
            raise
        message = error_message(exc)
        sys.stderr.write(f"spotdiff: error: {name}: {message}\n")
        sys.stderr.flush()
        paths = {"image1": str(row.path1), "image2": str(row.path2)}
        return record | paths | {"error": message, "_outcome": "failed"}
    if not json_output:
        sys.stdout.write(f"{name}: {_count(len(result))}\n")
        sys.stdout.flush()
    record |= pair_record(row.path1, row.path2, result)
    record["annotated"] = str(outputs.annotated) if outputs.annotated else None
    return record | {"_outcome": "different" if len(result) else "same"}
