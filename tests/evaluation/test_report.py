"""The benchmark report: group scores by hand, the Markdown tables, JSON, and the groups."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.evaluation.metrics import Counts
from spotdiff.evaluation.report import BenchmarkReport, GroupScore, Outcome, PairRecord


def _outcome(scores, matched, found, seconds, pixels=None) -> Outcome:
    n = len(scores)
    return Outcome(
        boxes=np.tile(np.array([[0, 0, 10, 10]], dtype=np.float32), (n, 1)),
        scores=np.asarray(scores, dtype=np.float32),
        matched=np.asarray(matched, dtype=bool),
        found=np.asarray(found, dtype=bool),
        seconds=seconds,
        pixels=pixels,
    )


def _record(index, kind, nuisance, outcomes) -> PairRecord:
    return PairRecord(
        index=index,
        photo=f"p{index}",
        nuisance=nuisance,
        boxes=np.array([[0, 0, 10, 10]], dtype=np.float32),
        kinds=(kind,),
        outcomes=outcomes,
    )


@pytest.fixture
def report() -> BenchmarkReport:
    """Three pairs, one truth box each; "fake" ranks TP (0.9), FP (0.8), TP (0.7) and misses
    the box of pair 1; "none" finds nothing. Pair 1 (removed, none) comes before pair 2, but the
    added row of the matrix has no "none" pair."""
    records = [
        _record(0, "added", "jpeg", {"fake": _outcome([0.9], [1], [1], 0.25, Counts(8, 2, 0))}),
        _record(1, "removed", "none", {"fake": _outcome([0.8], [0], [0], 0.5, Counts(0, 5, 5))}),
        _record(2, "removed", "jpeg", {"fake": _outcome([0.7], [1], [1], 0.75, Counts(6, 0, 2))}),
    ]
    for r in records:
        r.outcomes["none"] = _outcome([], [], [0], 0.0)
    return BenchmarkReport(["fake", "none"], records, {"size": "30x20", "seed": 0, "iou": 0.5})


def test_group_scores_hand_numbers(report):
    s = report.score("fake")
    assert isinstance(s, GroupScore)
    assert s.counts == Counts(tp=2, fp=1, fn=1) and (s.n_pairs, s.n_truth) == (3, 3)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)
    # all-point AP: precision 1 up to recall 1/3, then 2/3 up to recall 2/3
    assert s.ap == pytest.approx(1 / 3 + 2 / 9)
    assert s.mask == Counts(14, 7, 7) and s.mask_f1 == pytest.approx(28 / 42)
    assert s.seconds == pytest.approx(0.5)
    removed = report.score("fake", "edit:removed")
    assert removed.counts == Counts(tp=1, fp=1, fn=1) and removed.n_pairs == 2
    none = report.score("none")
    assert none.counts == Counts(0, 0, 3) and none.precision == 1.0 and none.f1 == 0.0
    assert none.ap == 0.0 and none.mask_f1 is None


def test_markdown_tables(report):
    assert report.to_markdown() == (
        "3 pairs, 30x20, seed 0, boxes matched at IoU >= 0.5\n"
        "\n"
        "| group | pairs | boxes | fake F1 | none F1 |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| overall | 3 | 3 | 0.667 | 0.000 |\n"
        "| edit:added | 1 | 1 | 1.000 | 0.000 |\n"
        "| edit:removed | 2 | 2 | 0.500 | 0.000 |\n"
        "| nuisance:none | 1 | 1 | 0.000 | 0.000 |\n"
        "| nuisance:jpeg | 2 | 2 | 1.000 | 0.000 |\n"
        "\n"
        "| detector | precision | recall | F1 | AP | mask F1 | TP | FP | FN | s/pair |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| fake | 0.667 | 0.667 | 0.667 | 0.556 | 0.667 | 2 | 1 | 1 | 0.500 |\n"
        "| none | 1.000 | 0.000 | 0.000 | 0.000 | - | 0 | 0 | 3 | 0.000 |\n"
        "\n"
        "| mask F1 | pixels | fake | none |\n"
        "| --- | --- | --- | --- |\n"
        "| overall | 21 | 0.667 | - |\n"
        "| edit:added | 8 | 0.889 | - |\n"
        "| edit:removed | 13 | 0.500 | - |\n"
        "| nuisance:none | 5 | 0.000 | - |\n"
        "| nuisance:jpeg | 16 | 0.875 | - |\n"
        "\n"
        "| fake F1 | none | jpeg |\n"
        "| --- | --- | --- |\n"
        "| added | - | 1.00 |\n"
        "| removed | 0.00 | 1.00 |\n"
    )
    real = report.to_markdown(matrix=False)  # a real manifest: masked pairs listed one by one
    assert "| fake F1 | none | jpeg |" not in real
    rows = "| p0 | 8 | 0.889 | - |\n| p1 | 5 | 0.000 | - |\n| p2 | 8 | 0.857 | - |\n"
    assert rows + "| overall | 21 | 0.667 | - |\n" in real
    assert rows not in report.to_markdown() and rows in report.to_markdown(mask_pairs=True)


def test_mask_scores_cover_only_the_pairs_with_a_true_mask(report):
    # pair 1 without a true mask: groups score the other pairs' pixels; no pair: no table
    report.records[1].outcomes["fake"] = _outcome([0.8], [0], [0], 0.5, None)
    assert report.score("fake").mask == Counts(14, 2, 2)
    assert report.score("fake", "nuisance:none").mask is None
    assert (
        "| p1 |" not in report.to_markdown() and "| nuisance:none | 5 |" not in report.to_markdown()
    )
    for r in report.records:
        r.outcomes["fake"] = _outcome([0.8], [0], [0], 0.5, None)
    assert report.mask_table() == [] and "mask F1 | pixels" not in report.to_markdown()


def test_matrix_has_every_nuisance_column_even_when_the_first_row_lacks_one(report):
    # regression: the columns were the first row's keys, so "none" went missing from the table
    assert report.matrix("fake") == {
        "added": {"jpeg": 1.0},
        "removed": {"none": 0.0, "jpeg": 1.0},
    }
    assert "| removed | 0.00 | 1.00 |" in report.to_markdown()


def test_unknown_detector_or_group_raises(report):
    with pytest.raises(InvalidOptionError, match="fake, none"):
        report.score("spotdiff")
    # regression: matrix() raised a bare KeyError
    with pytest.raises(InvalidOptionError, match="unknown detector 'spotdiff'"):
        report.matrix("spotdiff")
    with pytest.raises(InvalidOptionError, match="group must be"):
        report.pairs_of("photo:moon")


def test_to_dict_is_json_and_keeps_every_number(report):
    d = json.loads(json.dumps(report.to_dict(predictions=True), allow_nan=False))
    assert d["settings"] == {"size": "30x20", "seed": 0, "iou": 0.5}
    assert d["detectors"] == ["fake", "none"]
    fake = d["groups"]["overall"]["fake"]
    assert (fake["tp"], fake["fp"], fake["fn"], fake["n_pairs"], fake["n_truth"]) == (2, 1, 1, 3, 3)
    assert fake["ap"] == pytest.approx(5 / 9) and fake["seconds_per_pair"] == pytest.approx(0.5)
    assert d["groups"]["overall"]["none"]["mask_f1"] is None
    assert list(d["groups"]) == report.group_names()
    pair = d["pairs"][1]
    assert (pair["index"], pair["photo"], pair["nuisance"], pair["kinds"]) == (
        1,
        "p1",
        "none",
        ["removed"],
    )
    assert pair["boxes"] == [[0, 0, 10, 10]]
    assert pair["detectors"]["fake"]["found"] == [False]
    assert pair["detectors"]["fake"]["mask_f1"] == 0.0
    assert d["pairs"][0]["detectors"]["fake"]["mask_f1"] == pytest.approx(16 / 18)
    assert pair["detectors"]["none"]["mask_f1"] is None
    assert pair["detectors"]["fake"]["pred_matched"] == [False]
    assert pair["detectors"]["fake"]["pred_scores"] == [pytest.approx(0.8)]
    assert "pred_boxes" not in report.to_dict()["pairs"][0]["detectors"]["fake"]


def test_group_names_put_known_kinds_first_and_unknown_ones_sorted():
    out = {"d": _outcome([], [], [0], 0.0)}
    records = [
        _record(0, "zoomed", "phone", out),
        _record(1, "changed", "real", out),
        _record(2, "moved", "jpeg", out),
        _record(3, "added", "none", out),
    ]
    report = BenchmarkReport(["d"], records)
    assert report.group_names() == [
        "overall",
        "edit:added",
        "edit:moved",
        "edit:changed",
        "edit:zoomed",
        "nuisance:none",
        "nuisance:jpeg",
        "nuisance:phone",
        "nuisance:real",
    ]
    # without settings the first line is the table
    assert report.to_markdown().startswith("| group | pairs | boxes | d F1 |")


def test_groups_by_edit_and_nuisance(pairs, oracle):
    from spotdiff.evaluation import evaluate

    report = evaluate({"oracle": oracle(pairs)}, pairs)
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
