"""`spotdiff bench`: a tiny run prints its tables or JSON; bad options are one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main

pytest.importorskip("skimage")

TINY = ["bench", "--pairs", "2", "--size", "320x180", "--nuisances", "none,noise"]
MANIFEST = Path(__file__).resolve().parent.parent / "fixtures" / "real" / "pairs.json"


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("spotdiff: error: "), err
    assert "Traceback" not in err and "unexpected" not in err
    return lines[0]


def test_tiny_run_prints_the_tables_with_spotdiff_and_the_baselines(capsys):
    assert main([*TINY, "--edits", "added"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("2 pairs, 320x180, seed 0, boxes matched at IoU >= 0.5\n")
    assert "| group | pairs | boxes | spotdiff F1 | absdiff F1 | ssim F1 |" in out
    assert "| overall | 2 |" in out and "| nuisance:noise | 1 |" in out
    assert "| spotdiff F1 | none | noise |" in out  # the edit x nuisance matrix
    rows = [line for line in out.splitlines() if line.startswith("| spotdiff | ")]
    assert len(rows) == 1 and len(rows[0].split("|")) == 12  # 10 cells


def test_cli_bench_json_and_table(capsys):
    args = TINY
    assert main([*args, "--detector", "absdiff", "--no-baselines", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["detectors"] == ["absdiff"] and len(out["pairs"]) == 2
    assert main([*args, "--detector", "absdiff:min_area=0"]) == 0
    text = capsys.readouterr().out
    assert "absdiff F1 | ssim F1" in text
    assert main([*args, "--edits", "erased"]) == 2
    assert "erased" in capsys.readouterr().err


def test_json_settings_follow_the_options(capsys):
    args = [*TINY, "--seed", "3", "--max-edits", "1", "--iou", "0.3", "--edits", "moved"]
    assert main([*args, "--detector", "absdiff", "--no-baselines", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["settings"] == {
        "n_pairs": 2,
        "size": "320x180",
        "seed": 3,
        "edits": ["moved"],
        "nuisances": ["none", "noise"],
        "max_edits": 1,
        "iou": 0.3,
    }
    assert [p["kinds"] for p in out["pairs"]] == [["moved"] * len(out["pairs"][0]["kinds"])] * 2


def test_detector_alias_does_not_run_its_baseline_twice(capsys):
    # regression: "absdiff_otsu" (or "ABSDIFF") is absdiff, but it was kept under its alias and
    # absdiff ran a second time as a baseline
    assert main([*TINY, "--detector", "absdiff_otsu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["detectors"] == ["absdiff", "ssim"]
    assert main([*TINY, "--detector", "SSIM", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["detectors"] == ["ssim", "absdiff"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["--pairs", "0"], "--pairs"),
        (["--size", "big"], "size must be (width, height) or 'WxH'"),
        (["--size", "64x48"], "size 64x48 leaves objects at most 22 px"),
        (["--iou", "2"], "iou must be <= 1"),
        (["--nuisances", "fog"], "unknown nuisance 'fog'"),
        (["--edits", ","], "edits must name at least one of added"),
        (["--detector", "absdif"], "unknown detector 'absdif'"),
        (["--detector", "absdiff:min_area"], "options must look like name:key=value"),
        (["--detector", "absdiff:nope=1"], "nope"),
        (["--real", "missing.json"], "no such manifest"),
        (["--masks", "masks.json"], "--masks needs --real MANIFEST"),
    ],
)
def test_bad_options_give_one_error_line_and_exit_2(extra, message, capsys):
    assert main(["bench", "--pairs", "1", "--size", "320x180", *extra]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in _one_error_line(err)


def test_a_size_too_small_to_plant_is_a_user_error_not_a_bug(capsys):
    # regression: make_scene raised RuntimeError, reported as "unexpected ... a bug in spotdiff"
    args = ["bench", "--pairs", "1", "--size", "96x64", "--seed", "1", "--edits", "moved"]
    assert main([*args, "--nuisances", "none", "--detector", "absdiff", "--no-baselines"]) == 0
    capsys.readouterr()
    args = ["bench", "--pairs", "10", "--size", "96x64", "--seed", "1", "--edits", "moved"]
    assert main([*args, "--nuisances", "none", "--detector", "absdiff", "--no-baselines"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "could not plant a visible 'moved' edit in scene 1 at 96x64" in line
    assert "use a larger size (at least 160x90)" in line


def test_bench_cli_scores_a_real_manifest(capsys):
    code = main(["bench", "--real", str(MANIFEST), "--no-baselines", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["groups"]["overall"]["spotdiff"]["n_pairs"] == 4
    assert out["detectors"] == ["spotdiff"]


def test_bench_cli_scores_change_masks_from_a_masks_file(tmp_path, capsys):
    a = np.full((60, 80, 3), 90, np.uint8)
    b = a.copy()
    b[20:40, 30:50] = 220
    for name, img in (("s_1.png", a), ("s_2.png", b)):
        Image.fromarray(img).save(tmp_path / name)
    mask = np.zeros((60, 80), np.uint8)
    mask[20:40, 30:50] = 255
    Image.fromarray(mask).save(tmp_path / "s_mask.png")
    entry = {"name": "s", "image1": "s_1.png", "image2": "s_2.png", "boxes": [[30, 20, 50, 40]]}
    (tmp_path / "pairs.json").write_text(json.dumps([dict(entry, condition="aerial")]))
    (tmp_path / "masks.json").write_text(json.dumps({"s": "s_mask.png"}))
    args = ["bench", "--real", str(tmp_path / "pairs.json"), "--detector", "absdiff"]
    assert main([*args, "--masks", str(tmp_path / "masks.json"), "--no-baselines"]) == 0
    out = capsys.readouterr().out
    assert "| mask F1 | pixels | absdiff |" in out
    assert "| s | 400 | 1.000 |" in out and "| nuisance:aerial | 400 | 1.000 |" in out
    assert main([*args, "--no-baselines"]) == 0  # no masks file: no mask table
    assert "mask F1 | pixels" not in capsys.readouterr().out


def test_help_names_the_options(capsys):
    assert main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--pairs", "--size", "--seed", "--edits", "--nuisances", "--detector"):
        assert option in out
    assert "|img1 - img2|" in out
