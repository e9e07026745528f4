"""Building the report folder (spotdiff.viz.report.build)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spotdiff import InvalidOptionError
from spotdiff.viz.report import build_report


def _data(folder: Path) -> dict:
    text = (folder / "data.js").read_text()
    prefix = "window.SPOTDIFF_REPORT = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix) : -2])


@pytest.fixture
def pair(tmp_path):
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :, 1] = 120
    Image.fromarray(img).save(tmp_path / "a.png")
    img[10:20, 10:30] = 255
    Image.fromarray(img).save(tmp_path / "b.png")
    return tmp_path / "a.png", tmp_path / "b.png"


def _record(a, b, **extra):
    return {
        "schema_version": 1,
        "image1": str(a),
        "image2": str(b),
        "size": [60, 40],
        "aligned": False,
        "transform": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        "regions": [
            {"box": [10, 10, 30, 20], "score": 0.87654321, "area": 200.0, "kind": "changed"}
        ],
        **extra,
    }


def test_folder_layout_counts_and_relative_links(tmp_path, pair):
    a, b = pair
    rows = [_record(a, b, name="one"), {"name": "bad", "image1": str(a), "error": "broken"}]
    info = build_report(rows, tmp_path / "rep", title="My <run>", run_seconds=12.5)
    out = tmp_path / "rep"
    assert sorted(p.name for p in out.iterdir()) == ["assets", "data.js", "index.html"]
    assert sorted(p.name for p in (out / "assets").iterdir()) == ["report.css", "report.js"]
    assert info.counts == {"pairs": 2, "diff": 1, "same": 0, "error": 1}
    assert info.missing == ()
    page = (out / "index.html").read_text()
    assert "<title>My &lt;run&gt;</title>" in page
    assert "http" not in page.replace("http://www.w3.org", "")  # no CDN
    data = _data(out)
    assert data["runSeconds"] == 12.5 and data["counts"]["error"] == 1
    first, second = data["rows"]
    assert first["a"] == "../a.png" and first["b"] == "../b.png"
    assert first["r"] == [[10, 10, 30, 20, 0.8765, "changed", 200]]
    assert (first["w"], first["ht"]) == (60, 40) and "t" not in first
    assert second == {
        "n": "bad",
        "s": "error",
        "a": "../a.png",
        "b": None,
        "h": None,
        "r": [],
        "pa": str(a),
        "e": "broken",
    }
    # the page's code stays small: a few hundred KB at most
    assert sum(p.stat().st_size for p in (out / "assets").iterdir()) < 100_000


def test_relative_paths_resolve_from_cwd_then_results_folder(tmp_path, pair, monkeypatch):
    _a, _b = pair
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(_record("a.png", "b.png", name="x")) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not found from the cwd: the results file's folder is next
    info = build_report(results, tmp_path / "r")
    assert info.missing == ()
    assert _data(tmp_path / "r")["rows"][0]["a"] == "../a.png"
    info = build_report(results, tmp_path / "r2", base=elsewhere)
    assert info.missing == ("a.png", "b.png")
    assert _data(tmp_path / "r2")["rows"][0]["a"] is None


def test_copy_images_makes_a_movable_folder(tmp_path, pair):
    a, b = pair
    build_report([_record(a, b, name="x")], tmp_path / "r", copy_images=True)
    row = _data(tmp_path / "r")["rows"][0]
    assert row["a"].startswith("images/") and row["b"].startswith("images/")
    assert (tmp_path / "r" / row["a"]).read_bytes() == a.read_bytes()


def test_heatmaps_computed_when_asked(tmp_path, pair):
    a, b = pair
    build_report([_record(a, b, name="x")], tmp_path / "r", heatmaps=True)
    row = _data(tmp_path / "r")["rows"][0]
    assert row["h"] == "heatmaps/000000.png"
    heat = np.asarray(Image.open(tmp_path / "r" / row["h"]))
    assert heat.shape == (40, 60, 3)
    # brighter over the change than elsewhere
    assert heat[10:20, 10:30].mean() > heat[30:, 40:].mean() + 20


def test_heatmap_path_of_the_run_is_linked(tmp_path, pair):
    a, b = pair
    build_report([_record(a, b, name="x", heatmap=str(a))], tmp_path / "r")
    assert _data(tmp_path / "r")["rows"][0]["h"] == "../a.png"


def test_output_is_a_file(tmp_path, pair):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidOptionError, match="is a file"):
        build_report([_record(*pair)], tmp_path / "file")


def test_rebuild_replaces_files_atomically(tmp_path, pair):
    a, b = pair
    build_report([_record(a, b, name="one")], tmp_path / "r")
    build_report([_record(a, b, name="two")], tmp_path / "r")
    assert _data(tmp_path / "r")["rows"][0]["n"] == "two"
    assert not [p for p in os.listdir(tmp_path / "r") if p.startswith(".")]  # no temporary left


def test_build_10000_rows(tmp_path, pair):
    # how fast is benchmarks/bench_report.py's job (10,000 rows by default), not a timed test's
    a, b = pair
    rows = [_record(a, b, name=f"p{i:05d}") for i in range(10_000)]
    info = build_report(rows, tmp_path / "r")
    assert info.counts["pairs"] == 10_000
    data = _data(tmp_path / "r")["rows"]
    assert len(data) == 10_000 and [r["n"] for r in data[:2]] == ["p00000", "p00001"]


def test_rows_are_streamed_memory_flat_in_their_number(tmp_path, pair):
    # a generator of rows: the peak memory of 4,000 rows is that of 400 (before: every row
    # parsed into a list and every page row into another, ~4 KB a row)
    import tracemalloc

    a, b = pair

    def peak(n: int) -> int:
        rows = (_record(a, b, name=f"p{i:05d}") for i in range(n))
        tracemalloc.start()
        try:
            build_report(rows, tmp_path / f"r{n}")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(400), peak(4000)
    assert large < small + 200_000, (small, large)
    assert len(_data(tmp_path / "r4000")["rows"]) == 4000


def test_report_writer_left_by_an_exception_keeps_the_earlier_report(tmp_path, pair):
    from spotdiff.viz.report import ReportWriter

    a, b = pair
    build_report([_record(a, b, name="old")], tmp_path / "r")
    with pytest.raises(RuntimeError), ReportWriter(tmp_path / "r") as writer:
        writer.add(_record(a, b, name="new"))
        raise RuntimeError("the run stopped")
    assert [r["n"] for r in _data(tmp_path / "r")["rows"]] == ["old"]
    assert not [p for p in os.listdir(tmp_path / "r") if p.startswith(".")]
    with ReportWriter(tmp_path / "r", title="run") as writer:
        writer.add(_record(a, b, name="one"))
        writer.add({"name": "bad", "image1": str(a), "error": "broken"})
        info = writer.finish(run_seconds=3.0)
    data = _data(tmp_path / "r")
    assert info.counts == data["counts"] == {"pairs": 2, "diff": 1, "same": 0, "error": 1}
    assert (data["title"], data["runSeconds"], [r["n"] for r in data["rows"]]) == (
        "run",
        3.0,
        ["one", "bad"],
    )
