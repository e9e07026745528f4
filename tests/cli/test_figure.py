"""``spotdiff figure`` (spotdiff.cli.figure): files, directories, --json, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main


@pytest.fixture
def methods(tmp_path, scenes):
    ref = scenes.scene(0)
    paths = {"ref": tmp_path / "ref.png", "a": tmp_path / "a.png", "b": tmp_path / "b.png"}
    Image.fromarray(ref).save(paths["ref"])
    Image.fromarray(scenes.changed(0)).save(paths["a"])
    b = ref.copy()
    b[10:30, 10:30] = 0
    Image.fromarray(b).save(paths["b"])
    return {k: str(v) for k, v in paths.items()}


def test_png_and_json(tmp_path, methods, capsys):
    out = tmp_path / "fig.png"
    args = [
        "figure",
        methods["ref"],
        methods["a"],
        methods["b"],
        "-o",
        str(out),
        "--names",
        "A,B",
        "--json",
        "--no-lpips",
        "--inset-size",
        "24",
    ]
    assert main(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in record["methods"]] == ["Reference", "A", "B"]
    assert len(record["insets"]) == 2
    for inset in record["insets"]:
        x1, y1, x2, y2 = inset["box"]
        assert (x2 - x1, y2 - y1) == (24, 24)
    picture = np.asarray(Image.open(out))
    assert picture.ndim == 3 and picture.shape[0] > picture.shape[1]  # one row per image


def test_pdf_with_options(tmp_path, methods, capsys):
    out = tmp_path / "fig.pdf"
    args = [
        "figure",
        methods["ref"],
        methods["a"],
        "-o",
        str(out),
        "--layout",
        "columns",
        "--box",
        "10,10,40,40",
        "--colours",
        "#00ff00",
        "--font-size",
        "9",
        "--no-lpips",
    ]
    assert main(args) == 0
    assert out.read_bytes().startswith(b"%PDF-1.4")
    assert capsys.readouterr().err == f"figure: {out}\n"


def test_directories(tmp_path, methods, capsys):
    gt, m1 = tmp_path / "gt", tmp_path / "m1"
    gt.mkdir()
    m1.mkdir()
    for name in ("x", "y"):
        Image.open(methods["ref"]).save(gt / f"{name}.png")
    Image.open(methods["a"]).save(m1 / "x.png")
    code = main(
        [
            "figure",
            str(gt),
            str(m1),
            "-o",
            str(tmp_path / "figs"),
            "--format",
            "pdf",
            "--json",
            "--no-lpips",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2  # y has no output of m1
    assert "spotdiff: error: y: no image named y.* in" in captured.err
    assert [json.loads(x)["output"] for x in captured.out.splitlines()] == [
        str(tmp_path / "figs" / "x.pdf")
    ]
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["x.pdf"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "{tmp}/f.txt"], "cannot write a .txt figure"),
        (["-o", "{tmp}/f.png", "--layout", "spiral"], "layout must be one of"),
        (["-o", "{tmp}/f.png", "--box", "1,2,3"], "--box '1,2,3': expected x1,y1,x2,y2"),
        (["-o", "{tmp}/f.png", "--names", "A,B,C"], "3 names for 2 methods"),
        (["-o", "{tmp}/f.png", "--lpips"], "LPIPS"),
    ],
)
def test_errors_are_one_line(tmp_path, methods, capsys, monkeypatch, extra, message):
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    args = ["figure", methods["ref"], methods["a"], methods["b"]]
    args += [a.replace("{tmp}", str(tmp_path)) for a in extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: ") and message in err and err.count("\n") == 1


def test_reference_only_and_mixed_inputs(tmp_path, methods, capsys):
    assert main(["figure", methods["ref"], "-o", str(tmp_path / "f.png")]) == 2
    assert "at least one method" in capsys.readouterr().err
    assert main(["figure", methods["ref"], str(tmp_path), "-o", str(tmp_path / "f.png")]) == 2
    assert "files only, or directories only" in capsys.readouterr().err
