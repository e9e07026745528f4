"""cli/_jsonl_run.py: the row contract of the JSONL commands (line_record, output_key)."""

from __future__ import annotations

import warnings

import pytest

from spotdiff._errors import ImageReadError
from spotdiff.batch._jsonl import InputLine
from spotdiff.cli._jsonl_run import line_record, output_key


def _work(row):
    warnings.warn("odd\n  pixel", UserWarning, stacklevel=1)
    return {**row, "__dj__meta__": {**row.get("__dj__meta__", {}), "boxes": [1]}, "n": 1}


def test_a_good_row_gets_its_line_number_beside_its_meta_and_its_warnings():
    line = InputLine(4, {"id": "a", "__dj__meta__": {"mine": True}})
    record = line_record(line, "id", _work)
    assert record["__dj__meta__"] == {"mine": True, "boxes": [1], "spotdiff_line": 4}
    assert record["n"] == 1 and "error" not in record
    assert record["_stderr"] == "spotdiff: warning: odd pixel\n"
    assert line.row == {"id": "a", "__dj__meta__": {"mine": True}}  # the input is not changed


def _fails(row):
    raise ImageReadError("b.png: no such\n file")


@pytest.mark.parametrize(
    ("line", "id_field", "work", "record"),
    [
        (InputLine(2, None, "line 2 is not JSON: x"), None, _work,
         {"error": "InvalidOptionError: line 2 is not JSON: x"}),
        (InputLine(3, {"x": 1}), "id", _work,
         {"x": 1, "error": "InvalidOptionError: row has no field 'id' (--id-field); add it, or "
          "leave --id-field out to key rows by line number"}),
        (InputLine(5, {"id": 1}), "id", _fails,
         {"id": 1, "error": "ImageReadError: b.png: no such file"}),
    ],
)  # fmt: skip
def test_a_bad_line_is_the_input_row_plus_error_and_one_message(line, id_field, work, record):
    got = line_record(line, id_field, work)
    assert got == {**record, "__dj__meta__": {"spotdiff_line": line.number},
                   "_stderr": f"spotdiff: error: line {line.number}: {record['error']}\n"}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "id_field", "key"),
    [
        ({"__dj__meta__": {"spotdiff_line": 3}}, None, "line:3"),
        ({"id": "a", "__dj__meta__": {"spotdiff_line": 3}}, "id", 'id:"a"'),
        ({"id": None, "__dj__meta__": {"spotdiff_line": 3}}, "id", "line:3"),
        ({"id": "a", "__dj__meta__": {"spotdiff_line": 3}}, None, "line:3"),
        ({"__dj__meta__": {"spotdiff_line": "3"}}, None, None),
        ({"__dj__meta__": {"spotdiff_line": True}}, None, None),
        ({"__dj__meta__": [3]}, None, None),
        ({"id": "a"}, "id", None),
    ],
)
def test_output_key_reads_back_the_key_of_the_input_line(record, id_field, key):
    assert output_key(record, id_field) == key
