"""Building the HTML report: one folder that opens from ``file://`` (no server, no CDN).

The folder holds::

    index.html              the page (a shell; everything is drawn by assets/report.js)
    assets/report.js        the viewer (plain JavaScript, no library), ~30 KB
    assets/report.css       its style
    data.js                 the rows: ``window.SPOTDIFF_REPORT = {...}`` (a script, not JSON,
                            because browsers refuse fetch() from file://)
    heatmaps/, images/      only with ``heatmaps=True`` / ``copy_images=True``

Pictures are not decoded or copied by default: the page links the run's own files by their path
relative to the report folder, so building a 10,000-row report takes well under a second
(``benchmarks/bench_report.py``), and thumbnails are the original pictures shown small and
loaded lazily (only rows scrolled into view load). ``copy_images=True`` copies them into
``images/`` so that the folder can be moved or archived on its own.

Heatmaps: the report shows the heatmap pictures the run wrote (a row's ``"heatmap"`` path;
``spotdiff find --report`` writes them). With ``heatmaps=True`` the ones missing are computed
here with :func:`spotdiff.find` (its evidence map over image 1, the scale of ``find --heatmap``),
which costs a ``find`` per pair (about 0.1-0.5 s each): the choice is the user's.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..._atomic import atomic_path, atomic_write
from ..._errors import InvalidOptionError
from ._rows import Row, iter_rows, no_rows, parse_row

__all__ = ["ReportInfo", "ReportWriter", "build_report"]

#: find's heatmap scale: its evidence map is 1 at the per-pixel threshold (see ``find --heatmap``)
_HEATMAP_VMAX = 2.0
_ASSETS = ("report.js", "report.css")


@dataclass(frozen=True)
class ReportInfo:
    """What :func:`build_report` wrote.

    Attributes:
        index: path of index.html.
        counts: ``{"pairs", "diff", "same", "error"}`` row counts.
        seconds: time the build took.
        missing: image paths of rows that do not exist (the page shows a placeholder).
    """

    index: Path
    counts: dict[str, int]
    seconds: float
    missing: tuple[str, ...]


class _Resolver:
    """Turns a path written by a run into a URL relative to the report folder."""

    def __init__(self, out: Path, bases: list[Path], copy_to: Path | None) -> None:
        self.out = out.resolve()
        self.bases = bases
        self.copy_to = copy_to
        self.missing: list[str] = []
        self._copied = 0

    def locate(self, path: str) -> Path | None:
        given = Path(path)
        if given.is_absolute():
            return given if given.exists() else None
        for base in self.bases:
            candidate = base / given
            if candidate.exists():
                return candidate.resolve()
        return None

    def url(self, path: str | None) -> str | None:
        if not path:
            return None
        found = self.locate(path)
        if found is None:
            self.missing.append(path)
            return None
        if self.copy_to is not None:
            self._copied += 1
            target = self.copy_to / f"{self._copied:06d}{found.suffix.lower()}"
            with atomic_path(target) as tmp:
                shutil.copyfile(found, tmp)
            found = target.resolve()
        return quote(os.path.relpath(found, self.out).replace(os.sep, "/"))


def _compute_heatmap(row: Row, resolver: _Resolver, target: Path) -> bool:
    from ...detect import find
    from ...io import read_image
    from .._save import save_image
    from ..annotate import heatmap_overlay

    path1, path2 = resolver.locate(row.image1 or ""), resolver.locate(row.image2 or "")
    if path1 is None or path2 is None:
        return False
    result = find(path1, path2, diff_map=True)
    image1 = read_image(path1)
    if result.diff_map is None or result.diff_map.shape != image1.shape[:2]:
        return False
    heat = heatmap_overlay(image1, result.diff_map, vmin=0.0, vmax=_HEATMAP_VMAX)
    save_image(heat, target)
    return True


def _flat_transform(row: Row) -> list[float] | None:
    if row.transform is None:
        return None
    return [round(v, 6) for line in row.transform for v in line]


def _region(r: list[Any]) -> list[Any]:
    x1, y1, x2, y2, score, kind, area = r
    score = None if score is None else round(score, 4)
    area = None if area is None else round(area)
    return [*(_compact(round(v, 2)) for v in (x1, y1, x2, y2)), score, kind, area]


def _compact(v: float) -> float | int:
    return int(v) if v == int(v) else v


def _page_row(row: Row, index: int, resolver: _Resolver, heat_dir: Path | None) -> dict[str, Any]:
    heat = resolver.url(row.heatmap) if row.heatmap else None
    if heat is None and heat_dir is not None and row.status != "error":
        target = heat_dir / f"{index:06d}.png"
        if _compute_heatmap(row, resolver, target):
            heat = quote(os.path.relpath(target.resolve(), resolver.out).replace(os.sep, "/"))
    out: dict[str, Any] = {
        "n": row.name,
        "s": row.status,
        "a": resolver.url(row.image1),
        "b": resolver.url(row.image2),
        "h": heat,
        "r": [_region(r) for r in row.regions],
    }
    if row.size:
        out["w"], out["ht"] = row.size
    optional = {
        "pa": row.image1,
        "pb": row.image2,
        "t": _flat_transform(row),
        "e": row.error,
        "q": row.query,
        "c": list(row.captions) if row.captions else None,
        "src": None if row.source == "find" else row.source,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


class ReportWriter:
    """A report written row by row, for a run that reports its rows as they come.

    The rows go to a temporary ``data.js`` beside the final one as :meth:`add` gets them (one
    page row in memory at a time, so memory does not grow with the rows); :meth:`finish` writes
    the counts, puts ``data.js`` in place (``os.replace``) and writes ``index.html`` and the
    assets. Leaving the ``with`` block without :meth:`finish` (an exception) leaves an earlier
    report as it was and removes the temporary file. Options as :func:`build_report`'s;
    ``source_file``: the results file the rows come from (the default title, a base folder).
    """

    def __init__(
        self,
        output_dir: str | os.PathLike[str],
        *,
        title: str | None = None,
        base: str | os.PathLike[str] | None = None,
        copy_images: bool = False,
        heatmaps: bool = False,
        source_file: Path | None = None,
    ) -> None:
        self.out = Path(output_dir)
        if self.out.exists() and not self.out.is_dir():
            raise InvalidOptionError(
                f"{self.out} is a file; the report needs a folder (e.g. report/)"
            )
        if title is None:
            title = f"spotdiff report: {source_file.name}" if source_file else "spotdiff report"
        self.title = title
        self.bases = [Path(base)] if base is not None else [Path.cwd()]
        if base is None and source_file is not None:
            self.bases.append(source_file.resolve().parent)
        self.copy_images, self.heatmaps = copy_images, heatmaps
        self.counts = {"pairs": 0, "diff": 0, "same": 0, "error": 0}
        self.seconds = 0.0  # spent building (adding rows and finishing), not running
        self._stack = contextlib.ExitStack()
        self._handle: Any = None
        self._resolver: _Resolver | None = None
        self._heat_dir: Path | None = None

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.__exit__(*exc)

    def _open(self) -> Any:
        """The folder and the temporary data.js, made at the first row (or at finish)."""
        if self._handle is None:
            out = self.out
            out.mkdir(parents=True, exist_ok=True)
            copy_to = out / "images" if self.copy_images else None
            if copy_to is not None:
                copy_to.mkdir(exist_ok=True)
            if self.heatmaps:
                self._heat_dir = out / "heatmaps"
                self._heat_dir.mkdir(exist_ok=True)
            self._resolver = _Resolver(out, self.bases, copy_to)
            self._handle = self._stack.enter_context(atomic_write(out / "data.js"))
            head = {"version": 1, "title": self.title,
                    "generated": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
            self._handle.write("window.SPOTDIFF_REPORT = " + _json(head)[:-1] + ',"rows":[')
        return self._handle

    def add(self, row: Row | Mapping[str, Any]) -> None:
        """Write one row (a :class:`Row` or a parsed record) into the report."""
        start = time.perf_counter()
        if not isinstance(row, Row):
            row = parse_row(row, where=f"row {self.counts['pairs'] + 1}")
        handle = self._open()
        page = _page_row(row, self.counts["pairs"], self._resolver, self._heat_dir)
        handle.write(("," if self.counts["pairs"] else "") + _json(page))
        self.counts["pairs"] += 1
        self.counts[row.status] += 1
        self.seconds += time.perf_counter() - start

    def finish(self, *, run_seconds: float | None = None) -> ReportInfo:
        """Close the rows, put data.js in place, write index.html and the assets."""
        start = time.perf_counter()
        handle = self._open()
        self.seconds += time.perf_counter() - start
        tail = {"runSeconds": run_seconds, "buildSeconds": round(self.seconds, 3),
                "counts": self.counts}  # fmt: skip
        handle.write("]," + _json(tail)[1:] + ";\n")
        self._stack.close()  # data.js in place
        (self.out / "assets").mkdir(exist_ok=True)
        for name in _ASSETS:
            with atomic_write(self.out / "assets" / name, "wb") as asset:
                asset.write(_asset(name))
        page = _asset("index.html").decode("utf-8").replace("{{TITLE}}", html.escape(self.title))
        with atomic_write(self.out / "index.html") as index:
            index.write(page)
        self.seconds += time.perf_counter() - start
        return ReportInfo(
            index=self.out / "index.html",
            counts=dict(self.counts),
            seconds=self.seconds,
            missing=tuple(self._resolver.missing),
        )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def build_report(
    results: str | os.PathLike[str] | Iterable[Mapping[str, Any]] | Iterable[Row],
    output_dir: str | os.PathLike[str],
    *,
    title: str | None = None,
    base: str | os.PathLike[str] | None = None,
    copy_images: bool = False,
    heatmaps: bool = False,
    run_seconds: float | None = None,
) -> ReportInfo:
    """Write the HTML report of a batch into ``output_dir`` (created; files written atomically).

    The rows are read and written one at a time (:class:`ReportWriter`): memory does not grow
    with their number.

    Args:
        results: a JSON-lines file of ``find`` (``--json`` / ``summary.jsonl``), ``imgdiff`` or
            ``ground`` rows, or the parsed records (dicts) or :class:`Row` objects themselves.
        output_dir: the report folder; ``index.html`` is its page.
        title: the page title (default: the results file's name).
        base: folder that relative image paths in the rows start from. Default: the current
            directory, then the results file's folder (the first where the file exists).
        copy_images: copy the pictures into ``output_dir/images/`` (a folder that can be moved);
            default: link them by relative path.
        heatmaps: compute the heatmaps the rows do not name, with :func:`spotdiff.find` (one
            ``find`` per pair, into ``output_dir/heatmaps/``).
        run_seconds: the run's duration, shown in the summary.

    Returns:
        :class:`ReportInfo`.

    Raises:
        InvalidOptionError: a results line that is not a row; a results file without rows;
            ``output_dir`` is a file.
        FileNotFoundError: the results file does not exist.
    """
    source_file = Path(results) if isinstance(results, str | os.PathLike) else None
    options = {"title": title, "base": base, "copy_images": copy_images, "heatmaps": heatmaps}
    with ReportWriter(output_dir, source_file=source_file, **options) as writer:
        for row in iter_rows(results):
            writer.add(row)
        if source_file is not None and not writer.counts["pairs"]:
            raise no_rows(source_file)
        return writer.finish(run_seconds=run_seconds)
