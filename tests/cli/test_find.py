"""`spotdiff find`: table, JSON schema, pictures, ignore areas, exit codes, errors, directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image, ImageOps

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
        (["{a}", "{b}", "-o", "{tmp}"], "is a directory; give the path of a picture file"),
        (["{a}", "{b}", "-o", "{tmp}/x.png", "--mask", "{tmp}/x.png"], "name the same file"),
        (["{a}", "{b}", "--ignore", "0,0,nan,5"], "expected x1,y1,x2,y2"),
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


# ---------------------------------------------------------------------------- warnings
def _broken_exif_jpeg(path, img: np.ndarray) -> None:
    """A JPEG whose EXIF segment declares too short a length: Pillow warns "Tag data larger than
    file" and "Corrupt EXIF data" when it reads the orientation."""
    import io
    import struct

    exif = Image.Exif()
    exif[0x0112] = 1  # orientation
    exif[0x010E] = "a description longer than four bytes"  # stored at an offset
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=95, exif=exif.tobytes())
    data = bytearray(buf.getvalue())
    at = data.index(b"Exif\x00\x00")
    struct.pack_into(">H", data, at - 2, 30)  # the APP1 length: cut the tag data off
    path.write_bytes(bytes(data))


def _python(code: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run ``code`` then ``sys.exit(main(argv))`` in a fresh interpreter (a hang cannot hang the
    suite: the timeout fails the test)."""
    script = code + "\nimport sys\nfrom spotdiff.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout
    )


def test_broken_exif_warns_one_line_each_and_goes_on(files, tmp_path):
    jpg = tmp_path / "exif.jpg"
    _broken_exif_jpeg(jpg, _scene(0))
    with warnings.catch_warnings(record=True) as caught:  # the file really makes Pillow warn
        warnings.simplefilter("always")
        ImageOps.exif_transpose(Image.open(jpg))
    texts = " ".join(str(w.message) for w in caught)
    assert "Corrupt EXIF data" in texts and "Tag data larger than file" in texts
    proc = _python("", "find", str(jpg), files["b"], "--json")
    assert proc.returncode == 1, proc.stderr
    assert len(json.loads(proc.stdout)["regions"]) == 1
    err = proc.stderr.splitlines()
    # one line per warning (spotdiff's decoder may sum Pillow's up in one of its own), no repeats
    assert all(line.startswith("spotdiff: warning: ") for line in err), proc.stderr
    assert len(err) == len(set(err)) >= 1
    assert any("Tag data larger than file" in line or "Corrupt EXIF" in line for line in err)
    # a directory run: the same lines with the pair's name, and the run goes on to the end
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    _broken_exif_jpeg(d1 / "exif.jpg", _scene(0))
    Image.fromarray(_changed()).save(d2 / "exif.png")
    Image.fromarray(_scene(0)).save(d1 / "zzz.png")
    Image.fromarray(_scene(1)).save(d2 / "zzz.png")
    proc = _python("", "find", str(d1), str(d2), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == ["exif: 1 difference", "zzz: no differences"]
    err = proc.stderr.splitlines()
    assert any(line.startswith("spotdiff: warning: exif: ") and "EXIF" in line for line in err)
    assert err[-1].startswith("2 pairs: 1 with differences, 1 without, 0 failed")
    assert len((tmp_path / "out" / "summary.jsonl").read_text().splitlines()) == 2


NOISY_FIND = """
import warnings
import spotdiff.detect as detect
_real = detect.find
def _noisy(*args, **kwargs):
    for _ in range(3):
        warnings.warn("something odd\\n  on two lines", UserWarning)
    return _real(*args, **kwargs)
detect.find = _noisy
"""


def test_any_warning_is_one_line_and_the_run_goes_on(files, tmp_path):
    proc = _python(NOISY_FIND, "find", files["a"], files["b"], "--json")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "spotdiff: warning: something odd on two lines\n"
    d1, d2 = _directories(tmp_path)
    Image.fromarray(_scene(2)).save(d2 / "three.png")
    out = tmp_path / "out"
    proc = _python(NOISY_FIND, "find", str(d1), str(d2), "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        *(
            f"spotdiff: warning: {name}: something odd on two lines"
            for name in ("one", "three", "two")
        ),
        f"3 pairs: 1 with differences, 2 without, 0 failed; pictures and summary.jsonl in {out}",
    ]
    assert len((out / "summary.jsonl").read_text().splitlines()) == 3


def test_decompression_bomb_warning_range_does_not_loop(files):
    # 160x120 = 19,200 pixels: between Pillow's limit and twice it, where Pillow warns
    # (DecompressionBombWarning); spotdiff's decoder may keep that warning to itself, so only
    # "no loop, no traceback, any line a warning line" is asserted
    code = "from PIL import Image\nImage.MAX_IMAGE_PIXELS = 10_000"
    proc = _python(code, "find", files["a"], files["b"], "--json")
    assert proc.returncode == 1, proc.stderr
    assert all(line.startswith("spotdiff: warning: ") for line in proc.stderr.splitlines())


# ---------------------------------------------------------------------------- --ignore
@pytest.mark.parametrize("rect", ["5,5,5,5", "200,0,300,10", "-50,-50,-10,-10", "0,130,160,140"])
def test_ignore_covering_no_pixel_warns_and_goes_on(files, capsys, rect):
    args = ["find", files["a"], files["b"], "--json", "--ignore", rect, "--ignore", "0,0,5,5"]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 1 and len(json.loads(captured.out)["regions"]) == 1
    assert captured.err == (
        f"spotdiff: warning: --ignore {rect} covers no pixel of the 160x120 image; ignored\n"
    )


def test_ignore_covering_no_pixel_in_a_directory_run(tmp_path, capsys):
    d1, d2 = _directories(tmp_path)
    (d1 / "three.png").unlink()
    assert main(["find", str(d1), str(d2), "--ignore", "500,500,600,600"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        f"spotdiff: warning: {name}: --ignore 500,500,600,600 covers no pixel of the 160x120 "
        "image; ignored"
        for name in ("one", "two")
    ]


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


HALF_WRITE = """
import io, time
from PIL import Image
_real = Image.Image.save
def _half(self, fp, format=None, **kw):
    buf = io.BytesIO()
    _real(self, buf, format=format or "PNG", **kw)
    with open(fp, "wb") as fh:
        fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
    print("half written", flush=True)
    time.sleep(120)
Image.Image.save = _half
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


def test_kill_9_while_writing_keeps_the_earlier_picture(files, tmp_path):
    ann = tmp_path / "ann.png"
    Image.fromarray(_scene(5)).save(ann)
    before = ann.read_bytes()
    _run_until(HALF_WRITE, ["find", files["a"], files["b"], "-o", str(ann)], "half written")
    assert ann.read_bytes() == before  # not a truncated PNG: the half file was a temporary one


SLOW_PAIR = """
import os, time
import spotdiff.detect as detect
_real = detect.find
_calls = []
def _slow(*args, **kwargs):
    _calls.append(1)
    if len(_calls) == int(os.environ["SLOW_PAIR"]):
        print("slow pair", flush=True)
        time.sleep(120)
    return _real(*args, **kwargs)
detect.find = _slow
"""


@pytest.mark.parametrize("killed_in", [1, 2])
def test_summary_after_kill_9_holds_whole_lines_only(tmp_path, monkeypatch, killed_in):
    d1, d2 = _directories(tmp_path)
    Image.fromarray(_scene(2)).save(d2 / "three.png")
    out = tmp_path / "out"
    out.mkdir()
    earlier = '{"name": "from an earlier run"}\n'
    (out / "summary.jsonl").write_text(earlier)
    monkeypatch.setenv("SLOW_PAIR", str(killed_in))
    _run_until(SLOW_PAIR, ["find", str(d1), str(d2), "-o", str(out)], "slow pair")
    text = (out / "summary.jsonl").read_text()
    if killed_in == 1:  # nothing to write yet: the earlier summary is still there
        assert text == earlier
    else:  # the first pair's line, whole, in place of the earlier file
        assert text.endswith("\n") and text.count("\n") == 1
        assert json.loads(text)["name"] == "one"


def test_a_run_stopped_before_its_first_line_keeps_the_earlier_summary(tmp_path, monkeypatch):
    d1, d2 = _directories(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.jsonl").write_text('{"name": "from an earlier run"}\n')

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("spotdiff.detect.find", interrupted)
    assert main(["find", str(d1), str(d2), "-o", str(out)]) == 130
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


def test_json_is_to_record_and_byte_compatible(files, tmp_path, capsys, monkeypatch):
    import spotdiff.detect as detect

    results = []
    real = detect.find
    monkeypatch.setattr(
        detect, "find", lambda *a, **k: results.append(real(*a, **k)) or results[-1]
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
    d1, d2 = _directories(tmp_path)
    (d1 / "three.png").unlink()
    results.clear()
    assert main(["find", str(d1), str(d2), "--json"]) == 1
    lines = capsys.readouterr().out.splitlines()
    for line, result, name in zip(lines, results, ("one", "two"), strict=True):
        expected = {"schema_version": 1, "name": name}
        expected |= _record_before_to_record(d1 / f"{name}.png", d2 / f"{name}.png", result)
        assert line == json.dumps(expected | {"annotated": None}, allow_nan=False)


# ---------------------------------------------------------------------------- directories
def _unmatched_directories(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    Image.fromarray(_scene(0)).save(d1 / "one.png")
    Image.fromarray(_changed()).save(d2 / "one.png")
    Image.fromarray(_scene(0)).save(d1 / "cat.png")
    Image.fromarray(_scene(1)).save(d2 / "zebra.png")
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
    assert {p.name for p in out.iterdir()} == {"one.png", "summary.jsonl"}


def test_unmatched_files_are_rows_of_their_own(tmp_path, capsys, monkeypatch):
    # the CLI's side, with pair_directories as specified: never pairs different names
    from spotdiff.io import DirectoryPairs

    d1, d2 = _unmatched_directories(tmp_path)
    paired = DirectoryPairs(
        pairs=[("one", d1 / "one.png", d2 / "one.png")],
        only_in_1=[d1 / "cat.png"],
        only_in_2=[d2 / "zebra.png"],
    )
    monkeypatch.setattr("spotdiff.io.pair_directories", lambda a, b: paired)
    out = tmp_path / "out"
    code = main(["find", str(d1), str(d2), "-o", str(out), "--json"])
    _check_unmatched_run(d1, d2, out, code, capsys.readouterr())


def test_cat_is_never_compared_with_zebra(tmp_path, capsys):
    d1, d2 = _unmatched_directories(tmp_path)
    out = tmp_path / "out"
    code = main(["find", str(d1), str(d2), "-o", str(out), "--json"])
    _check_unmatched_run(d1, d2, out, code, capsys.readouterr())


def test_same_stem_pairs_get_pictures_of_their_own(tmp_path, capsys):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    for folder, img in ((d1, _scene(0)), (d2, _changed())):
        Image.fromarray(img).save(folder / "a.png")
        Image.fromarray(img).save(folder / "a.bmp")
    out = tmp_path / "out"
    assert main(["find", str(d1), str(d2), "-o", str(out)]) == 1
    capsys.readouterr()
    assert {p.name for p in out.iterdir()} == {"a.png.png", "a.bmp.png", "summary.jsonl"}


# ---------------------------------------------------------------------------- crashes
def test_an_unexpected_error_is_one_line_and_exit_2(files, tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr("spotdiff.detect.find", broken)
    assert main(["find", files["a"], files["b"]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: unexpected RuntimeError: a bug over two lines")
    assert err.count("\n") == 1 and "SPOTDIFF_DEBUG=1" in err
    d1, d2 = _directories(tmp_path)
    Image.fromarray(_scene(2)).save(d2 / "three.png")
    assert main(["find", str(d1), str(d2), "--json"]) == 2  # every pair tried, each one line
    captured = capsys.readouterr()
    assert [json.loads(line)["name"] for line in captured.out.splitlines()] == [
        "one",
        "three",
        "two",
    ]
    assert captured.err.splitlines()[-1] == "3 pairs: 0 with differences, 0 without, 3 failed"
    monkeypatch.setenv("SPOTDIFF_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["find", files["a"], files["b"]])
