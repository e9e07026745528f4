"""Peak memory and time of ``spotdiff find`` on very large files (up to Pillow's bomb limit).

``find`` compares at a working resolution (longer side 1024 by default), so files whose longer
side exceeds 4 x ``max_side`` are decoded reduced (JPEG at 1/2, 1/4 or 1/8 inside the decoder,
other formats averaged by an integer factor; :func:`spotdiff.io.decode_pair_reduced`) and the
answer is scaled back to original pixels (:mod:`spotdiff.regions.rescale`).

Pairs: a smooth synthetic scene with a grid (cheap to encode at 100 Mpx) and a copy with one red
rectangle, as JPEG (quality 90) and PNG (compression level 1), at 4000x4000, 8000x8000 and
10000x10000 (100 Mpx, above Pillow's 89 Mpx warning, below its 179 Mpx error limit).

Each run is ``spotdiff find A B --json`` (the whole CLI, no pictures written) in a fresh
process; peak resident memory is that process's ``VmHWM`` (``/proc/self/status``, read as it
exits; Linux only). ``ru_maxrss`` is not used: Linux carries the parent's peak (this script's,
while it draws the 100 Mpx images) over into a child. The second column is the library call
with the full-resolution difference map kept (a float32 image of the original size: 400 MB at
100 Mpx), ``spotdiff.find(A, B)`` in a fresh process.

Run: ``python benchmarks/bench_large.py [--sizes 4000,8000,10000] [--formats jpg,png]``;
prints a markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def _pair(directory: Path, side: int, fmt: str) -> tuple[Path, Path]:
    x = np.linspace(0, 255, side, dtype=np.float32)
    img = np.empty((side, side, 3), np.uint8)
    for r0 in range(0, side, 1000):  # row blocks keep this script's own memory small
        r1 = min(side, r0 + 1000)
        y = x[r0:r1, None]
        img[r0:r1, :, 0] = x[None, :]
        img[r0:r1, :, 1] = y
        img[r0:r1, :, 2] = (x[None, :] + y) / 2
    img[:: max(1, side // 25)] = 0
    img[:, :: max(1, side // 25)] = 0
    p1, p2 = directory / f"a{side}.{fmt}", directory / f"b{side}.{fmt}"
    options = {"quality": 90} if fmt == "jpg" else {"compress_level": 1}
    Image.fromarray(img).save(p1, **options)
    s = side // 10
    img[4 * s : 5 * s, 5 * s : 6 * s] = (230, 20, 20)
    Image.fromarray(img).save(p2, **options)
    del img
    return p1, p2


_DRIVER = """
import re, sys
def peak():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
try:
    if sys.argv[1] == "cli":
        from spotdiff.cli import main
        code = main(sys.argv[2:])
    else:
        import spotdiff
        r = spotdiff.find(sys.argv[2], sys.argv[3])
        assert r.diff_map.shape[0] == r.image_size[1]
        code = 0
finally:
    sys.stderr.write(f"VMHWM {peak()}\\n")
sys.exit(code)
"""


def _run(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one child process running ``_DRIVER``."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seconds = time.perf_counter() - t0
    lines = [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("VMHWM ")]
    peak = int(lines[-1].split()[1]) / 1024 if lines else float("nan")
    return seconds, peak, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,8000,10000")
    parser.add_argument("--formats", default="jpg,png")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            for side in (int(s) for s in args.sizes.split(",")):
                p1, p2 = _pair(Path(tmp), side, fmt)
                t_cli, mb_cli, code = _run(["cli", "find", str(p1), str(p2), "--json"])
                t_lib, mb_lib, code_lib = _run(["lib", str(p1), str(p2)])
                rows.append((fmt, side, t_cli, mb_cli, code, t_lib, mb_lib, code_lib))
                print(
                    f"{fmt} {side}: cli {t_cli:.1f} s {mb_cli:.0f} MB (exit {code}); "
                    f"library with map {t_lib:.1f} s {mb_lib:.0f} MB (exit {code_lib})",
                    file=sys.stderr,
                )
                p1.unlink()
                p2.unlink()
    print("| file | size | `spotdiff find --json` | peak RSS | `find()` with diff map | peak RSS |")
    print("|---|---|---:|---:|---:|---:|")
    for fmt, side, t_cli, mb_cli, code, t_lib, mb_lib, code_lib in rows:
        bad = "" if code == 1 and code_lib == 0 else f" (exit {code}/{code_lib})"
        print(
            f"| {fmt.upper()} | {side}x{side} | {t_cli:.1f} s | {mb_cli:.0f} MB | "
            f"{t_lib:.1f} s | {mb_lib:.0f} MB{bad} |"
        )


if __name__ == "__main__":
    main()
