"""`spotdiff ground --batch` on the batch runner (cli/_ground_run.py): workers, kill -9 and
resume, settings."""

from __future__ import annotations

import json
from pathlib import Path

from spotdiff.cli import main

from .batch_runs import spotdiff, stop_mid_run

EXAMPLES = Path(__file__).parents[2] / "examples"
QUERIES = ["what vanished", "the red thing that appeared", "the biggest change", "the left one"]


def _batch(tmp_path, n: int) -> Path:
    """``n`` rows over examples/before.png and after.jpg (relative to --image-root), one query
    each, then a row with a missing image."""
    rows = [
        {"id": i, "image1": "before.png", "image2": "after.jpg", "query": QUERIES[i % 4]}
        for i in range(n)
    ]
    rows.append({"id": n, "image1": "nope.png", "image2": "after.jpg", "query": "x"})
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _args(batch, out, *extra):
    return ["ground", "--batch", str(batch), "-o", str(out), "--backend", "cues",
            "--image-root", str(EXAMPLES), "--id-field", "id", *extra]  # fmt: skip


def test_two_workers_write_the_rows_of_one(tmp_path, one_and_two_workers):
    batch = _batch(tmp_path, 4)
    text, err1 = one_and_two_workers(lambda out: _args(batch, out), 2)
    rows = [json.loads(x) for x in text.splitlines()]
    assert [r["id"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["results"][0]["query"] for r in rows[:4]] == QUERIES
    assert "nope.png" in rows[4]["error"]
    assert "spotdiff: error: line 5: " in err1 and "4 written, 0 already done, 1 failed" in err1


def test_kill_9_mid_run_then_resume_equals_a_clean_run(tmp_path):
    batch = _batch(tmp_path, 16)
    out, clean = tmp_path / "out.jsonl", tmp_path / "clean.jsonl"
    # default workers: the cues backend uses every core (a pool of worker processes here)
    stop_mid_run(_args(batch, out), out, rows=2, how="kill -9")
    text = out.read_bytes()
    assert 2 <= text.count(b"\n") < 17
    resumed = spotdiff(_args(batch, out))
    assert resumed.wait(timeout=300) == 2  # the row with a missing image
    assert b"already done" in resumed.stderr.read()
    ref = spotdiff(_args(batch, clean, "--workers", "1"))
    assert ref.wait(timeout=300) == 2
    lines, expected = out.read_text().splitlines(), clean.read_text().splitlines()
    assert len(lines) == len(set(lines)) == 17  # 0 rows lost, 0 duplicated
    assert lines == expected  # line for line


def test_settings_resume_or_start_again(tmp_path, capsys):
    batch = _batch(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    assert main(_args(batch, out, "--workers", "1")) == 2
    settings = json.loads((tmp_path / "out.run.json").read_text())
    assert settings["command"] == "ground" and settings["backend"] == "cues"
    assert settings["top_k"] is None and settings["root"] == str(EXAMPLES.resolve())
    capsys.readouterr()
    assert main(_args(batch, out, "--workers", "2")) == 2  # same settings: resumed
    assert "0 written, 3 already done, 1 failed (1 from an earlier run" in capsys.readouterr().err
    assert main(_args(batch, out, "--top-k", "1")) == 2  # other settings: started again
    err = capsys.readouterr().err
    assert "written with other settings; this run starts again" in err
    assert "2 written, 0 already done, 1 failed, of 3 rows" in err
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [len(r["results"][0]["regions"]) for r in rows[:2]] == [1, 1]


def test_workers_without_batch_is_one_error_line(capsys):
    before, after = str(EXAMPLES / "before.png"), str(EXAMPLES / "after.jpg")
    assert main(["ground", before, after, "x", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "spotdiff: error: --workers needs --batch (one pair runs in this process)"


def _count_engines(monkeypatch) -> list[int | None]:
    """The local engines made from now on (their workers), by make_engine."""
    from spotdiff.batch import LocalEngine, _engines

    made: list[int | None] = []

    class Counted(LocalEngine):
        def __init__(self, workers=None):
            made.append(workers)
            super().__init__(workers)

    monkeypatch.setattr(_engines, "LocalEngine", Counted)
    return made


def test_the_engine_is_made_once(tmp_path, capsys, monkeypatch):
    # --workers checked before the ranker loads, the engine made after it (before: a throwaway
    # engine for the check, then the run's)
    made = _count_engines(monkeypatch)
    batch = _batch(tmp_path, 2)
    assert main(_args(batch, tmp_path / "out.jsonl", "--workers", "1")) == 2  # the missing image
    capsys.readouterr()
    assert made == [1]
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 3
