"""Running ``spotdiff map`` over two directories on the batch runner: one row per file name in
OUT/summary.jsonl, one map picture OUT/NAME.png per pair, resumable.

The command's options and their checks stay in :mod:`.map`; this module receives them checked.
torch loads in the workers (each builds its :class:`~spotdiff.maps.Finder` once, in ``setup``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import debugging, error_message, json_line, parse_spec, warnings_to_stderr

if TYPE_CHECKING:
    from ..io import DirectoryRow

__all__ = [
    "MapSpec",
    "MapTask",
    "build_finder",
    "map_directories",
    "print_row",
    "row_line",
    "row_record",
    "save_map",
]


@dataclass(frozen=True)
class MapSpec:
    """The ``map`` options a :class:`~spotdiff.maps.Finder` is built from, as given: component
    specs ``NAME:key=value,...`` (``pre``, ``post``, ``strategy``, ``metric``), ``device``,
    ``reduce`` and ``size_mismatch``."""

    pre: str
    post: str
    strategy: str
    metric: str
    device: str
    reduce: str
    size_mismatch: str

    @property
    def metric_name(self) -> str:
        """The metric's registered name (``ssim`` of ``ssim:win_size=7``)."""
        return parse_spec(self.metric, "--metric")[0]

    def settings(self) -> dict[str, Any]:
        """What the maps depend on, as JSON (every option but ``device``: where, not what)."""
        specs = {
            option: list(parse_spec(getattr(self, option), f"--{option}"))
            for option in ("pre", "post", "strategy", "metric")
        }
        return specs | {"reduce": self.reduce, "size_mismatch": self.size_mismatch}


def build_finder(spec: MapSpec) -> Any:
    """The :class:`~spotdiff.maps.Finder` of ``spec`` (loads torch and the metric's model)."""
    from ..maps import Finder, get_metric, get_postprocessor, get_preprocessor, get_strategy

    def build(text: str, option: str, getter: Any) -> Any:
        name, options = parse_spec(text, option)
        return getter(name, **options)

    return Finder(
        pre_processor=build(spec.pre, "--pre", get_preprocessor),
        post_processor=build(spec.post, "--post", get_postprocessor),
        strategy=build(spec.strategy, "--strategy", get_strategy),
        metric=build(spec.metric, "--metric", get_metric),
        device=spec.device,
        reduce=spec.reduce,
        size_mismatch=spec.size_mismatch,
    )


def save_map(diff_map: Any, path: Path, look: dict[str, Any]) -> Path:
    """Write one (H, W) map atomically (viz's ``save_map``: a picture, or ``.npy`` values)."""
    from ..viz.colormap import save_map as save

    return save(diff_map, path, **look)


