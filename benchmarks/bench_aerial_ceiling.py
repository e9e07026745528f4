"""How far a model-free blob detector can go on the Sentinel-2 pairs: oracle ceilings.

The aerial pairs of ``../shared/realpairs`` (OSCD crops, 10 m pixels) label new buildings,
5-50 px blobs brighter or darker than their surroundings in one image. This script asks whether
a blob-scale detector judged against the pair's own local background of difference could find
them where :func:`spotdiff.find` does not. For each pair with a change mask
(``benchmarks/realpairs_masks.json``) image 2 is tone-matched onto image 1
(:func:`spotdiff.align.match_pair`; registration is identity on these pairs, as find reads it)
and the grey difference ``D = grey(image 2) - grey(image 1)`` is measured at the blob scales of
the labels (3-20 px across):

- ``smooth s``: ``|G_s * D|``; ``dog s``: ``|G_s * D - G_3s * D|`` (a difference of Gaussians);
  ``local s``: the same DoG divided by its own local robust spread (mean absolute deviation
  from the local mean, :data:`WINDOW` px): what is ordinary at that place;
- pixel F1: the best over *every* threshold, chosen on the labels themselves (an oracle: no
  detector thresholding that measure does better on these pairs);
- box F1: components of the measure (divided by its median) above a seed level, grown down to
  half of it, at least ``min px`` large, the transient specks' (:mod:`spotdiff.regions.transient`)
  dropped; the best over a grid of seed levels and sizes, chosen on the labels (an oracle again).

Then the local contrast of blobs: peak ``|G_1 * D|`` in a box over the robust spread (MAD) of
``G_1 * D`` in a window three times the box's side around it: for the labelled boxes find finds,
those it misses, find's false boxes, and the strongest oracle-detector components off the labels.

Run: ``python benchmarks/bench_aerial_ceiling.py [--manifest PATH]`` (seconds).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import cv2
import numpy as np

from _common import markdown_table
from spotdiff import find
from spotdiff.align import match_pair
from spotdiff.evaluation.metrics import Counts, box_iou, mask_counts, match_boxes
from spotdiff.evaluation.real import load_real_pairs
from spotdiff.regions.transient import transient_specks

MANIFEST = Path(__file__).resolve().parents[2] / "shared" / "realpairs" / "pairs.json"
MASKS = Path(__file__).resolve().parent / "realpairs_masks.json"
#: px: window of the local robust spread of the ``local`` measures.
WINDOW = 61
SCALES = (1.0, 2.0, 3.0)


def _grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _spread(x: np.ndarray, win: int) -> np.ndarray:
    """Local robust spread of ``x``: 1.2533 x the local mean absolute deviation (sigma for a
    Gaussian), plus half a level."""
    dev = np.abs(x - cv2.blur(x, (win, win)))
    return 1.2533 * cv2.blur(dev, (win, win)) + 0.5


def measures(d: np.ndarray) -> dict[str, np.ndarray]:
    """The blob-scale measures of the module docstring, each float32 (H, W) >= 0."""
    out = {}
    for s in SCALES:
        g = cv2.GaussianBlur(d, (0, 0), s)
        dog = g - cv2.GaussianBlur(d, (0, 0), 3 * s)
        out[f"smooth {s:g}"] = np.abs(g)
        out[f"dog {s:g}"] = np.abs(dog)
        out[f"local {s:g}"] = np.abs(dog) / _spread(dog, WINDOW)
    return out


def best_pixel_f1(values: list[np.ndarray], truths: list[np.ndarray]) -> float:
    """Pooled pixel F1 of ``value >= t`` at the best ``t`` (oracle)."""
    v = np.concatenate([x.ravel() for x in values])
    t = np.concatenate([x.ravel() for x in truths])
    hits = np.cumsum(t[np.argsort(-v, kind="stable")])
    f1 = 2 * hits / (np.arange(1, len(v) + 1) + t.sum())
    return float(f1.max())


def blob_boxes(m: np.ndarray, seed: float, min_px: int, specks: np.ndarray):
    """Boxes (K, 4) and scores (K,) of the components of ``m / median(m)`` at ``>= seed / 2``
    holding a seed, at least ``min_px`` large, touching no transient speck."""
    r = m / (float(np.median(m)) + 1e-6)
    n, labels, stats, _ = cv2.connectedComponentsWithStats((r >= seed / 2).view(np.uint8), 8)
    keep = np.zeros(n, bool)
    keep[labels[r >= seed]] = True
    keep[labels[specks]] = False
    keep &= stats[:, cv2.CC_STAT_AREA] >= min_px
    keep[0] = False
    k = np.flatnonzero(keep)
    boxes = stats[k, :4].astype(np.float32)
    boxes[:, 2:] += boxes[:, :2]
    return boxes, stats[k, cv2.CC_STAT_AREA].astype(np.float32)


def contrast(d1: np.ndarray, box) -> float:
    """Peak ``|d1 - background median|`` inside ``box`` over the background's robust spread
    (1.4826 MAD, plus half a level) in a window of 3x the box's side (at least 15 px) around it,
    the box and a 2-px margin left out."""
    x0, y0, x1, y1 = (int(v) for v in box)
    r = max(15, 3 * max(x1 - x0, y1 - y0))
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    wx0, wy0 = max(0, cx - r), max(0, cy - r)
    win = d1[wy0 : cy + r + 1, wx0 : cx + r + 1]
    inner = np.zeros(win.shape, bool)
    inner[max(0, y0 - wy0 - 2) : y1 - wy0 + 2, max(0, x0 - wx0 - 2) : x1 - wx0 + 2] = True
    bg = win[~inner]
    med = float(np.median(bg))
    spread = 1.4826 * float(np.median(np.abs(bg - med))) + 0.5
    return float(np.abs(win[y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0] - med).max()) / spread


def _summary(v: list[float]) -> str:
    if not v:
        return "-"
    q = np.percentile(v, [0, 50, 100])
    return f"{len(v)}: {q[0]:.1f} / {q[1]:.1f} / {q[2]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args()
    masks = json.loads(MASKS.read_text())
    pairs = [p for p in load_real_pairs(args.manifest) if p.photo in masks]
    rows, per_measure, truths, boxes_by = [], {}, [], {}
    found_c, missed_c, false_c, off_c = [], [], [], []
    for p in pairs:
        truth = cv2.imread(str(args.manifest.parent / masks[p.photo]), cv2.IMREAD_GRAYSCALE) > 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = find(p.img1, p.img2)
        m = match_boxes(r.boxes, r.scores, p.boxes)
        c = m.counts
        mask = r.masks.union() if r.masks is not None else np.zeros_like(truth)
        rows.append(
            (p.photo, c.tp, c.fp, c.fn, f"{c.f1:.3f}", f"{mask_counts(mask, truth).f1:.3f}")
        )
        matched = match_pair(p.img1, p.img2, np.zeros(truth.shape, bool), warped=False)
        d = _grey(matched.mid2) - _grey(matched.img1)
        d1 = cv2.GaussianBlur(d, (0, 0), 1.0)
        on_truth = [
            (contrast(d1, b), j >= 0) for b, j in zip(p.boxes, m.truth_to_pred, strict=True)
        ]
        found_c += [c for c, hit in on_truth if hit]
        missed_c += [c for c, hit in on_truth if not hit]
        false_c += [contrast(d1, r.boxes[i]) for i in np.flatnonzero(m.pred_to_truth < 0)]
        thr = r.metadata["thresholds"]["colour"]
        specks = transient_specks(matched.img1, matched.mid2, threshold=thr)
        truths.append(truth)
        for name, v in measures(d).items():
            per_measure.setdefault(name, []).append(v)
            for seed in (4.0, 6.0, 8.0, 10.0, 14.0):
                for min_px in (10, 20, 40):
                    b, s = blob_boxes(v, seed, min_px, specks)
                    boxes_by.setdefault((name, seed, min_px), []).append((b, s, p.boxes))
        b, _ = blob_boxes(measures(d)["dog 2"], 6.0, 10, specks)
        off = box_iou(b, p.boxes).max(axis=1) < 0.1 if len(b) else np.zeros(0, bool)
        off_c += [contrast(d1, x) for x in b[off]]
    print(markdown_table(["pair", "TP", "FP", "FN", "box F1", "mask F1"], rows))
    table = []
    for name, values in per_measure.items():
        best = (0.0, None, None)
        for (n2, seed, min_px), runs in boxes_by.items():
            if n2 != name:
                continue
            c = sum((match_boxes(b, s, t).counts for b, s, t in runs), Counts())
            if c.f1 > best[0]:
                best = (c.f1, f"seed {seed:g}, >= {min_px} px", f"{c.tp}/{c.fp}/{c.fn}")
        table.append(
            (name, f"{best_pixel_f1(values, truths):.3f}", f"{best[0]:.3f}", best[1], best[2])
        )
    print()
    print(markdown_table(["measure", "oracle pixel F1", "oracle box F1", "at", "TP/FP/FN"], table))
    print()
    print("local contrast (peak / background spread): count: min / median / max")
    for label, v in (
        ("labelled, found by find", found_c),
        ("labelled, missed by find", missed_c),
        ("find's false boxes", false_c),
        ("dog 2 components off the labels (seed 6, >= 10 px)", off_c),
    ):
        print(f"  {label}: {_summary(v)}")


if __name__ == "__main__":
    main()
