"""Per-pair wall time of ``spotdiff find DIR1 DIR2 --json`` rows with the batch runner
(``--command map``: ``spotdiff map DIR1 DIR2 -o OUT --json``, map pictures written).

Builds a directory of 1080p PNG pairs (default 24; every third pair with a planted change),
runs the directory run (rows in summary.jsonl, pictures off) with ``workers=1`` and with the
default workers (the machine's cores), ``--repeat`` times each, and prints a markdown table of
the medians (seconds per pair, pairs per second). With ``odiff`` on the PATH (``npm i odiff-bin``)
a shell loop of it over the same pairs is timed too.

    python benchmarks/bench_batch.py [--pairs 24] [--repeat 3] [--command find|map]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


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


def time_spotdiff(
    d1: Path, d2: Path, out: Path, workers: int | None, command: str = "find"
) -> float:
    from spotdiff.cli import main

    args = [command, str(d1), str(d2), "-o", str(out), "--json", "--overwrite"]
    if workers is not None:
        args += ["--workers", str(workers)]
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    seconds = time.perf_counter() - start
    if code not in (0, 1):
        raise SystemExit(f"spotdiff {command} exited {code}")
    return seconds


def time_odiff(d1: Path, d2: Path, out: Path) -> float | None:
    odiff = shutil.which("odiff")
    if odiff is None:
        return None
    start = time.perf_counter()
    for path in sorted(d1.glob("*.png")):
        subprocess.run(
            [odiff, str(path), str(d2 / path.name), str(out / path.name)],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - start


def main() -> None:
    from spotdiff.batch import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--command", choices=("find", "map"), default="find")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        d1, d2 = make_pairs(root, ns.pairs)
        cores = default_workers()
        rows = []
        for label, workers in (("workers=1", 1), (f"default (workers={cores})", None)):
            # --overwrite: every repeat does every pair (no resume)
            times = [
                time_spotdiff(d1, d2, root / "out", workers, ns.command) for _ in range(ns.repeat)
            ]
            rows.append((f"spotdiff {ns.command}, {label}", statistics.median(times)))
        (root / "odiff").mkdir()
        odiff = [time_odiff(d1, d2, root / "odiff") for _ in range(ns.repeat)]
        if odiff[0] is not None:
            rows.append(("odiff shell loop", statistics.median(odiff)))  # type: ignore[arg-type]
    print(f"{ns.pairs} pairs of 1920x1080 PNG, median of {ns.repeat} runs, {cores} cores\n")
    print("| runner | s per pair | pairs/s |")
    print("|---|---:|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds / ns.pairs:.3f} | {ns.pairs / seconds:.2f} |")
    if odiff[0] is None:
        print("\nodiff: not installed here (no `odiff` on the PATH); not timed")


if __name__ == "__main__":
    main()
