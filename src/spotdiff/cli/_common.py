"""Pieces shared by the CLI commands: option specs, output (table or JSON), warnings, progress,
JSON-lines logs."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .._errors import InvalidOptionError

__all__ = [
    "JsonLinesLog",
    "ProgressHandle",
    "check_outputs",
    "debugging",
    "emit_json",
    "error_message",
    "json_line",
    "parse_spec",
    "progress",
    "progress_columns",
    "stderr_console",
    "warnings_to_stderr",
]


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_spec(spec: str, option: str) -> tuple[str, dict[str, Any]]:
    """``"name:key=value,key=value"`` -> ``("name", {"key": value})`` (numbers parsed)."""
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidOptionError(
                f"{option} {spec!r}: options must look like name:key=value,key=value"
            )
        options[key.strip()] = _parse_value(value.strip())
    return name.strip(), options


def json_line(payload: Any) -> str:
    """One JSON line (no NaN / inf: they raise ValueError), ending in a newline."""
    return json.dumps(payload, indent=None, allow_nan=False) + "\n"


def emit_json(payload: Any) -> None:
    """Write ``payload`` as one JSON line on stdout and flush."""
    sys.stdout.write(json_line(payload))
    sys.stdout.flush()


@contextmanager
def warnings_to_stderr(prefix: str = "") -> Iterator[None]:
    """Show every warning raised inside the block as one line ``spotdiff: warning: PREFIXmsg``.

    Warnings of any category (spotdiff's own, Pillow's "Corrupt EXIF data" or
    DecompressionBombWarning, ``warnings.warn`` anywhere) are written to stderr as they happen,
    each text once per block (a message spanning lines is joined into one). spotdiff's warnings
    are always shown; other categories follow the filters in force (``-W``, ``PYTHONWARNINGS``;
    by default DeprecationWarning stays hidden). The block goes on: nothing is raised. Nested
    blocks: the innermost one shows (with its own prefix). ``main()`` wraps every command in one,
    so a command needs its own only for a prefix, e.g. ``warnings_to_stderr(prefix=f"{name}: ")``
    around one pair of a directory run.
    """
    from .._errors import SpotdiffWarning

    seen: set[str] = set()

    def show(message: Any, category: Any, filename: Any, lineno: Any, *_: Any, **__: Any) -> None:
        text = " ".join(str(message).split())
        if text in seen:
            return
        seen.add(text)
        sys.stderr.write(f"spotdiff: warning: {prefix}{text}\n")
        sys.stderr.flush()

    # catch_warnings saves and restores the filters and ``warnings.showwarning``; the warnings
    # module then calls ``show`` directly (no list of records that could grow while read)
    with warnings.catch_warnings():
        warnings.simplefilter("always", SpotdiffWarning)
        warnings.showwarning = show
        yield


class JsonLinesLog:
    """A JSON-lines file written as a log (``summary.jsonl``): readable while the run goes on,
    never a torn line, and an earlier file kept until the new run has a line to write.

    The first line goes to a temporary file beside ``path``, which then replaces ``path``
    (``os.replace``); later lines are appended to it. Every line is written with one ``os.write``
    of the whole encoded line (no user-space buffer), so a crash or ``kill -9`` leaves whole lines
    only. A run that writes no line leaves ``path`` as it was and removes its temporary file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from .._atomic import _temp_beside

        self.path = Path(path)
        self._tmp = _temp_beside(self.path)
        self._fd: int | None = os.open(self._tmp, os.O_WRONLY | os.O_APPEND)
        self._placed = False
        self.lines = 0

    def write(self, record: Any) -> None:
        """Append ``record`` as one JSON line (the file takes ``path``'s place at the first)."""
        if self._fd is None:
            raise ValueError(f"{self.path}: the log is closed")
        data = memoryview(json_line(record).encode("utf-8"))
        while data:
            data = data[os.write(self._fd, data) :]
        if not self._placed:
            os.replace(self._tmp, self.path)
            self._placed = True
        self.lines += 1

    def close(self) -> None:
        """Close the file; without any line written, remove the temporary file."""
        if self._fd is None:
            return
        os.close(self._fd)
        self._fd = None
        if not self._placed:
            with suppress(OSError):
                self._tmp.unlink()

    def __enter__(self) -> JsonLinesLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _rate(task: Any) -> float | None:
    fresh, since = task.fields.get("fresh", 0), task.fields.get("since")
    elapsed = None if since is None else task.get_time() - since
    return fresh / elapsed if fresh and elapsed else None


