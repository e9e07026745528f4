"""`spotdiff imgdiff IN.jsonl` on the batch runner (cli/_imgdiff_run.py): workers, kill -9 and
resume, the settings file, default workers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main
from spotdiff.cli._batch_run import model_engine
from spotdiff.cli._imgdiff_run import uses_models
from spotdiff.imgdiff import DifferenceAreaGenerator

from .batch_runs import spotdiff, stop_mid_run


@pytest.fixture(autouse=True)
def _captions():
    pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect ('models')")


def _dataset(tmp_path, n: int, size: tuple[int, int] = (72, 96), bad: bool = True):
    """``n`` rows over 3 pairs (a red block planted in image 2), then (``bad``) after the first
    row: a row with a missing image, a line that is not JSON, a row with a corrupt image and a
    line that is not UTF-8."""
    h, w = size
    for seed in range(3):
        rng = np.random.default_rng(seed)
        low = rng.integers(60, 200, size=(h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8)
        img1 = np.kron(low, np.ones((8, 8, 1), dtype=np.uint8))[:h, :w].copy()
        img2 = img1.copy()
        img2[h // 4 : h // 2, w // 3 : w * 2 // 3] = (230, 20, 20)
        Image.fromarray(img1).save(tmp_path / f"a{seed}.png")
        Image.fromarray(img2).save(tmp_path / f"b{seed}.png")
    rows = [
        {"id": f"r{i}", "image_path1": f"a{i % 3}.png", "image_path2": f"b{i % 3}.png",
         "caption1": "A plane in the sky.", "caption2": "A boat in the sky."}
        for i in range(n)
    ]  # fmt: skip
    lines = [json.dumps(r).encode() for r in rows]
    if bad:
        (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
        lines[1:1] = [
            json.dumps({**rows[0], "id": "bad", "image_path1": "missing.png"}).encode(),
            b"{no",
            json.dumps({**rows[0], "id": "corrupt", "image_path2": "corrupt.png"}).encode(),
            b'{"id": "latin", "caption1": "caf\xe9"}',
        ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _args(dataset, out, *extra):
    return ["imgdiff", str(dataset), "-o", str(out), "--backend", "classical",
            "--image-root", str(dataset.parent), *extra]  # fmt: skip


def test_two_workers_write_the_rows_of_one(tmp_path, one_and_two_workers):
    dataset = _dataset(tmp_path, 5)
    text, err1 = one_and_two_workers(lambda out: _args(dataset, out), 2)
    rows = [json.loads(x) for x in text.splitlines()]
    assert [r["__dj__meta__"]["spotdiff_line"] for r in rows] == list(range(1, 10))
    assert [r.get("id") for r in rows] == [
        "r0",
        "bad",
        None,
        "corrupt",
        None,
        "r1",
        "r2",
        "r3",
        "r4",
    ]
    assert "ImageReadError" in rows[1]["error"] and "missing.png" in rows[1]["error"]
    assert "line 3 is not JSON" in rows[2]["error"]
    assert "ImageReadError" in rows[3]["error"] and "corrupt.png" in rows[3]["error"]
    assert "line 5 is not UTF-8 text" in rows[4]["error"]
    assert all(len(r["__dj__meta__"]["__dj__bbox__"]) == 1 for r in rows if "error" not in r)
    assert "spotdiff: error: line 2: ImageReadError" in err1
    assert "5 written, 0 already done, 4 failed, of 9 rows" in err1


def test_kill_9_mid_run_then_resume_equals_a_clean_run(tmp_path):
    dataset = _dataset(tmp_path, 60, size=(240, 320))
    out, clean = tmp_path / "out.jsonl", tmp_path / "clean.jsonl"
    # default workers: classical backends use every core (a pool of worker processes here)
    stop_mid_run(_args(dataset, out, "--id-field", "id"), out, rows=3, how="kill -9")
    text = out.read_bytes()
    assert 3 <= text.count(b"\n") < 64
    assert (tmp_path / "out.run.json").exists()  # the settings, written with the first row
    resumed = spotdiff(_args(dataset, out, "--id-field", "id"))
    assert resumed.wait(timeout=300) == 2  # the bad rows
    assert b"already done" in resumed.stderr.read()
    ref = spotdiff(_args(dataset, clean, "--id-field", "id", "--workers", "1"))
    assert ref.wait(timeout=300) == 2
    lines, expected = out.read_text().splitlines(), clean.read_text().splitlines()
    assert len(lines) == len(set(lines)) == 64  # 0 rows lost, 0 duplicated
    assert lines == expected  # line for line


def test_other_settings_start_again_with_a_warning(tmp_path, capsys):
    dataset = _dataset(tmp_path, 2, bad=False)
    out = tmp_path / "out.jsonl"
    assert main(_args(dataset, out, "--workers", "1")) == 0
    settings = json.loads((tmp_path / "out.run.json").read_text())
    assert settings["command"] == "imgdiff" and settings["backend"] == "classical"
    capsys.readouterr()
    assert main(_args(dataset, out, "--workers", "2")) == 0  # workers: same rows, resumed
    assert "0 written, 2 already done" in capsys.readouterr().err
    config = tmp_path / "c.yaml"
    config.write_text("image_pair_similarity_filter_args: {max_score_1: 0.5}\n")
    assert main(_args(dataset, out, "--config", str(config), "--workers", "1")) == 0
    err = capsys.readouterr().err
    assert "was written with other settings; this run starts again" in err
    assert "2 written, 0 already done" in err
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["__dj__meta__"]["spotdiff_imgdiff"]["filtered_at"] for r in rows] == [
        "similarity",
        "similarity",
    ]


def test_an_output_without_settings_file_starts_again_with_a_warning(tmp_path, capsys):
    dataset = _dataset(tmp_path, 2, bad=False)
    out = tmp_path / "out.jsonl"
    out.write_text('{"__dj__meta__": {"spotdiff_line": 1}, "old": true}\n')  # an older run's
    assert main(_args(dataset, out, "--workers", "1")) == 0
    err = capsys.readouterr().err
    assert f"warning: {out} has no settings file out.run.json" in err
    assert "2 written, 0 already done" in err
    assert not any("old" in json.loads(x) for x in out.read_text().splitlines())


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_bad_workers_is_one_error_line(tmp_path, capsys, workers):
    dataset = _dataset(tmp_path, 1, bad=False)
    assert main(_args(dataset, tmp_path / "o.jsonl", "--workers", workers)) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"spotdiff: error: --workers {workers}: give 1 or more processes"
    assert not (tmp_path / "o.jsonl").exists()


def test_default_workers_one_with_models_else_the_cores(monkeypatch):
    classical = DifferenceAreaGenerator(backend="classical").prepare()
    assert not uses_models(classical)
    monkeypatch.setattr("spotdiff.batch.default_workers", lambda: 7)
    assert model_engine(None, "local", models=uses_models(classical)).workers == 7
    models = type(classical)(None, None, None, names={"similarity": "clip"})
    assert uses_models(models)
    assert model_engine(None, "local", models=uses_models(models)).workers == 1


def _models_config(tmp_path, tiny) -> Path:
    config = tmp_path / "models.yaml"
    config.write_text(
        f"image_pair_similarity_filter_args: {{hf_clip: {tiny['clip']}, min_score_1: 0.0,"
        " max_score_1: 1.0, min_score_2: 0.0, max_score_2: 1.0}\n"
        f"image_text_matching_filter_args: {{hf_blip: {tiny['blip_high']}}}\n"
        "backend: {similarity: models, matching: models, segmentation: classical}\n"
        "device: cpu\n"
    )
    return config


def test_tiny_models_in_two_workers_write_the_rows_of_one(
    tmp_path, tiny_models, one_and_two_workers
):
    dataset = _dataset(tmp_path, 4)
    config = _models_config(tmp_path, tiny_models)
    # --workers 2: each worker process loads the tiny models in its setup
    text, err = one_and_two_workers(
        lambda out: ["imgdiff", str(dataset), "-o", str(out), "--config", str(config),
                     "--image-root", str(tmp_path)],
        2,
        messages=False,  # model loading prints progress bars where the models load
    )  # fmt: skip
    assert "spotdiff: similarity: clip; segmentation: find; matching: blip" in err
    rows = [json.loads(x) for x in text.splitlines() if "error" not in x]
    summary = rows[0]["__dj__meta__"]["spotdiff_imgdiff"]
    assert summary["backends"]["similarity"] == "clip" and summary["forward_passes"]


def test_models_load_once_per_worker_in_setup(tiny_models, tmp_path):
    import pickle

    from spotdiff.cli._imgdiff_run import ImgdiffTask

    op = DifferenceAreaGenerator(
        {"hf_clip": tiny_models["clip"]}, None, None, backend={"similarity": "models"},
        device="cpu",
    )  # fmt: skip
    backends = op.prepare()  # the parent, naming the backends
    task = ImgdiffTask(op, None, None)
    assert task.setup() is backends  # one worker: this process, the models it loaded
    assert model_engine(None, "local", models=uses_models(backends)).workers == 1
    shipped = pickle.loads(pickle.dumps(task))  # what a worker process gets: no models
    assert shipped.op._backends is None
    loaded = shipped.setup()
    assert loaded is not backends and loaded.names == backends.names
    assert shipped.setup() is loaded  # once per worker