def row_line(record: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` line of a row: its summary record with ``"error": null`` when it has none
    (every line has the same keys)."""
    line = {k: v for k, v in record.items() if not k.startswith("_")}
    return line | {"error": line.get("error")}


@dataclass(frozen=True)
class MapTask:
    """``spotdiff map`` on one row of a directory run (:class:`spotdiff.batch.Task`).

    ``finder``: one already built in this process (used when the rows run here); it is never
    pickled, so each worker process builds its own in ``setup``.
    """

    spec: MapSpec
    output: Path
    look: dict[str, Any]
    finder: Any = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"finder": None}

    def setup(self) -> Any:
        return self.finder if self.finder is not None else build_finder(self.spec)

    def run(self, finder: Any, row: DirectoryRow) -> dict[str, Any]:
        from ._batch_run import capture_stderr

        return capture_stderr(lambda: self._row(finder, row))

    def _row(self, finder: Any, row: DirectoryRow) -> dict[str, Any]:
        """The record of ``row`` (its map written to ``OUTPUT/NAME.png``); an error is written
        to stderr and recorded, never raised."""
        metric = self.spec.metric_name
        if row.path1 is None or row.path2 is None:  # a file without a partner
            return _failed(row_record(row.name, row.path1, row.path2, metric), row.error or "")
        try:
            with warnings_to_stderr(prefix=f"{row.name}: "):
                result = finder.map(row.path1, row.path2)
                written = save_map(result.map[0], self.output / f"{row.name}.png", self.look)
        except Exception as exc:  # one row failing never stops the run
            if debugging():
                raise
            record = row_record(row.name, row.path1, row.path2, metric)
            return _failed(record, error_message(exc))
        return row_record(row.name, row.path1, row.path2, metric, written, result.values[0])


def row_record(
    name: str,
    path1: Path | None,
    path2: Path | None,
    metric: str,
    written: Path | None = None,
    value: float | None = None,
) -> dict[str, Any]:
    """The record of one pair: ``name``, ``image1``, ``image2`` (None: no such file), the map
    file ``output`` (None: not written), the ``metric``'s name and its ``value`` (None when not
    computed or not finite)."""
    number = None if value is None else float(value)
    return {
        "name": name,
        "image1": None if path1 is None else str(path1),
        "image2": None if path2 is None else str(path2),
        "output": None if written is None else str(written),
        "metric": metric,
        "value": number if number is not None and math.isfinite(number) else None,
    }


def _failed(record: dict[str, Any], message: str) -> dict[str, Any]:
    """``record`` as a failed row: its error line on stderr, ``"error"`` in the record."""
    sys.stderr.write(f"spotdiff: error: {record['name']}: {message}\n")
    return record | {"error": message}


def print_row(record: dict[str, Any], json_output: bool) -> None:
    """Print a new row: its captured messages, then its ``--json`` line (:func:`row_line`) or,
    for a map written, ``OUTPUT  metric=value``."""
    from ._batch_run import print_messages

    print_messages(record)
    if json_output:
        sys.stdout.write(json_line(row_line(record)))
    elif "error" not in record:
        value = record["value"]
        shown = "nan" if value is None else f"{value:.6g}"
        sys.stdout.write(f"{record['output']}  {record['metric']}={shown}\n")
    sys.stdout.flush()


def map_directories(
    spec: MapSpec,
    finder: Any,
    dir1: Path,
    dir2: Path,
    output: Path,
    look: dict[str, Any],
    json_output: bool,
    *,
    workers: int | None = None,
    retry_errors: bool = False,
    overwrite: bool = False,
) -> int:
    """Map every row of two directories (:func:`spotdiff.batch.directory_rows`) on the batch
    runner into ``output`` (NAME.png per pair, summary.jsonl); a failing row is reported and
    the run goes on.

    Args:
        finder: built from ``spec`` in this process (option errors surfaced before any work);
            used when the rows run here (one worker), else each worker builds its own.
        look: the pictures' ``colormap``, ``vmin`` and ``vmax``.
        json_output: print each new row as a JSON line (:func:`row_line`), else one
            ``OUTPUT  metric=value`` line per map written; rows kept from an earlier run are not
            printed again.
        workers, retry_errors, overwrite: as ``spotdiff find`` (see docs/batch.md).

    Returns:
        The exit code: 2 when a row of the final summary has ``"error"`` (a file without a
        partner, a pair that could not be mapped), else 0.
    """
    from ..batch import directory_rows
    from ._batch_run import batch_engine, directory_key_of, run_rows

    engine = batch_engine(workers)  # checked before anything is written
    rows = directory_rows(dir1, dir2)
    output.mkdir(parents=True, exist_ok=True)
    failed = 0

    def on_row(record: dict[str, Any], fresh: bool) -> None:
        nonlocal failed
        failed += "error" in record
        if fresh:
            print_row(record, json_output)

    kept = run_rows(
        rows,
        output / "summary.jsonl",
        MapTask(spec, output, look, finder),
        engine=engine,
        key_of=directory_key_of,
        settings={"command": "map", **spec.settings(), **look, "output": str(output)},
        on_row=on_row,
        description="maps",
        retry_errors=retry_errors,
        overwrite=overwrite,
    )
    earlier = f" ({kept} kept from an earlier run)" if kept else ""
    sys.stderr.write(f"{len(rows) - failed} of {len(rows)} maps written to {output}{earlier}\n")
    return 2 if failed else 0
