"""`spotdiff imgdiff`: streaming JSONL, per-row errors, resume, config files, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect (extra 'models')")

from spotdiff.cli import main


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


@pytest.fixture
def dataset(tmp_path):
    rows = []
    for seed in range(3):
        a, b = _pair(tmp_path, seed)
        rows.append({"id": f"r{seed}", "image_path1": a, "image_path2": b,
                     "caption1": "A plane in the sky.", "caption2": "A boat in the sky."})  # fmt: skip
    rows.insert(2, {"id": "bad", "image_path1": "missing.png", "image_path2": rows[0]["image_path2"],
                    "caption1": "x", "caption2": "y"})  # fmt: skip
    path = tmp_path / "in.jsonl"
    text = "\n".join(json.dumps(r) for r in rows) + "\n\n{not json\n"
    path.write_text(text)
    return path


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_streams_rows_records_errors_and_continues(dataset, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    code = main(["imgdiff", str(dataset), "-o", str(out), "--backend", "classical",
                 "--image-root", str(tmp_path)])  # fmt: skip
    assert code == 2  # two rows failed, the others were written
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
    assert "not JSON" in errors[1]["error"]
    assert "3 written, 0 already done, 2 failed, of 5 rows" in capsys.readouterr().err


def test_resume_skips_done_rows_and_repairs_a_torn_line(dataset, tmp_path):
    out = tmp_path / "out.jsonl"
    args = ["imgdiff", str(dataset), "-o", str(out), "--backend", "classical",
            "--image-root", str(tmp_path), "--id-field", "id"]  # fmt: skip
    main(args)
    lines = out.read_text().splitlines()
    # keep the first row, tear the second (a crash mid-write)
    out.write_text(lines[0] + "\n" + lines[1][:20])
    assert main(args) == 2
    rows = _read(out)
    assert [r.get("id") for r in rows] == ["r0", "r1", "bad", "r2", None]
    # nothing left to do but the failed rows: resume skips all
    before = out.read_text()
    assert main(args) == 0
    assert out.read_text() == before
    # --retry-errors redoes the failed rows only
    assert main([*args, "--retry-errors"]) == 2
    rows = _read(out)
    assert sorted(r.get("id") or "-" for r in rows) == ["-", "bad", "r0", "r1", "r2"]
    assert sum("error" in r for r in rows) == 2


def test_config_file_plain_and_recipe(dataset, tmp_path):
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


@pytest.mark.parametrize(
    ("config", "args", "message"),
    [
        ("colour: 1\n", [], "unknown option(s) colour"),
        ("process:\n  - other_mapper: {}\n", [], "has no spotdiff_difference_area"),
        (None, ["--backend", "gpu"], "backend must be one of"),
    ],
)
def test_bad_options_exit_2_with_one_line(dataset, tmp_path, capsys, config, args, message):
    cmd = ["imgdiff", str(dataset), "-o", str(tmp_path / "o.jsonl"), *args]
    if config is not None:
        (tmp_path / "c.yaml").write_text(config)
        cmd += ["--config", str(tmp_path / "c.yaml")]
    assert main(cmd) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error:") and message in err
    assert not (tmp_path / "o.jsonl").exists()


def test_missing_input_file(tmp_path, capsys):
    assert main(["imgdiff", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
