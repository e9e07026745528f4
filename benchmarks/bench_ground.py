"""Speed (and quality) of ``spotdiff.ground``.

Speed (default): a 1280x720 pair of the grounding benchmark (3 planted edits, PNG files on disk,
so decoding counts), model-free ranker:

- ``one query``: ``spotdiff.ground(path1, path2, query)``: decode, ``find`` (the candidates),
  features, parse, rank;
- ``each extra query``: on a prepared pair (``prepare_grounding(...).ground(query)``), the cost of
  one more query: parse and rank;
- ``10 queries in one call``: ``spotdiff.ground(path1, path2, [10 queries])``.

Medians of ``--repeats`` runs after a warm-up.

``--quality``: the grounding benchmark table (``spotdiff bench --grounding``), ``--pairs`` pairs
at ``--size``, ``--seed``.

``--fit-kind``: fit the kind model's weights (``spotdiff.grounding.cues.KIND_WEIGHTS``) on the
benchmark's training seed (``--seed 1``): every planted edit matched by a proposal (IoU >= 0.5)
is one sample, multinomial logistic regression with L2 (plain gradient descent); prints the
weights and the training accuracy.

Run: ``python benchmarks/bench_ground.py [--repeats 7] [--quality] [--fit-kind]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import markdown_table, median_ms

QUERIES = [
    "the thing that disappeared",
    "the leftmost difference",
    "the biggest change",
    "the red thing that appeared",
    "the object that changed colour",
    "the second difference from the left",
    "the thing at the top",
    "what was replaced",
    "the small thing on the right",
    "the blue object that vanished",
]


def speed(repeats: int) -> None:
    import cv2

    import spotdiff
    from spotdiff.evaluation.grounding_bench import generate_ground_pairs
    from spotdiff.grounding import prepare_grounding

    pair = next(p for p in generate_ground_pairs(12, seed=0) if len(p.edits) >= 3)
    with tempfile.TemporaryDirectory() as tmp:
        p1, p2 = Path(tmp) / "a.png", Path(tmp) / "b.png"
        cv2.imwrite(str(p1), cv2.cvtColor(pair.img1, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(p2), cv2.cvtColor(pair.img2, cv2.COLOR_RGB2BGR))
        one = median_ms(
            lambda: spotdiff.ground(p1, p2, QUERIES[0], backend="cues"), repeats=repeats
        )
        find = median_ms(lambda: spotdiff.find(p1, p2), repeats=repeats)
        prepared = prepare_grounding(p1, p2)
        extra = [
            median_ms(lambda q=q: prepared.ground(q), repeats=repeats, warmup=1) for q in QUERIES
        ]
        many = median_ms(lambda: spotdiff.ground(p1, p2, QUERIES, backend="cues"), repeats=repeats)
    rows = [
        ["spotdiff.find alone (for reference)", f"{find:.0f} ms"],
        ["one query, find included (files in)", f"{one:.0f} ms"],
        ["each extra query on a prepared pair (median of 10 queries)",
         f"{np.median(extra):.2f} ms (max {max(extra):.2f})"],
        ["10 queries in one call", f"{many:.0f} ms"],
    ]  # fmt: skip
    print(f"1280x720 PNG pair, {len(pair.edits)} planted edits, {len(prepared.proposals)} "
          "candidates, model-free ranker")  # fmt: skip
    print(markdown_table(["what", "median"], rows))


def quality(pairs: int, size: str, seed: int) -> None:
    from spotdiff.evaluation.grounding_bench import run_grounding_benchmark

    report = run_grounding_benchmark(pairs, size=size, seed=seed)
    print(report.to_markdown())
    print(report.settings)


def fit_kind(pairs: int, size: str, seed: int, steps: int = 3000, l2: float = 1e-2) -> None:
    from spotdiff.evaluation.grounding_bench import GROUND_KINDS, generate_ground_pairs
    from spotdiff.evaluation.metrics import box_iou
    from spotdiff.grounding import prepare_grounding
    from spotdiff.grounding.cues import EDIT_KINDS, KIND_FEATURES, kind_probabilities

    xs, ys = [], []
    for pair in generate_ground_pairs(pairs, size=size, seed=seed):
        gp = prepare_grounding(pair.img1, pair.img2)
        if not len(gp.proposals):
            continue
        for edit in pair.edits:
            iou = box_iou(gp.proposals.boxes, edit.box[None])[:, 0]
            k = int(iou.argmax())
            if iou[k] >= 0.5:
                xs.append(gp.features.kind_cues[k])
                ys.append(EDIT_KINDS.index(edit.kind))
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys)
    xb = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    onehot = np.eye(len(EDIT_KINDS))[y]
    w = np.zeros((len(EDIT_KINDS), xb.shape[1]))
    for _ in range(steps):
        logits = xb @ w.T
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot).T @ xb / len(xb) + l2 * np.c_[w[:, :-1], np.zeros(len(w))]
        w -= 0.5 * grad
    pred = kind_probabilities(x.astype(np.float32), w).argmax(axis=1)
    old = kind_probabilities(x.astype(np.float32)).argmax(axis=1)
    print(
        f"{len(x)} samples ({', '.join(f'{k}: {(y == i).sum()}' for i, k in enumerate(GROUND_KINDS))})"
    )
    print(
        f"training accuracy: fitted {(pred == y).mean():.3f}, current weights {(old == y).mean():.3f}"
    )
    print("features:", ", ".join(KIND_FEATURES), "+ bias")
    print("KIND_WEIGHTS = np.array([")
    for row in w:
        print("    [" + ", ".join(f"{v:.3f}" for v in row) + "],")
    print("])")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--fit-kind", action="store_true")
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.fit_kind:
        fit_kind(args.pairs, args.size, 1 if args.seed is None else args.seed)
    elif args.quality:
        quality(args.pairs, args.size, 0 if args.seed is None else args.seed)
    else:
        speed(args.repeats)


if __name__ == "__main__":
    main()
