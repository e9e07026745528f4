"""Running ``spotdiff find``: one pair (decode, find, pictures written as one group) or every
pair of two directories (one row at a time, summary.jsonl, counts and the exit code).

The command's options and their parsing stay in :mod:`.find`; this module receives them parsed.
NumPy, OpenCV and Pillow load only when a pair runs, the picture modules only when a picture is
asked for.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import InvalidOptionError
from ._common import (
    debugging,
    error_message,
    json_line,
    warnings_to_stderr,
)

if TYPE_CHECKING:
    import numpy as np

    from ..detect import PreparedPair
    from ..io import DirectoryRow
    from ..result import DiffResult

__all__ = [
    "HEATMAP_VMAX",
    "FindTask",
    "Ignore",
    "Outputs",
    "count_text",
    "pair_record",
    "run_directories",
    "run_pair",
    "write_report",
]

#: The heatmap's colour scale: find()'s evidence map is 1 at the per-pixel threshold, so 0..2 puts
#: the threshold mid-scale and a pair without differences stays dark (its noise is not stretched).
HEATMAP_VMAX = 2.0


@dataclass(frozen=True)
class Outputs:
    """The pictures asked for: files of one pair, or directories of a directory run (a
    picture ``STEM.png`` in each)."""

    annotated: Path | None
    heatmap: Path | None
    mask: Path | None
    colormap: str

    def paths(self) -> list[tuple[str, Path]]:
        named = (("--output", self.annotated), ("--heatmap", self.heatmap), ("--mask", self.mask))
        return [(option, path) for option, path in named if path is not None]


@dataclass(frozen=True)
class Ignore:
    """``--ignore`` rectangles (parsed, image-1 pixels) and the ``--ignore-mask`` picture."""

    rects: list[tuple[float, float, float, float]]
    mask_path: Path | None

    def mask(self, size1: tuple[int, int], size: tuple[int, int]) -> np.ndarray | None:
        """(H, W) bool over the compared images (``size``), from areas given in image 1's pixels
        (``size1``; smaller than ``size`` after ``size_mismatch="pad"``). A rectangle that covers
        no pixel is skipped with a warning."""
        import numpy as np

        from ..io import read_image
        from ..regions.ignore import ignore_mask, paint_rects

        w, h = size
        out = np.zeros((h, w), dtype=bool)
        paint_rects(out, self.rects, label=lambda r: "--ignore " + ",".join(f"{v:g}" for v in r))
        if self.mask_path is not None:
            # transparent pixels count as 0, so a painted transparent layer works as a mask
            picture = read_image(self.mask_path, background=(0, 0, 0))
            part = ignore_mask(picture, size1)
            if part is not None:
                out[: size1[1], : size1[0]] |= part
        return out if out.any() else None


def pair_record(path1: Path, path2: Path, result: DiffResult) -> dict[str, Any]:
    """The ``--json`` object of one pair: :meth:`DiffResult.to_record` with the two paths after
    ``schema_version`` (key order as documented in the help)."""
    record = result.to_record()
    head = {"schema_version": record.pop("schema_version"), "image1": str(path1)}
    return {**head, "image2": str(path2), **record}


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def count_text(n: int) -> str:
    """``"no differences"``, ``"1 difference"``, ``"3 differences"``."""
    return "no differences" if n == 0 else f"{n} difference" + ("s" if n > 1 else "")


def run_pair(
    path1: Path,
    path2: Path,
    *,
    config: Any,
    size_mismatch: str,
    ignore: Ignore,
    outputs: Outputs,
) -> DiffResult:
    """Decode once, find, render the pictures asked for and write them as one group."""
    from ..detect import find_prepared, prepare_pair

    pair = prepare_pair(path1, path2, config=config, size_mismatch=size_mismatch)
    skip = ignore.mask(pair.size1, pair.size)
    # the difference map (a float32 image of the original size) only when it is drawn
    config = replace(config, diff_map=outputs.heatmap is not None)
    result = find_prepared(pair, config=config, ignore=skip)
    if outputs.paths():
        from ..viz import save_images

        # all in memory first; a very large pair (decoded reduced) is drawn at the decoded size,
        # its mask written at image 1's own size
        pictures = _render_pictures(pair, result, skip, outputs)
        for path, _ in pictures:
            path.parent.mkdir(parents=True, exist_ok=True)
        save_images(pictures)  # then all in place together, or none
    return result


def _render_pictures(
    pair: PreparedPair,
    result: DiffResult,
    skip: np.ndarray | None,
    outputs: Outputs,
) -> list[tuple[Path, np.ndarray]]:
    from ..regions.rescale import rescale
    from ..viz import annotate_pair, heatmap_overlay, mask_image

    a, b = pair.img1, pair.img2
    drawn = rescale(result, (a.shape[1], a.shape[0])) if pair.reduced else result
    pictures = []
    if outputs.annotated is not None:
        pictures.append((outputs.annotated, annotate_pair(a, b, drawn)))
    if outputs.heatmap is not None:
        if drawn.diff_map is None:  # pragma: no cover - run_pair asks for it
            raise InvalidOptionError("this result has no difference map to draw")
        heat = heatmap_overlay(
            a, drawn.diff_map, colormap=outputs.colormap, vmin=0.0, vmax=HEATMAP_VMAX
        )
        pictures.append((outputs.heatmap, heat))
    if outputs.mask is not None:
        size1 = pair.size1
        crop = None if skip is None else skip[: size1[1], : size1[0]]
        pictures.append((outputs.mask, mask_image(result, size1, ignore=crop)))
    return pictures


def run_directories(
    dir1: Path,
    dir2: Path,
    dirs: Outputs,
    json_output: bool,
    settings: dict[str, Any],
    report: Path | None = None,
    *,
    workers: int | None = None,
    engine: str = "local",
    retry_errors: bool = False,
    overwrite: bool = False,
) -> int:
    """Run every row of two directories (:func:`spotdiff.batch.directory_rows`) on the batch
    runner; a failing pair is reported and the run goes on.

    Args:
        dirs: the directories of the pictures (``STEM.png`` in each); ``dirs.annotated`` also
            gets summary.jsonl, one record per row as it is done, in file-name order.
        json_output: print each row's record as a JSON line (else one ``NAME: N differences``
            line per pair); rows kept from an earlier run are not printed again.
        settings: :func:`run_pair`'s ``config``, ``size_mismatch`` and ``ignore``.
        report: the folder of the HTML report (``--report``): each row is written to it as
            it comes (no row is kept in memory), the report put in place at the end;
            summary.jsonl goes there when ``dirs.annotated`` is None.
        workers: processes (None: the machine's cores; 1: this process), or Ray actors.
        engine: ``"local"`` or ``"ray"`` (:func:`spotdiff.batch.make_engine`).
        retry_errors: redo the rows of an earlier summary.jsonl that have ``"error"``.
        overwrite: start again even when summary.jsonl could be resumed.

    Returns:
        The exit code: 2 when a row of the final summary failed or is a file without a match,
        else 1 when any pair differs, else 0.
    """
    from ..batch import directory_rows
    from ._batch_run import batch_engine, directory_key_of, run_rows

    outdir = dirs.annotated
    runner = batch_engine(workers, engine)  # checked before anything is written
    rows = directory_rows(dir1, dir2)
    for directory in (dirs.annotated, dirs.heatmap, dirs.mask):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
    counts = {"different": 0, "same": 0, "failed": 0, "unmatched": 0}
    # a.png/a.png and a.jpg/a.jpg (one name, two pairs): pictures a.png.png and a.jpg.png
    names = Counter(row.payload.name for row in rows)
    summary_dir = outdir or report
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    stack = contextlib.ExitStack()
    writer = None if report is None else stack.enter_context(_report_writer(report))

    def stem(row: DirectoryRow) -> str:
        return row.name if names[row.name] == 1 else row.file.name

    def on_row(record: dict[str, Any], fresh: bool) -> None:
        counts[_outcome(record)] += 1
        if writer is not None:
            writer.add({k: v for k, v in record.items() if not k.startswith("_")})
        if fresh:
            _echo(record, json_output)

    with stack:
        kept = run_rows(
            [replace(row, payload=BatchRowPayload(row.payload, stem(row.payload))) for row in rows],
            None if summary_dir is None else summary_dir / "summary.jsonl",
            FindTask(dirs, settings, json_output),
            engine=runner,
            key_of=directory_key_of,
            settings=_fingerprint(dirs, settings),
            on_row=on_row,
            description="find",
            retry_errors=retry_errors,
            overwrite=overwrite,
        )
        pairs = counts["different"] + counts["same"] + counts["failed"]
        unmatched = counts["unmatched"]
        extra = f"; {_plural(unmatched, 'file')} without a match" if unmatched else ""
        earlier = f"; {_plural(kept, 'row')} kept from an earlier run" if kept else ""
        where = f"; pictures and summary.jsonl in {outdir}" if outdir else ""
        sys.stderr.write(
            f"{_plural(pairs, 'pair')}: {counts['different']} with differences, "
            f"{counts['same']} without, {counts['failed']} failed{extra}{earlier}{where}\n"
        )
        if writer is not None:
            info = writer.finish(run_seconds=time.perf_counter() - start)
            sys.stderr.write(f"report: {info.index}\n")
    if counts["failed"] or unmatched:
        return 2
    return 1 if counts["different"] else 0


def _report_writer(folder: Path) -> Any:
    """``--report``'s writer: rows written to the report as they come, put in place at the end."""
    from ..viz.report import ReportWriter

    return ReportWriter(folder)


def _fingerprint(dirs: Outputs, settings: dict[str, Any]) -> dict[str, Any]:
    """What the rows of summary.jsonl depend on (resuming needs it equal), as JSON."""
    ignore = settings["ignore"]
    mask = None
    if ignore.mask_path is not None:
        path = Path(ignore.mask_path)
        mask = [str(path.resolve()), path.stat().st_mtime_ns if path.exists() else None]
    return {
        "command": "find",
        "config": repr(settings["config"]),
        "size_mismatch": settings["size_mismatch"],
        "ignore": [list(r) for r in ignore.rects],
        "ignore_mask": mask,
        "outputs": [
            None if d is None else str(d) for d in (dirs.annotated, dirs.heatmap, dirs.mask)
        ],
        "colormap": dirs.colormap if dirs.heatmap is not None else None,
    }


def _outcome(record: dict[str, Any]) -> str:
    """The count a record of a directory run adds to: unmatched, failed, different or same."""
    if "image1" not in record or "image2" not in record:
        return "unmatched"
    if "error" in record:
        return "failed"
    return "different" if record.get("regions") else "same"


def _echo(record: dict[str, Any], json_output: bool) -> None:
    """Print a new row: its messages on stderr, then its JSON line or ``NAME: N differences``."""
    from ._batch_run import print_messages

    print_messages(record)
    if json_output:
        sys.stdout.write(json_line({k: v for k, v in record.items() if not k.startswith("_")}))
    elif "error" not in record:
        sys.stdout.write(f"{record['name']}: {count_text(len(record.get('regions') or []))}\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class BatchRowPayload:
    """A row of a directory run as a worker gets it: the row and the stem of its pictures."""

    row: DirectoryRow
    stem: str


@dataclass(frozen=True)
class FindTask:
    """``spotdiff find`` on one row of a directory run (:class:`spotdiff.batch.Task`)."""

    dirs: Outputs
    settings: dict[str, Any]
    json_output: bool
    #: imported once in the local engine's forkserver, so workers start with them loaded
    preload: ClassVar[tuple[str, ...]] = ("spotdiff.detect",)

    def setup(self) -> None:
        from .. import detect  # noqa: F401 - NumPy, OpenCV and Pillow, once per worker

    def run(self, state: None, payload: BatchRowPayload) -> dict[str, Any]:
        from ._batch_run import capture_stderr

        # messages go back with the row, printed in row order
        return capture_stderr(lambda: _run_row(payload.row, payload.stem, self.dirs, self.settings))


def write_report(records: list[dict[str, Any]], folder: Path, *, run_seconds: float) -> None:
    """Build the HTML report of ``records`` (``--report``) and say where it is on stderr."""
    from ..viz.report import build_report

    info = build_report(records, folder, run_seconds=run_seconds)
    sys.stderr.write(f"report: {info.index}\n")


def _run_row(
    row: DirectoryRow, stem: str, dirs: Outputs, settings: dict[str, Any]
) -> dict[str, Any]:
    """Run one row (pictures ``STEM.png`` in the directories of ``dirs``); return its record
    (errors and warnings written to stderr)."""
    from ..result import RECORD_SCHEMA_VERSION

    record: dict[str, Any] = {"schema_version": RECORD_SCHEMA_VERSION, "name": row.name}
    if row.path1 is None or row.path2 is None:
        sys.stderr.write(f"spotdiff: error: {row.name}: {row.error}\n")
        side = "image1" if row.path1 is not None else "image2"
        return record | {side: str(row.path1 or row.path2), "error": row.error}
    name = row.name
    outputs = Outputs(
        *(
            None if d is None else d / f"{stem}.png"
            for d in (dirs.annotated, dirs.heatmap, dirs.mask)
        ),
        dirs.colormap,
    )
    try:
        with warnings_to_stderr(prefix=f"{name}: "):
            result = run_pair(row.path1, row.path2, outputs=outputs, **settings)
    except Exception as exc:  # one pair failing never stops the run
        if debugging():
            raise
        message = error_message(exc)
        sys.stderr.write(f"spotdiff: error: {name}: {message}\n")
        sys.stderr.flush()
        paths = {"image1": str(row.path1), "image2": str(row.path2)}
        return record | paths | {"error": message}
    record |= pair_record(row.path1, row.path2, result)
    record["annotated"] = str(outputs.annotated) if outputs.annotated else None
    if outputs.heatmap is not None:
        record["heatmap"] = str(outputs.heatmap)
    return record
