"""Shared CLI pieces: warnings as one line each, JSON-lines logs, output checks."""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import pytest

from spotdiff._errors import ImageReadError, InvalidOptionError, SpotdiffWarning
from spotdiff.cli import _common
from spotdiff.cli._common import (
    JsonLinesLog,
    check_outputs,
    error_message,
    warnings_to_stderr,
)


# ---------------------------------------------------------------------------- warnings
def test_every_warning_becomes_one_line_once(capsys):
    with warnings_to_stderr(prefix="cat: "):
        for _ in range(3):
            warnings.warn("Corrupt EXIF data.  Expecting 12 bytes", UserWarning, stacklevel=1)
        warnings.warn("resized image 2", SpotdiffWarning, stacklevel=1)
        warnings.warn("resized image 2", SpotdiffWarning, stacklevel=1)
        warnings.warn("first line\n  second line", RuntimeWarning, stacklevel=1)
    assert capsys.readouterr().err.splitlines() == [
        "spotdiff: warning: cat: Corrupt EXIF data. Expecting 12 bytes",
        "spotdiff: warning: cat: resized image 2",
        "spotdiff: warning: cat: first line second line",
    ]


def test_warnings_helper_does_not_loop_and_restores_the_warnings_module(capsys):
    before = (warnings.showwarning, list(warnings.filters))
    with warnings_to_stderr():
        # the old helper re-showed records inside catch_warnings(record=True): the list it
        # iterated grew with every warning it showed, forever
        for i in range(1000):
            warnings.warn(f"warning {i % 10}", UserWarning, stacklevel=1)
    assert len(capsys.readouterr().err.splitlines()) == 10
    assert (warnings.showwarning, list(warnings.filters)) == before


