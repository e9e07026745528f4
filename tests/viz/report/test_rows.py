"""Rows of the report (spotdiff.viz.report._rows): find, ground and imgdiff schemas, errors."""

from __future__ import annotations

import json

import pytest

from spotdiff import InvalidOptionError
from spotdiff.viz.report import parse_row, read_rows

FIND = {
    "schema_version": 1,
    "name": "p0",
    "image1": "a/p0.png",
    "image2": "b/p0.png",
    "size": [640, 400],
    "aligned": True,
    "transform": [[1, 0, -2.5], [0, 1, 1.5], [0, 0, 1]],
    "regions": [
        {"box": [10, 20, 30, 40], "score": 0.9, "area": 120, "kind": "added"},
        {"box": [50, 60, 70, 80], "score": None, "area": 12, "kind": "weird"},
    ],
}


def test_find_row():
    row = parse_row(FIND)
    assert (row.name, row.status, row.source) == ("p0", "diff", "find")
    assert row.size == (640, 400)
    assert row.transform == [[1.0, 0.0, -2.5], [0.0, 1.0, 1.5], [0.0, 0.0, 1.0]]
    assert row.regions == [
        [10.0, 20.0, 30.0, 40.0, 0.9, "added", 120.0],
        [50.0, 60.0, 70.0, 80.0, None, "changed", 12.0],  # unknown kind drawn as changed
    ]


def test_find_row_without_regions_and_not_aligned():
    row = parse_row({**FIND, "regions": [], "aligned": False})
    assert row.status == "same" and row.transform is None


def test_error_rows_keep_their_message_and_one_image():
    row = parse_row(
        {
            "schema_version": 1,
            "name": "lonely",
            "image1": "a/x.png",
            "error": "no file named\nlonely.* in b",
        }
    )
    assert (row.status, row.error, row.image1, row.image2) == (
        "error",
        "no file named lonely.* in b",
        "a/x.png",
        None,
    )


def test_ground_row_is_find_schema_plus_query():
    row = parse_row({**FIND, "query": "the red balloon"})
    assert (row.source, row.query) == ("ground", "the red balloon")


def test_ground_parsed_query_and_batch_rows():
    row = parse_row({**FIND, "query": {"text": "the red cup", "colour": "red"}})
    assert row.query == "the red cup"
    batch = parse_row(
        {
            "image1": "a.png",
            "image2": "b.png",
            "id": "r1",
            "results": [
                {"query": {"text": "the cup"}, "box": [1, 2, 3, 4], "score": 0.7},
                {"query": "the dog", "box": None},
            ],
        }
    )
    assert (batch.source, batch.name, batch.query) == ("ground", "r1", "the cup; the dog")
    assert batch.regions == [[1.0, 2.0, 3.0, 4.0, 0.7, "changed", None]]


def test_imgdiff_row_centre_boxes_and_filtered_pairs():
    row = parse_row(
        {
            "image_path1": "x1.jpg",
            "image_path2": "x2.jpg",
            "caption1": "a cat",
            "caption2": "a dog",
            "__dj__meta__": {"__dj__bbox__": [[50, 40, 20, 10], [0, 0, 0, 0]]},
        }
    )
    assert row.source == "imgdiff" and row.captions == ("a cat", "a dog")
    assert row.regions == [[40.0, 35.0, 60.0, 45.0, None, "changed", None]]
    assert row.name == "x2.jpg"
    filtered = parse_row(
        {"image_path1": "x", "image_path2": "y", "__dj__meta__": {"__dj__bbox__": [[0, 0, 0, 0]]}}
    )
    assert filtered.status == "same"
    failed = parse_row({"image_path1": "x", "image_path2": "y", "error": "cannot read x"})
    assert failed.status == "error" and failed.error == "cannot read x"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([1, 2], "expected a JSON object"),
        ({"foo": 1}, "not a row of find, imgdiff or ground"),
        ({**FIND, "regions": [{"box": [1, 2, 3]}]}, "a box must be 4 numbers"),
        ({**FIND, "regions": [{"box": [1, 2, "x", 4]}]}, "4 finite numbers"),
        ({**FIND, "regions": "none"}, "'regions' must be a list"),
    ],
)
def test_bad_rows(record, message):
    with pytest.raises(InvalidOptionError, match=message):
        parse_row(record, where="r.jsonl line 1")


def test_read_rows_file(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(FIND) + "\n\n" + json.dumps({**FIND, "name": "p1"}) + "\n")
    assert [r.name for r in read_rows(path)] == ["p0", "p1"]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", InvalidOptionError, "holds no rows"),
        (b'{"name": "a"}\n{torn', InvalidOptionError, "line 2: not JSON"),
        (b"\xff\xfe\x00", InvalidOptionError, "not UTF-8"),
    ],
)
def test_read_rows_bad_files(tmp_path, content, error, message):
    path = tmp_path / "r.jsonl"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_rows(path)


def test_read_rows_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_rows(tmp_path / "nope.jsonl")
    with pytest.raises(InvalidOptionError, match="is a directory"):
        read_rows(tmp_path)
