"""evaluate() and run_benchmark(): detectors on the same labelled pairs, scored at an IoU."""

from __future__ import annotations

import json
import time
import types

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError, UnknownNameError
from spotdiff.evaluation import DEFAULT_DETECTORS, evaluate, run_benchmark
from spotdiff.evaluation.metrics import Counts

SIZE = (320, 180)


def _fake(boxes, *, kinds=("added",), nuisance="none", mask=None, **extra):
    img = np.zeros((20, 30, 3), dtype=np.uint8)
    return types.SimpleNamespace(
        img1=img, img2=img, boxes=boxes, kinds=kinds, nuisance=nuisance, mask=mask, **extra
    )


def test_oracle_scores_one_and_empty_scores_zero(pairs, oracle):
    empty = lambda a, b: (np.zeros((0, 4)), np.zeros(0))  # noqa: E731
    report = evaluate({"oracle": oracle(pairs), "empty": empty}, pairs)
    n_truth = sum(len(p.boxes) for p in pairs)
    best = report.score("oracle")
    assert (best.f1, best.ap, best.mask_f1) == (1.0, 1.0, 1.0)
    assert best.counts.tp == n_truth and best.n_pairs == 4 and best.n_truth == n_truth
    none = report.score("empty")
    assert none.counts.fn == n_truth and none.f1 == 0.0 and none.ap == 0.0
    assert none.precision == 1.0 and none.mask_f1 is None
    assert best.seconds >= 0


def test_one_extra_box_costs_precision(pairs, oracle):
    def noisy(img1, img2):
        boxes, scores, mask = oracle(pairs)(img1, img2)
        return np.vstack([boxes, [[0, 0, 5, 5]]]), np.append(scores, 0.1), mask

    report = evaluate({"noisy": noisy}, pairs)
    s = report.score("noisy")
    n_truth = sum(len(p.boxes) for p in pairs)
    assert s.counts.fp == 4 and s.recall == 1.0
    assert s.precision == pytest.approx(n_truth / (n_truth + 4))
    assert s.ap == 1.0  # the extra boxes rank last


def test_iou_threshold_decides_a_match():
    pair = _fake([[0, 0, 10, 10]])
    det = lambda a, b: ([[0, 0, 10, 6]], [0.9])  # noqa: E731  (IoU 0.6)
    assert evaluate({"d": det}, [pair], iou=0.5).score("d").counts.tp == 1
    strict = evaluate({"d": det}, [pair], iou=0.7).score("d").counts
    assert (strict.tp, strict.fp, strict.fn) == (0, 1, 1)
    assert evaluate({"d": det}, [pair], iou=0.6).score("d").counts.tp == 1  # IoU >= iou
    for bad in (0, 1.5, -1):
        with pytest.raises(InvalidOptionError, match="iou"):
            evaluate({"d": det}, [pair], iou=bad)


def test_records_progress_settings_and_timing():
    calls = []

    def slow(img1, img2):
        time.sleep(0.01)
        return np.zeros((0, 4)), np.zeros(0), np.zeros(img1.shape[:2], dtype=bool)

    fakes = [_fake([[0, 0, 5, 5]], mask=np.zeros((20, 30), bool)), _fake(np.zeros((0, 4)))]
    fakes[1].index, fakes[1].photo = 7, "kitchen"
    report = evaluate(
        {"slow": slow}, iter(fakes), progress=calls.append, settings={"seed": 3, "iou": 0.9}
    )
    assert calls == [1, 2]
    assert report.settings == {"seed": 3, "iou": 0.5}  # the iou used wins
    assert [(r.index, r.photo) for r in report.records] == [(0, ""), (7, "kitchen")]
    assert report.records[1].boxes.shape == (0, 4) and report.records[1].boxes.dtype == np.float32
    s = report.score("slow")
    assert s.seconds >= 0.01 and s.counts.fn == 1
    # pair 2 has no true mask: the group's mask score is pair 1's (no change, nothing claimed)
    assert s.mask == Counts(0, 0, 0)
    assert evaluate({"slow": slow}, [fakes[1]]).score("slow").mask is None


def test_detectors_by_name_list_mapping_and_default(monkeypatch):
    pytest.importorskip("skimage")  # the ssim baseline
    pair = _fake(np.zeros((0, 4)))
    assert evaluate("absdiff", [pair]).detectors == ["absdiff"]
    assert evaluate(["ssim_otsu", "absdiff"], [pair]).detectors == ["ssim_otsu", "absdiff"]
    mine = lambda a, b: ([], [])  # noqa: E731
    assert evaluate({"mine": mine, "base": "absdiff"}, [pair]).detectors == ["mine", "base"]
    used = []
    monkeypatch.setattr(
        "spotdiff.evaluation.bench.get_detector", lambda name: used.append(name) or mine
    )
    assert evaluate(None, [pair]).detectors == list(DEFAULT_DETECTORS)
    assert used == ["spotdiff", "absdiff", "ssim"]


def test_bad_detector_raises(pairs):
    with pytest.raises(InvalidOptionError, match="callable"):
        evaluate({"x": 3}, pairs)
    with pytest.raises(InvalidOptionError, match="at least one"):
        evaluate({}, pairs)
    with pytest.raises(UnknownNameError, match="absdiff"):
        evaluate(["absdif"], pairs)


def test_run_benchmark_with_baselines_end_to_end():
    pytest.importorskip("skimage")
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


def test_run_benchmark_records_its_settings_and_scores_the_clean_pairs():
    pytest.importorskip("skimage")
    report = run_benchmark(["absdiff"], n_pairs=2, size="320x180", seed=2, nuisances=["none"])
    assert report.settings == {
        "n_pairs": 2,
        "size": "320x180",
        "seed": 2,
        "edits": ["added", "removed", "recoloured", "moved", "resized"],
        "nuisances": ["none"],
        "max_edits": 3,
        "iou": 0.5,
    }
    # no nuisance: absdiff sees exactly the planted pixels, so its mask F1 is high
    assert report.score("absdiff").mask_f1 > 0.5
    assert [r.kinds[0] for r in report.records] == ["added", "removed"]
    with pytest.raises(InvalidOptionError, match="size"):
        run_benchmark(["absdiff"], n_pairs=1, size="big")
