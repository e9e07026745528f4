"""Per-pair cost of ``spotdiff find DIR1 DIR2`` directory runs against a shell loop of odiff.

Builds a directory of 1080p PNG pairs (default 24; every third pair with a planted change) and
times, as a user runs them (one ``python -m spotdiff`` process per run, one ``odiff`` process
per pair):

- ``find DIR1 DIR2 --json`` with ``--workers 1`` and with the default workers (the cores): rows
  on stdout, no pictures;
- ``find DIR1 DIR2 -o OUT --json`` with the default workers: summary.jsonl and an annotated
  picture (3859x1080 PNG) per pair;
- with ``odiff`` on the PATH (``npm i odiff-bin``): ``odiff A B DIFF.png`` per pair (it writes
  a diff picture for the pairs that differ).

Each repeat runs every runner once, one after the other, so a busy machine slows them alike; the
table gives medians of wall seconds and of CPU seconds (user + system of the process and every
process it started, workers included: core-seconds, what a farm of cores pays) per pair, and
the medians of the per-repeat ratios to odiff. ``--baseline SRC`` adds the runners of another
checkout's ``src`` directory (before -> after in one run).

With Ray installed (``spotdiff[ray]``), the same find run with ``--engine local`` and ``--engine
ray`` (a local Ray, one actor per core), runs interleaved: per pair for the whole run and after
start-up (first row to last), and the start-up itself (``ray.init`` once per process; actors and
their setup once per run); ``--no-ray`` leaves it out.

    python benchmarks/bench_batch.py [--pairs 24] [--repeat 3] [--baseline /path/to/src]
                                     [--command find|map] [--no-ray]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

SRC = Path(__file__).resolve().parents[1] / "src"


def make_pairs(root: Path, n: int) -> tuple[Path, Path]:
    d1, d2 = root / "d1", root / "d2"
    d1.mkdir()
    d2.mkdir()
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:1080, 0:1920]
    base = np.stack([x * 0.1, y * 0.2, 255 - x * 0.1], -1)
    for i in range(n):
        img = np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)
        img[300:500, 200 + 40 * i : 500 + 40 * i] = (200, 180, 60)
        Image.fromarray(img).save(d1 / f"p{i:03d}.png")
        if i % 3 == 0:
            img = img.copy()
            img[700:800, 1200:1400] = (220, 30, 30)
        Image.fromarray(img).save(d2 / f"p{i:03d}.png")
    return d1, d2


def _adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``),
    so the CPU time of worker processes (children of the forkserver) is counted in
    ``RUSAGE_CHILDREN`` once :func:`_reap` has waited for them. False where unavailable."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return False


def _reap() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(run: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process ``run`` started, after they all ended)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    _reap()
    return wall, _children_cpu() - cpu


def time_spotdiff(
    d1: Path,
    d2: Path,
    out: Path | None,
    workers: int | None,
    src: Path = SRC,
    command: str = "find",
) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -m spotdiff COMMAND d1 d2 --json`` (``-o out`` when
    given; ``map`` always writes its pictures)."""
    args = [sys.executable, "-m", "spotdiff", command, str(d1), str(d2), "--json", "--overwrite"]
    if out is not None:
        args += ["-o", str(out)]
    if workers is not None:
        args += ["--workers", str(workers)]
    env = dict(os.environ, PYTHONPATH=str(src))

    def run() -> None:
        done = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode not in (0, 1):
            raise SystemExit(f"spotdiff {command} exited {done.returncode}: {done.stderr.decode()}")

    return measure(run)