def _rate_text(task: Any, unit: str) -> str:
    """This run's rate: rows done now over the time since the bar started (rows kept from an
    earlier run count in done/total, not here); ``?`` before the first row."""
    rate = _rate(task)
    return f"? {unit}/s" if rate is None else f"{rate:.3g} {unit}/s"


def _remaining(task: Any) -> str:
    """Time left at this run's rate, ``H:MM:SS`` (``-:--:--`` before the first row)."""
    import math

    rate = _rate(task)
    if task.total is None or (rate is None and task.completed < task.total):
        return "-:--:--"
    left = 0 if rate is None else math.ceil((task.total - task.completed) / rate)
    minutes, seconds = divmod(left, 60)
    return f"{minutes // 60:d}:{minutes % 60:02d}:{seconds:02d}"


def progress_columns(unit: str = "pairs") -> tuple[Any, ...]:
    """The columns of every batch progress bar: description, bar, done/total (rows kept from an
    earlier run included), this run's rate in ``unit`` per second and the time remaining."""
    from rich.progress import BarColumn, MofNCompleteColumn, RenderableColumn
    from rich.text import Text

    class _Text(RenderableColumn):  # a column drawn by a function of the task
        def __init__(self, draw: Any, style: str) -> None:
            super().__init__()
            self.draw, self.style = draw, style

        def render(self, task: Any) -> Text:
            return Text(self.draw(task), style=self.style)

    return (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        _Text(lambda task: _rate_text(task, unit), "progress.data.speed"),
        _Text(_remaining, "progress.remaining"),
    )


class ProgressHandle:
    """What :func:`progress` yields: call it once per row done, ``fresh=False`` for a row kept
    from an earlier run (counted at once, not in the rate)."""

    def __init__(self, bar: Any, task_id: Any) -> None:
        self._bar, self._id, self.fresh = bar, task_id, 0

    @property
    def task(self) -> Any:
        """The Rich task (``completed``, ``total``, ``fields``) the columns draw."""
        return next(task for task in self._bar.tasks if task.id == self._id)

    def __call__(self, fresh: bool = True) -> None:
        if fresh:
            self.fresh += 1
        elif not self.fresh:  # kept rows before this run's first: its clock starts after them
            self._bar.update(self._id, since=self._bar.get_time())
        self._bar.update(self._id, advance=1, fresh=self.fresh)


@contextmanager
def progress(
    total: int, description: str, *, unit: str = "pairs", enabled: bool = True
) -> Iterator[ProgressHandle]:
    """A Rich progress bar on stderr (hidden when not a terminal or not ``enabled``) with the
    columns of :func:`progress_columns`; yields a :class:`ProgressHandle` to call per row."""
    from rich.progress import Progress

    console = stderr_console()
    bar = Progress(
        *progress_columns(unit),
        console=console,
        disable=not enabled or not console.is_terminal,
        transient=False,
    )
    with bar:
        task_id = bar.add_task(description, total=total, fresh=0, since=bar.get_time())
        yield ProgressHandle(bar, task_id)


def debugging() -> bool:
    """True when ``SPOTDIFF_DEBUG`` asks for tracebacks instead of one-line errors."""
    return os.environ.get("SPOTDIFF_DEBUG", "") not in ("", "0")


def error_message(exc: BaseException) -> str:
    """One line for an error: spotdiff's own and OS errors as they are; anything else named as
    an unexpected error (a bug) with its type."""
    from .._errors import SpotdiffError

    message = str(exc)
    if not isinstance(exc, SpotdiffError | OSError):
        message = (
            f"unexpected {type(exc).__name__}: {exc} (a bug in spotdiff; rerun with "
            "SPOTDIFF_DEBUG=1 for the traceback and report it)"
        )
    return " ".join(message.split())


def check_outputs(paths: list[tuple[str, Path]], *, directories: bool) -> None:
    """Refuse, before any work, outputs that could not be written or would overwrite each other.

    Args:
        paths: ``(option, path)`` of each output asked for, e.g. ``("--mask", Path("m.png"))``.
        directories: the paths name output directories (a directory run), else picture files.

    Raises:
        InvalidOptionError: two options name the same path; for pictures, an unsupported suffix
            or an existing directory; for directories, an existing file.
    """
    seen: dict[str, str] = {}
    for option, path in paths:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            what = "directory" if directories else "file"
            raise InvalidOptionError(
                f"{option} and {seen[key]} name the same {what} {path}; give each output its own"
            )
        seen[key] = option
        if not directories:
            from ..viz import check_image_path  # loads the picture modules only when needed

            check_image_path(path)
        elif path.exists() and not path.is_dir():
            raise InvalidOptionError(
                f"{option} {path} is a file; for two directories it names an output directory"
            )
