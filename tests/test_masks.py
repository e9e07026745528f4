"""RegionMasks: per-region masks stored as crops, read as an (N, H, W) bool array."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff._masks import RegionMasks as MasksFromHome
from spotdiff.result import DiffResult, RegionMasks

W, H = 60, 50


def _masks() -> np.ndarray:
    m = np.zeros((3, H, W), bool)
    m[0, 5:10, 7:20] = True  # 5 x 13 = 65 px
    m[1, 0:3, 0:2] = True  # 6 px, touches the corner
    m[2, 49, 59] = True  # 1 px, opposite corner
    return m


def _result() -> DiffResult:
    return DiffResult(boxes=[[7, 5, 20, 10], [0, 0, 2, 3], [59, 49, 60, 50]], masks=_masks())


def test_region_masks_are_re_exported_from_result():
    assert RegionMasks is MasksFromHome


def test_region_masks_are_cropped_and_read_as_dense():
    dense = _masks()
    r = _result()
    m = r.masks
    assert m.nbytes == 65 + 6 + 1  # crops to each mask's bounding box
    np.testing.assert_array_equal(np.asarray(m), dense)
    np.testing.assert_array_equal(m[0], dense[0])
    crop, origin = m.crop(0)
    assert crop.shape == (5, 13) and origin == (7, 5)
    np.testing.assert_array_equal(m.area(), [65, 6, 1])
    np.testing.assert_array_equal(np.stack(list(m)), dense)
    np.testing.assert_array_equal(m.union(), dense.any(axis=0))
    assert m.dtype == np.dtype(bool) and m.ndim == 3 and len(m) == 3
    # an area computed from masks when data has none
    assert DiffResult(boxes=r.boxes, masks=dense).area.tolist() == [65, 6, 1]


def test_region_masks_validation():
    with pytest.raises(InvalidOptionError, match="does not fit"):
        RegionMasks([np.ones((3, 3), bool)], np.array([[W - 2, 0]]), (W, H))
    with pytest.raises(InvalidOptionError, match="2-D bool"):
        RegionMasks([np.ones((3, 3), np.uint8)], np.array([[0, 0]]), (W, H))
    with pytest.raises(InvalidOptionError, match="one origin per crop"):
        RegionMasks([np.ones((3, 3), bool)], np.zeros((2, 2)), (W, H))
    empty = RegionMasks.from_dense(np.zeros((1, H, W), bool))
    assert empty.crop(0)[0].shape == (0, 0) and not np.asarray(empty).any()


def test_region_masks_subsets_and_run_lengths_round_trip():
    m = RegionMasks.from_dense(_masks())
    sub = m[[2, 0]]
    assert isinstance(sub, RegionMasks) and sub.shape == (2, H, W)
    np.testing.assert_array_equal(np.asarray(sub), _masks()[[2, 0]])
    items = json.loads(json.dumps(m.to_list()))
    assert RegionMasks.from_list(items, (W, H)) == m
    with pytest.raises(IndexError):
        m[3]
