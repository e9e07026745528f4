"""Helpers of the directory batch-run tests (find, map): directories with pairs, a corrupt pair
and an unmatched file; summary.jsonl read back; a real ``python -m spotdiff`` run stopped
mid-run by a signal to its whole process group."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image


def many(root: Path, scenes, n: int, size: tuple[int, int] = (120, 160)) -> tuple[Path, Path]:
    """``root/d1``, ``root/d2`` with ``n`` pairs p00.. (every third one changed) and a corrupt
    pair ``bad`` and an unmatched ``lonely``."""
    d1, d2 = root / "d1", root / "d2"
    d1.mkdir()
    d2.mkdir()
    for i in range(n):
        img = scenes.scene(i, *size)
        Image.fromarray(img).save(d1 / f"p{i:02d}.png")
        if i % 3 == 0:
            img = img.copy()
            img[10:40, 20:60] = (220, 30, 30)
        Image.fromarray(img).save(d2 / f"p{i:02d}.png")
    Image.fromarray(scenes.scene(0)).save(d1 / "bad.png")
    (d2 / "bad.png").write_bytes(b"not an image at all")
    Image.fromarray(scenes.scene(0)).save(d1 / "lonely.png")
    return d1, d2


def summary_rows(out: Path) -> list[dict]:
    """summary.jsonl's rows with the output folder taken out of the picture paths."""
    text = (out / "summary.jsonl").read_text()
    return [json.loads(line.replace(str(out), "OUT")) for line in text.splitlines()]


def _ctrl_c_as_at_a_terminal() -> None:
    # an ignored SIGINT is inherited through exec, and Python then installs no KeyboardInterrupt
    # handler: a library of an earlier test that ignores it in this process (the full suite in
    # CI) made the run below ignore Ctrl-C and finish (exit 2 after every row, not 130)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spotdiff(args: list[str], **kw) -> subprocess.Popen:
    """``python -m spotdiff ARGS`` in a process group of its own (its workers with it), with
    Ctrl-C as a terminal gives it."""
    return subprocess.Popen(
        [sys.executable, "-m", "spotdiff", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_ctrl_c_as_at_a_terminal,
        **kw,
    )


def _wait_for_rows(proc: subprocess.Popen, path: Path, n: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended (code {proc.returncode}) before {n} rows")
        time.sleep(0.05)
    pytest.fail(f"no {n} rows in time")


def stop_mid_run(args: list[str], path: Path, *, rows: int, how: str) -> int:
    """Run ``spotdiff ARGS`` until ``path`` holds ``rows`` lines, then stop the whole process
    group (``how``: ``"kill -9"`` SIGKILL, ``"ctrl-c"`` SIGINT); return its exit code."""
    proc = spotdiff(args)
    try:
        _wait_for_rows(proc, path, rows)
        os.killpg(proc.pid, signal.SIGKILL if how == "kill -9" else signal.SIGINT)
        code = proc.wait(timeout=60)
        expected = -signal.SIGKILL if how == "kill -9" else 130
        if code != expected:  # say what the run had written and printed
            lines = path.read_bytes().count(b"\n")
            said = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pytest.fail(f"exit {code}, not {expected}, after {lines} rows; stderr: {said}")
        return code
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
