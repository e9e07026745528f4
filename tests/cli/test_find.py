"""`spotdiff find`: table, JSON schema, options (ignore areas, sizes), exit codes, errors,
warnings (running pairs and directories: test_find_run.py)."""

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

# `files` and `scenes`: tests/cli/conftest.py


def _overlaps(box, ref) -> bool:
    return box[0] < ref[2] and ref[0] < box[2] and box[1] < ref[3] and ref[1] < box[3]


def test_json_schema_is_exactly_as_documented(files, capsys, scenes):
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
    change = scenes.change
    assert len(region["box"]) == 4 and _overlaps(region["box"], change)
    x1, y1, x2, y2 = region["box"]
    assert x1 <= change[0] and y1 <= change[1] and x2 >= change[2] and y2 >= change[3]
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
        (["{a}", "{b}", "--engine", "ray"], "--engine applies to two directories"),
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


def test_broken_exif_warns_one_line_each_and_goes_on(files, tmp_path, scenes):
    jpg = tmp_path / "exif.jpg"
    _broken_exif_jpeg(jpg, scenes.scene(0))
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
    _broken_exif_jpeg(d1 / "exif.jpg", scenes.scene(0))
    Image.fromarray(scenes.changed()).save(d2 / "exif.png")
    Image.fromarray(scenes.scene(0)).save(d1 / "zzz.png")
    Image.fromarray(scenes.scene(1)).save(d2 / "zzz.png")
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
_real = detect.find_prepared
def _noisy(*args, **kwargs):
    for _ in range(3):
        warnings.warn("something odd\\n  on two lines", UserWarning)
    return _real(*args, **kwargs)
detect.find_prepared = _noisy
"""


def test_any_warning_is_one_line_and_the_run_goes_on(files, tmp_path, scenes):
    proc = _python(NOISY_FIND, "find", files["a"], files["b"], "--json")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == "spotdiff: warning: something odd on two lines\n"
    d1, d2 = scenes.directories(tmp_path)
    Image.fromarray(scenes.scene(2)).save(d2 / "three.png")
    out = tmp_path / "out"
    proc = _python(NOISY_FIND, "find", str(d1), str(d2), "-o", str(out), "--workers", "1")
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


def test_ignore_covering_no_pixel_in_a_directory_run(tmp_path, capsys, scenes):
    d1, d2 = scenes.directories(tmp_path)
    (d1 / "three.png").unlink()
    assert main(["find", str(d1), str(d2), "--ignore", "500,500,600,600"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        f"spotdiff: warning: {name}: --ignore 500,500,600,600 covers no pixel of the 160x120 "
        "image; ignored"
        for name in ("one", "two")
    ]


# ---------------------------------------------------------------------------- crashes
def test_an_unexpected_error_is_one_line_and_exit_2(files, tmp_path, capsys, monkeypatch, scenes):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr("spotdiff.detect.find_prepared", broken)
    assert main(["find", files["a"], files["b"]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spotdiff: error: unexpected RuntimeError: a bug over two lines")
    assert err.count("\n") == 1 and "SPOTDIFF_DEBUG=1" in err
    d1, d2 = scenes.directories(tmp_path)
    Image.fromarray(scenes.scene(2)).save(d2 / "three.png")
    assert main(["find", str(d1), str(d2), "--json", "--workers", "1"]) == 2  # every pair tried
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


@pytest.mark.parametrize("field", ["antialias", "flow"])
def test_on_off_flags_reach_find(files, monkeypatch, field):
    import spotdiff.detect as detect

    seen = []
    real = detect.find_prepared

    def spy(pair, **kwargs):
        seen.append(getattr(kwargs["config"], field))
        return real(pair, **kwargs)

    monkeypatch.setattr(detect, "find_prepared", spy)
    main(["find", files["a"], files["b"], "--json"])
    main(["find", files["a"], files["b"], "--json", f"--{field}"])
    main(["find", files["a"], files["b"], "--json", f"--no-{field}"])
    assert seen == [None, True, False]
