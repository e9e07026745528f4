"""`spotdiff find` running (cli/_find_run.py): pictures written as one group, directory runs
(rows, summary.jsonl, counts, exit codes), the records of pairs and rows, kills mid-write."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main

from .batch_runs import many, spotdiff, stop_mid_run, summary_rows

# `files` and `scenes`: tests/cli/conftest.py


def test_pictures_are_written_with_the_right_sizes(files, tmp_path, capsys, scenes):
    ann, heat, mask = tmp_path / "out" / "ann.png", tmp_path / "heat.png", tmp_path / "mask.png"
    args = ["find", files["a"], files["b"], "-o", str(ann), "--heatmap", str(heat)]
    assert main([*args, "--mask", str(mask)]) == 1
    capsys.readouterr()
    annotated = np.asarray(Image.open(ann))
    assert annotated.shape == (120, 160 + 8 + 160, 3)  # side by side, 8 px gap
    # the region's frame: red-ish/green/orange pixels appear around the change on both sides
    assert (annotated[:, :160] != np.asarray(Image.open(files["a"]))).any()
    assert (annotated[:, 168:] != np.asarray(Image.open(files["b"]))).any()
    overlay = np.asarray(Image.open(heat))
    assert overlay.shape == (120, 160, 3)
    x1, y1, x2, y2 = scenes.change
    assert overlay[y1:y2, x1:x2].mean() > overlay[:30, :60].mean() + 60
    binary = np.asarray(Image.open(mask))
    assert binary.shape == (120, 160) and binary.dtype == np.uint8
    assert set(np.unique(binary).tolist()) == {0, 255}
    inside = (binary[y1:y2, x1:x2] == 255).mean()
    assert inside > 0.9 and (binary == 255).sum() < 2 * 25 * 20


def test_directories_record_a_bad_pair_and_go_on(tmp_path, capsys, scenes):
    d1, d2 = scenes.directories(tmp_path)
    (d2 / "three.png").write_bytes(b"not an image at all")
    out = tmp_path / "report"
    code = main(["find", str(d1), str(d2), "-o", str(out), "--mask", str(tmp_path / "masks")])
    captured = capsys.readouterr()
    assert code == 2  # a pair failed
    assert captured.out.splitlines() == ["one: 1 difference", "two: no differences"]
    err = captured.err.splitlines()
    assert err[0].startswith("spotdiff: error: three: ") and "three.png" in err[0]
    assert err[-1] == (
        f"3 pairs: 1 with differences, 1 without, 1 failed; pictures and summary.jsonl in {out}"
    )
    records = [json.loads(line) for line in (out / "summary.jsonl").read_text().splitlines()]
    assert [r["name"] for r in records] == ["one", "three", "two"]
    assert [len(r["regions"]) for r in records if "regions" in r] == [1, 0]
    assert "error" in records[1] and "three.png" in records[1]["error"]
    assert records[1]["image2"] == str(d2 / "three.png")
    assert records[0]["annotated"] == str(out / "one.png")
    assert {p.name for p in out.iterdir()} == {
        "one.png",
        "two.png",
        "summary.jsonl",
        "summary.run.json",
    }
    assert np.asarray(Image.open(out / "one.png")).shape == (120, 328, 3)
    assert np.asarray(Image.open(tmp_path / "masks" / "one.png")).shape == (120, 160)


def test_directories_exit_1_with_differences_and_json_lines(tmp_path, capsys, scenes):
    d1, d2 = scenes.directories(tmp_path)
    Image.fromarray(scenes.scene(2)).save(d2 / "three.png")
    assert main(["find", str(d1), str(d2), "--json"]) == 1
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["name"], len(r["regions"])) for r in records] == [
        ("one", 1),
        ("three", 0),
        ("two", 0),
    ]
    assert records[0]["schema_version"] == 1 and records[0]["annotated"] is None
    assert captured.err.splitlines()[-1] == "3 pairs: 1 with differences, 2 without, 0 failed"
    (d2 / "one.png").unlink()
    Image.fromarray(scenes.scene(3)).save(d2 / "one.png")
    assert main(["find", str(d1), str(d2)]) == 0
    capsys.readouterr()


# ---------------------------------------------------------------------------- atomic outputs
def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".tmp" in p.name)


@pytest.mark.parametrize("where", ["inside a file", "a directory"])
def test_an_unwritable_output_leaves_earlier_pictures_untouched(files, tmp_path, capsys, where):
    ann, heat = tmp_path / "ann.png", tmp_path / "heat.png"
    ann.write_bytes(b"an earlier, good annotated picture")
    heat.write_bytes(b"an earlier, good heatmap")
    if where == "a directory":  # a rename cannot replace it: refused before anything is written
        mask = tmp_path / "mask.png"
        mask.mkdir()
    else:  # mkdir of the parent fails
        blocker = tmp_path / "not_a_dir"
        blocker.write_text("a file where a folder should be")
        mask = blocker / "mask.png"
    args = ["find", files["a"], files["b"], "-o", str(ann), "--heatmap", str(heat)]
    assert main([*args, "--mask", str(mask)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: ") and err.count("\n") == 1
    assert ann.read_bytes() == b"an earlier, good annotated picture"
    assert heat.read_bytes() == b"an earlier, good heatmap"
    assert _leftovers(tmp_path) == []


def test_a_failing_last_write_puts_no_picture_in_place(files, tmp_path, capsys, monkeypatch):
    from spotdiff.viz import _save

    real_write = _save._write

    def full_disk(arr, path, fmt):
        real_write(arr, path, fmt)  # the earlier pictures were encoded fine ...
        if "mask" in path.name:  # ... the last one fails
            raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(_save, "_write", full_disk)
    ann, mask = tmp_path / "ann.png", tmp_path / "mask.png"
    ann.write_bytes(b"earlier annotated")
    assert main(["find", files["a"], files["b"], "-o", str(ann), "--mask", str(mask)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: [Errno 28] No space left on device")
    assert ann.read_bytes() == b"earlier annotated" and not mask.exists()
    assert _leftovers(tmp_path) == []


# the first picture is killed half written, whichever encoder writes it (PNG: OpenCV's bytes
# through Path.write_bytes; other formats: Pillow's save)
HALF_WRITE = """
import io, pathlib, time
from PIL import Image
_real = Image.Image.save
def _half_bytes(path, data):
    with open(path, "wb") as fh:
        fh.write(bytes(data)[: len(data) // 2])
    print("half written", flush=True)
    time.sleep(120)
def _half(self, fp, format=None, **kw):
    buf = io.BytesIO()
    _real(self, buf, format=format or "PNG", **kw)
    _half_bytes(fp, buf.getvalue())
Image.Image.save = _half
pathlib.Path.write_bytes = _half_bytes
"""


def _run_until(code: str, args: list[str], marker: str) -> None:
    """Start ``code`` + the CLI, wait until it prints ``marker``, then kill -9 it."""
    script = code + "\nimport sys\nfrom spotdiff.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in proc.stdout:
            if line.strip() == marker:
                break
        else:
            pytest.fail(f"the process ended (code {proc.wait()}) before printing {marker!r}")
        proc.kill()  # SIGKILL: no cleanup runs
    finally:
        proc.kill()
        proc.wait(timeout=60)


def test_kill_9_while_writing_keeps_the_earlier_picture(files, tmp_path, scenes):
    ann = tmp_path / "ann.png"
    Image.fromarray(scenes.scene(5)).save(ann)
    before = ann.read_bytes()
    _run_until(HALF_WRITE, ["find", files["a"], files["b"], "-o", str(ann)], "half written")
    assert ann.read_bytes() == before  # not a truncated PNG: the half file was a temporary one


SLOW_PAIR = """
import os, time
import spotdiff.detect as detect
_real = detect.find_prepared
_calls = []
def _slow(*args, **kwargs):
    _calls.append(1)
    if len(_calls) == int(os.environ["SLOW_PAIR"]):
        print("slow pair", flush=True)
        time.sleep(120)
    return _real(*args, **kwargs)
detect.find_prepared = _slow
"""


@pytest.mark.parametrize("killed_in", [1, 2])
def test_summary_after_kill_9_holds_whole_lines_only(tmp_path, monkeypatch, killed_in, scenes):
    d1, d2 = scenes.directories(tmp_path)
    Image.fromarray(scenes.scene(2)).save(d2 / "three.png")
    out = tmp_path / "out"
    out.mkdir()
    earlier = '{"name": "from an earlier run"}\n'
    (out / "summary.jsonl").write_text(earlier)
    monkeypatch.setenv("SLOW_PAIR", str(killed_in))
    # the patch lives in this process: --workers 1 runs the pairs here
    args = ["find", str(d1), str(d2), "-o", str(out), "--workers", "1"]
    _run_until(SLOW_PAIR, args, "slow pair")
    text = (out / "summary.jsonl").read_text()
    if killed_in == 1:  # nothing to write yet: the earlier summary is still there
        assert text == earlier
    else:  # the first pair's line, whole, in place of the earlier file
        assert text.endswith("\n") and text.count("\n") == 1
        assert json.loads(text)["name"] == "one"


def test_a_run_stopped_before_its_first_line_keeps_the_earliersummary_rows(
    tmp_path, monkeypatch, scenes
):
    d1, d2 = scenes.directories(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.jsonl").write_text('{"name": "from an earlier run"}\n')

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("spotdiff.detect.find_prepared", interrupted)
    assert main(["find", str(d1), str(d2), "-o", str(out), "--workers", "1"]) == 130
    assert (out / "summary.jsonl").read_text() == '{"name": "from an earlier run"}\n'
    assert _leftovers(out) == []


# ---------------------------------------------------------------------------- record format
def _record_before_to_record(path1, path2, result) -> dict:
    """The CLI's --json object as cli/find.py built it before DiffResult.to_record (schema 1)."""
    kinds = result.kind
    return {
        "schema_version": 1,
        "image1": str(path1),
        "image2": str(path2),
        "size": [int(v) for v in result.image_size],
        "aligned": bool(result.aligned),
        "transform": [[round(float(v), 6) for v in row] for row in result.transform],
        "regions": [
            {
                "box": [round(float(v), 2) for v in box],
                "score": round(float(result.scores[i]), 6),
                "area": int(result.area[i]),
                "kind": "changed" if kinds is None else str(kinds[i]),
            }
            for i, box in enumerate(result.boxes)
        ],
    }


def test_json_is_to_record_and_byte_compatible(files, tmp_path, capsys, monkeypatch, scenes):
    import spotdiff.detect as detect

    results = []
    real = detect.find_prepared
    monkeypatch.setattr(
        detect, "find_prepared", lambda *a, **k: results.append(real(*a, **k)) or results[-1]
    )
    assert main(["find", files["a"], files["b"], "--json", "--pad"]) == 1
    out = capsys.readouterr().out
    (result,) = results
    old = _record_before_to_record(files["a"], files["b"], result)
    assert out == json.dumps(old, allow_nan=False) + "\n"  # byte for byte
    record = result.to_record()
    assert json.loads(out) == {
        "schema_version": record["schema_version"],
        "image1": files["a"],
        "image2": files["b"],
        **{k: v for k, v in record.items() if k != "schema_version"},
    }
    d1, d2 = scenes.directories(tmp_path)
    (d1 / "three.png").unlink()
    results.clear()
    assert main(["find", str(d1), str(d2), "--json", "--workers", "1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    for line, result, name in zip(lines, results, ("one", "two"), strict=True):
        expected = {"schema_version": 1, "name": name}
        expected |= _record_before_to_record(d1 / f"{name}.png", d2 / f"{name}.png", result)
        assert line == json.dumps(expected | {"annotated": None}, allow_nan=False)


# ---------------------------------------------------------------------------- directories
def _unmatched_directories(tmp_path, scenes):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    Image.fromarray(scenes.scene(0)).save(d1 / "one.png")
    Image.fromarray(scenes.changed()).save(d2 / "one.png")
    Image.fromarray(scenes.scene(0)).save(d1 / "cat.png")
    Image.fromarray(scenes.scene(1)).save(d2 / "zebra.png")
    return d1, d2


def _check_unmatched_run(d1, d2, out, code, captured) -> None:
    assert code == 2  # a row failed
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert records == [
        json.loads(line) for line in (out / "summary.jsonl").read_text().splitlines()
    ]
    assert [r["name"] for r in records] == ["cat", "one", "zebra"]
    assert records[0] == {
        "schema_version": 1,
        "name": "cat",
        "image1": str(d1 / "cat.png"),
        "error": f"no file named cat.* in {d2}",
    }
    assert records[2] == {
        "schema_version": 1,
        "name": "zebra",
        "image2": str(d2 / "zebra.png"),
        "error": f"no file named zebra.* in {d1}",
    }
    assert len(records[1]["regions"]) == 1 and "error" not in records[1]
    assert captured.err.splitlines() == [
        f"spotdiff: error: cat: no file named cat.* in {d2}",
        f"spotdiff: error: zebra: no file named zebra.* in {d1}",
        "1 pair: 1 with differences, 0 without, 0 failed; 2 files without a match; pictures and "
        f"summary.jsonl in {out}",
    ]
    assert {p.name for p in out.iterdir()} == {"one.png", "summary.jsonl", "summary.run.json"}


def test_unmatched_files_are_rows_of_their_own(tmp_path, capsys, monkeypatch, scenes):
    # the CLI's side, with pair_directories as specified: never pairs different names
    from spotdiff.io import DirectoryPairs

    d1, d2 = _unmatched_directories(tmp_path, scenes)
    paired = DirectoryPairs(
        pairs=[("one", d1 / "one.png", d2 / "one.png")],
        only_in_1=[d1 / "cat.png"],
        only_in_2=[d2 / "zebra.png"],
    )
    monkeypatch.setattr("spotdiff.io._pairs.pair_directories", lambda a, b: paired)
    out = tmp_path / "out"
    code = main(["find", str(d1), str(d2), "-o", str(out), "--json"])
    _check_unmatched_run(d1, d2, out, code, capsys.readouterr())


def test_cat_is_never_compared_with_zebra(tmp_path, capsys, scenes):
    d1, d2 = _unmatched_directories(tmp_path, scenes)
    out = tmp_path / "out"
    code = main(["find", str(d1), str(d2), "-o", str(out), "--json"])
    _check_unmatched_run(d1, d2, out, code, capsys.readouterr())


def test_same_stem_pairs_get_pictures_of_their_own(tmp_path, capsys, scenes):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    for folder, img in ((d1, scenes.scene(0)), (d2, scenes.changed())):
        Image.fromarray(img).save(folder / "a.png")
        Image.fromarray(img).save(folder / "a.bmp")
    out = tmp_path / "out"
    assert main(["find", str(d1), str(d2), "-o", str(out)]) == 1
    capsys.readouterr()
    assert {p.name for p in out.iterdir()} == {
        "a.png.png",
        "a.bmp.png",
        "summary.jsonl",
        "summary.run.json",
    }


def test_a_large_pair_is_decoded_reduced_and_reported_in_original_pixels(tmp_path):
    """6000x4000 JPEGs with --max-side 512: decoded at 1/2; boxes and mask in original pixels,
    the annotated picture drawn at the decoded size."""
    w, h = 6000, 4000
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    img = np.stack([np.broadcast_to(x, (h, w)), np.broadcast_to(y, (h, w)), (x + y) / 2], -1)
    img = img.astype(np.uint8)
    img[::400] = 0
    img[:, ::400] = 0
    edited = img.copy()
    edited[1600:1900, 3000:3400] = (230, 20, 20)
    p1, p2 = tmp_path / "a.jpg", tmp_path / "b.jpg"
    Image.fromarray(img).save(p1, quality=92)
    Image.fromarray(edited).save(p2, quality=92)
    out = tmp_path / "out"
    args = ["find", str(p1), str(p2), "--max-side", "512", "--json"]
    code = main([*args, "-o", str(out / "ann.png"), "--mask", str(out / "mask.png")])
    assert code == 1
    with Image.open(out / "mask.png") as mask, Image.open(out / "ann.png") as ann:
        assert mask.size == (6000, 4000)
        assert ann.size[1] == 2000  # side by side at the decoded 3000x2000
        changed = np.asarray(mask) > 0
    ys, xs = np.nonzero(changed)
    assert abs(xs.min() - 3000) <= 60 and abs(ys.max() + 1 - 1900) <= 60


# ---------------------------------------------------------------------------- batch runner
def test_rows_are_identical_for_one_and_two_workers(tmp_path, capsys, scenes):
    d1, d2 = many(tmp_path, scenes, 5)
    runs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        code = main(["find", str(d1), str(d2), "-o", str(out), "--json", "--workers", workers])
        assert code == 2  # the corrupt pair and the unmatched file
        runs[workers] = (summary_rows(out), capsys.readouterr())
    assert runs["1"][0] == runs["2"][0]
    assert [r["name"] for r in runs["1"][0]] == ["bad", "lonely", "p00", "p01", "p02", "p03", "p04"]
    assert "error" in runs["1"][0][0] and "error" in runs["1"][0][1]
    assert runs["1"][0][1]["image1"].endswith("lonely.png") and "image2" not in runs["1"][0][1]
    out1, out2 = (c.out.replace(str(tmp_path / f"out{w}"), "OUT") for w, (_, c) in runs.items())
    assert out1 == out2  # stdout in row order too
    assert runs["1"][1].err == runs["2"][1].err.replace("out2", "out1")


def test_a_second_run_resumes_and_retry_errors_and_overwrite(tmp_path, capsys, scenes):
    d1, d2 = many(tmp_path, scenes, 2)
    out = tmp_path / "out"
    args = ["find", str(d1), str(d2), "-o", str(out), "--workers", "1"]
    assert main(args) == 2
    first = summary_rows(out)
    capsys.readouterr()
    assert main(args) == 2  # nothing redone; the exit code counts the rows kept
    captured = capsys.readouterr()
    assert (
        captured.out == ""
        and "3 pairs: 1 with differences, 1 without, 1 failed; 1 file without a match; 4 rows kept from an earlier run;"
        in captured.err
    )
    assert summary_rows(out) == first
    (d2 / "bad.png").write_bytes((d2 / "p01.png").read_bytes())  # fixed
    (d1 / "lonely.png").unlink()  # its error row is dropped, not redone
    assert main([*args, "--retry-errors"]) == 1
    assert capsys.readouterr().out == "bad: no differences\n"
    assert [r["name"] for r in summary_rows(out)] == ["p00", "p01", "bad"]
    assert main([*args, "--overwrite"]) == 1
    assert [r["name"] for r in summary_rows(out)] == ["bad", "p00", "p01"]
    assert main([*args, "--sensitivity", "0.9"]) == 1  # other options: starts again
    assert "written with other settings" in capsys.readouterr().err
    assert main(["find", str(d1 / "p00.png"), str(d2 / "p00.png"), "--workers", "2"]) == 2
    assert "--workers applies to two directories" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["kill -9", "ctrl-c"])
def test_a_stopped_workers_run_resumes_with_no_row_lost_or_doubled(tmp_path, scenes, how):
    import signal

    d1, d2 = many(tmp_path, scenes, 14, size=(600, 800))
    out, clean = tmp_path / "out", tmp_path / "clean"
    args = ["find", str(d1), str(d2), "-o", str(out), "--workers", "2"]
    # the whole process group: the parent and its workers
    code = stop_mid_run(args, out / "summary.jsonl", rows=3, how=how)
    assert code == (-signal.SIGKILL if how == "kill -9" else 130)
    text = (out / "summary.jsonl").read_bytes()
    done = text.count(b"\n")
    assert 3 <= done < 16 and (how == "kill -9" or text.endswith(b"\n"))  # whole lines only
    resumed = spotdiff(["find", str(d1), str(d2), "-o", str(out), "--workers", "2"])
    assert resumed.wait(timeout=300) == 2
    ref = spotdiff(["find", str(d1), str(d2), "-o", str(clean), "--workers", "1"])
    assert ref.wait(timeout=300) == 2
    rows, expected = summary_rows(out), summary_rows(clean)
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names)) == 16  # 0 rows lost, 0 duplicated
    assert rows == expected  # same rows, same order (rows are written in input order)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    if how == "ctrl-c":  # kill -9 may leave a worker's temporary picture (never a torn one)
        assert leftovers == []


@pytest.mark.parametrize(
    ("engine", "message"),
    [("spark", "engine must be one of 'local', 'ray'; got 'spark'"), ("LOCAL", None)],
)
def test_engine_is_checked_before_anything_is_written(tmp_path, capsys, scenes, engine, message):
    d1, d2 = scenes.directories(tmp_path)
    out = tmp_path / "out"
    code = main(["find", str(d1), str(d2), "-o", str(out), "--engine", engine, "--workers", "1"])
    captured = capsys.readouterr()
    if message is None:  # names are case-insensitive; local is the default engine
        assert code == 2 and captured.out.splitlines() == [
            "one: 1 difference",
            "two: no differences",
        ]
        return
    assert code == 2 and captured.out == ""
    assert captured.err == f"spotdiff: error: {message}\n"
    assert not out.exists()


# ---------------------------------------------------------------------------- --report memory
def _live_records() -> int:
    """Row records of find alive now (dicts with its keys), wherever they are held."""
    import gc

    keys = {"schema_version", "name", "image1", "image2", "regions"}
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is dict and keys <= o.keys())


