"""ImgDiff difference-area generator: forward passes and seconds per pair, against the original design.

Three rows over the same pairs, the same candidate boxes and the same tiny random models
(:mod:`spotdiff.backends.tiny`, loaded from disk like real weights):

- ``original design``: Data-Juicer's ``imgdiff_difference_area_generator_mapper`` design
  reproduced step by step in this script (not its code, and without Data-Juicer's dataset
  machinery, which only adds time): CLIP once per image (``get_image_features``) for the pair
  gate; every crop written to disk as JPEG under a random file name; BLIP image-text matching
  as one full model call per (crop, noun) after reading the crop back; box ids recovered by
  parsing file names; CLIP once per crop image for the second gate; crops deleted at the end.
- ``spotdiff models``: :class:`spotdiff.imgdiff.DifferenceAreaGenerator` with the same CLIP and
  BLIP directories (batched passes, crops in memory).
- ``spotdiff classical``: the same operator with ``backend="classical"`` (no model).

Segmentation is the same scripted stand-in for FastSAM in all rows (FastSAM needs
torchvision, which cannot run here): the :func:`spotdiff.find` regions plus a 4x4 grid of boxes
per image (image-2 boxes shifted by 1 px, as FastSAM's boxes of two near-identical images are
close but rarely identical), so every design gets ``M = regions + 32`` candidates per pair.
Captions: "A plane in the sky flying alone." / "A boat in the ocean sailing alone." (two
nouns per side). The random BLIP scores about 0.5, inside the default [0.1, 1.0]: every crop
goes on to the second gate, the original design's worst case.

Usage::

    python benchmarks/bench_imgdiff.py                 # 6 pairs of 320x240, 3 repeats
    python benchmarks/bench_imgdiff.py --pairs 12 --size 640x480 --model-image-size 224
    python benchmarks/bench_imgdiff.py --calibrate     # the fallback similarity's calibration

Timings are medians over repeats of the per-pair mean; compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from _common import markdown_table
from spotdiff.backends import FindProposals, structural_similarity
from spotdiff.backends._hf import load_image_processor
from spotdiff.backends.tiny import build_tiny_blip, build_tiny_clip
from spotdiff.evaluation.synthetic import generate_pairs
from spotdiff.imgdiff import DifferenceAreaGenerator, compare_text_index, iou_filter
from spotdiff.imgdiff.boxes import xyxy_to_cxcywh

CAP1 = "A plane in the sky flying alone."
CAP2 = "A boat in the ocean sailing alone."


class GridProposals:
    """Stand-in for FastSAM: find regions + a 4x4 grid per image (image 2 shifted by 1 px)."""

    name = "fastsam-standin"

    def propose(self, img1, img2, *, tally=None):
        found, _ = FindProposals().propose(img1, img2)
        h, w = img1.shape[:2]
        grid = np.array(
            [
                (x * w / 4, y * h / 4, (x + 1) * w / 4, (y + 1) * h / 4)
                for y in range(4)
                for x in range(4)
            ],
            np.float32,
        )
        shifted = np.clip(grid + 1, 0, [w, h, w, h]).astype(np.float32)
        return np.concatenate([found, grid]), shifted


# --------------------------------------------------------------------------- original design
class OriginalDesign:
    """Data-Juicer's per-crop, per-noun, on-disk design with the same models (module docstring)."""

    def __init__(
        self, clip_dir: str, blip_dir: str, cache: Path, *, clip_cosine: bool = False
    ) -> None:
        import transformers

        self.clip = transformers.CLIPModel.from_pretrained(clip_dir).eval()
        self.clip_proc = load_image_processor(clip_dir, {})
        self.blip = transformers.BlipForImageTextRetrieval.from_pretrained(blip_dir).eval()
        self.blip_tok = transformers.AutoTokenizer.from_pretrained(blip_dir)
        self.blip_proc = load_image_processor(blip_dir, {})
        self.cache = cache
        self.segmenter = GridProposals()
        self.calls = Counter()
        self.calls_files = 0
        # Data-Juicer compares the float32 cosine as computed: identical crops can score
        # 1.0000001 > max_score_2 = 1.0 and be dropped by chance; clip_cosine clips to [-1, 1]
        self.clip_cosine = clip_cosine

    def _clip_sim(self, path1: str, path2: str) -> float:
        images = [Image.open(path1).convert("RGB"), Image.open(path2).convert("RGB")]
        pixels = self.clip_proc(images=images, return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            f1 = self.clip.get_image_features(pixel_values=pixels[0:1])
            f2 = self.clip.get_image_features(pixel_values=pixels[1:2])
        f1, f2 = getattr(f1, "pooler_output", f1), getattr(f2, "pooler_output", f2)
        self.calls["clip"] += 2
        cos = float(torch.cosine_similarity(f1, f2, dim=1)[0])
        return min(max(cos, -1.0), 1.0) if self.clip_cosine else cos

    def _itm(self, path: str, noun: str) -> float:
        image = Image.open(path).convert("RGB")
        pixels = self.blip_proc(images=[image], return_tensors="pt")["pixel_values"]
        enc = self.blip_tok(
            noun,
            return_tensors="pt",
            truncation=True,
            padding=True,
            max_length=self.blip.config.text_config.max_position_embeddings,
        )
        with torch.no_grad():
            out = self.blip(
                input_ids=enc["input_ids"],
                attention_mask=enc["attention_mask"],
                pixel_values=pixels,
            )
        self.calls["blip"] += 1
        return float(out.itm_score.softmax(dim=-1)[0, 1])

    def process(self, path1: str, path2: str) -> np.ndarray:
        rand = str(random.random()).split(".")[-1]
        sim = self._clip_sim(path1, path2)
        if not 0.1 <= sim <= 1.0:
            return np.zeros((1, 4), np.float32)
        nouns1, nouns2 = compare_text_index(CAP1, CAP2)
        a = cv2.imread(path1)
        b = cv2.imread(path2)
        boxes1, boxes2 = self.segmenter.propose(a[..., ::-1], b[..., ::-1])
        b = cv2.resize(b, (a.shape[1], a.shape[0]))
        xywh = [xyxy_to_cxcywh(boxes1), xyxy_to_cxcywh(boxes2)]
        written, by_path = [], {}
        side_samples = {1: [], 2: []}
        stem1, stem2 = Path(path1).stem, Path(path2).stem
        ids = itertools.count()
        for boxes in xywh:
            for box in boxes:
                bid = next(ids)
                y0, y1 = int(box[1] - box[3] / 2), int(box[1] + box[3] / 2)
                x0, x1 = int(box[0] - box[2] / 2), int(box[0] + box[2] / 2)
                for side, img, stem, nouns in ((1, a, stem1, nouns1), (2, b, stem2, nouns2)):
                    name = f"cropped_images_{stem}_{rand}_{side}_<{bid}>.jpg"
                    path = str(self.cache / name)
                    cv2.imwrite(path, img[y0:y1, x0:x1])
                    self.calls_files += 1
                    written.append(path)
                    by_path[path] = box
                    side_samples[side] += [(path, noun) for noun in nouns]
        try:
            passed = {1: [], 2: []}
            for side in (1, 2):
                for path, noun in side_samples[side]:
                    if 0.1 <= self._itm(path, noun) <= 1.0:
                        passed[side].append(path)
            ids2 = {p.split("_")[-1].split(".")[-2] for p in passed[2]}
            pairs, seen = [], set()
            for p in passed[1]:
                bid = p.split("_")[-1].split(".")[-2]
                if bid in ids2 and bid not in seen:
                    seen.add(bid)
                    pairs.append((p, p.replace(stem1, stem2).replace("_1_<", "_2_<")))
            kept = [by_path[p1] for p1, p2 in pairs if 0.1 <= self._clip_sim(p1, p2) <= 1.0]
            if not kept:
                return np.zeros((1, 4), np.float32)
            return iou_filter(np.array(kept), 0.5)
        finally:
            for path in written:
                os.remove(path)


# --------------------------------------------------------------------------- runs


def tiny_generator(
    clip_dir: str, blip_dir: str, *, batch_size: int = 32
) -> DifferenceAreaGenerator:
    """spotdiff's generator on the saved tiny CLIP / BLIP, on CPU, with :class:`GridProposals`
    as its segmenter (FastSAM's stand-in)."""
    op = DifferenceAreaGenerator(
        {"hf_clip": clip_dir},
        None,
        {"hf_blip": blip_dir},
        backend={"similarity": "models", "matching": "models"},
        device="cpu",
        batch_size=batch_size,
    )
    object.__setattr__(op.prepare(), "segmenter", GridProposals())
    return op


def _time_rows(rows, pairs, repeats):
    per_pair = {name: [] for name in rows}
    outputs = {}
    for _ in range(repeats):
        for name, fn in rows.items():
            start = time.perf_counter()
            outputs[name] = [fn(p1, p2) for p1, p2 in pairs]
            per_pair[name].append((time.perf_counter() - start) / len(pairs))
    return {k: statistics.median(v) for k, v in per_pair.items()}, outputs


def benchmark(n_pairs: int, size: tuple[int, int], repeats: int, model_size: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-imgdiff-") as tmp:
        return _benchmark(Path(tmp), n_pairs, size, repeats, model_size)


def _benchmark(
    work: Path, n_pairs: int, size: tuple[int, int], repeats: int, model_size: int
) -> str:
    clip_dir = str(build_tiny_clip(work / "clip", image_size=model_size))
    blip_dir = str(build_tiny_blip(work / "blip", image_size=model_size))
    pairs = []
    for i, p in enumerate(
        generate_pairs(
            n_pairs, size=size, seed=3, edits=["added", "removed"], nuisances=["none", "jpeg"]
        )
    ):
        p1, p2 = work / f"pair{i}_1.png", work / f"pair{i}_2.png"
        Image.fromarray(p.img1).save(p1)
        Image.fromarray(p.img2).save(p2)
        pairs.append((str(p1), str(p2)))
    cache = work / "assets"
    cache.mkdir()
    original = OriginalDesign(clip_dir, blip_dir, cache)
    ours = tiny_generator(clip_dir, blip_dir)
    classical = DifferenceAreaGenerator(backend="classical")
    object.__setattr__(classical.prepare(), "segmenter", GridProposals())

    passes = Counter()
    candidates = []

    def run_ours(op, counter):
        def run(p1, p2):
            out = op.process_single(
                {"image_path1": p1, "image_path2": p2, "caption1": CAP1, "caption2": CAP2}
            )
            info = out["__dj__meta__"]["spotdiff_imgdiff"]
            if counter is not None:
                counter.update({k: v for k, v in info["forward_passes"].items() if k != "total"})
                candidates.append(info["counts"]["candidates"])
            return out["__dj__meta__"]["__dj__bbox__"]

        return run

    rows = {
        "original design (tiny CLIP + BLIP)": original.process,
        "spotdiff models (tiny CLIP + BLIP)": run_ours(ours, passes),
        "spotdiff classical (no model)": run_ours(classical, None),
    }
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rows_time, outputs = _time_rows(rows, pairs, repeats)
    calls = {name: 0.0 for name in rows}
    n_runs = repeats * len(pairs)
    calls["original design (tiny CLIP + BLIP)"] = sum(original.calls.values()) / n_runs
    calls["spotdiff models (tiny CLIP + BLIP)"] = sum(passes.values()) / n_runs
    base = rows_time["original design (tiny CLIP + BLIP)"]
    ours_out = outputs["spotdiff models (tiny CLIP + BLIP)"]

    def agree(boxes_a: list, boxes_b: list) -> int:
        return sum(
            a.shape == b.shape and np.allclose(a, b, atol=1e-3)
            for a, b in zip(boxes_a, boxes_b, strict=True)
        )

    same = agree(outputs["original design (tiny CLIP + BLIP)"], ours_out)
    clipped = OriginalDesign(clip_dir, blip_dir, cache, clip_cosine=True)
    same_clipped = agree([clipped.process(p1, p2) for p1, p2 in pairs], ours_out)
    table = markdown_table(
        ["design", "model calls / pair", "s / pair", "speed-up", "files written / pair"],
        [
            [
                name,
                f"{calls[name]:.1f}",
                f"{t:.3f}",
                f"{base / t:.1f}x",
                f"{original.calls_files / n_runs:.0f}" if name.startswith("original") else "0",
            ]
            for name, t in rows_time.items()
        ],
    )
    detail = (
        f"\n{len(pairs)} pairs of {size[0]}x{size[1]}, {np.mean(candidates):.1f} candidate boxes "
        f"per pair, 2 nouns per caption, models at {model_size}x{model_size} input, "
        f"{repeats} repeats, torch threads {torch.get_num_threads()}.\n"
        f"Original design calls: {dict(original.calls)} over {n_runs} pair runs "
        f"(one CLIP call per image, one BLIP call per crop and noun).\n"
        f"spotdiff calls: {dict(passes)} over {n_runs} pair runs "
        f"(batched; BLIP counted as one vision and one text pass per batch).\n"
        f"Same boxes as spotdiff models: original design {same} of {len(pairs)} pairs; with its "
        f"float32 cosine clipped to [-1, 1] {same_clipped} of {len(pairs)} (identical crops "
        "score 1.0000001 > max_score_2 = 1.0 there and drop out by chance).\n"
    )
    return table + "\n" + detail


def calibrate() -> str:
    """Fallback similarity on near-duplicates, changed crops and unrelated photographs."""
    from spotdiff.evaluation._photos import PHOTOS, load_photo

    groups: dict[str, list[float]] = {}
    for p in generate_pairs(45, size=(320, 240), seed=1):
        groups.setdefault(f"near-duplicate ({p.nuisance}, with edits)", []).append(
            structural_similarity(p.img1, p.img2)
        )
    for p in generate_pairs(40, size=(320, 240), seed=2, nuisances=["none", "jpeg"]):
        for x1, y1, x2, y2 in p.boxes.astype(int):
            groups.setdefault("crop of a planted change", []).append(
                structural_similarity(p.img1[y1:y2, x1:x2], p.img2[y1:y2, x1:x2])
            )
            h, w = y2 - y1, x2 - x1
            yy, xx = (0, 0) if y1 > h or x1 > w else (p.img1.shape[0] - h, p.img1.shape[1] - w)
            if not p.mask[yy : yy + h, xx : xx + w].any():
                groups.setdefault("crop of an unchanged area", []).append(
                    structural_similarity(
                        p.img1[yy : yy + h, xx : xx + w], p.img2[yy : yy + h, xx : xx + w]
                    )
                )
    photos = [load_photo(n) for n in PHOTOS]
    groups["unrelated photographs"] = [
        structural_similarity(photos[i], photos[j])
        for i, j in itertools.combinations(range(len(photos)), 2)
    ]
    rows = []
    for name, values in groups.items():
        v = np.array(values)
        rows.append(
            [
                name,
                len(v),
                f"{v.min():.2f}",
                f"{np.percentile(v, 10):.2f}",
                f"{np.median(v):.2f}",
                f"{np.percentile(v, 90):.2f}",
                f"{v.max():.2f}",
            ]
        )
    return markdown_table(["pairs", "n", "min", "p10", "median", "p90", "max"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model-image-size", type=int, default=32)
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    if args.calibrate:
        print(calibrate())
        return
    w, h = (int(v) for v in args.size.lower().split("x"))
    print(benchmark(args.pairs, (w, h), args.repeats, args.model_image_size))


if __name__ == "__main__":
    main()
