"""False boxes on real pictures that did not change: re-encoded, resampled, relit, shifted.

Every real pair's image 1 (``../shared/realpairs``: puzzles, handheld photos, Sentinel-2, UI
screenshots, illustrations) is compared with a copy of itself under one no-change nuisance that
users meet (a JPEG or WebP re-encode, a half-size thumbnail scaled back up, a sub-pixel shift, a
gamma change, a 1-5 px crop, a blur, sensor noise, a small rotation, a shifted JPEG). Nothing
changed, so every box is false. The naive recipes run on the same pairs in the same run.

Run: ``python benchmarks/bench_nochange.py [--manifest PATH] [--detectors spotdiff absdiff ssim]``;
prints, per nuisance, the false boxes of each detector and how many pictures had none.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import cv2
import numpy as np

from _common import markdown_table
from spotdiff.evaluation.detectors import as_detection, get_detector
from spotdiff.evaluation.nochange import NUISANCES
from spotdiff.evaluation.real import load_real_pairs

MANIFEST = Path(__file__).resolve().parents[2] / "shared" / "realpairs" / "pairs.json"


def _boxes(detector, img1: np.ndarray, img2: np.ndarray) -> int:
    if img2.shape != img1.shape:  # the baselines compare one size: image 2 back on image 1's
        img2 = cv2.resize(img2, (img1.shape[1], img1.shape[0]), interpolation=cv2.INTER_AREA)
    return len(as_detection(detector(img1, img2)).boxes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="real pairs' pairs.json")
    parser.add_argument("--detectors", nargs="+", default=["spotdiff", "absdiff", "ssim"])
    args = parser.parse_args()
    pairs = load_real_pairs(args.manifest)
    pictures, names = [p.img1 for p in pairs], [p.photo for p in pairs]
    detectors = {name: get_detector(name) for name in args.detectors}
    rows, totals = [], dict.fromkeys(detectors, 0)
    worst: dict[str, tuple[int, str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for nuisance, make in NUISANCES.items():
            row: list[object] = [nuisance]
            for det_name, det in detectors.items():
                counts = [_boxes(det, img, make(img)) for img in pictures]
                totals[det_name] += sum(counts)
                clean = sum(c == 0 for c in counts)
                row.append(f"{sum(counts)} ({clean}/{len(counts)} clean)")
                if det_name == "spotdiff" and max(counts) > 0:
                    worst[nuisance] = (max(counts), names[int(np.argmax(counts))])
            rows.append(row)
    rows.append(["**all**", *(str(totals[d]) for d in detectors)])
    print(f"{len(pictures)} real pictures x {len(NUISANCES)} no-change nuisances: false boxes")
    print()
    print(markdown_table(["nuisance", *detectors], rows))
    if worst:
        print()
        print("spotdiff's worst picture per nuisance:")
        for nuisance, (n, name) in worst.items():
            print(f"- {nuisance}: {name} ({n} boxes)")


if __name__ == "__main__":
    main()
