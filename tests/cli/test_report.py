"""``spotdiff report`` (spotdiff.cli.report) and ``spotdiff find --report``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotdiff.cli import main


def _data(folder: Path) -> dict:
    text = (folder / "data.js").read_text()
    return json.loads(text[len("window.SPOTDIFF_REPORT = ") : -2])


def test_find_directories_with_report(tmp_path, scenes, capsys):
    d1, d2 = scenes.directories(tmp_path)
    rep = tmp_path / "rep"
    code = main(["find", str(d1), str(d2), "--report", str(rep)])
    err = capsys.readouterr().err
    assert code == 2  # "three" has no match: the run reports it and goes on
    assert f"report: {rep / 'index.html'}" in err
    assert sorted(p.name for p in rep.iterdir()) == [
        "assets",
        "data.js",
        "heatmaps",
        "index.html",
        "summary.jsonl",
        "summary.run.json",  # the run's settings: a second run with the same ones resumes
    ]
    assert sorted(p.name for p in (rep / "heatmaps").iterdir()) == ["one.png", "two.png"]
    records = [json.loads(x) for x in (rep / "summary.jsonl").read_text().splitlines()]
    assert [r["name"] for r in records] == ["one", "three", "two"]
    assert records[0]["heatmap"] == str(rep / "heatmaps" / "one.png")
    data = _data(rep)
    assert data["counts"] == {"pairs": 3, "diff": 1, "same": 1, "error": 1}
    assert data["runSeconds"] > 0
    one, three, _ = data["rows"]
    assert one["h"] == "heatmaps/one.png" and one["s"] == "diff" and one["r"]
    assert three["s"] == "error" and "no file named three" in three["e"]


def test_find_report_with_output_dir_and_heatmap_dir(tmp_path, scenes, capsys):
    d1, d2 = scenes.directories(tmp_path)
    (d1 / "three.png").unlink()
    out, heat, rep = tmp_path / "out", tmp_path / "heat", tmp_path / "rep"
    args = ["find", str(d1), str(d2), "-o", str(out), "--heatmap", str(heat), "--report", str(rep)]
    assert main(args) == 1
    assert (out / "summary.jsonl").exists() and not (rep / "summary.jsonl").exists()
    assert not (rep / "heatmaps").exists()
    assert _data(rep)["rows"][0]["h"] == "../heat/one.png"


def test_find_single_pair_with_report(tmp_path, files, capsys):
    rep = tmp_path / "rep"
    assert main(["find", files["a"], files["b"], "--report", str(rep), "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert "heatmap" not in printed  # --json output keeps its documented schema
    data = _data(rep)
    assert data["counts"] == {"pairs": 1, "diff": 1, "same": 0, "error": 0}
    row = data["rows"][0]
    assert row["n"] == "a" and row["h"] == "heatmaps/a.png"
    assert (rep / "heatmaps" / "a.png").exists()
    assert json.loads((rep / "summary.jsonl").read_text())["regions"] == printed["regions"]


def test_find_report_is_a_file(tmp_path, files, capsys):
    (tmp_path / "r").write_text("x")
    assert main(["find", files["a"], files["b"], "--report", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err.startswith("spotdiff: error: --report")


def test_report_command(tmp_path, files, capsys):
    results = tmp_path / "results.jsonl"
    assert main(["find", files["a"], files["b"], "--json"]) == 1
    results.write_text(capsys.readouterr().out)
    rep = tmp_path / "rep"
    assert main(["report", str(results), "-o", str(rep), "--json", "--title", "T"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"pairs": 1, "diff": 1, "same": 0, "error": 0}
    assert out["missing_images"] == [] and out["index"] == str(rep / "index.html")
    assert _data(rep)["title"] == "T"


def test_report_command_warns_about_missing_images(tmp_path, capsys):
    results = tmp_path / "r.jsonl"
    results.write_text(
        json.dumps({"name": "x", "image1": "gone1.png", "image2": "gone2.png", "regions": []})
        + "\n"
    )
    assert main(["report", str(results), "-o", str(tmp_path / "rep")]) == 0
    err = capsys.readouterr().err
    assert "spotdiff: warning: 2 image path(s) not found (gone1.png, gone2.png)" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such results file"),
        ("not json\n", "line 1: not JSON"),
        ('{"foo": 1}\n', "not a row of find, imgdiff or ground"),
        ("", "holds no rows"),
    ],
)
def test_report_bad_input_is_one_error_line(tmp_path, capsys, content, message):
    results = tmp_path / "r.jsonl"
    if content is not None:
        results.write_text(content)
    assert main(["report", str(results), "-o", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "rep" / "index.html").exists()
