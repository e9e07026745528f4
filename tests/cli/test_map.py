"""`spotdiff map`: files and directories, options, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from spotdiff.cli import main

RNG = np.random.default_rng(4)
IMG1 = RNG.integers(0, 256, size=(40, 50, 3), dtype=np.uint8)
IMG2 = IMG1.copy()
IMG2[10:20, 10:20] = 0


@pytest.fixture
def pair(tmp_path):
    Image.fromarray(IMG1).save(tmp_path / "a.png")
    Image.fromarray(IMG2).save(tmp_path / "b.png")
    return tmp_path / "a.png", tmp_path / "b.png"


def test_map_writes_a_picture_and_prints_the_metric(pair, tmp_path, capsys):
    code = main(["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.png")])
    assert code == 0
    picture = np.asarray(Image.open(tmp_path / "m.png"))
    assert picture.shape == (40, 50, 3)
    assert picture[10:20, 10:20].mean() > picture[30:, 30:].mean()
    assert "mse=" in capsys.readouterr().out


def test_map_options_and_json(pair, tmp_path, capsys):
    args = ["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.npy"), "--json"]
    args += [
        "--strategy",
        "gradient",
        "--metric",
        "ssim:win_size=7",
        "--pre",
        "highpass_filter:factor=0.2",
    ]
    args += ["--post", "abs", "--reduce", "max"]
    assert main(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["metric"] == "ssim" and 0 < record["value"] < 1
    values = np.load(tmp_path / "m.npy")
    assert values.shape == (40, 50) and values.min() >= 0


def test_map_directories(tmp_path, capsys):
    for d, img in (("d1", IMG1), ("d2", IMG2)):
        (tmp_path / d).mkdir()
        Image.fromarray(img).save(tmp_path / d / "one.png")
        Image.fromarray(IMG1).save(tmp_path / d / "two.png")
    (tmp_path / "d2" / "three.png").write_bytes(b"garbage")
    (tmp_path / "d1" / "three.png").write_bytes((tmp_path / "d1" / "one.png").read_bytes())
    code = main(["map", str(tmp_path / "d1"), str(tmp_path / "d2"), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2  # one pair failed, the others were written
    assert (tmp_path / "out" / "one.png").exists() and (tmp_path / "out" / "two.png").exists()
    assert "three" in err and "not an image" in err
    assert "2 of 3 maps written" in err


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--strategy", "gradiant"], "Did you mean 'gradient'"),
        (["--metric", "nope"], "unknown metric"),
        (["--pre", "highpass_filter:factor"], "key=value"),
        (["--reduce", "none"], "one channel"),
        (["--colormap", "rainbowz"], "colormap must be one of"),
        (["--size-mismatch", "crop"], "size_mismatch must be one of"),
    ],
)
def test_bad_options_are_one_line_exit_2(pair, tmp_path, capsys, extra, match):
    code = main(["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.png"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("spotdiff: error:") and match in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_bad_inputs_are_one_line_exit_2(pair, tmp_path, capsys):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    cases = [
        [str(tmp_path / "missing.png"), str(pair[1])],
        [str(tmp_path / "bad.png"), str(pair[1])],
        [str(tmp_path), str(pair[1])],
    ]
    for images in cases:
        code = main(["map", *images, "-o", str(tmp_path / "m.png")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("spotdiff: error:") and "Traceback" not in err


def test_missing_output_option_is_a_usage_error(pair, capsys):
    assert main(["map", str(pair[0]), str(pair[1])]) == 2
    assert "--output" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# registries' options, devices, display range: one line, exit 2 (never a traceback, never 1)


def _one_error_line(capsys, code):
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("spotdiff: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--pre", "highpass_filter:nope=1"],
            "unknown option 'nope' for pre-processor 'highpass_filter'; valid options: factor",
        ),
        (["--post", "abs:sigma=2"], "unknown option 'sigma' for post-processor 'abs'"),
        (["--strategy", "gradient:ref=1"], "valid options: reference_idx"),
        (["--metric", "ssim:window=7"], "valid options: data_range, win_size, sigma, k1, k2"),
        (["--metric", "ssim:k1=abc"], "k1 must be a number"),
        (["--metric", "ssim:sigma=inf"], "sigma must be a positive finite number"),
        (["--strategy", "ssim_map:sigma=abc"], "sigma must be a number"),
    ],
)
def test_bad_component_options_are_one_line_exit_2(pair, tmp_path, capsys, extra, message):
    # regression: `--pre highpass_filter:nope=1` was a TypeError traceback with exit code 1
    code = main(["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.png"), *extra])
    assert message in _one_error_line(capsys, code)
    assert not (tmp_path / "m.png").exists()


@pytest.mark.parametrize(
    ("device", "message"),
    [("bogus", "is not a torch device"), ("cuda", "sees no CUDA GPU"), ("cuda:3", "no CUDA")],
)
def test_bad_devices_are_one_line_exit_2(pair, tmp_path, capsys, monkeypatch, device, message):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CPU-only torch
    args = ["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.png"), "--device", device]
    assert message in _one_error_line(capsys, main(args))


def test_device_auto_is_the_default(pair, tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.png")]) == 0
    assert main(["map", *map(str, pair), "-o", str(tmp_path / "n.png"), "--device", "auto"]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--vmax", "nan"], "--vmax must be a finite number > --vmin"),
        (["--vmax", "inf"], "--vmax must be a finite number > --vmin"),
        (["--vmax", "0"], "--vmax must be a finite number > --vmin (0.0)"),
        (["--vmax", "-1"], "--vmax must be a finite number"),
        (["--vmin", "0.5", "--vmax", "0.5"], "> --vmin (0.5)"),
        (["--vmin", "0.6", "--vmax", "0.5"], "> --vmin (0.6)"),
        (["--vmin", "-0.1"], "--vmin must be a finite number >= 0"),
        (["--vmin", "nan"], "--vmin must be a finite number >= 0"),
    ],
)
def test_display_ranges_that_paint_one_colour_are_rejected(pair, tmp_path, capsys, extra, message):
    # regression: --vmax nan / 0 silently wrote a one-colour picture
    code = main(["map", str(pair[0]), str(pair[1]), "-o", str(tmp_path / "m.png"), *extra])
    assert message in _one_error_line(capsys, code)
    assert not (tmp_path / "m.png").exists()


def test_vmin_and_vmax_set_the_colour_scale(pair, tmp_path):
    out = tmp_path / "m.png"
    args = ["map", str(pair[0]), str(pair[1]), "-o", str(out), "--strategy", "difference"]
    assert main([*args, "--colormap", "gray", "--vmin", "0", "--vmax", "0.1"]) == 0
    gray = np.asarray(Image.open(out))[..., 0]
    diff = np.abs(IMG1 / 255.0 - IMG2 / 255.0).mean(axis=2)
    assert (gray[diff >= 0.1] == 255).all()  # at or above vmax: the top of the scale
    assert (gray[diff == 0] == 0).all() and (diff == 0).sum() > 1000


# ----------------------------------------------------------------------------------------------
# directory mode: one row per file name


def _dirs(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    for d, img in ((d1, IMG1), (d2, IMG2)):
        d.mkdir()
        Image.fromarray(img).save(d / "one.png")
    Image.fromarray(IMG1).save(d1 / "only1.png")
    Image.fromarray(IMG1).save(d2 / "only2.png")
    return d1, d2


def test_unmatched_files_are_failed_rows_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    from spotdiff.io import DirectoryPairs

    d1, d2 = _dirs(tmp_path)
    paired = DirectoryPairs(
        pairs=[("one", d1 / "one.png", d2 / "one.png")],
        only_in_1=[d1 / "only1.png"],
        only_in_2=[d2 / "only2.png"],
    )
    monkeypatch.setattr("spotdiff.io._pairs.pair_directories", lambda *_: paired)
    out = tmp_path / "out"
    code = main(["map", str(d1), str(d2), "-o", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    errors = [line for line in captured.err.splitlines() if line.startswith("spotdiff: error:")]
    assert errors == [
        f"spotdiff: error: only1: no file named only1.* in {d2}",
        f"spotdiff: error: only2: no file named only2.* in {d1}",
    ]
    assert "1 of 3 maps written" in captured.err
    # no temporary file left; the rows in summary.jsonl (deliberate: map runs on the batch runner)
    assert sorted(p.name for p in out.iterdir()) == ["one.png", "summary.jsonl", "summary.run.json"]
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["name"], r["error"] is None) for r in records] == [
        ("one", True),
        ("only1", False),
        ("only2", False),
    ]
    assert records[0]["output"] == str(out / "one.png") and records[0]["value"] > 0
    assert records[1]["image2"] is None and records[1]["output"] is None
    assert set(records[0]) == set(records[1])  # every row has the same keys


def test_directory_warnings_are_one_line_each_with_the_pair_name(tmp_path, capsys):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    Image.fromarray(IMG1).save(d1 / "small.png")
    Image.fromarray(IMG2[::2, ::2]).save(d2 / "small.png")
    assert main(["map", str(d1), str(d2), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("spotdiff: warning:")]
    assert len(warnings) == 1 and warnings[0].startswith("spotdiff: warning: small: ")
    assert "resized" in warnings[0]


def test_two_files_of_one_stem_write_two_pictures(tmp_path, capsys):
    # a.png and a.bmp in both directories: two pairs, two pictures (not one overwritten)
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    for d, img in ((d1, IMG1), (d2, IMG2)):
        d.mkdir()
        Image.fromarray(img).save(d / "a.png")
        Image.fromarray(IMG1).save(d / "a.bmp")
    out = tmp_path / "out"
    args = ["map", str(d1), str(d2), "-o", str(out), "--strategy", "difference"]
    assert main([*args, "--colormap", "gray"]) == 0
    pictures = sorted(out.glob("*.png"))
    assert len(pictures) == 2
    peaks = sorted(int(np.asarray(Image.open(p)).max()) for p in pictures)
    assert peaks[0] == 0 and peaks[1] > 0  # the identical pair and the changed one


def test_unmatched_files_with_spotdiff_io_pairing(tmp_path, capsys):
    d1, d2 = _dirs(tmp_path)  # one.png in both; only1.png / only2.png on one side each
    code = main(["map", str(d1), str(d2), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"spotdiff: error: only1: no file named only1.* in {d2}" in err
    assert f"spotdiff: error: only2: no file named only2.* in {d1}" in err
    pictures = [p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".png"]
    assert pictures == ["one.png"]
