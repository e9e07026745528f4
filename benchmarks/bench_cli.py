"""Whole-process speed of ``spotdiff find A B --json`` next to the tools people use today.

Every row is one process started from scratch on the same 1920x1080 PNG pair (a photograph,
scikit-image's astronaut, resized, with mild noise and one planted 160x108 change), decode
included, timed wall-clock from ``subprocess.run`` to its exit. The rows run round-robin within
each repeat (so a busy spell of a shared machine hits every tool alike); the table gives the
median (and the fastest) of ``--repeats`` runs after one warm-up, and the ratio of medians to
odiff's (count only, its fastest mode).

Rows:

- ``python -c pass`` and ``python -c "import numpy, cv2"``: the interpreter and the floor of any
  NumPy + OpenCV command line, before any work.
- ``spotdiff find A B --json`` (``python -m spotdiff``): the command line, all of it.
- ``spotdiff.find`` through ``python -c``: the same decode + find + JSON without the CLI
  framework (typer), to show what the CLI layer itself costs.
- odiff 4.5 (npm ``odiff-bin``, a native pixel-count diff): ``odiff A B`` (count only: the
  reference of the ratio column) and ``odiff A B diff.png`` (also encodes the diff picture).
- ImageMagick ``compare -metric AE -fuzz 10% A B diff.png`` (a black/white difference picture),
  alone and followed by a contour step that turns it into boxes, the processes timed back to back:
  ImageMagick's own ``convert diff.png -threshold 50% -define connected-components:verbose=true
  -connected-components 8 null:``, or a Python one-liner with ``cv2.findContours`` +
  ``cv2.boundingRect`` (regions of >= 41 px, spotdiff's default ``min_area`` at 1080p).

A peer that is not installed is listed as "not installed" with the command that installs it.

One-time installs (outside the repository, nothing to git-ignore)::

    npm install --prefix ~/.cache/spotdiff-bench/odiff odiff-bin@4.5   # odiff (or set ODIFF_BIN)
    apt-get update && apt-get install -y imagemagick                   # compare, convert

Usage::

    python benchmarks/bench_cli.py                 # 9 repeats, the table and import times
    python benchmarks/bench_cli.py --repeats 15 --no-importtime

``--importtime`` (on by default) also runs ``python -X importtime`` on ``spotdiff find --help``
and on the real find path and lists the imports that cost the most (cumulative, top level).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import markdown_table, photo_pair

ODIFF_INSTALL = "npm install --prefix ~/.cache/spotdiff-bench/odiff odiff-bin@4.5"
MAGICK_INSTALL = "apt-get update && apt-get install -y imagemagick"


@dataclass
class Tool:
    name: str
    steps: list[list[str]]  # commands run one after the other, timed together
    ok_codes: tuple[int, ...] = (0, 1)
    missing: str | None = None  # install command when not installed


def find_odiff() -> str | None:
    """The odiff binary: $ODIFF_BIN, the npm install above, ./node_modules, or PATH."""
    env = os.environ.get("ODIFF_BIN")
    if env and Path(env).is_file():
        return env
    roots = [
        Path.home() / ".cache" / "spotdiff-bench" / "odiff" / "node_modules",
        Path(__file__).parent / "node_modules",
        Path.cwd() / "node_modules",
    ]
    for root in roots:
        for binary in sorted(root.glob("@odiff/*/odiff")):  # the native binary, no node
            if binary.is_file() and os.access(binary, os.X_OK):
                return str(binary)
    return shutil.which("odiff")


def make_pair(directory: Path) -> tuple[Path, Path]:
    """Write the 1920x1080 PNG pair (Pillow's default compression) and return the paths."""
    from PIL import Image

    a, b = photo_pair(1920, 1080, seed=0)
    pa, pb = directory / "a.png", directory / "b.png"
    Image.fromarray(a).save(pa)
    Image.fromarray(b).save(pb)
    return pa, pb


def tools(a: Path, b: Path, work: Path) -> list[Tool]:
    py = sys.executable
    api = (
        "import json, sys; from spotdiff import find; "
        f"r = find({str(a)!r}, {str(b)!r}); "
        "print(json.dumps({'n': len(r), 'boxes': r.boxes.tolist()})); sys.exit(1 if len(r) else 0)"
    )
    rows = [
        Tool("python -c pass", [[py, "-c", "pass"]]),
        Tool('python -c "import numpy, cv2" (floor)', [[py, "-c", "import numpy, cv2"]]),
        Tool(
            "spotdiff find A B --json", [[py, "-m", "spotdiff", "find", str(a), str(b), "--json"]]
        ),
        Tool("spotdiff.find via python -c (no typer)", [[py, "-c", api]]),
    ]
    odiff = find_odiff()
    diff_png = [str(work / "odiff.png")]
    for name, extra in (("odiff 4.5 A B (count only)", []), ("odiff 4.5 A B diff.png", diff_png)):
        rows.append(
            Tool(
                name,
                [[odiff or "odiff", str(a), str(b), *extra]],
                ok_codes=(0, 21, 22),  # 22: pixels differ, 21: layouts differ
                missing=None if odiff else ODIFF_INSTALL,
            )
        )
    compare = shutil.which("compare")
    # convert from compare's own directory: an earlier `convert` on PATH may be a wrapper script
    convert = str(Path(compare).with_name("convert")) if compare else None
    real_magick = compare is not None and convert is not None and _is_imagemagick(convert)
    missing = None if real_magick else MAGICK_INSTALL
    diff = str(work / "im.png")
    compare_cmd = [
        compare or "compare",
        "-metric",
        "AE",
        "-fuzz",
        "10%",
        str(a),
        str(b),
        "-compose",
        "Src",
        "-highlight-color",
        "White",
        "-lowlight-color",
        "Black",
        diff,
    ]
    contour_cmd = [
        convert or "convert",
        diff,
        "-threshold",
        "50%",
        "-define",
        "connected-components:verbose=true",
        "-connected-components",
        "8",
        "null:",
    ]
    cv2_contours = (
        f"import cv2; m = cv2.imread({diff!r}, cv2.IMREAD_GRAYSCALE); "
        "cs, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE); "
        "print([cv2.boundingRect(c) for c in cs if cv2.contourArea(c) >= 41])"
    )
    rows.append(Tool("ImageMagick compare -metric AE", [compare_cmd], missing=missing))
    rows.append(
        Tool(
            "ImageMagick compare + connected components",
            [compare_cmd, contour_cmd],
            missing=missing,
        )
    )
    rows.append(
        Tool(
            "ImageMagick compare + cv2.findContours (python)",
            [compare_cmd, [py, "-c", cv2_contours]],
            missing=missing,
        )
    )
    return rows


def _is_imagemagick(convert: str) -> bool:
    try:
        out = subprocess.run([convert, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "ImageMagick" in out.stdout and out.returncode == 0


def run_once(tool: Tool) -> float:
    """Wall milliseconds of the tool's steps; raises RuntimeError on an unexpected exit code."""
    start = time.perf_counter()
    for cmd in tool.steps:
        proc = subprocess.run(cmd, capture_output=True)
        if proc.returncode not in tool.ok_codes:
            raise RuntimeError(
                f"{tool.name}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')[:300]}"
            )
    return (time.perf_counter() - start) * 1000.0


def benchmark(rows: list[Tool], repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {t.name: [] for t in rows}
    active = [t for t in rows if t.missing is None]
    for t in list(active):  # warm-up (file cache, lazy loaders), drop tools that fail
        try:
            run_once(t)
        except (RuntimeError, OSError) as exc:
            print(f"warning: {exc}", file=sys.stderr)
            t.missing = f"failed: {exc}"[:120]
            active.remove(t)
    for _ in range(repeats):
        for t in active:
            times[t.name].append(run_once(t))
    return times


def table(rows: list[Tool], times: dict[str, list[float]]) -> str:
    odiff = next((t for t in rows if t.name.startswith("odiff")), None)
    ref = statistics.median(times[odiff.name]) if odiff and times[odiff.name] else None
    body = []
    for t in rows:
        if t.missing is not None:
            note = t.missing if t.missing.startswith("failed") else f"not installed: `{t.missing}`"
            body.append([t.name, "-", "-", "-", note])
            continue
        med, low = statistics.median(times[t.name]), min(times[t.name])
        ratio = f"{med / ref:.1f}x" if ref else "-"
        body.append([t.name, med, low, ratio, ""])
    header = ["command (whole process, 1920x1080 PNG pair)", "median ms", "min ms", "vs odiff", ""]
    return markdown_table(header, body)


def spotdiff_check(a: Path, b: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "spotdiff", "find", str(a), str(b)], capture_output=True, text=True
    )
    return f"spotdiff find exit {proc.returncode}:\n{proc.stdout.rstrip()}"


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def importtime(args: list[str], top: int = 10) -> str:
    """Top-level imports by cumulative time (ms) of ``python -X importtime ARGS``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            rows.append((int(m[2]) / 1000.0, (len(m[3]) - 1) // 2, m[4]))
    total = sum(int(m[1]) for m in map(_IMPORT_LINE.match, proc.stderr.splitlines()) if m) / 1e3
    level0 = sorted((r for r in rows if r[1] == 0), reverse=True)[:top]
    lines = [f"`python -X importtime {' '.join(args)}`: {total:.0f} ms of imports in all"]
    lines += [f"  {ms:7.1f} ms  {name}" for ms, _, name in level0]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per tool (>= 7)")
    parser.add_argument(
        "--importtime", action=argparse.BooleanOptionalAction, default=True, help="import costs"
    )
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spotdiff-bench-cli-") as tmp:
        work = Path(tmp)
        a, b = make_pair(work)
        rows = tools(a, b, work)
        times = benchmark(rows, opts.repeats)
        print(
            f"Whole-process wall time, median of {opts.repeats} round-robin runs after a warm-up "
            f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]}); A/B: 1920x1080 PNG, "
            f"{a.stat().st_size // 1000} kB / {b.stat().st_size // 1000} kB.\n"
        )
        print(table(rows, times))
        print()
        print(spotdiff_check(a, b))
        if opts.importtime:
            print()
            print(importtime(["-m", "spotdiff", "find", "--help"]))
            print()
            print(importtime(["-m", "spotdiff", "find", str(a), str(b), "--json"]))


if __name__ == "__main__":
    main()
