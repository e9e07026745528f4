"""The detector contract: every registered detector returns (N, 4) float32 boxes and (N,) float32
scores in image-1 pixels; as_detection reads every documented output form."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from spotdiff._errors import LayoutError, UnknownNameError
from spotdiff.evaluation import box_iou
from spotdiff.evaluation.detectors import (
    DETECTORS,
    Detection,
    Detector,
    SpotdiffDetector,
    as_detection,
    get_detector,
    list_detectors,
)
from spotdiff.result import DiffResult

SQUARE = [60, 40, 100, 80]


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """120 x 160 grey noise, and the same with a red 40 x 40 square at x=60, y=40."""
    rng = np.random.default_rng(seed)
    img1 = np.clip(rng.normal(120, 2.0, (120, 160, 3)), 0, 255).astype(np.uint8)
    img2 = img1.copy()
    img2[40:80, 60:100] = (250, 30, 30)
    return img1, img2


@pytest.mark.parametrize("name", ["absdiff", "ssim", "spotdiff"])
def test_every_registered_detector_keeps_the_contract(name):
    if name == "ssim":
        pytest.importorskip("skimage")
    assert name in list_detectors()
    det = get_detector(name)
    assert isinstance(det, Detector) and name in repr(det).lower()
    img1, img2 = _pair()
    found = as_detection(det(img1, img2))
    n = len(found)
    assert found.boxes.shape == (n, 4) and found.boxes.dtype == np.float32
    assert found.scores.shape == (n,) and found.scores.dtype == np.float32
    assert found.mask is not None and found.mask.shape == (120, 160) and found.mask.dtype == bool
    assert n == 1 and box_iou(found.boxes, [SQUARE])[0, 0] > 0.7
    x0, y0, x1, y1 = found.boxes[0]
    assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 120
    # the change mask is on the square (SSIM flags only its rim: both insides are near-flat)
    assert found.mask[40:80, 60:100].mean() > 0.25 and found.mask[:30].sum() == 0
    # identical images: nothing found, still the documented shapes
    none = as_detection(det(img1, img1.copy()))
    assert none.boxes.shape == (0, 4) and none.scores.shape == (0,)
    assert none.boxes.dtype == np.float32 and none.scores.dtype == np.float32


def test_detection_normalizes_and_checks_its_arrays():
    det = Detection([[1, 2, 3, 4]], [0.5], np.ones((4, 5), dtype=np.uint8))
    assert det.boxes.dtype == np.float32 and det.scores.dtype == np.float32
    assert det.mask.dtype == bool and len(det) == 1
    assert repr(det) == "Detection(n=1, boxes=[[1.0, 2.0, 3.0, 4.0]], mask=5x4)"
    empty = Detection([], [])
    assert empty.boxes.shape == (0, 4) and empty.scores.shape == (0,) and empty.mask is None
    with pytest.raises(LayoutError, match=r"shape \(N, 4\)"):
        Detection([[1, 2, 3]], [0.5])
    with pytest.raises(LayoutError, match="one per box"):
        Detection([[1, 2, 3, 4]], [0.5, 0.4])
    with pytest.raises(LayoutError, match=r"mask must have shape \(H, W\)"):
        Detection([[1, 2, 3, 4]], [0.5], np.ones((1, 4, 5)))


def test_as_detection_forms():
    boxes = np.array([[0, 0, 2, 2]])
    assert len(as_detection((boxes, [0.5]))) == 1
    det = as_detection((boxes, [0.5], np.ones((4, 4))))
    assert det.mask.dtype == bool and det.scores.dtype == np.float32
    with pytest.raises(LayoutError, match="one per box"):
        as_detection((boxes, [0.5, 0.2]))
    with pytest.raises(LayoutError, match="boxes, scores"):
        as_detection((boxes,))
    with pytest.raises(LayoutError):
        as_detection("nothing")


def test_as_detection_reads_diff_results_and_lists():
    same = Detection([[0, 0, 2, 2]], [1.0])
    assert as_detection(same) is same
    assert len(as_detection([[[0, 0, 2, 2]], [0.3], None])) == 1
    masks = np.zeros((2, 6, 8), dtype=bool)
    masks[0, 1:3, 1:3] = masks[1, 4:6, 5:8] = True
    result = DiffResult(boxes=[[1, 1, 3, 3], [5, 4, 8, 6]], scores=[0.9, 0.4], masks=masks)
    det = as_detection(result)
    assert det.mask.shape == (6, 8) and det.mask.sum() == 4 + 6  # the union of the masks
    np.testing.assert_array_equal(det.boxes, [[1, 1, 3, 3], [5, 4, 8, 6]])
    nothing = as_detection(result[np.zeros(2, dtype=bool)])  # no regions, a known size
    assert len(nothing) == 0 and nothing.mask.shape == (6, 8) and not nothing.mask.any()
    no_masks = as_detection(types.SimpleNamespace(boxes=[[0, 0, 1, 1]], scores=[1.0]))
    assert no_masks.mask is None


def test_registry_names_and_aliases():
    assert list_detectors() == sorted(list_detectors())
    assert {"absdiff", "spotdiff", "ssim"} <= set(list_detectors())
    assert DETECTORS.resolve("find") == "spotdiff" and DETECTORS.resolve("ABSDIFF") == "absdiff"
    assert isinstance(get_detector("find"), SpotdiffDetector)
    with pytest.raises(UnknownNameError, match="spotdiff"):
        get_detector("spotdif")


def test_spotdiff_adapter_calls_find_lazily(monkeypatch):
    calls = []

    def find(img1, img2, **options):
        calls.append(options)
        masks = np.zeros((1, *img1.shape[:2]), dtype=bool)
        masks[0, 10:20, 30:50] = True
        return DiffResult(boxes=[[30, 10, 50, 20]], scores=[0.9], masks=masks)

    monkeypatch.setitem(sys.modules, "spotdiff.detect", types.SimpleNamespace(find=find))
    det = SpotdiffDetector(threshold=0.3)
    assert calls == [] and repr(det) == "SpotdiffDetector(threshold=0.3)"
    found = det(*_pair())
    assert calls == [{"threshold": 0.3}]
    np.testing.assert_array_equal(found.boxes, [[30, 10, 50, 20]])
    assert found.mask.sum() == 200
    det(*_pair())
    assert len(calls) == 2
