"""spotdiff ground: one pair (table, --json, -o), several queries, --batch (resume, bad rows,
Acc@0.5), and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
BEFORE, AFTER = str(EXAMPLES / "before.png"), str(EXAMPLES / "after.jpg")
TREE = [437, 248, 504, 330]  # examples/changes.json: the removed tree


def test_table(capsys):
    assert main(["ground", BEFORE, AFTER, "the thing that disappeared", "--backend", "cues"]) == 0
    out = capsys.readouterr().out
    assert '"the thing that disappeared" (4 candidates, cues)' in out
    assert "understood: 'disappeared' -> removed" in out
    first = out.splitlines()[3].split()
    assert first[0] == "1" and first[2] == "removed"
    assert [int(v) for v in first[-4:]] == pytest.approx(TREE, abs=4)


def test_json_schema(capsys):
    code = main(["ground", BEFORE, AFTER, "the red balloon that appeared", "the leftmost change",
                 "--json", "--top-k", "2", "--backend", "cues"])  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["schema_version"] == 1 and record["image1"] == BEFORE
    assert record["query"]["kind"] == "added" and record["query"]["unknown"] == ["balloon"]
    assert len(record["regions"]) == 2
    region = record["regions"][0]
    assert {"box", "score", "area", "kind", "find_score", "colour_before", "colour_after",
            "kinds", "cues"} <= set(region)  # fmt: skip
    assert region["colour_after"] == "red" and set(region["cues"]) == {"kind", "colour"}
    assert json.loads(lines[1])["query"]["position"] == ["left"]


def test_annotated_picture(tmp_path, capsys):
    out = tmp_path / "answer.png"
    assert (
        main(["ground", BEFORE, AFTER, "what vanished", "-o", str(out), "--backend", "cues"]) == 0
    )
    picture = np.asarray(Image.open(out))
    assert picture.shape[0] == 400 and picture.shape[1] > 1280
    # the answer's frame: 4 px of the "removed" colour at the tree's left edge (2 x the default
    # thickness); the other candidates are faint (blended with the picture)
    from spotdiff.viz.annotate import KIND_COLOURS

    red = np.asarray(KIND_COLOURS["removed"])
    row = picture[290, TREE[0] - 8 : TREE[0] + 8]
    assert (row == red).all(axis=1).sum() == 4
    balloon_edge = picture[150, 431:436]  # added (green) frame of candidate 2, faint
    green = np.asarray(KIND_COLOURS["added"])
    assert not (balloon_edge == green).all(axis=1).any()
    assert "candidates" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["ground", BEFORE, AFTER], "at least one QUERY"),
        (["ground", BEFORE, AFTER, ""], "no word"),
        (["ground", BEFORE, AFTER, "x", "--backend", "nope"], "unknown grounding backend"),
        (["ground", BEFORE, "missing.png", "x", "--backend", "cues"], "missing.png"),
        (["ground", BEFORE, AFTER, "x", "-o", "out.txt"], ".txt"),
        (["ground", "--batch", "q.jsonl"], "needs -o"),
        (["ground", BEFORE, "--batch", "q.jsonl", "-o", "o.jsonl"], "leave out"),
    ],
)
def test_errors_are_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: ") and fragment in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def batch(tmp_path):
    rows = [
        {"id": "a", "image1": BEFORE, "image2": AFTER, "query": "what vanished", "box": TREE},
        {"id": "b", "image1": BEFORE, "image2": AFTER,
         "queries": ["the red thing that appeared", "the biggest change"],
         "boxes": [[433, 119, 468, 191], [0, 0, 10, 10]]},
        {"id": "c", "image1": "nope.png", "image2": AFTER, "query": "x"},
    ]  # fmt: skip
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    return path


def test_batch_rows_resume_and_accuracy(batch, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    argv = ["ground", "--batch", str(batch), "-o", str(out), "--backend", "cues"]
    assert main(argv) == 2  # two rows failed
    captured = capsys.readouterr()
    assert "2 written, 0 already done, 2 failed, of 4 rows" in captured.err
    assert "3 queries with a truth box: Acc@0.3 0.667, Acc@0.5 0.667" in captured.out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["__dj__meta__"]["spotdiff_line"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["results"][0]["iou"] > 0.8 and rows[0]["id"] == "a"
    assert rows[1]["results"][0]["parsed"]["colours"][0]["name"] == "red"
    assert "nope.png" in rows[2]["error"] and "not JSON" in rows[3]["error"]
    # resume: nothing is redone; --retry-errors redoes only the failed rows
    assert main(argv) == 2
    assert "0 written, 4 already done, 2 failed (2 from an earlier run" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 4
    assert main([*argv, "--retry-errors"]) == 2
    assert "0 written, 2 already done, 2 failed, of 4 rows" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 4


def test_batch_torn_last_line_is_redone(batch, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    good = batch.read_text().splitlines()[:2]
    batch.write_text("\n".join(good) + "\n", encoding="utf-8")
    argv = ["ground", "--batch", str(batch), "-o", str(out), "--backend", "cues"]
    assert main(argv) == 0
    lines = out.read_text().splitlines()
    out.write_text(lines[0] + "\n" + lines[1][:40], encoding="utf-8")  # killed mid-write
    capsys.readouterr()
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "torn last line" in captured.err and "1 written, 1 already done" in captured.err
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "b"]


def test_batch_relative_paths_and_id_field(tmp_path, capsys):
    import shutil

    shutil.copy(BEFORE, tmp_path / "a.png")
    shutil.copy(AFTER, tmp_path / "b.jpg")
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"key": 1, "image1": "a.png", "image2": "b.jpg",
                                "query": "the thing that vanished"}) + "\n")  # fmt: skip
    out = tmp_path / "o.jsonl"
    assert main(["ground", "--batch", str(path), "-o", str(out), "--id-field", "key",
                 "--backend", "cues"]) == 0  # fmt: skip
    assert json.loads(out.read_text())["results"][0]["box"] is not None
    assert main(["ground", "--batch", str(path), "-o", str(out), "--id-field", "nokey"]) == 2
    assert "--id-field 'nokey'" in capsys.readouterr().err


def test_batch_report_and_report_without_batch(batch, tmp_path, capsys):
    out, report = tmp_path / "out.jsonl", tmp_path / "report"
    argv = ["ground", "--batch", str(batch), "-o", str(out), "--backend", "cues"]
    assert main([*argv, "--report", str(report)]) == 2  # two rows failed, the report still built
    assert f"report: {report / 'index.html'}" in capsys.readouterr().err
    data = (report / "data.js").read_text()
    assert "nope.png" in data  # the failed row is in the report with its message
    assert main(["ground", "a.png", "b.png", "x", "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert (
        err.strip() == "spotdiff: error: --report needs --batch (the report shows a batch's rows)"
    )
