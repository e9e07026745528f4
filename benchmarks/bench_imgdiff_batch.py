"""ImgDiff throughput at batch sizes 1 / 8 / 32: forward passes per pair and pairs per second.

The models are the tiny random CLIP and BLIP of the tests (:mod:`spotdiff.backends.tiny`,
built here and loaded from disk like real weights; no download); segmentation is
``bench_imgdiff.GridProposals`` (the find regions plus a 4x4 grid per image, FastSAM's stand-in),
so every pair has ``regions + 32`` candidates. For each ``batch_size`` (images per forward
pass) two ways of running the same pairs:

- ``compute``: pair by pair (:meth:`DifferenceAreaGenerator.compute`): the pair gate is one
  CLIP call with both images, every later model call batched over that pair's crops;
- ``compute_many``: groups of ``batch_size`` pairs (:meth:`DifferenceAreaGenerator.compute_many`):
  the pair gates of the group in one call, the rest as ``compute``.

Both give the same boxes (checked). Times are CPU seconds of this process (``time.process_time``:
steady on a busy machine), PNG decode included; ``--threads`` torch / OpenCV threads (default 1:
the cost per core). Tiny models make the model share of the time small: read
the pass counts as what carries over to real models on a GPU, the seconds as CPU overhead per
pair (decode, find, crops, pre-processing).

    python benchmarks/bench_imgdiff_batch.py [--pairs 32] [--size 320x240] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from _common import markdown_table
from bench_imgdiff import CAP1, CAP2, tiny_generator
from spotdiff.backends.tiny import build_tiny_blip, build_tiny_clip
from spotdiff.evaluation.synthetic import generate_pairs
from spotdiff.imgdiff import DifferenceAreaGenerator

BATCH_SIZES = (1, 8, 32)


def _passes(result) -> int:
    return int(result.metadata["forward_passes"]["total"])


def run_compute(op: DifferenceAreaGenerator, pairs: list[tuple[str, str]]):
    results = [op.compute(p1, p2, CAP1, CAP2) for p1, p2 in pairs]
    return results, sum(_passes(r) for r in results)


def run_compute_many(op: DifferenceAreaGenerator, pairs: list[tuple[str, str]], group: int):
    results, passes = [], 0
    for start in range(0, len(pairs), group):
        chunk = op.compute_many([(p1, p2, CAP1, CAP2) for p1, p2 in pairs[start : start + group]])
        pooled = chunk[0].metadata["pooled_passes"]
        passes += sum(v for k, v in pooled.items() if k != "pairs")
        passes += sum(_passes(r) for r in chunk)
        results += chunk
    return results, passes


def benchmark(n_pairs: int, size: tuple[int, int], repeat: int, model_size: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-imgdiff-batch-") as tmp:
        work = Path(tmp)
        clip_dir = str(build_tiny_clip(work / "clip", image_size=model_size))
        blip_dir = str(build_tiny_blip(work / "blip", image_size=model_size))
        pairs = []
        made = generate_pairs(
            n_pairs, size=size, seed=3, edits=["added", "removed"], nuisances=["none", "jpeg"]
        )
        for i, p in enumerate(made):
            p1, p2 = work / f"pair{i}_1.png", work / f"pair{i}_2.png"
            Image.fromarray(p.img1).save(p1)
            Image.fromarray(p.img2).save(p2)
            pairs.append((str(p1), str(p2)))
        rows = []
        for batch_size in BATCH_SIZES:
            op = tiny_generator(clip_dir, blip_dir, batch_size=batch_size)
            run_compute(op, pairs[:2])  # warm-up: first passes allocate
            seconds: dict[str, list[float]] = {"compute": [], "compute_many": []}
            passes: dict[str, int] = {}
            boxes: dict[str, list[np.ndarray]] = {}
            for _ in range(repeat):
                for name, fn in (
                    ("compute", lambda op=op: run_compute(op, pairs)),
                    ("compute_many", lambda op=op, k=batch_size: run_compute_many(op, pairs, k)),
                ):
                    start = time.process_time()
                    results, passes[name] = fn()
                    seconds[name].append(time.process_time() - start)
                    boxes[name] = [r.boxes for r in results]
            for a, b in zip(boxes["compute"], boxes["compute_many"], strict=True):
                np.testing.assert_allclose(a, b, atol=1e-4)
            row = [str(batch_size)]
            for name in ("compute", "compute_many"):
                per_pair = statistics.median(seconds[name]) / n_pairs
                row += [
                    f"{passes[name] / n_pairs:.2f}",
                    f"{per_pair * 1e3:.1f}",
                    f"{1 / per_pair:.1f}",
                ]
            rows.append(row)
    header = [
        "batch_size",
        "compute: passes/pair",
        "CPU ms/pair",
        "pairs/s per core",
        "compute_many: passes/pair",
        "CPU ms/pair",
        "pairs/s per core",
    ]
    return markdown_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=32)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model-image-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    ns = parser.parse_args()
    torch.set_num_threads(ns.threads)
    cv2.setNumThreads(ns.threads)
    w, h = (int(v) for v in ns.size.split("x"))
    print(
        f"{ns.pairs} pairs of {w}x{h} PNG, tiny CLIP + BLIP ({ns.model_image_size} px inputs), "
        f"{ns.threads} thread(s), CPU time, median of {ns.repeat} runs\n"
    )
    print(benchmark(ns.pairs, (w, h), ns.repeat, ns.model_image_size))


if __name__ == "__main__":
    main()
