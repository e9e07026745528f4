"""Speed and memory of ``spotdiff.find`` side by side with the recipes people use today.

Pairs: scikit-image's astronaut photo resized (bicubic) to 1920x1080 and 3840x2160, with an object
(an ellipse cut from the coffee photo) planted into image 2 and image 2 shifted by (2.5, -1.5) px
(bilinear), so that ``find`` has to align.

Peers, timed on the same pairs in the same run:

- ``skimage SSIM + Otsu``: the pyimagesearch / Stack Overflow recipe: grey images,
  ``skimage.metrics.structural_similarity(g1, g2, full=True)``, ``(1 - S) * 255`` as uint8,
  Otsu threshold, ``cv2.findContours`` (external), ``cv2.boundingRect``;
- ``absdiff + Otsu``: ``cv2.absdiff`` of the grey images, Otsu, contours, bounding boxes.

Memory: ``find`` on the 4K pair in a fresh subprocess that only imports spotdiff and loads the
two arrays: resident set size just before the call (``VmRSS``) and the process's peak resident
set size after it (``VmHWM`` of ``/proc/self/status``, which includes the inputs, the libraries
and OpenCV's internal buffers; Linux only; ``ru_maxrss`` is not used because Linux carries the
parent's peak over into a child), and the peak of Python / NumPy allocations during the call
(``tracemalloc``; OpenCV's internal buffers are not traced).

Run: ``python benchmarks/bench_find.py [--repeats 7]``; prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable

import cv2
import numpy as np

SIZES = {"1920x1080": (1920, 1080), "3840x2160": (3840, 2160)}
SHIFT = (2.5, -1.5)


def make_pair(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(image 1, image 2, truth box xyxy): a photo, the same with a planted object, shifted."""
    from skimage import data

    w, h = size
    img1 = cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_CUBIC)
    donor = cv2.resize(data.coffee(), (w, h), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((h, w), np.uint8)
    centre, axes = (int(0.66 * w), int(0.25 * h)), (int(0.06 * w), int(0.08 * h))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    edited = img1.copy()
    edited[mask > 0] = donor[mask > 0]
    m = np.float32([[1, 0, SHIFT[0]], [0, 1, SHIFT[1]]])
    img2 = cv2.warpAffine(edited, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    ys, xs = np.nonzero(mask)
    return img1, img2, [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def rotated_pair(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The 1080p pair of :func:`make_pair` with image 2 rotated 16 degrees and sheared 0.12."""
    img1, img2, _ = make_pair(size)
    w, h = size
    cx, cy = (w - 1) / 2, (h - 1) / 2
    c = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
    rot = np.vstack([cv2.getRotationMatrix2D((cx, cy), 16, 1.0), [0, 0, 1]])
    m = np.linalg.inv(c) @ np.array([[1, 0.12, 0], [0, 1, 0], [0, 0, 1.0]]) @ c @ rot
    img2 = cv2.warpAffine(
        img2, m[:2], (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    return img1, img2


def _contour_boxes(thresh: np.ndarray) -> list[tuple[int, int, int, int]]:
    contours = cv2.findContours(thresh, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    return [cv2.boundingRect(c) for c in contours]


def skimage_ssim_otsu(img1: np.ndarray, img2: np.ndarray) -> list[tuple[int, int, int, int]]:
    from skimage.metrics import structural_similarity

    g1 = cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY)
    g2 = cv2.cvtColor(img2, cv2.COLOR_RGB2GRAY)
    _, s = structural_similarity(g1, g2, full=True)
    diff = ((1.0 - np.clip(s, 0, 1)) * 255).astype(np.uint8)
    thresh = cv2.threshold(diff, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
    return _contour_boxes(thresh)


def absdiff_otsu(img1: np.ndarray, img2: np.ndarray) -> list[tuple[int, int, int, int]]:
    g1 = cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY)
    g2 = cv2.cvtColor(img2, cv2.COLOR_RGB2GRAY)
    thresh = cv2.threshold(cv2.absdiff(g1, g2), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
    return _contour_boxes(thresh)


def spotdiff_find(img1: np.ndarray, img2: np.ndarray):
    from spotdiff.detect import find

    return find(img1, img2)


def _median_ms(fn: Callable[[], object], repeats: int, outputs: list | None = None) -> float:
    """Median wall time (ms) of ``repeats`` calls after a warm-up; each timed call's return
    value is appended to ``outputs`` when given."""
    fn()  # warm-up (imports, thread pools, caches)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        if outputs is not None:
            outputs.append(out)
    return 1e3 * statistics.median(times)


def _median_stages(results: list) -> dict[str, float]:
    """Median per stage (ms) of ``find`` results' ``metadata["timings_ms"]``."""
    names = results[0].metadata["timings_ms"]
    return {k: statistics.median(r.metadata["timings_ms"][k] for r in results) for k in names}


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


_MEMORY_CHILD = """
import json, sys, tracemalloc, warnings
import numpy as np
sys.path[:0] = {path!r}
import spotdiff.detect

def status(key):  # kB -> MB, from this process's own memory map (reset at exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key)) / 1024

img1, img2 = np.load({file1!r}), np.load({file2!r})
warnings.simplefilter("ignore")
before = status("VmRSS:")
tracemalloc.start()
spotdiff.detect.find(img1, img2)
_, traced = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({{"rss_before_mb": before, "rss_peak_mb": status("VmHWM:"),
                  "traced_peak_mb": traced / 2**20}}))
"""


def measure_memory(img1: np.ndarray, img2: np.ndarray) -> dict[str, float]:
    """Peak memory of one ``find`` call in a fresh interpreter that only loads the two arrays."""
    with tempfile.TemporaryDirectory() as tmp:
        file1, file2 = os.path.join(tmp, "1.npy"), os.path.join(tmp, "2.npy")
        np.save(file1, img1)
        np.save(file2, img2)
        code = _MEMORY_CHILD.format(path=sys.path, file1=file1, file2=file2)
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"memory probe failed: {run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per cell (median)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    peers = {
        "spotdiff.find (align + maps + regions)": spotdiff_find,
        "skimage SSIM + Otsu + contours": skimage_ssim_otsu,
        "absdiff + Otsu + contours": absdiff_otsu,
    }
    rows, times = [], {}
    for label, size in SIZES.items():
        img1, img2, truth = make_pair(size)
        repeats = args.repeats if size[0] <= 1920 else max(3, args.repeats // 2)
        for name, fn in peers.items():
            outputs: list = []
            ms = _median_ms(lambda fn=fn, a=img1, b=img2: fn(a, b), repeats, outputs)
            times[label, name] = ms
            out = outputs[-1]
            if name.startswith("spotdiff"):
                boxes = out.boxes.tolist()
                stages = _median_stages(outputs)
            else:
                boxes = [[x, y, x + w, y + h] for x, y, w, h in out]
                stages = None
            best = max((_iou(b, truth) for b in boxes), default=0.0)
            rows.append((label, name, ms, len(boxes), best, stages))

    print("### `find` speed, 1920x1080 and 3840x2160 RGB pairs (planted object, 2.5 px shift)\n")
    print("| pair | method | median ms | vs skimage recipe | boxes | best IoU with truth |")
    print("|---|---|---:|---:|---:|---:|")
    for label, name, ms, n, best, _ in rows:
        ratio = ms / times[label, "skimage SSIM + Otsu + contours"]
        print(f"| {label} | {name} | {ms:.1f} | {ratio:.2f}x | {n} | {best:.2f} |")
    print()
    for label, _name, _, _, _, stages in rows:
        if stages:
            parts = ", ".join(f"{k} {v:.1f}" for k, v in stages.items() if k != "total")
            print(f"- {label} find stages (ms, medians): {parts}")
    aligned = make_pair(SIZES["1920x1080"])[:2]
    rotated = rotated_pair(SIZES["1920x1080"])
    t_al = _median_ms(lambda: spotdiff_find(*aligned), args.repeats)
    t_rot = _median_ms(lambda: spotdiff_find(*rotated), args.repeats)
    reg = spotdiff_find(*rotated).metadata["registration"]
    print()
    print("### Registration cost: 1920x1080, aligned (2.5 px shift) vs rotated 16 deg + shear\n")
    print("| pair | find median ms | ratio | registration |")
    print("|---|---:|---:|---|")
    print(f"| shifted 2.5 px | {t_al:.1f} | 1.00x | translation |")
    print(f"| rotated 16 deg + shear 0.12 | {t_rot:.1f} | {t_rot / t_al:.2f}x | {reg['method']} |")
    mem = measure_memory(*make_pair(SIZES["3840x2160"])[:2])
    print()
    print("### Peak memory of `find` on the 3840x2160 pair (fresh process)\n")
    print("| resident before the call | process peak | growth | traced Python/NumPy peak |")
    print("|---:|---:|---:|---:|")
    grow = mem["rss_peak_mb"] - mem["rss_before_mb"]
    print(
        f"| {mem['rss_before_mb']:.0f} MB | {mem['rss_peak_mb']:.0f} MB | {grow:.0f} MB "
        f"| {mem['traced_peak_mb']:.0f} MB |"
    )


if __name__ == "__main__":
    main()