def test_find_report_keeps_no_rows_in_memory(tmp_path, capsys, monkeypatch):
    # 200 small pairs (every 5th with a change): when the report is finished, the run's rows
    # are in its data.js, not in memory (before: a list of every record, built at the end)
    from spotdiff.viz.report import build

    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    rng = np.random.default_rng(1)
    for i in range(200):
        a = (rng.random((24, 32, 3)) * 30 + 100).astype(np.uint8)
        b = a.copy()
        if i % 5 == 0:
            b[6:16, 8:20] = (240, 20, 20)
        Image.fromarray(a).save(d1 / f"p{i:03d}.png")
        Image.fromarray(b).save(d2 / f"p{i:03d}.png")
    alive: list[int] = []
    asset = build._asset  # read when the report is put in place, after its last row

    def counting(name: str) -> bytes:
        alive.append(_live_records())
        return asset(name)

    monkeypatch.setattr(build, "_asset", counting)
    before = _live_records()  # held by earlier tests, if any
    rep = tmp_path / "rep"
    assert main(["find", str(d1), str(d2), "--report", str(rep), "--workers", "1"]) == 1
    capsys.readouterr()
    assert alive and max(alive) - before <= 2  # the last row at most, not 200
    text = (rep / "data.js").read_text()
    data = json.loads(text[len("window.SPOTDIFF_REPORT = ") : -2])
    assert data["counts"] == {"pairs": 200, "diff": 40, "same": 160, "error": 0}
    assert [r["n"] for r in data["rows"]] == [f"p{i:03d}" for i in range(200)]
    assert len(summary_rows(rep)) == 200
