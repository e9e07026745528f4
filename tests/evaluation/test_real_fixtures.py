"""The committed real pairs (tests/fixtures/real): spotdiff against the naive baselines.

Hand-made edits on real photographs (inpainted objects, with re-lighting, shift, resampling and
JPEG on image 2), a screenshot re-rendered with different anti-aliasing and a drawn puzzle; the
truth boxes come from the edits themselves (make_real_pairs.py), not from any detector.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotdiff.cli import main
from spotdiff.evaluation import evaluate
from spotdiff.evaluation.real import load_real_pairs

MANIFEST = Path(__file__).resolve().parent.parent / "fixtures" / "real" / "pairs.json"


@pytest.fixture(scope="module")
def report():
    return evaluate(["spotdiff", "absdiff", "ssim"], load_real_pairs(MANIFEST))


def test_spotdiff_finds_every_real_change(report):
    ours = report.score("spotdiff")
    assert ours.recall == 1.0
    assert ours.f1 >= 0.9
    for condition in ("relit+shift+jpeg", "re-rendered", "drawing"):
        assert report.score("spotdiff", f"nuisance:{condition}").f1 == 1.0


def test_far_above_the_naive_baselines(report):
    ours = report.score("spotdiff").f1
    for baseline in ("absdiff", "ssim"):
        assert ours >= 3 * report.score(baseline).f1


def test_bench_cli_scores_a_real_manifest(capsys):
    code = main(["bench", "--real", str(MANIFEST), "--no-baselines", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["groups"]["overall"]["spotdiff"]["n_pairs"] == 4
    assert out["detectors"] == ["spotdiff"]
