"""spotdiff.cli._imgdiff_config: the --config file of `spotdiff imgdiff`, every problem one line."""

from __future__ import annotations

import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.cli import main
from spotdiff.cli._imgdiff_config import load_config


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("c.yaml", "", {}),
        ("c.yaml", "# only a comment\n", {}),
        ("c.json", "", {}),
        ("c.yaml", "backend: classical\ncrop_batch_size: 8\nnum_proc: 4\n",
         {"backend": "classical", "batch_size": 8}),
        ("c.json", '{"backend": {"matching": "classical"}, "device": "cpu"}',
         {"backend": {"matching": "classical"}, "device": "cpu"}),
        ("c.yaml", "\ufeffmeta_key: null\n", {"meta_key": None}),  # a byte-order mark is fine
        ("c.yaml", "process:\n  - imgdiff_difference_area_generator_mapper:\n", {}),
        ("c.yaml", "process:\n  - x_mapper: {}\n  - imgdiff_difference_area_generator_mapper:"
                   "\n      backend: auto\n", {"backend": "auto"}),
    ],
)  # fmt: skip
def test_good_configs(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert load_config(path) == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.yaml", "a: 1\n  b: 2\n", "not valid YAML at line 2, column 4: mapping values are not allowed here"),
        ("c.yaml", "backend: 'classical\n", "not valid YAML at line 2, column 1: found unexpected end of stream"),
        ("c.yml", "\tbackend: auto\n", "not valid YAML at line 1, column 1: found character '\\t'"),
        ("c.json", '{"backend": "auto"', "not valid JSON at line 1, column 19: Expecting ',' delimiter"),
        ("c.json", "[1, 2]", "expected a mapping of options (name: value), got a list"),
        ("c.yaml", "just text\n", "expected a mapping of options (name: value), got a str"),
        ("c.yaml", b"backend: \xff\n", "not UTF-8 text (byte 0xff at offset 9); save it as UTF-8"),
        ("c.yaml", "colour: 1\nsize: 2\n", "unknown option(s) colour, size; valid: accelerator"),
        ("c.yaml", "process:\n  - other_mapper: {}\n", "the recipe's process list has no"),
        ("c.yaml", "process: {a: 1}\n", "process must be a list of operators, got a dict"),
        ("c.yaml", "process:\n  - imgdiff_difference_area_generator_mapper: [1]\n",
         "imgdiff_difference_area_generator_mapper must hold a mapping of options, got a list"),
        ("c.yaml", "backend: [auto]\n", "backend must be auto, models, classical or a mapping"),
        ("c.yaml", "find_options: [1]\n", "find_options must be a mapping of spotdiff.find options"),
        ("c.yaml", "device: 0\n", "device must be a torch device name such as cpu or cuda:0, got 0"),
    ],
)  # fmt: skip
def test_bad_configs_raise_one_typed_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InvalidOptionError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(f"--config {path}: ") and message in text
    assert "\n" not in text


@pytest.mark.parametrize(("make", "message"), [(None, "no such file"), ("dir", "is a directory")])
def test_missing_config_file(tmp_path, make, message):
    path = tmp_path / "c.yaml"
    if make == "dir":
        path.mkdir()
    with pytest.raises(InvalidOptionError, match=message):
        load_config(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.yaml", "backend: classical\nfind_options: {a: 1\n", "not valid YAML at line 3, column 1"),
        ("c.yaml", "backend: [classical\n", "not valid YAML at line 2, column 1"),
        ("c.json", '{"backend": "classical",\n "x": }', "not valid JSON at line 2, column 7"),
        ("c.yaml", "- backend\n- classical\n", "expected a mapping of options (name: value), got a list"),
        ("c.yaml", b"backend: cl\xe0ssical\n", "not UTF-8 text (byte 0xe0"),
        ("c.yaml", "colour: 1\n", "unknown option(s) colour"),
        ("c.yaml", "process:\n  - other_mapper: {}\n", "has no spotdiff_difference_area"),
        ("c.yaml", "process: 3\n", "process must be a list of operators, got a int"),
        ("c.yaml", "find_options: 5\n", "find_options must be a mapping"),
    ],
)  # fmt: skip
def test_bad_config_is_one_error_line_of_the_command(tmp_path, capsys, name, content, message):
    dataset = tmp_path / "in.jsonl"
    dataset.write_text('{"image_path1": "a.png", "image_path2": "b.png"}\n')
    config = tmp_path / name
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "o.jsonl"
    assert main(["imgdiff", str(dataset), "-o", str(out), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spotdiff: error: --config {config}: ") and err.count("\n") == 1
    assert message in err
    assert not out.exists()
