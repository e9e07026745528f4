"""`spotdiff map DIR1 DIR2` on the batch runner (cli/_map_run.py): summary.jsonl rows, error
rows (unmatched, corrupt, truncated), identical rows for any number of workers, resuming
(a torn last line, --retry-errors, --overwrite, other settings) and a real kill -9 mid-run."""

from __future__ import annotations

import json
import signal

import pytest

from spotdiff.cli import main

from .batch_runs import many, spotdiff, stop_mid_run, summary_rows

# `scenes`: tests/cli/conftest.py


def _truncate(path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a PNG cut in the middle (a torn download)


def test_rows_are_identical_for_one_and_two_workers(tmp_path, capsys, scenes):
    d1, d2 = many(tmp_path, scenes, 5)
    _truncate(d2 / "p04.png")
    runs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        code = main(["map", str(d1), str(d2), "-o", str(out), "--json", "--workers", workers])
        assert code == 2  # the corrupt and truncated pairs and the unmatched file
        runs[workers] = (summary_rows(out), capsys.readouterr())
    rows = runs["1"][0]
    assert rows == runs["2"][0]
    assert [r["name"] for r in rows] == ["bad", "lonely", "p00", "p01", "p02", "p03", "p04"]
    bad, lonely, p00, p01, *_, p04 = rows
    assert bad["image2"] == str(d2 / "bad.png") and "not an image" in bad["error"]
    assert bad["output"] is None and bad["value"] is None
    assert lonely == {
        "name": "lonely",
        "image1": str(d1 / "lonely.png"),
        "image2": None,
        "output": None,
        "metric": "mse",
        "value": None,
        "error": f"no file named lonely.* in {d2}",
    }
    assert "p04.png" in p04["error"] and p04["output"] is None
    assert p00 == {
        "name": "p00",
        "image1": str(d1 / "p00.png"),
        "image2": str(d2 / "p00.png"),
        "output": "OUT/p00.png",
        "metric": "mse",
        "value": p00["value"],
    }
    assert p00["value"] > 1e-3 and p01["value"] == 0.0  # p00 changed, p01 the same picture
    out1 = tmp_path / "out1"
    assert sorted(p.name for p in out1.iterdir()) == [
        *(f"p0{i}.png" for i in range(4)),
        "summary.jsonl",
        "summary.run.json",
    ]
    # --json prints each row as written, with "error": null when it has none
    printed = [
        json.loads(line) for line in runs["1"][1].out.replace(str(out1), "OUT").split("\n")[:-1]
    ]
    assert printed == [{"error": None} | row for row in rows]
    assert runs["1"][1].out.replace(str(out1), "OUT") == runs["2"][1].out.replace(
        str(tmp_path / "out2"), "OUT"
    )
    err = runs["1"][1].err.splitlines()
    assert [line.split(":")[2].strip() for line in err[:3]] == ["bad", "lonely", "p04"]
    assert err[-1] == f"4 of 7 maps written to {out1}"


def test_a_second_run_resumes_and_retry_errors_and_overwrite(tmp_path, capsys, scenes):
    d1, d2 = many(tmp_path, scenes, 2)
    out = tmp_path / "out"
    args = ["map", str(d1), str(d2), "-o", str(out), "--workers", "1"]
    assert main(args) == 2
    first = summary_rows(out)
    capsys.readouterr()
    assert main(args) == 2  # nothing redone; the exit code counts the rows kept
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"2 of 4 maps written to {out} (4 kept from an earlier run)\n"
    assert summary_rows(out) == first
    summary = out / "summary.jsonl"
    summary.write_bytes(summary.read_bytes()[:-20])  # p01's line torn (killed mid-write)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{out / 'p01.png'}  mse=0\n"  # p01 redone, nothing else
    assert "torn" in captured.err and "(3 kept from an earlier run)" in captured.err
    assert summary_rows(out) == first
    (d2 / "bad.png").write_bytes((d1 / "bad.png").read_bytes())  # fixed: the same picture
    (d1 / "lonely.png").unlink()  # its error row is dropped, not redone
    assert main([*args, "--retry-errors"]) == 0
    assert capsys.readouterr().out == f"{out / 'bad.png'}  mse=0\n"
    assert [r["name"] for r in summary_rows(out)] == ["p00", "p01", "bad"]
    assert main([*args, "--overwrite"]) == 0
    assert [r["name"] for r in summary_rows(out)] == ["bad", "p00", "p01"]
    assert main([*args, "--metric", "ssim"]) == 0  # other options: starts again
    captured = capsys.readouterr()
    assert "written with other settings" in captured.err
    assert [r["metric"] for r in summary_rows(out)] == ["ssim"] * 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "2"], "--workers applies to two directories"),
        (["--retry-errors"], "--retry-errors applies to two directories"),
        (["--overwrite"], "--overwrite applies to two directories"),
    ],
)
def test_batch_options_are_refused_for_one_pair(tmp_path, capsys, scenes, extra, message):
    d1, d2 = many(tmp_path, scenes, 1)
    args = ["map", str(d1 / "p00.png"), str(d2 / "p00.png"), "-o", str(tmp_path / "m.png")]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "m.png").exists()


def test_zero_workers_is_one_error_line_and_no_file(tmp_path, capsys, scenes):
    d1, d2 = many(tmp_path, scenes, 1)
    out = tmp_path / "out"
    assert main(["map", str(d1), str(d2), "-o", str(out), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "spotdiff: error: --workers 0: give 1 or more processes\n"
    assert not out.exists()


def test_a_run_killed_mid_way_resumes_with_no_row_lost_or_doubled(tmp_path, scenes):
    d1, d2 = many(tmp_path, scenes, 14, size=(600, 800))
    out, clean = tmp_path / "out", tmp_path / "clean"
    args = ["map", str(d1), str(d2), "-o", str(out), "--workers", "2"]
    # SIGKILL to the whole process group (the parent and its workers): no cleanup runs
    assert stop_mid_run(args, out / "summary.jsonl", rows=3, how="kill -9") == -signal.SIGKILL
    done = (out / "summary.jsonl").read_bytes().count(b"\n")
    assert 3 <= done < 16  # stopped mid-run
    assert spotdiff(args).wait(timeout=300) == 2
    ref = ["map", str(d1), str(d2), "-o", str(clean), "--workers", "1"]
    assert spotdiff(ref).wait(timeout=300) == 2
    resumed = (out / "summary.jsonl").read_text().replace(str(out), "OUT").splitlines()
    expected = (clean / "summary.jsonl").read_text().replace(str(clean), "OUT").splitlines()
    names = [json.loads(line)["name"] for line in resumed]
    assert len(names) == len(set(names)) == 16  # 0 rows lost, 0 duplicated
    assert resumed == expected  # line for line, in input order
    pictures = sorted(p.name for p in out.glob("p*.png"))
    assert pictures == [f"p{i:02d}.png" for i in range(14)]