def time_odiff(d1: Path, d2: Path, out: Path) -> tuple[float, float] | None:
    """(wall, CPU) seconds of ``odiff A B out/NAME`` over every pair; None without odiff."""
    odiff = shutil.which("odiff")
    if odiff is None:
        return None

    def run() -> None:
        for path in sorted(d1.glob("*.png")):
            subprocess.run(
                [odiff, str(path), str(d2 / path.name), str(out / path.name)],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    return measure(run)


class _TimedEngine:
    """An engine that notes when its first and last records came (seconds from ``map``)."""

    def __init__(self, engine):
        self.engine, self.first, self.last = engine, 0.0, 0.0

    def map(self, task, payloads):
        start = time.perf_counter()
        for i, record in enumerate(self.engine.map(task, payloads)):
            now = time.perf_counter() - start
            self.first, self.last = (now, now) if i == 0 else (self.first, now)
            yield record


def time_engine(d1: Path, d2: Path, out: Path, engine: str, workers: int) -> tuple[float, ...]:
    """One ``find --engine ENGINE`` run: seconds in all, to the first row, to the last row."""
    import spotdiff.batch as batch
    from spotdiff.cli import main

    engines = []
    make = batch.make_engine

    def timed(*args, **kwargs):  # the run's engine, timed
        engines.append(_TimedEngine(make(*args, **kwargs)))
        return engines[-1]

    args = ["find", str(d1), str(d2), "-o", str(out), "--json", "--overwrite", "--engine", engine]
    batch.make_engine = timed
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main([*args, "--workers", str(workers)])
        seconds = time.perf_counter() - start
    finally:
        batch.make_engine = make
    if code not in (0, 1):
        raise SystemExit(f"spotdiff find --engine {engine} exited {code}")
    return seconds, engines[0].first, engines[0].last


def engine_rows(d1: Path, d2: Path, out: Path, repeat: int, workers: int) -> tuple[list, str]:
    """The local and Ray engines side by side (runs interleaved, so a busy spell hits both):
    rows for the whole run and after start-up (first row to last), and the start-up line."""
    from spotdiff.batch import RayEngine

    start = time.perf_counter()
    RayEngine(num_cpus=workers).connect()  # a local Ray, once per process
    init = time.perf_counter() - start
    runs: dict[str, list[tuple[float, ...]]] = {"local": [], "ray": []}
    for _ in range(repeat):
        for engine, times in runs.items():
            times.append(time_engine(d1, d2, out, engine, workers))
    pairs = len(list(d1.glob("*.png")))
    rows, after, first = [], {}, {}
    for engine, times in runs.items():
        label = f"spotdiff find --engine {engine} (workers={workers})"
        # after start-up: first row to last, as the time of the whole set
        after[engine] = statistics.median(
            (last - t0) / (pairs - 1) * pairs for _, t0, last in times
        )
        first[engine] = statistics.median(t0 for _, t0, _ in times)
        rows.append((label, statistics.median(total for total, _, _ in times)))
        rows.append((f"{label}, after start-up", after[engine]))
    note = (
        f"Start-up (to the first row, median of {repeat}): local {first['local']:.1f} s, "
        f"Ray {first['ray']:.1f} s (actors, their setup, the first row), plus ray.init "
        f"{init:.1f} s once per process. After start-up, Ray per pair = "
        f"{after['ray'] / after['local']:.2f}x the local engine's."
    )
    return rows, note


def main() -> None:
    from spotdiff.batch import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="the src directory of another checkout")
    parser.add_argument(
        "--command", choices=("find", "map"), default="find", help="map: map DIR1 DIR2 -o OUT"
    )
    parser.add_argument("--no-ray", action="store_true", help="leave the Ray engine out")
    ns = parser.parse_args()
    ray_rows, ray_note = [], None
    counted = _adopt_orphans()
    cores = default_workers()
    sources = [("", SRC)] + ([(" [baseline]", ns.baseline)] if ns.baseline else [])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        d1, d2 = make_pairs(root, ns.pairs)
        (root / "odiff").mkdir()
        runners: list[tuple[str, Callable[[], tuple[float, float] | None]]] = []
        for tag, src in sources:
            plans = (
                ("--json, workers=1", 1, None),
                (f"--json, default (workers={cores})", None, None),
                (f"-o OUT --json (pictures), default (workers={cores})", None, root / "out"),
            )
            if ns.command == "map":  # map writes its pictures: -o OUT always
                plans = (
                    ("-o OUT --json, workers=1", 1, root / "out"),
                    (f"-o OUT --json, default (workers={cores})", None, root / "out"),
                )
            for label, workers, out in plans:
                runners.append(
                    (
                        f"spotdiff {ns.command} {label}{tag}",
                        lambda w=workers, o=out, s=src: time_spotdiff(d1, d2, o, w, s, ns.command),
                    )
                )
        runners.append(("odiff shell loop (diff picture when different)", lambda: None))
        times: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in runners}
        for _ in range(ns.repeat):  # round robin: each repeat sees the same machine load
            for label, run in runners[:-1]:
                times[label].append(run())  # type: ignore[arg-type]
            odiff = time_odiff(d1, d2, root / "odiff")
            if odiff is not None:
                times[runners[-1][0]].append(odiff)
        if not ns.no_ray and ns.command == "find":  # the engines compared on find
            ray_rows, ray_note = engine_rows(d1, d2, root / "out", ns.repeat, cores)
    odiff_times = times[runners[-1][0]]
    print(
        f"{ns.pairs} pairs of 1920x1080 PNG, median of {ns.repeat} runs, {cores} cores; "
        "CPU = core-seconds of all processes\n"
    )
    print("| runner | s per pair | pairs/s | CPU s per pair | wall vs odiff | CPU vs odiff |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, rows in times.items():
        if not rows:
            continue
        wall = statistics.median(w for w, _ in rows) / ns.pairs
        cpu = statistics.median(c for _, c in rows) / ns.pairs
        ratios = ["", ""]
        if odiff_times:
            for i in (0, 1):
                ratio = statistics.median(
                    r[i] / o[i] for r, o in zip(rows, odiff_times, strict=True)
                )
                ratios[i] = f"{ratio:.2f}x"
        cpu_text = f"{cpu:.3f}" if counted or "workers=1" in label else "n/a"
        print(f"| {label} | {wall:.3f} | {1 / wall:.2f} | {cpu_text} | {ratios[0]} | {ratios[1]} |")
    if not odiff_times:
        print("\nodiff: not installed here (no `odiff` on the PATH); not timed")
    if ray_rows:
        print("\n| engine | s per pair | pairs/s |\n|---|---:|---:|")
        for label, seconds in ray_rows:
            print(f"| {label} | {seconds / ns.pairs:.3f} | {ns.pairs / seconds:.2f} |")
    if ray_note is not None:
        print(f"\n{ray_note}")


if __name__ == "__main__":
    main()
