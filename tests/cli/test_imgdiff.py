"""`spotdiff imgdiff`: streaming JSONL, per-row errors, resume, config files, exit codes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from spotdiff._errors import SpotdiffWarning
from spotdiff.cli import main
from spotdiff.imgdiff import Backends, DifferenceAreaGenerator

CLASSICAL = ["--backend", "classical"]


@pytest.fixture
def captions():
    """Rows are processed for real: caption comparison needs lemminflect."""
    pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect ('models')")


def _pair(tmp_path, seed):
    rng = np.random.default_rng(seed)
    low = rng.integers(60, 200, size=(10, 13, 3)).astype(np.uint8)
    img1 = np.kron(low, np.ones((8, 8, 1), dtype=np.uint8))[:72, :96].copy()
    img2 = img1.copy()
    img2[20:40, 40:64] = (230, 20, 20)
    p1, p2 = tmp_path / f"a{seed}.png", tmp_path / f"b{seed}.png"
    Image.fromarray(img1).save(p1)
    Image.fromarray(img2).save(p2)
    return p1.name, p2.name


def _row(tmp_path, seed, **extra):
    a, b = _pair(tmp_path, seed)
    return {"id": f"r{seed}", "image_path1": a, "image_path2": b,
            "caption1": "A plane in the sky.", "caption2": "A boat in the sky.", **extra}  # fmt: skip


@pytest.fixture
def dataset(tmp_path):
    rows = [_row(tmp_path, seed) for seed in range(3)]
    rows.insert(2, {"id": "bad", "image_path1": "missing.png", "image_path2": rows[0]["image_path2"],
                    "caption1": "x", "caption2": "y"})  # fmt: skip
    path = tmp_path / "in.jsonl"
    text = "\n".join(json.dumps(r) for r in rows) + "\n\n{not json\n"
    path.write_text(text)
    return path


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _run(dataset, out, *extra):
    return main(["imgdiff", str(dataset), "-o", str(out), *CLASSICAL,
                 "--image-root", str(dataset.parent), *extra])  # fmt: skip


def _one_error_line(err, message):
    lines = err.splitlines()
    assert [x for x in lines if x.startswith("spotdiff: error:")] == [lines[-1]], err
    assert message in lines[-1] and "Traceback" not in err


def test_streams_rows_records_errors_and_continues(captions, dataset, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert _run(dataset, out) == 2  # two rows failed, the others were written
    rows = _read(out)
    assert [r["__dj__meta__"]["spotdiff_line"] for r in rows] == [1, 2, 3, 4, 6]
    good = [r for r in rows if "error" not in r]
    assert [r["id"] for r in good] == ["r0", "r1", "r2"]
    for r in good:
        (box,) = r["__dj__meta__"]["__dj__bbox__"]
        assert abs(box[0] - 52) <= 1.5 and abs(box[1] - 30) <= 1.5
        assert r["__dj__meta__"]["spotdiff_imgdiff"]["backends"]["segmentation"] == "find"
    errors = [r for r in rows if "error" in r]
    assert errors[0]["id"] == "bad" and "ImageReadError" in errors[0]["error"]
    assert "missing.png" in errors[0]["error"]
    assert "line 6 is not JSON" in errors[1]["error"]
    assert "3 written, 0 already done, 2 failed, of 5 rows" in capsys.readouterr().err


# 1. -o naming the input file ------------------------------------------------------------------


class _Deadline(BaseException):
    """Raised by the timer below; not an Exception, so no per-row handler swallows it."""


@contextlib.contextmanager
def _deadline(seconds):
    """Stop an endless loop in-process (the bug this guards against) instead of hanging."""

    def stop(signum, frame):
        raise _Deadline(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink", "hardlink"])
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_output_that_is_the_input_is_refused(dataset, tmp_path, capsys, spelling, overwrite):
    before = dataset.read_bytes()
    (tmp_path / "sub").mkdir()
    out = {
        "same": dataset,
        "dotdot": tmp_path / "sub" / ".." / dataset.name,
        "symlink": tmp_path / "link.jsonl",
        "hardlink": tmp_path / "hard.jsonl",
    }[spelling]
    if spelling == "symlink":
        out.symlink_to(dataset)
    if spelling == "hardlink":
        os.link(dataset, out)
    with _deadline(30):
        assert _run(dataset, out, *overwrite) == 2
    _one_error_line(capsys.readouterr().err, "is the input file")
    assert dataset.read_bytes() == before


def test_output_that_is_the_input_exits_at_once_in_a_real_process(dataset, tmp_path):
    # it used to append to the file it was reading: an endless loop
    cmd = [sys.executable, "-m", "spotdiff", "imgdiff", str(dataset), "-o", str(dataset)]
    env = {**os.environ, "SPOTDIFF_DEBUG": ""}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("spotdiff: error: -o ") and proc.stderr.count("\n") == 1


def test_output_that_is_a_directory_is_refused(dataset, tmp_path, capsys):
    assert _run(dataset, tmp_path) == 2
    _one_error_line(capsys.readouterr().err, "is a directory")


# 2. lines that are not UTF-8 / JSON / objects / rows --------------------------------------------


def test_bad_lines_become_error_rows_and_the_run_goes_on(captions, tmp_path, capsys):
    good = json.dumps(_row(tmp_path, 0)).encode()
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + good + b"\n"  # a UTF-8 byte-order mark is fine
        + b'{"id": "latin", "caption1": "caf\xe9"}\n'  # latin-1, not UTF-8
        + b"[1, 2]\n"
        + b'{"id": "nofields", "caption1": "x"}\r\n'
        + b"\n"
        + json.dumps(_row(tmp_path, 1)).encode() + b"\n"
    )  # fmt: skip
    out = tmp_path / "out.jsonl"
    assert _run(path, out) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "2 written, 0 already done, 3 failed, of 5 rows" in err
    rows = _read(out)
    assert [r["__dj__meta__"]["spotdiff_line"] for r in rows] == [1, 2, 3, 4, 6]
    assert [r.get("id") for r in rows] == ["r0", None, None, "nofields", "r1"]
    assert rows[1]["error"].startswith("InvalidOptionError: line 2 is not UTF-8 text (byte 0xe9")
    assert "line 3 is not a JSON object (got list)" in rows[2]["error"]
    assert "missing field(s) image_path1, image_path2" in rows[3]["error"]
    assert "error" not in rows[0] and "error" not in rows[4]


# 3. --config problems: one line naming the file -------------------------------------------------


# (every --config problem through the command: tests/cli/test_imgdiff_config.py)


def test_config_file_plain_and_recipe(captions, dataset, tmp_path):
    plain = tmp_path / "cfg.yaml"
    plain.write_text("image_pair_similarity_filter_args:\n  max_score_1: 0.5\nbackend: classical\n")
    out = tmp_path / "o1.jsonl"
    main(["imgdiff", str(dataset), "-o", str(out), "--config", str(plain),
          "--image-root", str(tmp_path)])  # fmt: skip
    good = [r for r in _read(out) if "error" not in r]
    assert all(r["__dj__meta__"]["__dj__bbox__"] == [[0, 0, 0, 0]] for r in good)
    assert good[0]["__dj__meta__"]["spotdiff_imgdiff"]["filtered_at"] == "similarity"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "dataset_path: x.jsonl\nprocess:\n  - language_id_score_filter: {}\n"
        "  - spotdiff_difference_area_generator_mapper:\n      backend: classical\n"
        "      crop_batch_size: 8\n      meta_key: null\n"
    )
    out = tmp_path / "o2.jsonl"
    main(["imgdiff", str(dataset), "-o", str(out), "--config", str(recipe),
          "--image-root", str(tmp_path)])  # fmt: skip
    good = [r for r in _read(out) if "error" not in r]
    assert set(good[0]["__dj__meta__"]) == {"__dj__bbox__", "spotdiff_line"}


# 4. + 6. resume: failed rows count, torn last line, foreign files ----------------------------


def test_resume_counts_error_rows_already_in_the_output(captions, dataset, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert _run(dataset, out) == 2
    capsys.readouterr()
    before = out.read_bytes()
    # nothing left to do but the 2 failed rows: still exit 2, and the summary says so
    assert _run(dataset, out) == 2
    err = capsys.readouterr().err
    assert "0 written, 5 already done, 2 failed (2 from an earlier run; --retry-errors" in err
    assert out.read_bytes() == before
    # --retry-errors redoes them (they fail again: the image is still missing)
    assert _run(dataset, out, "--retry-errors") == 2
    assert "0 written, 3 already done, 2 failed, of 5 rows" in capsys.readouterr().err
    rows = _read(out)
    assert [r["__dj__meta__"]["spotdiff_line"] for r in rows] == [1, 2, 4, 3, 6]
    assert sum("error" in r for r in rows) == 2
    # once the image exists, --retry-errors fixes the row; only the bad JSON line still fails
    Image.open(dataset.parent / "a0.png").save(dataset.parent / "missing.png")
    assert _run(dataset, out, "--retry-errors") == 2
    rows = _read(out)
    assert [r.get("id") for r in rows if "error" not in r] == ["r0", "r1", "r2", "bad"]
    assert "1 written, 3 already done, 1 failed" in capsys.readouterr().err


def test_resume_with_only_good_rows_exits_0(captions, tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(_row(tmp_path, s)) + "\n" for s in range(2)))
    out = tmp_path / "out.jsonl"
    assert _run(path, out) == 0
    assert _run(path, out) == 0
    assert "0 written, 2 already done, 0 failed, of 2 rows" in capsys.readouterr().err


def test_resume_cuts_a_torn_last_line_with_a_warning(captions, dataset, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    args = ("--id-field", "id")
    _run(dataset, out, *args)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[1][:20])  # a crash in the middle of writing row 2
    capsys.readouterr()
    assert _run(dataset, out, *args) == 2
    err = capsys.readouterr().err
    assert "spotdiff: warning: " in err and "dropped its torn last line (20 bytes" in err
    rows = _read(out)
    assert rows[0] == json.loads(lines[0])  # what was there is kept as it was
    assert [r.get("id") for r in rows] == ["r0", "r1", "bad", "r2", None]
    assert "2 written, 1 already done, 2 failed, of 5 rows" in err


def test_resume_adds_the_newline_a_last_complete_row_lacks(captions, dataset, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    _run(dataset, out)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[1].rstrip(b"\n"))  # complete, only the newline is missing
    capsys.readouterr()
    _run(dataset, out)
    assert "1 written, 2 already done, 2 failed" in capsys.readouterr().err  # row 2 was kept
    rows = _read(out)  # no two rows merged on one line
    assert [r["__dj__meta__"]["spotdiff_line"] for r in rows] == [1, 2, 3, 4, 6]
    assert out.read_bytes().startswith(lines[0] + lines[1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,score\na,1\nb,2\n", "line 1 is not JSON"),
        ('{"id": 1}\n{"id": 2}\n', "line 1 has no __dj__meta__.spotdiff_line"),
    ],
)
def test_resume_refuses_an_output_that_is_not_ours(dataset, tmp_path, capsys, content, message):
    out = tmp_path / "notes.csv"
    out.write_text(content)
    assert _run(dataset, out) == 2
    _one_error_line(capsys.readouterr().err, message)
    assert out.read_text() == content  # untouched


def test_overwrite_keeps_the_old_output_until_the_run_is_done(dataset, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_text('{"__dj__meta__": {"spotdiff_line": 1}, "old": true}\n')
    calls = []

    def interrupted(self, sample, rank=None):
        calls.append(sample)
        raise KeyboardInterrupt

    monkeypatch.setattr(DifferenceAreaGenerator, "process_single", interrupted)
    # --workers 1: the rows run in this process, where the patch is
    assert _run(dataset, out, "--overwrite", "--workers", "1") == 130
    assert calls and _read(out) == [{"__dj__meta__": {"spotdiff_line": 1}, "old": True}]
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == ["in.jsonl", "out.jsonl"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl")]


def test_overwrite_replaces_the_output_keeping_its_mode(dataset, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"__dj__meta__": {"spotdiff_line": 1}, "old": true}\n')
    out.chmod(0o640)
    _run(dataset, out, "--overwrite")
    rows = _read(out)
    assert len(rows) == 5 and not any("old" in r for r in rows)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    link = tmp_path / "link.jsonl"  # through a symlink: the link stays, its target is new
    link.symlink_to(out)
    _run(dataset, link, "--overwrite")
    assert link.is_symlink() and len(_read(out)) == 5


# (kill -9 mid-run and resume: tests/cli/test_imgdiff_run.py)


# 5. --id-field ----------------------------------------------------------------------------------


def test_id_field_missing_from_the_first_row_is_one_error_line(dataset, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert _run(dataset, out, "--id-field", "uid") == 2
    _one_error_line(capsys.readouterr().err, "--id-field 'uid': the first row (line 1) has no")
    assert not out.exists()


def test_id_field_missing_from_a_later_row_is_an_error_row(captions, tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    rows = [_row(tmp_path, 0), _row(tmp_path, 1, id=None), _row(tmp_path, 2)]
    del rows[2]["id"]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    assert _run(path, out, "--id-field", "id") == 2
    got = _read(out)
    assert "error" not in got[0]
    for row in got[1:]:
        assert row["error"] == (
            "InvalidOptionError: row has no field 'id' (--id-field); add it, or leave "
            "--id-field out to key rows by line number"
        )
    # keyed by line number: a resume does not add them again
    assert _run(path, out, "--id-field", "id") == 2
    assert len(_read(out)) == 3
    assert "0 written, 3 already done, 2 failed" in capsys.readouterr().err


# 7. warnings ------------------------------------------------------------------------------------


def test_python_warnings_are_one_line_each(captions, dataset, tmp_path, capsys, monkeypatch):
    original = DifferenceAreaGenerator.process_single

    def warns(self, sample, rank=None):
        warnings.warn("odd pixel\n  format", UserWarning, stacklevel=1)
        warnings.warn("resized image 2", SpotdiffWarning, stacklevel=1)
        return original(self, sample, rank)

    monkeypatch.setattr(DifferenceAreaGenerator, "process_single", warns)
    assert _run(dataset, tmp_path / "out.jsonl", "--workers", "1") == 2  # the patch is here
    lines = capsys.readouterr().err.splitlines()
    assert [x for x in lines if x.startswith("spotdiff: warning")] == [
        "spotdiff: warning: odd pixel format",
        "spotdiff: warning: resized image 2",
    ]


# 8. the backends line ---------------------------------------------------------------------------


def _backends_lines(err):
    # not the warnings, nor the line naming each failed row ("spotdiff: error: line N: ...")
    return [
        x
        for x in err.splitlines()
        if x.startswith("spotdiff: ") and ": warning: " not in x and ": error: line " not in x
    ]


def test_one_line_says_which_backends_run(dataset, tmp_path, capsys):
    _run(dataset, tmp_path / "out.jsonl")
    expected = DifferenceAreaGenerator(backend="classical").prepare().describe()
    err = capsys.readouterr().err
    assert _backends_lines(err) == [f"spotdiff: {expected}"]
    assert "similarity: structural" in expected and "segmentation: find" in expected
    assert "using skipped" not in err


def test_fallbacks_are_named_in_the_backends_line(dataset, tmp_path, capsys):
    # models asked for (auto) but not there: the line says what ran instead, and why
    config = tmp_path / "c.yaml"
    config.write_text(
        f"image_pair_similarity_filter_args: {{hf_clip: {tmp_path / 'no-clip'}}}\n"
        f"image_text_matching_filter_args: {{hf_blip: {tmp_path / 'no-blip'}}}\n"
        "backend: {segmentation: classical}\n"
    )
    main(["imgdiff", str(dataset), "-o", str(tmp_path / "o.jsonl"), "--config", str(config)])
    err = capsys.readouterr().err
    (line,) = _backends_lines(err)
    assert line.startswith("spotdiff: similarity: structural (") and "matching: skipped (" in line
    assert "using skipped" not in err and "spotdiff imgdiff" not in err and "Traceback" not in err


def test_backends_line_is_one_line(dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Backends, "describe", lambda self: "similarity:\n  structural")
    _run(dataset, tmp_path / "out.jsonl")
    assert _backends_lines(capsys.readouterr().err) == ["spotdiff: similarity: structural"]


# 9. option names and checks ---------------------------------------------------------------------


def test_help_names_the_shared_options(capsys):
    assert main(["imgdiff", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--backend", "--batch-size", "--device", "--id-field", "--retry-errors"):
        assert option in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "gpu"], "backend must be one of"),
        (["--device", "toaster"], "device 'toaster' is not a torch device"),
        (["--batch-size", "0"], "--batch-size must be >= 1; got 0"),
    ],
)
def test_bad_options_exit_2_with_one_line(dataset, tmp_path, capsys, args, message):
    assert main(["imgdiff", str(dataset), "-o", str(tmp_path / "o.jsonl"), *args]) == 2
    _one_error_line(capsys.readouterr().err, message)
    assert not (tmp_path / "o.jsonl").exists()


def test_cuda_device_without_a_gpu_is_one_error_line(dataset, tmp_path, capsys):
    torch = pytest.importorskip("torch", reason="device names are checked by torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU: --device cuda is valid here")
    out = tmp_path / "o.jsonl"
    assert main(["imgdiff", str(dataset), "-o", str(out), *CLASSICAL, "--device", "cuda"]) == 2
    _one_error_line(capsys.readouterr().err, "device 'cuda': this torch build sees no CUDA GPU")
    assert not out.exists()


def test_missing_input_file(tmp_path, capsys):
    assert main(["imgdiff", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "o.jsonl")]) == 2
    _one_error_line(capsys.readouterr().err, "no such file")


def test_report_option_writes_the_html_report_of_the_output(captions, dataset, tmp_path, capsys):
    out, report = tmp_path / "out.jsonl", tmp_path / "report"
    assert _run(dataset, out, "--report", str(report)) == 2  # the dataset holds bad rows
    err = capsys.readouterr().err
    assert f"report: {report / 'index.html'}" in err
    page = (report / "index.html").read_text()
    data = (report / "data.js").read_text()
    assert "spotdiff report" in page
    assert data.count('"error"') >= 2 and "out.jsonl" in page  # failed rows shown, titled


def test_the_engine_is_made_once(dataset, tmp_path, capsys, monkeypatch):
    # --workers checked before the backends load, the engine made after them (before: a
    # throwaway engine for the check, then the run's)
    from spotdiff.batch import LocalEngine, _engines

    made = []

    class Counted(LocalEngine):
        def __init__(self, workers=None):
            made.append(workers)
            super().__init__(workers)

    monkeypatch.setattr(_engines, "LocalEngine", Counted)
    assert _run(dataset, tmp_path / "o.jsonl", "--workers", "1") == 2  # the bad rows
    capsys.readouterr()
    assert made == [1]
    assert len(_read(tmp_path / "o.jsonl")) == 5
