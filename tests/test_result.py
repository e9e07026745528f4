"""DiffResult: validation, indexing, masks and properties ((de)serialization: test_result_io.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.result import KINDS, DiffResult, RegionMasks

W, H = 60, 50


def test_fields_are_normalized(make_result):
    r = make_result()
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
def test_invalid_fields_raise_typed_errors(kw, match, make_result):
    with pytest.raises(InvalidOptionError, match=match):
        make_result(**kw)


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
def test_indexing_selects_regions_and_keeps_pair_fields(index, expected, make_result):
    r = make_result()
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
def test_bad_indices(index, make_result):
    with pytest.raises((IndexError, TypeError)):
        make_result()[index]


def test_filtering_by_property(make_result):
    r = make_result()
    assert r[r.scores > 0.4].kind.tolist() == ["added", "removed"]
    assert r[r.kind == "changed"].area.tolist() == [1]
    assert [len(x) for x in r] == [1, 1, 1]


def test_empty():
    e = DiffResult.empty((W, H), masks=True, metadata={"a": 1})
    assert len(e) == 0 and e.boxes.shape == (0, 4) and e.masks.shape == (0, H, W)
    assert e.kind.tolist() == [] and e.image_size == (W, H)
    assert DiffResult.from_dict(e.to_dict(include_masks=True)) == e
    assert "n=0" in repr(e)
    with pytest.raises(InvalidOptionError, match="image_size"):
        DiffResult.empty(masks=True)


def test_repr_and_equality(make_result):
    r = make_result()
    assert "n=3" in repr(r) and "added" in repr(r) and "60x50" in repr(r)
    assert r == make_result() and r != make_result(scores=[0.9, 0.5, 0.2])
    assert r != "not a result"
