"""`spotdiff find`: table, JSON schema, pictures, ignore areas, exit codes, errors, directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main

CHANGE = (70, 40, 95, 60)  # x1, y1, x2, y2 of the planted change in image 2


def _scene(seed: int, h: int = 120, w: int = 160) -> np.ndarray:
    """A 160x120 synthetic landscape: colour gradients, noise (sigma 3), a house and a cloud."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([40 + x * 1.2, 60 + y * 1.4, 220 - x * 0.6 - y * 0.5], -1)
    img = img + rng.normal(0, 3, img.shape)
    img[70:100, 20:60] = (200, 180, 60)
    img[15:35, 110:140] = (250, 250, 240)
    return np.clip(img, 0, 255).astype(np.uint8)


def _changed(seed: int = 1) -> np.ndarray:
    img = _scene(seed)
    x1, y1, x2, y2 = CHANGE
    img[y1:y2, x1:x2] = (220, 30, 30)
    return img


@pytest.fixture
def files(tmp_path):
    paths = {
        "a": tmp_path / "a.png",
        "same": tmp_path / "same.png",
        "b": tmp_path / "b.png",
        "small": tmp_path / "small.png",
        "corrupt": tmp_path / "corrupt.png",
    }
    Image.fromarray(_scene(0)).save(paths["a"])
    Image.fromarray(_scene(1)).save(paths["same"])  # same scene, other noise
    Image.fromarray(_changed()).save(paths["b"])
    Image.fromarray(_changed()[:100, :150]).save(paths["small"])
    paths["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    return {k: str(v) for k, v in paths.items()}


def _overlaps(box, ref) -> bool:
    return box[0] < ref[2] and ref[0] < box[2] and box[1] < ref[3] and ref[1] < box[3]


def test_json_schema_is_exactly_as_documented(files, capsys):
    code = main(["find", files["a"], files["b"], "--json"])
    out = capsys.readouterr().out
    assert code == 1
    record = json.loads(out)
    assert out.count("\n") == 1
    assert list(record) == [
        "schema_version",
        "image1",
        "image2",
        "size",
        "aligned",
        "transform",
        "regions",
    ]
    assert record["schema_version"] == 1
    assert record["image1"] == files["a"] and record["image2"] == files["b"]
    assert record["size"] == [160, 120]
    assert isinstance(record["aligned"], bool)
    transform = np.asarray(record["transform"])
    assert transform.shape == (3, 3) and np.array_equal(transform[2], [0, 0, 1])
    assert np.allclose(transform[:2, :2], np.eye(2), atol=0.01)  # same view: (near) identity
    assert np.abs(transform[:2, 2]).max() < 1.0
    assert len(record["regions"]) == 1
    region = record["regions"][0]
    assert list(region) == ["box", "score", "area", "kind"]
    assert len(region["box"]) == 4 and _overlaps(region["box"], CHANGE)
    x1, y1, x2, y2 = region["box"]
    assert x1 <= CHANGE[0] and y1 <= CHANGE[1] and x2 >= CHANGE[2] and y2 >= CHANGE[3]
    assert (x2 - x1) * (y2 - y1) < 2 * 25 * 20  # tight around the 25x20 change
    assert 0 < region["score"] <= 1 and isinstance(region["area"], int)
    assert 25 * 20 * 0.8 <= region["area"] <= (x2 - x1) * (y2 - y1)
    assert region["kind"] in ("added", "removed", "changed")


def test_table_and_exit_codes(files, capsys):
    assert main(["find", files["a"], files["b"]]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{files['a']} vs {files['b']}: 1 difference (160x120" + (
        ", image 2 aligned)" if "aligned" in lines[0] else ")"
    )
    assert lines[1].split() == ["#", "kind", "score", "area", "x1", "y1", "x2", "y2"]
    assert lines[2].split()[0] == "1" and len(lines) == 3

    assert main(["find", files["a"], files["same"]]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{files['a']} vs {files['same']}: no differences (160x120")
    assert main(["find", files["a"], files["same"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["regions"] == []


def test_help_documents_exit_codes_and_examples(capsys):
    assert main(["find", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Exit codes" in text and "1  differences found" in text and "2  error" in text
    assert "spotdiff find before.png after.png --json" in text
    for option in ("--ignore", "--ignore-mask", "--no-align", "--pad", "--size-mismatch"):
        assert option in text


def test_pictures_are_written_with_the_right_sizes(files, tmp_path, capsys):
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
    x1, y1, x2, y2 = CHANGE
    assert overlay[y1:y2, x1:x2].mean() > overlay[:30, :60].mean() + 60
    binary = np.asarray(Image.open(mask))
    assert binary.shape == (120, 160) and binary.dtype == np.uint8
    assert set(np.unique(binary).tolist()) == {0, 255}
    inside = (binary[y1:y2, x1:x2] == 255).mean()
    assert inside > 0.9 and (binary == 255).sum() < 2 * 25 * 20


def test_ignore_hides_the_change(files, tmp_path, capsys):
    base = ["find", files["a"], files["b"], "--json"]
    assert main([*base, "--ignore", "60,30,100,70", "--ignore", "0,0,5,5"]) == 0
    assert json.loads(capsys.readouterr().out)["regions"] == []
    # half the change ignored: still reported, but the mask leaves the ignored half out
    mask = tmp_path / "m.png"
    assert main([*base, "--ignore", "60,30,83,70", "--mask", str(mask)]) == 1
    capsys.readouterr()
    binary = np.asarray(Image.open(mask))
    assert not binary[:, 60:83].any() and binary[40:60, 83:95].any()
    ignore = np.zeros((120, 160), dtype=np.uint8)
    ignore[30:70, 60:100] = 255
    Image.fromarray(ignore).save(tmp_path / "ignore.png")
    assert main([*base, "--ignore-mask", str(tmp_path / "ignore.png")]) == 0
    assert json.loads(capsys.readouterr().out)["regions"] == []
    # a transparent layer with the area painted: transparent pixels are not ignored
    layer = np.zeros((120, 160, 4), dtype=np.uint8)
    layer[30:70, 60:100] = (255, 0, 255, 255)
    Image.fromarray(layer).save(tmp_path / "layer.png")
    assert main([*base, "--ignore-mask", str(tmp_path / "layer.png")]) == 0
    assert json.loads(capsys.readouterr().out)["regions"] == []
    layer[30:70, 60:100] = 0
    layer[0:10, 0:10] = (255, 255, 255, 255)
    Image.fromarray(layer).save(tmp_path / "layer.png")
    assert main([*base, "--ignore-mask", str(tmp_path / "layer.png")]) == 1
    assert len(json.loads(capsys.readouterr().out)["regions"]) == 1


def test_sizes_resize_pad_and_error(files, tmp_path, capsys):
    assert main(["find", files["a"], files["small"], "--json"]) == 1  # resized, with a warning
    captured = capsys.readouterr()
    assert json.loads(captured.out)["size"] == [160, 120]
    assert captured.err.startswith("spotdiff: warning: images are 160x120 and 150x100")
    # --pad: 160x120 against 150x100 -> the compared size is 160x120, the mask image 1's size
    mask, ann = tmp_path / "m.png", tmp_path / "a.png"
    args = ["find", files["small"], files["a"], "--pad", "--mask", str(mask), "-o", str(ann)]
    assert main([*args, "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["size"] == [160, 120]
    assert np.asarray(Image.open(mask)).shape == (100, 150)
    assert np.asarray(Image.open(ann)).shape == (120, 328, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Missing argument 'image1'"),
        (["{a}", "{missing}"], "no such file"),
        (["{a}", "{corrupt}"], "corrupt.png"),
        (["{a}", "{small}", "--size-mismatch", "error"], "images are 160x120 and 150x100"),
        (["{a}", "{b}", "--size-mismatch", "crop"], "size_mismatch must be one of"),
        (["{a}", "{b}", "--pad", "--resize"], "conflicting size policies"),
        (["{a}", "{b}", "--align", "wobble"], "align must be one of"),
        (["{a}", "{b}", "--sensitivity", "2"], "sensitivity must be <= 1"),
        (["{a}", "{b}", "--max-regions", "0"], "max_regions must be >= 1"),
        (["{a}", "{b}", "--ignore", "1,2,3"], "expected x1,y1,x2,y2"),
        (["{a}", "{b}", "--ignore", "10,10,5,20"], "x2 must be >= x1"),
        (["{a}", "{b}", "--ignore-mask", "{small}"], "ignore mask is 150x100"),
        (["{a}", "{b}", "--heatmap", "{tmp}/h.png", "--colormap", "rainbowz"], "colormap must be"),
        (["{a}", "{b}", "-o", "{tmp}/out.xyz"], "cannot write a .xyz file"),
        (["{a}", "{b}", "--min-area", "lots"], "Invalid value for '--min-area'"),
        (["{a}", "{b}", "--frobnicate"], "No such option"),
    ],
)
def test_errors_are_one_line_on_stderr_and_exit_2(files, tmp_path, capsys, args, message):
    names = {**files, "missing": str(tmp_path / "nope.png"), "tmp": str(tmp_path)}
    code = main(["find", *(a.format(**names) for a in args)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("spotdiff: error:")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert message in captured.err
    assert captured.out == ""


def _directories(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    for name in ("one", "three", "two"):
        Image.fromarray(_scene(0)).save(d1 / f"{name}.png")
    Image.fromarray(_changed()).save(d2 / "one.png")
    Image.fromarray(_scene(1)).save(d2 / "two.png")
    return d1, d2


def test_directories_record_a_bad_pair_and_go_on(tmp_path, capsys):
    d1, d2 = _directories(tmp_path)
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
    assert {p.name for p in out.iterdir()} == {"one.png", "two.png", "summary.jsonl"}
    assert np.asarray(Image.open(out / "one.png")).shape == (120, 328, 3)
    assert np.asarray(Image.open(tmp_path / "masks" / "one.png")).shape == (120, 160)


def test_directories_exit_1_with_differences_and_json_lines(tmp_path, capsys):
    d1, d2 = _directories(tmp_path)
    Image.fromarray(_scene(2)).save(d2 / "three.png")
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
    Image.fromarray(_scene(3)).save(d2 / "one.png")
    assert main(["find", str(d1), str(d2)]) == 0
    capsys.readouterr()


def test_directory_against_file_is_an_error(files, tmp_path, capsys):
    assert main(["find", str(tmp_path), files["a"]]) == 2
    assert "is a directory but the other input is not" in capsys.readouterr().err


def test_subprocess_exit_code_json_and_no_torch(files):
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "spotdiff", "find", files["a"], files["b"], "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert len(json.loads(proc.stdout)["regions"]) == 1
    code = (
        "import sys; from spotdiff.cli import main; "
        f"code = main(['find', {files['a']!r}, {files['b']!r}, '--json']); "
        "print(code, 'torch' in sys.modules, 'rich' in sys.modules, 'spotdiff.viz' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 False False False"
    proc = subprocess.run(
        [sys.executable, "-m", "spotdiff", "find", files["a"], files["corrupt"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("spotdiff: error:") and proc.stderr.count("\n") == 1
