"""The benchmark end to end on tiny pairs: scores, groups, report, spotdiff adapter, CLI."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

pytest.importorskip("skimage")

from spotdiff._errors import InvalidOptionError
from spotdiff.evaluation import (
    SpotdiffDetector,
    evaluate,
    generate_pairs,
    run_benchmark,
)
from spotdiff.result import DiffResult

SIZE = (320, 180)


@pytest.fixture(scope="module")
def pairs():
    return list(
        generate_pairs(
            4, size=SIZE, seed=0, edits=["added", "removed"], nuisances=["none", "noise"]
        )
    )


def _oracle(pairs):
    truth = {p.img2.tobytes(): p for p in pairs}

    def detect(img1, img2):
        p = truth[img2.tobytes()]
        return p.boxes, np.linspace(1, 0.5, len(p.boxes)), p.mask

    return detect


def test_oracle_scores_one_and_empty_scores_zero(pairs):
    empty = lambda a, b: (np.zeros((0, 4)), np.zeros(0))  # noqa: E731
    report = evaluate({"oracle": _oracle(pairs), "empty": empty}, pairs)
    n_truth = sum(len(p.boxes) for p in pairs)
    best = report.score("oracle")
    assert (best.f1, best.ap, best.mask_f1) == (1.0, 1.0, 1.0)
    assert best.counts.tp == n_truth and best.n_pairs == 4 and best.n_truth == n_truth
    none = report.score("empty")
    assert none.counts.fn == n_truth and none.f1 == 0.0 and none.ap == 0.0
    assert none.precision == 1.0 and none.mask_f1 is None
    assert best.seconds >= 0


def test_groups_by_edit_and_nuisance(pairs):
    report = evaluate({"oracle": _oracle(pairs)}, pairs)
    assert report.group_names() == [
        "overall",
        "edit:added",
        "edit:removed",
        "nuisance:none",
        "nuisance:noise",
    ]
    assert [r.index for r in report.pairs_of("edit:removed")] == [2, 3]
    assert [r.index for r in report.pairs_of("nuisance:noise")] == [1, 3]
    assert report.matrix("oracle") == {
        "added": {"none": 1.0, "noise": 1.0},
        "removed": {"none": 1.0, "noise": 1.0},
    }
    with pytest.raises(InvalidOptionError, match="group"):
        report.pairs_of("photo:moon")
    with pytest.raises(InvalidOptionError, match="oracle"):
        report.score("spotdiff")


def test_one_extra_box_costs_precision(pairs):
    def noisy(img1, img2):
        boxes, scores, mask = _oracle(pairs)(img1, img2)
        return np.vstack([boxes, [[0, 0, 5, 5]]]), np.append(scores, 0.1), mask

    report = evaluate({"noisy": noisy}, pairs)
    s = report.score("noisy")
    n_truth = sum(len(p.boxes) for p in pairs)
    assert s.counts.fp == 4 and s.recall == 1.0
    assert s.precision == pytest.approx(n_truth / (n_truth + 4))
    assert s.ap == 1.0  # the extra boxes rank last


def test_run_benchmark_with_baselines_end_to_end():
    report = run_benchmark(
        ["absdiff", "ssim"], n_pairs=3, size=SIZE, seed=1, nuisances=["none", "jpeg", "gamma"]
    )
    assert report.detectors == ["absdiff", "ssim"]
    assert len(report.records) == 3
    text = report.to_markdown()
    assert "| group | pairs | boxes | absdiff F1 | ssim F1 |" in text
    assert "nuisance:gamma" in text and "| absdiff F1 | none | jpeg | gamma |" in text
    d = json.loads(json.dumps(report.to_dict(predictions=True)))
    assert d["settings"]["size"] == "320x180" and d["settings"]["iou"] == 0.5
    assert set(d["groups"]["overall"]) == {"absdiff", "ssim"}
    assert 0.0 <= d["groups"]["overall"]["ssim"]["f1"] <= 1.0
    assert "pred_boxes" in d["pairs"][0]["detectors"]["absdiff"]


def test_spotdiff_adapter_calls_find_lazily(monkeypatch, pairs):
    calls = []

    def find(img1, img2, **options):
        calls.append(options)
        masks = np.zeros((1, *img1.shape[:2]), dtype=bool)
        masks[0, 10:20, 30:50] = True
        return DiffResult(boxes=[[30, 10, 50, 20]], scores=[0.9], masks=masks)

    monkeypatch.setitem(sys.modules, "spotdiff.detect", types.SimpleNamespace(find=find))
    det = SpotdiffDetector(threshold=0.3)
    found = det(pairs[0].img1, pairs[0].img2)
    assert calls == [{"threshold": 0.3}]
    np.testing.assert_array_equal(found.boxes, [[30, 10, 50, 20]])
    assert found.mask.sum() == 200


def test_bad_detector_raises(pairs):
    with pytest.raises(InvalidOptionError, match="callable"):
        evaluate({"x": 3}, pairs)


def test_cli_bench_json_and_table(capsys):
    import spotdiff.cli.bench  # noqa: F401  (registers the command)
    from spotdiff.cli import main

    args = ["bench", "--pairs", "2", "--size", "320x180", "--nuisances", "none,noise"]
    assert main([*args, "--detector", "absdiff", "--no-baselines", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["detectors"] == ["absdiff"] and len(out["pairs"]) == 2
    assert main([*args, "--detector", "absdiff:min_area=0"]) == 0
    text = capsys.readouterr().out
    assert "absdiff F1 | ssim F1" in text
    assert main([*args, "--edits", "erased"]) == 2
    assert "erased" in capsys.readouterr().err
