"""New edits planted into the real pairs: spotdiff and the naive recipes on changes nobody tuned for.

Every real pair (``../shared/realpairs``) gets ``--variants`` plantings of 1-4 edits into image 1
(:mod:`spotdiff.evaluation.planted`: added, removed, recoloured, moved; 10 px to 1/6 of the side,
away from the pair's own truth), so image 2 keeps its real nuisances. Each detector is scored at
IoU 0.5 on the pair's own boxes plus the planted ones, summed over pairs.

Tables: F1 per condition and overall (with precision / recall and found / false / missed), the
plain real pairs for reference, found / missed split into the pair's own ("truth") boxes and the
planted ones, and the planted boxes' recall per edit kind, size bucket (longer side, px) and
condition.
The "planted" F1 counts every false box against the planted boxes (a false box cannot be told
to belong to one origin): ``2 TP_p / (2 TP_p + FP + FN_p)``, the same for "truth".

Run: ``python benchmarks/bench_planted.py [--variants N] [--seed S] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections import defaultdict
from pathlib import Path

from _common import markdown_table
from spotdiff.evaluation.bench import detector_input
from spotdiff.evaluation.detectors import Detection, as_detection, get_detector
from spotdiff.evaluation.metrics import Counts, match_boxes
from spotdiff.evaluation.planted import PLANT_KINDS, SIZE_BUCKETS, planted_pairs, size_bucket
from spotdiff.evaluation.real import load_real_pairs

# ``../shared/realpairs`` beside the repository, or beside the folder of a git worktree
_ROOTS = Path(__file__).resolve().parents[2:4]
MANIFEST = next(
    (m for m in (r / "shared" / "realpairs" / "pairs.json" for r in _ROOTS) if m.is_file()),
    _ROOTS[0] / "shared" / "realpairs" / "pairs.json",
)
CONDITIONS = ("puzzle-dense", "puzzle-misaligned", "object", "aerial", "ui", "graphic", "no-change")


def _score(det, pair) -> tuple[Counts, list[bool], list[int], Detection]:
    """The pair's counts, whether each truth box was found, the false boxes' indices, and what
    the detector found."""
    found = as_detection(det(pair.img1, detector_input(det, pair.img1, pair.img2)))
    match = match_boxes(found.boxes, found.scores, pair.boxes)
    hits = [bool(t >= 0) for t in match.truth_to_pred]
    false = [int(i) for i in (match.pred_to_truth < 0).nonzero()[0]]
    return match.counts, hits, false, found


def _cell(c: Counts) -> str:
    return f"{c.f1:.3f} ({c.tp}/{c.fp}/{c.fn})"


def _rate(hit: int, total: int) -> str:
    return f"{hit / total:.2f} ({hit}/{total})" if total else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="real pairs' pairs.json")
    parser.add_argument("--variants", type=int, default=5, help="plantings per pair (5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--detectors", nargs="+", default=["spotdiff", "absdiff", "ssim"])
    parser.add_argument("--json", action="store_true", help="per-pair records as JSON")
    args = parser.parse_args()
    real = load_real_pairs(args.manifest)
    pairs = planted_pairs(real, variants=args.variants, seed=args.seed)
    detectors = {name: get_detector(name) for name in args.detectors}
    zero = Counts(0, 0, 0)
    by_cond: dict[str, dict[str, Counts]] = defaultdict(lambda: dict.fromkeys(detectors, zero))
    plain = dict.fromkeys(detectors, zero)
    # (detector, group) -> [found, total]; groups: origin, kind, size bucket
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    false = dict.fromkeys(detectors, 0)
    records = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pair in real:
            for name, det in detectors.items():
                plain[name] = plain[name] + _score(det, pair)[0]
        for pair in pairs:
            record = {"pair": pair.photo, "variant": pair.variant, "condition": pair.nuisance}
            for name, det in detectors.items():
                counts, hits, fps, found = _score(det, pair)
                by_cond[pair.nuisance][name] = by_cond[pair.nuisance][name] + counts
                false[name] += counts.fp
                for j, hit in enumerate(hits):
                    groups = [pair.origin[j]]
                    if pair.origin[j] == "planted":
                        groups += [
                            f"kind {pair.kinds[j]}",
                            f"size {size_bucket(pair.boxes[j])}",
                            f"in {pair.nuisance}",
                        ]
                    for g in groups:
                        tally[name, g][0] += hit
                        tally[name, g][1] += 1
                record[name] = {
                    **counts.to_dict(),
                    "missed": [
                        [pair.origin[j], pair.kinds[j], pair.boxes[j].astype(int).tolist()]
                        for j, hit in enumerate(hits)
                        if not hit
                    ],
                    "false": [
                        [found.boxes[i].astype(int).tolist(), round(float(found.scores[i]), 3)]
                        for i in fps
                    ],
                }
            records.append(record)
    if args.json:
        print(json.dumps(records, indent=1))
        return
    n_planted = sum(len(p.edits) for p in pairs)
    print(
        f"{len(real)} real pairs x {args.variants} plantings (seed {args.seed}): "
        f"{n_planted} planted boxes + {sum(len(p.boxes) for p in pairs) - n_planted} "
        "of the pairs' own; box F1 at IoU 0.5 (TP/FP/FN)"
    )
    print()
    total = dict.fromkeys(detectors, zero)
    rows: list[list[object]] = []
    for cond in [*CONDITIONS, *sorted(set(by_cond) - set(CONDITIONS))]:
        if cond in by_cond:
            rows.append([cond, *(_cell(by_cond[cond][n]) for n in detectors)])
            total = {n: total[n] + by_cond[cond][n] for n in detectors}
    rows.append(["**overall**", *(_cell(total[n]) for n in detectors)])
    rows.append(
        ["precision / recall", *(f"{c.precision:.3f} / {c.recall:.3f}" for c in total.values())]
    )
    rows.append(["plain real pairs", *(_cell(plain[n]) for n in detectors)])
    print(markdown_table(["condition", *detectors], rows))
    print()
    rows = []
    for origin in ("truth", "planted"):
        cells = []
        for n in detectors:
            hit, all_ = tally[n, origin]
            c = Counts(hit, false[n], all_ - hit)
            cells.append(f"{c.f1:.3f} found {hit} missed {all_ - hit}")
        rows.append([origin, *cells])
    rows.append(["false boxes", *(false[n] for n in detectors)])
    print(markdown_table(["boxes", *detectors], rows))
    print()
    groups = [f"kind {k}" for k in PLANT_KINDS] + [f"size {s}" for s in SIZE_BUCKETS]
    groups += [f"in {c}" for c in by_cond]
    rows = [[g, *(_rate(*tally[n, g]) for n in detectors)] for g in groups]
    print("planted boxes found (recall), per edit kind, size bucket (longer side, px), condition:")
    print()
    print(markdown_table(["planted", *detectors], rows))


if __name__ == "__main__":
    main()
