"""Shared helpers for the benchmark scripts: timing with medians, test images, markdown tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np


def median_ms(fn: Callable[[], object], *, repeats: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def photo_pair(width: int, height: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A real photograph (scikit-image's bundled astronaut) resized to (width, height), and a copy
    with a planted change and mild noise; uint8 RGB (H, W, 3)."""
    import cv2
    from skimage import data

    rng = np.random.default_rng(seed)
    base = cv2.resize(data.astronaut(), (width, height), interpolation=cv2.INTER_CUBIC)
    other = base.astype(np.int16) + rng.normal(0, 2, base.shape).astype(np.int16)
    y, x = height // 3, width // 2
    other[y : y + height // 10, x : x + width // 12] = (30, 200, 60)
    return base, np.clip(other, 0, 255).astype(np.uint8)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.1f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
