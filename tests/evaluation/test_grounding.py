"""spotdiff.evaluation.grounding: Acc@IoU, mean IoU and the grounding JSONL rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from spotdiff import InvalidOptionError
from spotdiff.evaluation.grounding import (
    grounding_accuracy,
    grounding_ious,
    parse_grounding_row,
    read_grounding_jsonl,
)


def test_accuracy_numbers():
    truth = [[0, 0, 10, 10]] * 4
    pred = [[0, 0, 10, 10], [0, 0, 10, 5], [0, 0, 10, 3.5], None]  # IoU 1, 0.5, 0.35, none
    ious = grounding_ious(pred, truth)
    assert ious == pytest.approx([1.0, 0.5, 0.35, 0.0])
    acc = grounding_accuracy(pred, truth)
    assert acc == pytest.approx(
        {"acc@0.3": 0.75, "acc@0.5": 0.5, "acc@0.7": 0.25, "mean_iou": 0.4625, "n": 4}
    )


def test_nan_rows_and_empty():
    pred = np.array([[np.nan] * 4, [1, 1, 2, 2]])
    assert grounding_ious(pred, [[0, 0, 1, 1], [1, 1, 2, 2]]).tolist() == [0.0, 1.0]
    empty = grounding_accuracy([], [])
    assert empty["n"] == 0 and math.isnan(empty["acc@0.5"])
    with pytest.raises(InvalidOptionError, match="one per query"):
        grounding_ious([[0, 0, 1, 1]], [[0, 0, 1, 1], [0, 0, 1, 1]])


def test_parse_row(tmp_path):
    row = parse_grounding_row(
        {"id": 7, "image1": "a.png", "image2": "/abs/b.png", "query": "the red one",
         "box": [1, 2, 3, 4], "note": "kept"},
        root=tmp_path,
    )  # fmt: skip
    assert row.image1 == str(tmp_path / "a.png") and row.image2 == "/abs/b.png"
    assert row.queries == ("the red one",) and row.id == 7
    assert row.boxes.tolist() == [[1, 2, 3, 4]] and row.extra == {"note": "kept"}
    many = parse_grounding_row(
        {"image1": "a", "image2": "b", "queries": ["x", "y"], "boxes": [[0, 0, 1, 1], [0, 0, 2, 2]]}
    )
    assert many.queries == ("x", "y") and many.boxes.shape == (2, 4)
    assert parse_grounding_row({"image1": "a", "image2": "b", "query": "x"}).boxes is None


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ({"image2": "b", "query": "x"}, "'image1'"),
        ({"image1": "a", "image2": "b"}, "'query'"),
        ({"image1": "a", "image2": "b", "query": "  "}, "'query'"),
        ({"image1": "a", "image2": "b", "query": "x", "queries": ["y"]}, "both"),
        ({"image1": "a", "image2": "b", "queries": []}, "non-empty list"),
        ({"image1": "a", "image2": "b", "query": "x", "box": [0, 0, 1]}, "four numbers"),
        ({"image1": "a", "image2": "b", "query": "x", "box": [5, 0, 1, 1]}, "x2 >= x1"),
        ({"image1": "a", "image2": "b", "queries": ["x"], "boxes": [[0, 0, 1, 1]] * 2}, "one box"),
        ({"image1": "a", "image2": "b", "queries": ["x"], "box": [0, 0, 1, 1]}, "'boxes'"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_rows(row, fragment):
    with pytest.raises(InvalidOptionError, match=fragment):
        parse_grounding_row(row)


def test_read_jsonl(tmp_path):
    path = tmp_path / "q.jsonl"
    lines = [
        {"image1": "a.png", "image2": "b.png", "query": "x"},
        {},
    ]
    path.write_text(json.dumps(lines[0]) + "\n\n" + json.dumps(lines[0]) + "\n", encoding="utf-8")
    rows = read_grounding_jsonl(path)
    assert len(rows) == 2 and rows[0].image1 == str(tmp_path / "a.png")
    assert read_grounding_jsonl(path, image_root="/data")[0].image1 == "/data/a.png"
    path.write_text(json.dumps(lines[0]) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(InvalidOptionError, match="line 2"):
        read_grounding_jsonl(path)


def test_real_pair_fixture_reads():
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "fixtures" / "grounding" / "realpairs.jsonl"
    rows = read_grounding_jsonl(fixture, image_root=Path(__file__).parents[2])
    assert len(rows) >= 5 and all(r.boxes is not None for r in rows)
    assert sum(len(r.queries) for r in rows) >= 15
