"""DiffResult to JSON and back (spotdiff._result_io): the lossless dict, the compact record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff._result_io import decode_map, encode_map, jsonable
from spotdiff.result import KINDS, RECORD_SCHEMA_VERSION, DiffResult

W, H = 60, 50


def _only_python_types(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_python_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_python_types(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


@pytest.mark.parametrize("full", [False, True])
def test_to_dict_is_json_safe_and_round_trips(full, make_result):
    r = make_result()
    d = r.to_dict(include_masks=full, include_map=full)
    assert _only_python_types(d)
    assert d["boxes"][0] == [7.0, 5.0, 20.0, 10.0] and d["image_size"] == [W, H]
    assert d["metadata"] == {"noise": 1.5, "sizes": [1, 2]}
    assert ("masks" in d) == full and ("diff_map" in d) == full
    back = DiffResult.from_dict(json.loads(json.dumps(d)))
    if full:
        assert back == r
    else:
        assert back.masks is None and back.diff_map is None
        np.testing.assert_array_equal(back.boxes, r.boxes)
        assert back.kind.tolist() == r.kind.tolist()


def test_json_round_trip_and_sizes(make_result):
    r = make_result()
    text = r.to_json(include_masks=True, include_map=True)
    assert DiffResult.from_json(text) == r
    # masks as run lengths: far smaller than the dense stack
    assert len(json.dumps(r.to_dict(include_masks=True)["masks"])) < 300


def test_from_dict_rejects_foreign_input():
    with pytest.raises(InvalidOptionError, match="to_dict"):
        DiffResult.from_dict({"regions": []})


def test_to_record_is_the_cli_record(make_result):
    r = make_result(
        scores=[0.91234567, 0.5, 0.1],
        boxes=[[7.123, 5, 20.456, 10], [0, 0, 2, 3], [59, 49, 60, 50]],
    )
    rec = r.to_record()
    assert list(rec) == ["schema_version", "size", "aligned", "transform", "regions"]
    assert rec["schema_version"] == RECORD_SCHEMA_VERSION == 1
    assert rec["size"] == [W, H] and rec["aligned"] is True
    assert rec["transform"] == [[1.0, 0.0, 2.5], [0.0, 1.0, -1.0], [0.0, 0.0, 1.0]]
    assert rec["regions"][0] == {
        "box": [7.12, 5.0, 20.46, 10.0],
        "score": 0.912346,
        "area": 65,
        "kind": "added",
    }
    assert [x["kind"] for x in rec["regions"]] == ["added", "removed", "changed"]
    assert [x["area"] for x in rec["regions"]] == [65, 6, 1]
    assert _only_python_types(rec)
    assert json.loads(json.dumps(rec, allow_nan=False)) == rec


def test_to_record_precision(make_result):
    r = make_result(
        scores=[0.91234567, 0.5, 0.1],
        boxes=[[7.123, 5, 20.456, 10], [0, 0, 2, 3], [59, 49, 60, 50]],
    )
    coarse = r.to_record(precision=1)
    assert coarse["regions"][0]["box"] == [7.1, 5.0, 20.5, 10.0]
    assert coarse["regions"][0]["score"] == 0.9
    full = r.to_record(precision=None)
    assert full["regions"][0]["score"] == float(np.float32(0.91234567))
    assert full["regions"][0]["box"][0] == float(np.float32(7.123))
    for bad in (-1, 2.5, "2", True):
        with pytest.raises(InvalidOptionError, match="precision"):
            r.to_record(precision=bad)


@pytest.mark.parametrize(
    "result",
    [
        DiffResult(boxes=[[0, 0, 4.5, 2]]),  # no masks, no kinds, no size: box area, "changed"
        DiffResult(boxes=[[0, 0, 4, 2]], masks=np.ones((1, 3, 5), bool)),  # masks, no kinds
        DiffResult(boxes=[[1, 1, 2, 2]], scores=[float("nan")], data={"kind": ["removed"]}),
        DiffResult.empty((W, H), masks=True),
    ],
    ids=["bare", "masks", "nan-score", "empty"],
)
def test_to_record_is_json_ready_for_every_result(result):
    rec = result.to_record()
    text = json.dumps(rec, allow_nan=False)
    assert json.loads(text) == rec and len(rec["regions"]) == len(result)
    for region in rec["regions"]:
        assert isinstance(region["area"], int) and region["kind"] in KINDS
    # the lossless form still round-trips
    assert (
        DiffResult.from_dict(json.loads(json.dumps(result.to_dict(include_masks=True)))) == result
    )


def test_to_record_values_of_the_bare_cases():
    assert DiffResult(boxes=[[0, 0, 4.5, 2]]).to_record()["regions"] == [
        {"box": [0.0, 0.0, 4.5, 2.0], "score": 1.0, "area": 9, "kind": "changed"}
    ]
    assert DiffResult(boxes=[[0, 0, 1, 1]]).to_record()["size"] is None
    nan = DiffResult(boxes=[[1, 1, 2, 2]], scores=[float("nan")], data={"kind": ["removed"]})
    assert nan.to_record()["regions"][0]["score"] is None
    masked = DiffResult(boxes=[[0, 0, 4, 2]], masks=np.ones((1, 3, 5), bool))
    assert masked.to_record()["regions"][0]["area"] == 15 and masked.to_record()["size"] == [5, 3]


# ---------------------------------------------------------------------------- helpers
def test_jsonable_gives_python_values_only():
    value = {1: (np.int64(3), np.float32(0.5)), "a": np.arange(2), "p": Path("x"), "n": np.nan}
    out = jsonable(value)
    assert out == {"1": [3, 0.5], "a": [0, 1], "p": "x", "n": None}
    assert _only_python_types(out)


def test_map_encoding_round_trips_little_endian_float32():
    m = np.linspace(-1, 3, 12, dtype=np.float64).reshape(3, 4)
    encoded = encode_map(m)
    assert encoded["shape"] == [3, 4] and encoded["dtype"] == "float32"
    back = decode_map(json.loads(json.dumps(encoded)))
    assert back.dtype == np.float32 and back.flags.writeable
    np.testing.assert_array_equal(back, m.astype(np.float32))