def test_nested_blocks_use_the_innermost_prefix_and_spotdiff_warnings_always_show(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a user silencing others: spotdiff's own still show
        with warnings_to_stderr(), warnings_to_stderr(prefix="two: "):
            warnings.warn("inner", SpotdiffWarning, stacklevel=1)
            warnings.warn("hidden", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "spotdiff: warning: two: inner\n"


# ---------------------------------------------------------------------------- JsonLinesLog
def _temps(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".tmp" in p.name]


def test_log_replaces_an_earlier_file_at_its_first_line_and_appends(tmp_path):
    path = tmp_path / "summary.jsonl"
    path.write_text('{"old": true}\n')
    with JsonLinesLog(path) as log:
        assert path.read_text() == '{"old": true}\n'  # nothing written yet: the old log stays
        log.write({"name": "a", "score": 0.5})
        assert path.read_text() == '{"name": "a", "score": 0.5}\n'  # readable while running
        log.write({"name": "b"})
    lines = path.read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["a", "b"] and log.lines == 2
    assert _temps(tmp_path) == [] and oct(path.stat().st_mode & 0o777) != "0o600"


def test_log_without_a_line_keeps_the_earlier_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "summary.jsonl"
    path.write_text('{"old": true}\n')
    with pytest.raises(KeyboardInterrupt), JsonLinesLog(path):
        raise KeyboardInterrupt
    assert path.read_text() == '{"old": true}\n' and _temps(tmp_path) == []
    log = JsonLinesLog(tmp_path / "new.jsonl")
    with pytest.raises(ValueError):  # NaN is not JSON: refused before anything is written
        log.write({"score": float("nan")})
    log.close()
    assert not (tmp_path / "new.jsonl").exists() and _temps(tmp_path) == []
    with pytest.raises(ValueError, match="closed"):
        log.write({"a": 1})


def test_log_lines_are_written_whole(tmp_path, monkeypatch):
    # one os.write per line: a long line never reaches the file in pieces
    calls = []
    real_write = os.write
    monkeypatch.setattr(
        _common.os, "write", lambda fd, data: calls.append((fd, len(data))) or real_write(fd, data)
    )
    with JsonLinesLog(tmp_path / "s.jsonl") as log:
        fd = log._fd
        log.write({"regions": [{"box": [1.25, 2.5, 3.75, 4.0]}] * 2000})
    mine = [size for where, size in calls if where == fd]
    assert len(mine) == 1 and mine[0] > 60_000
    assert (tmp_path / "s.jsonl").read_bytes().endswith(b"]}\n")


# ---------------------------------------------------------------------------- check_outputs
def test_check_outputs(tmp_path):
    check_outputs(
        [("--output", tmp_path / "a.png"), ("--mask", tmp_path / "m.jpg")], directories=False
    )
    with pytest.raises(InvalidOptionError, match="--mask and --output name the same file"):
        check_outputs(
            [("--output", tmp_path / "a.png"), ("--mask", tmp_path / "a.png")], directories=False
        )
    with pytest.raises(InvalidOptionError, match=r"cannot write a \.txt file"):
        check_outputs([("--heatmap", tmp_path / "h.txt")], directories=False)
    with pytest.raises(InvalidOptionError, match="is a directory"):
        (tmp_path / "d.png").mkdir()
        check_outputs([("--output", tmp_path / "d.png")], directories=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidOptionError, match=r"--mask .* is a file"):
        check_outputs([("--mask", tmp_path / "file")], directories=True)
    with pytest.raises(InvalidOptionError, match="same directory"):
        check_outputs([("--output", tmp_path / "o"), ("--mask", tmp_path / "o")], directories=True)


def test_error_message_names_unexpected_errors():
    assert error_message(ImageReadError("x.png: corrupt")) == "x.png: corrupt"
    assert error_message(FileNotFoundError(2, "No such file", "x")).startswith("[Errno 2]")
    text = error_message(RuntimeError("boom\nsecond line"))
    assert text.startswith("unexpected RuntimeError: boom second line (a bug in spotdiff")
    assert "\n" not in text


def test_each_with_progress_is_gone():
    assert not hasattr(_common, "each_with_progress")


# ---------------------------------------------------------------------------- progress
def _shown(columns, task) -> list[str]:
    """The text of each column but the bar (a fake clock: no timing)."""
    from rich.progress import BarColumn
    from rich.text import Text

    return [
        Text.from_markup(column.format(task=task)).plain
        if isinstance(column, str)
        else column.render(task).plain.strip()
        for column in columns
        if not isinstance(column, BarColumn)
    ]


def test_progress_shows_done_total_this_runs_rate_and_time_left(monkeypatch):
    from rich.console import Console

    from spotdiff.cli._common import progress, progress_columns

    now = [100.0]
    console = Console(file=io.StringIO(), force_terminal=True, width=100, get_time=lambda: now[0])
    monkeypatch.setattr(_common, "stderr_console", lambda: console)
    columns = progress_columns("pairs")
    with progress(10, "maps") as advance:
        assert _shown(columns, advance.task) == ["maps", "0/10", "? pairs/s", "-:--:--"]
        now[0] = 102.0
        for _ in range(4):  # rows kept from an earlier run: counted at once, not in the rate
            advance(fresh=False)
        now[0] = 150.0  # a long pause before this run's first row
        assert _shown(columns, advance.task) == ["maps", "4/10", "? pairs/s", "-:--:--"]
        advance()
        now[0] = 152.0
        advance()
        # 2 rows in the 50 s since the kept ones: 0.04 pairs/s, 4 rows left: 100 s
        assert _shown(columns, advance.task) == ["maps", "6/10", "0.04 pairs/s", "0:01:40"]
        assert advance.task.completed == 6 and advance.fresh == 2
        for _ in range(4):
            advance()
        assert _shown(columns, advance.task)[1:] == ["10/10", "0.12 pairs/s", "0:00:00"]
    assert "10/10" in console.file.getvalue()  # drawn on the (fake) terminal


def test_progress_kept_rows_after_this_runs_first_leave_the_clock(monkeypatch):
    from rich.console import Console

    from spotdiff.cli._common import progress, progress_columns

    now = [0.0]
    console = Console(file=io.StringIO(), force_terminal=True, get_time=lambda: now[0])
    monkeypatch.setattr(_common, "stderr_console", lambda: console)
    with progress(6, "find") as advance:
        now[0] = 10.0
        advance()
        advance(fresh=False)  # a kept row between new ones (resumed with --retry-errors)
        now[0] = 20.0
        advance()
        # 2 new rows in 20 s: 0.1 pairs/s; 3 rows left: 30 s
        assert _shown(progress_columns(), advance.task)[1:] == ["3/6", "0.1 pairs/s", "0:00:30"]


def test_progress_rate_unit_and_hours(monkeypatch):
    from rich.console import Console

    from spotdiff.cli._common import progress, progress_columns

    now = [0.0]
    console = Console(file=io.StringIO(), force_terminal=True, get_time=lambda: now[0])
    monkeypatch.setattr(_common, "stderr_console", lambda: console)
    with progress(10_001, "imgdiff", unit="rows") as advance:
        now[0] = 1.0
        advance()
        assert _shown(progress_columns("rows"), advance.task)[2:] == ["1 rows/s", "2:46:40"]


def test_progress_off_a_terminal_draws_nothing_and_still_counts(capsys):
    from spotdiff.cli._common import progress

    with progress(3, "find") as advance:
        advance(fresh=False)
        advance()
    assert advance.task.completed == 2 and advance.fresh == 1
    assert capsys.readouterr().err == ""
