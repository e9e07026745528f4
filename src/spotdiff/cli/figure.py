"""``spotdiff figure``: paper comparison figures with zoomed insets (one, or one per image name)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .._errors import InvalidOptionError
from . import app
from ._common import emit_json, error_message, warnings_to_stderr

HELP = """Draw a comparison figure: the reference and each method's output, with zoomed insets
where the methods differ most from the reference and from each other.

\b
Examples:
  spotdiff figure gt.png bicubic.png ours.png -o fig.pdf --names Bicubic,Ours
  spotdiff figure gt.png a.png b.png -o fig.png --insets 3 --layout columns --scale 2
  spotdiff figure gt.png a.png -o fig.png --box 120,80,184,144 --box 300,40,364,104
  spotdiff figure gt/ bicubic/ ours/ -o figures/ --format pdf   # one figure per image name

The insets (K, --insets, default 2) are the non-overlapping squares of --inset-size reference
pixels (default 1/5 of the shorter side) where the methods differ most from the reference
and from each other (local SSIM and colour distance); --box gives them by hand. Each image shows PSNR (dB) /
SSIM over the whole image and each inset (LPIPS too when torch and its weights are on this
machine; --no-lpips skips it, --lpips requires it). .pdf is vector (text and frames; pictures
embedded at full resolution), .png/.jpg a picture (--scale pixels per point).

--json prints {"insets": [{"box": [x1, y1, x2, y2], "score", "colour"}], "methods": [{"name",
"psnr", "ssim", "insets": [...]}], ...} (boxes in reference pixels; one line per figure).

Exit codes: 0 written, 2 bad input or options (directories: any name that failed; the others
are written).
"""


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _box(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise InvalidOptionError(
            f"--box {text!r}: expected x1,y1,x2,y2 (four numbers, reference pixels)"
        )
    return values


def _image_files(folder: Path) -> dict[str, Path]:
    from ..viz import IMAGE_FORMATS

    return {
        p.stem: p
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in {*IMAGE_FORMATS, ".gif"}
    }


def _one(reference: Path, methods: list[Path], output: Path, options: dict[str, Any]) -> dict:
    from ..viz.figure import comparison_figure

    figure = comparison_figure(reference, methods, **options)
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.save(output)
    return {"reference": str(reference), "output": str(output), **figure.to_record()}


@app.command("figure", help=HELP)
def figure_command(
    images: Annotated[
        list[Path],
        typer.Argument(help="REFERENCE then METHOD_1 ... METHOD_N: files, or directories."),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="fig.png, fig.jpg or fig.pdf (a folder for folders)."),
    ],
    names: Annotated[
        list[str] | None,
        typer.Option(help="Method names, comma-separated or repeated (default: file names)."),
    ] = None,
    insets: Annotated[int, typer.Option(help="How many insets to pick.")] = 2,
    inset_size: Annotated[
        int | None, typer.Option(help="Inset side in reference pixels (default: 1/5 side).")
    ] = None,
    box: Annotated[
        list[str] | None,
        typer.Option(metavar="X1,Y1,X2,Y2", help="An inset by hand; repeat for more."),
    ] = None,
    layout: Annotated[str, typer.Option(help="rows, columns or grid.")] = "rows",
    inset_position: Annotated[str, typer.Option(help="auto, right or below.")] = "auto",
    colours: Annotated[
        str | None, typer.Option(help="Inset frame colours, comma-separated (#RRGGBB or names).")
    ] = None,
    font_size: Annotated[float, typer.Option(help="Font size in points.")] = 14.0,
    width: Annotated[
        float | None, typer.Option(help="Displayed width of each image in points (default 400).")
    ] = None,
    scale: Annotated[float, typer.Option(help="PNG pixels per point.")] = 1.0,
    lpips: Annotated[
        bool | None,
        typer.Option("--lpips/--no-lpips", help="Require / skip LPIPS (default: when available)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Folders: the figures' format, png or pdf.")
    ] = "png",
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the insets and metrics.")
    ] = False,
) -> int:
    from .._validate import check_choice

    if len(images) < 2:
        raise InvalidOptionError(
            "give the reference and at least one method: spotdiff figure REFERENCE METHOD... -o OUT"
        )
    reference, methods = images[0], images[1:]
    options: dict[str, Any] = {
        "names": _split(names) or [p.stem if p.is_file() else p.name for p in methods],
        "insets": insets,
        "inset_size": inset_size,
        "boxes": [_box(b) for b in box] if box else None,
        "layout": layout,
        "inset_position": inset_position,
        "colours": _split([colours]) if colours else None,
        "font_size": font_size,
        "image_width": width,
        "scale": scale,
        "lpips": lpips,
    }
    if not reference.is_dir():
        if any(p.is_dir() for p in methods):
            raise InvalidOptionError("give files only, or directories only (one per method)")
        from ..viz import IMAGE_FORMATS

        if output.suffix.lower() not in {*IMAGE_FORMATS, ".pdf"}:
            raise InvalidOptionError(
                f"-o {output}: cannot write a {output.suffix or 'suffix-less'} figure; use .pdf "
                f"(vector) or one of {', '.join(sorted(IMAGE_FORMATS))}"
            )
        record = _one(reference, list(methods), output, options)
        if json_output:
            emit_json(record)
        else:
            sys.stderr.write(f"figure: {output}\n")
        return 0
    fmt = check_choice("--format", fmt, ("png", "pdf"))
    missing = [str(p) for p in methods if not p.is_dir()]
    if missing:
        raise InvalidOptionError(f"{', '.join(missing)}: not a directory; give directories only")
    if output.exists() and not output.is_dir():
        raise InvalidOptionError(f"-o {output} is a file; for directories it names a folder")
    files = [_image_files(d) for d in (reference, *methods)]
    if not files[0]:
        raise InvalidOptionError(f"{reference} holds no image files")
    failed = 0
    for name, ref_path in files[0].items():
        try:
            found = [f.get(name) for f in files[1:]]
            absent = [str(d) for d, p in zip(methods, found, strict=True) if p is None]
            if absent:
                raise InvalidOptionError(f"no image named {name}.* in {', '.join(absent)}")
            with warnings_to_stderr(prefix=f"{name}: "):
                record = _one(ref_path, found, output / f"{name}.{fmt}", options)  # type: ignore[arg-type]
        except Exception as exc:  # one name failing never stops the run
            failed += 1
            sys.stderr.write(f"spotdiff: error: {name}: {error_message(exc)}\n")
            continue
        if json_output:
            emit_json(record)
    done = len(files[0]) - failed
    sys.stderr.write(f"{done} figure(s) in {output}, {failed} failed\n")
    return 2 if failed else 0
