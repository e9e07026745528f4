"""DiffResult: validation, indexing, masks, properties and (de)serialization."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.result import KINDS, RECORD_SCHEMA_VERSION, DiffResult, RegionMasks

W, H = 60, 50


def _masks() -> np.ndarray:
    m = np.zeros((3, H, W), bool)
    m[0, 5:10, 7:20] = True  # 5 x 13 = 65 px
    m[1, 0:3, 0:2] = True  # 6 px, touches the corner
    m[2, 49, 59] = True  # 1 px, opposite corner
    return m


def _result(**kw) -> DiffResult:
    fields = dict(
        boxes=[[7, 5, 20, 10], [0, 0, 2, 3], [59, 49, 60, 50]],
        scores=[0.9, 0.5, 0.1],
        masks=_masks(),
        data={"kind": ["added", "removed", "changed"], "area": [65, 6, 1]},
        diff_map=np.linspace(0, 2, W * H, dtype=np.float32).reshape(H, W),
        transform=[[1, 0, 2.5], [0, 1, -1], [0, 0, 1]],
        aligned=True,
        metadata={"noise": np.float32(1.5), "sizes": (1, 2)},
    )
    fields.update(kw)
    return DiffResult(**fields)


def test_fields_are_normalized():
    r = _result()
    assert r.boxes.dtype == np.float32 and r.boxes.shape == (3, 4)
    assert r.scores.dtype == np.float32
    assert r.transform.dtype == np.float64 and r.transform[0, 2] == 2.5
    assert r.image_size == (W, H)  # inferred from masks / diff_map
    assert isinstance(r.masks, RegionMasks) and r.masks.shape == (3, H, W)
    assert r.kind.tolist() == ["added", "removed", "changed"]
    assert r.area.tolist() == [65, 6, 1]
    np.testing.assert_allclose(r.box_area, [65, 6, 1])
    assert len(r) == 3 and set(r.kind) <= set(KINDS)


def test_defaults():
    r = DiffResult(boxes=[[0, 0, 4, 2]])
    np.testing.assert_array_equal(r.scores, [1.0])
    np.testing.assert_array_equal(r.transform, np.eye(3))
    assert r.masks is None and r.diff_map is None and r.image_size is None
    assert r.kind is None and r.area.tolist() == [8.0]  # box area when nothing else is known
    assert not r.aligned


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"boxes": [[0, 0, 1]]}, r"shape \(N, 4\)"),
        ({"boxes": [[5, 0, 1, 1]]}, "x2 >= x1"),
        ({"boxes": [[0, 0, np.nan, 1]]}, "finite"),
        ({"scores": [1.0, 2.0]}, r"scores must have shape \(3,\)"),
        ({"data": {"area": [1, 2]}}, r"data\['area'\] must have length 3"),
        ({"data": {"kind": ["added", "gone", "changed"]}}, "gone"),
        ({"masks": np.zeros((2, H, W), bool)}, "must hold 3 masks"),
        ({"diff_map": np.zeros((H, W + 1))}, "one"),
        ({"image_size": (W, H + 1)}, "one"),
        ({"transform": np.eye(2)}, r"\(3, 3\)"),
        ({"diff_map": np.zeros(5)}, r"\(H, W\)"),
        ({"masks": [1, 2, 3]}, "RegionMasks"),
    ],
)
def test_invalid_fields_raise_typed_errors(kw, match):
    with pytest.raises(InvalidOptionError, match=match):
        _result(**kw)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (1, [1]),
        (-1, [2]),
        (slice(1, None), [1, 2]),
        (np.array([True, False, True]), [0, 2]),
        ([2, 0], [2, 0]),
        (np.array([], dtype=np.int64), []),
    ],
)
def test_indexing_selects_regions_and_keeps_pair_fields(index, expected):
    r = _result()
    sub = r[index]
    assert isinstance(sub, DiffResult) and len(sub) == len(expected)
    np.testing.assert_array_equal(sub.boxes, r.boxes[expected])
    np.testing.assert_array_equal(sub.scores, r.scores[expected])
    assert sub.kind.tolist() == [r.kind[i] for i in expected]
    np.testing.assert_array_equal(np.asarray(sub.masks), np.asarray(r.masks)[expected])
    assert sub.diff_map is r.diff_map and sub.image_size == r.image_size
    np.testing.assert_array_equal(sub.transform, r.transform)
    assert sub.aligned and sub.metadata == r.metadata


@pytest.mark.parametrize("index", [3, -4, np.array([True, False]), [0, 5], "kind", 1.5])
def test_bad_indices(index):
    with pytest.raises((IndexError, TypeError)):
        _result()[index]


def test_filtering_by_property():
    r = _result()
    assert r[r.scores > 0.4].kind.tolist() == ["added", "removed"]
    assert r[r.kind == "changed"].area.tolist() == [1]
    assert [len(x) for x in r] == [1, 1, 1]


def _only_python_types(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_python_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_python_types(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


@pytest.mark.parametrize("full", [False, True])
def test_to_dict_is_json_safe_and_round_trips(full):
    r = _result()
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


def test_json_round_trip_and_sizes():
    r = _result()
    text = r.to_json(include_masks=True, include_map=True)
    assert DiffResult.from_json(text) == r
    # masks as run lengths: far smaller than the dense stack
    assert len(json.dumps(r.to_dict(include_masks=True)["masks"])) < 300


def test_from_dict_rejects_foreign_input():
    with pytest.raises(InvalidOptionError, match="to_dict"):
        DiffResult.from_dict({"regions": []})


def test_empty():
    e = DiffResult.empty((W, H), with_masks=True, metadata={"a": 1})
    assert len(e) == 0 and e.boxes.shape == (0, 4) and e.masks.shape == (0, H, W)
    assert e.kind.tolist() == [] and e.image_size == (W, H)
    assert DiffResult.from_dict(e.to_dict(include_masks=True)) == e
    assert "n=0" in repr(e)
    with pytest.raises(InvalidOptionError, match="image_size"):
        DiffResult.empty(with_masks=True)


def test_repr_and_equality():
    r = _result()
    assert "n=3" in repr(r) and "added" in repr(r) and "60x50" in repr(r)
    assert r == _result() and r != _result(scores=[0.9, 0.5, 0.2])
    assert r != "not a result"


# ---------------------------------------------------------------------------- to_record
def test_to_record_is_the_cli_record():
    r = _result(
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


def test_to_record_precision():
    r = _result(
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
        DiffResult.empty((W, H), with_masks=True),
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
