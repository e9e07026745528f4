"""Quality of spotdiff.find against the two naive baselines, on the default synthetic benchmark.

Runs :func:`spotdiff.evaluation.run_benchmark` with spotdiff, absdiff (|a - b| + Otsu +
contours) and ssim (scikit-image SSIM + Otsu + contours) on the same pairs: photographs bundled
with scikit-image at 1280x720, 1-3 planted edits per pair (added, removed, recoloured, moved,
resized), every scene under each of the 9 nuisances. Prints markdown tables: F1 at IoU 0.5 per
edit kind and nuisance with the detectors side by side, the overall precision / recall / F1 /
AP / mask F1 / seconds per pair, and spotdiff's F1 per edit kind x nuisance.

Targets: overall F1 >= 0.9, >= 0.8 under every nuisance, far above both baselines.

    python benchmarks/bench_quality.py                 # 450 pairs (10 scenes per edit kind)
    python benchmarks/bench_quality.py --pairs 90 --json report.json

Then the real pairs (``--real``, default ``tests/fixtures/real/pairs.json``: hand-made edits of
real photographs, a re-rendered screenshot and a drawn puzzle; ``--real ''`` skips them), scored
the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from spotdiff.evaluation import evaluate, get_detector, run_benchmark
from spotdiff.evaluation.real import load_real_pairs

REAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real" / "pairs.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=450, help="pairs (45 = one grid of 5 x 9)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the full report")
    parser.add_argument("--no-spotdiff", action="store_true", help="baselines only")
    parser.add_argument("--real", default=str(REAL), help="manifest of real pairs ('' to skip)")
    args = parser.parse_args(argv)

    detectors = {}
    if not args.no_spotdiff:
        try:
            import spotdiff.detect  # noqa: F401
        except ImportError as exc:
            print(f"spotdiff.find is not available ({exc}); running the baselines only\n")
        else:
            detectors["spotdiff"] = get_detector("spotdiff")
    detectors["absdiff"] = get_detector("absdiff")
    detectors["ssim"] = get_detector("ssim")

    t0 = time.perf_counter()

    def progress(done: int) -> None:
        if done % 45 == 0 or done == args.pairs:
            elapsed = time.perf_counter() - t0
            sys.stderr.write(f"{done}/{args.pairs} pairs, {elapsed:.0f} s\n")

    report = run_benchmark(
        detectors, n_pairs=args.pairs, size=args.size, seed=args.seed, progress=progress
    )
    print(report.to_markdown())
    overall = {d: report.score(d) for d in report.detectors}
    if "spotdiff" in overall:
        best = max(overall[d].f1 for d in overall if d != "spotdiff")
        ratio = overall["spotdiff"].f1 / best if best > 0 else float("inf")
        worst = min(
            (report.score("spotdiff", g).f1, g)
            for g in report.group_names()
            if g.startswith("nuisance:")
        )
        print(
            f"spotdiff F1 {overall['spotdiff'].f1:.3f} = {ratio:.1f}x the best baseline "
            f"({best:.3f}); weakest nuisance: {worst[1][9:]} ({worst[0]:.3f})"
        )
    if args.real:
        real = evaluate(detectors, load_real_pairs(args.real), settings={"size": "real pairs"})
        print(f"\n## Real pairs ({args.real})\n")
        print(real.to_markdown(matrix=False))
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(predictions=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
