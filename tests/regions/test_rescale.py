"""A result found on a reduced copy, expressed in the original image's pixels."""

from __future__ import annotations

import numpy as np

from spotdiff.regions.rescale import rescale
from spotdiff.result import DiffResult, RegionMasks


def _reduced_result() -> DiffResult:
    crop = np.zeros((10, 20), bool)
    crop[2:8, 5:15] = True
    masks = RegionMasks([crop], np.array([[40, 30]]), (100, 80))
    diff_map = np.zeros((80, 100), np.float32)
    diff_map[32:38, 45:55] = 2.0
    return DiffResult(
        boxes=np.array([[45, 32, 55, 38]], np.float32),
        scores=np.array([0.7], np.float32),
        masks=masks,
        data={"area": np.array([60]), "kind": np.array(["changed"])},
        diff_map=diff_map,
        transform=np.array([[1.0, 0, 2.0], [0, 1.0, -1.0], [0, 0, 1.0]]),
        image_size=(100, 80),
    )


def test_everything_pixel_based_scales_to_the_original():
    out = rescale(_reduced_result(), (400, 320))  # decoded at 1/4
    np.testing.assert_allclose(out.boxes, [[180, 128, 220, 152]])
    assert out.image_size == (400, 320) and out.diff_map.shape == (320, 400)
    assert out.masks.shape == (1, 320, 400)
    crop, origin = out.masks.crop(0)
    assert tuple(origin) == (160, 120) and crop.shape == (40, 80)
    assert int(out.data["area"][0]) == 60 * 16 == int(out.masks[0].sum())
    ys, xs = np.nonzero(out.masks[0])
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (180, 220, 128, 152)
    np.testing.assert_allclose(out.transform[:2, 2], [8.0, -4.0])  # shifts scale too
    assert out.data["kind"].tolist() == ["changed"] and out.scores.tolist() == [np.float32(0.7)]


def test_same_size_is_the_result_itself():
    res = _reduced_result()
    assert rescale(res, (100, 80)) is res
