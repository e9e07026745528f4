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
