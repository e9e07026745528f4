"""The real pairs turned, mirrored, resized and re-encoded: does find's answer follow the picture?

A held-out set of real pairs comes at other sizes and layouts than ``../shared/realpairs``. This
bench applies one transform to BOTH images of every real pair (a mirror, a quarter turn, a
resize to 0.75x or 1.5x, a JPEG q85 re-encode), maps the truth boxes the same way and scores find
at IoU 0.5, beside the plain pairs. A mirror or a quarter turn must give the same counts as the
plain pair: any pair whose counts change names a step that depends on direction. The aerial pairs
are left out by default (their box score is near zero either way; ``--aerial`` keeps them).

Run: ``python benchmarks/bench_invariance.py [--manifest PATH] [--transforms ...] [--aerial]``;
prints, per transform, TP / FP / FN / F1 of spotdiff and of the naive recipes, and the pairs whose
spotdiff counts differ from the plain pairs'.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from _common import markdown_table
from spotdiff.evaluation.bench import detector_input
from spotdiff.evaluation.detectors import as_detection, get_detector
from spotdiff.evaluation.metrics import Counts, match_boxes
from spotdiff.evaluation.real import load_real_pairs

MANIFEST = Path(__file__).resolve().parents[2] / "shared" / "realpairs" / "pairs.json"

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _hflip(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = img.shape[1]
    return np.ascontiguousarray(img[:, ::-1]), np.stack(
        [w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], axis=1
    )


def _vflip(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = img.shape[0]
    return np.ascontiguousarray(img[::-1]), np.stack(
        [boxes[:, 0], h - boxes[:, 3], boxes[:, 2], h - boxes[:, 1]], axis=1
    )


def _rot90(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A quarter turn counter-clockwise: (x, y) -> (y, w - x)."""
    w = img.shape[1]
    return np.ascontiguousarray(np.rot90(img)), np.stack(
        [boxes[:, 1], w - boxes[:, 2], boxes[:, 3], w - boxes[:, 0]], axis=1
    )


def _scaled(factor: float) -> Transform:
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC

    def scale(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = (round(img.shape[1] * factor), round(img.shape[0] * factor))
        sx, sy = size[0] / img.shape[1], size[1] / img.shape[0]
        return cv2.resize(img, size, interpolation=interpolation), boxes * [sx, sy, sx, sy]

    return scale


def _jpeg(quality: int) -> Transform:
    def encode(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok, buf = cv2.imencode(
            ".jpg", np.ascontiguousarray(img[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality]
        )
        assert ok
        return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]), boxes

    return encode


TRANSFORMS: dict[str, Transform] = {
    "plain": lambda img, boxes: (img, boxes),
    "mirror left-right": _hflip,
    "mirror up-down": _vflip,
    "quarter turn": _rot90,
    "0.75x": _scaled(0.75),
    "1.5x": _scaled(1.5),
    "jpeg q85": _jpeg(85),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="real pairs' pairs.json")
    parser.add_argument(
        "--transforms", nargs="+", default=list(TRANSFORMS), choices=list(TRANSFORMS)
    )
    parser.add_argument("--detectors", nargs="+", default=["spotdiff", "absdiff", "ssim"])
    parser.add_argument("--aerial", action="store_true", help="keep the aerial pairs")
    args = parser.parse_args()
    pairs = [p for p in load_real_pairs(args.manifest) if args.aerial or p.nuisance != "aerial"]
    detectors = {name: get_detector(name) for name in args.detectors}
    plain: dict[str, tuple[int, int, int]] = {}
    rows, moved = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ["plain", *(t for t in args.transforms if t != "plain")]:
            make = TRANSFORMS[name]
            totals = dict.fromkeys(detectors, Counts(0, 0, 0))
            for pair in pairs:
                truth = np.asarray(pair.boxes, dtype=np.float64).reshape(-1, 4)
                img1, boxes = make(pair.img1, truth)
                img2, _ = make(pair.img2, truth)
                for det_name, det in detectors.items():
                    found = as_detection(det(img1, detector_input(det, img1, img2)))
                    counts = match_boxes(found.boxes, found.scores, boxes).counts
                    totals[det_name] = totals[det_name] + counts
                    if det_name != "spotdiff":
                        continue
                    key = (counts.tp, counts.fp, counts.fn)
                    if name == "plain":
                        plain[pair.photo] = key
                    elif key != plain[pair.photo]:
                        moved.append(f"- {name}: {pair.photo} {plain[pair.photo]} -> {key}")
            if name in args.transforms:
                row: list[object] = [name]
                for det_name in detectors:
                    c = totals[det_name]
                    row.append(
                        f"{c.f1:.3f}"
                        + (f" ({c.tp}/{c.fp}/{c.fn})" if det_name == "spotdiff" else "")
                    )
                rows.append(row)
    print(f"{len(pairs)} real pairs, both images transformed, truth mapped: box F1 at IoU 0.5")
    print("(spotdiff: TP/FP/FN)")
    print()
    print(markdown_table(["transform", *detectors], rows))
    if moved:
        print()
        print("spotdiff pairs whose (TP, FP, FN) differ from the plain pair's:")
        print("\n".join(moved))


if __name__ == "__main__":
    main()
