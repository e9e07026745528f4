"""Merging fragments of one object; separate changes stay separate."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.regions.merge import box_gaps, group_boxes, union_roots


def test_box_gaps():
    b = np.array([[0, 0, 10, 10], [12, 0, 20, 10], [5, 5, 15, 15], [0, 30, 10, 40]])
    g = box_gaps(b)
    assert g[0, 1] == 2 and g[0, 2] == 0 and g[0, 3] == 20 and g[1, 3] == 20
    np.testing.assert_array_equal(g, g.T)


def test_fragments_of_a_large_object_merge():
    # four pieces of a 100 px object, 6-10 px apart
    boxes = [[0, 0, 45, 45], [52, 0, 100, 45], [0, 55, 45, 100], [51, 53, 100, 100]]
    np.testing.assert_array_equal(group_boxes(boxes, max_gap=16), [0, 0, 0, 0])


@pytest.mark.parametrize("gap", [20, 40])
def test_changes_further_apart_than_max_gap_stay_separate(gap):
    boxes = [[0, 0, 100, 100], [100 + gap, 0, 200 + gap, 100]]
    np.testing.assert_array_equal(group_boxes(boxes, max_gap=16), [0, 1])


def test_small_separate_changes_stay_separate_and_chains_merge():
    # two 10 px changes 8 px apart: 0.25 * 10 < 8
    np.testing.assert_array_equal(
        group_boxes([[0, 0, 10, 10], [18, 0, 28, 10]], max_gap=16), [0, 1]
    )
    # touching pixels always join (min_gap)
    np.testing.assert_array_equal(group_boxes([[0, 0, 3, 3], [4, 0, 6, 3]], max_gap=16), [0, 0])
    # a chain of fragments joins transitively, and group ids follow first appearance
    chain = [[90, 0, 100, 10], [0, 0, 40, 40], [44, 0, 84, 40], [200, 0, 210, 10]]
    np.testing.assert_array_equal(group_boxes(chain, max_gap=16), [0, 0, 0, 1])
    assert group_boxes(np.zeros((0, 4)), max_gap=5).shape == (0,)


def test_panes_split_by_a_thin_unchanged_divider_merge():
    # a lit window: two 11x23 px panes and a 2 px dark divider that did not change
    np.testing.assert_array_equal(
        group_boxes([[350, 250, 361, 273], [363, 250, 375, 273]], max_gap=12), [0, 0]
    )


def test_union_roots_gives_each_item_the_smallest_member_of_its_group():
    pairs = np.zeros((6, 6), bool)
    for i, j in [(4, 1), (1, 3), (5, 2)]:  # {1, 3, 4}, {2, 5}, {0}; given in either order
        pairs[i, j] = pairs[j, i] = True
    assert union_roots(pairs).tolist() == [0, 1, 2, 1, 1, 2]
    assert union_roots(np.zeros((0, 0), bool)).tolist() == []
