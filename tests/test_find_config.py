"""FindConfig resolves every size-dependent default of find() in one method (for_size)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from spotdiff import find_config
from spotdiff._errors import InvalidOptionError
from spotdiff.detect import find
from spotdiff.evaluation.metrics import box_iou, match_boxes
from spotdiff.find_config import DEFAULT_MAX_SIDE, FindConfig, working_size

from .realpairs import needs_realpairs, real_pair

_REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("config", "size", "expected"),
    [
        (
            FindConfig(),
            (1920, 1080),
            {"min_area": 41.472, "merge_gap": 32.4, "working_size": (960, 540)},
        ),
        (
            FindConfig(),
            (640, 480),
            {"min_area": 16.0, "merge_gap": 14.4, "working_size": (640, 480)},
        ),
        (FindConfig(max_side=0), (4000, 3000), {"working_size": (4000, 3000), "min_area": 240.0}),
        (
            FindConfig(min_area=5, merge_gap=2, max_side=512),
            (2048, 1024),
            {"min_area": 5.0, "merge_gap": 2.0, "working_size": (512, 256)},
        ),
        (FindConfig(align=False), (64, 64), {"align": "none"}),
        (FindConfig(align=True), (64, 64), {"align": "auto"}),
        (FindConfig(align="Affine"), (64, 64), {"align": "affine"}),
    ],
)
def test_config_for_size_resolves_every_default_in_one_place(config, size, expected):
    settings = config.for_size(*size)
    for name, value in expected.items():
        got = getattr(settings, name)
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, name
    assert settings.image_size == size
    assert settings.threshold is None and settings.masks is True and settings.max_regions == 50
    record = settings.to_dict()
    assert record["working_size"] == list(settings.working_size)


@pytest.mark.parametrize("size", [(0, 10), (10, -1), (1.5, 10)])
def test_config_for_size_rejects_bad_sizes(size):
    with pytest.raises(InvalidOptionError):
        FindConfig().for_size(*size)


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((1920, 1080), 1024, (960, 540)),  # a whole factor 2 keeps 94% of max_side
        ((3840, 2160), 1024, (960, 540)),  # 4
        ((7680, 4320), 1024, (960, 540)),  # 8
        ((2048, 1536), 1024, (1024, 768)),  # 2, exactly max_side
        ((4000, 3000), 1024, (1000, 750)),  # 4, 98%
        ((1921, 1081), 1024, (960, 540)),  # 2 does not divide: rounded
        ((1280, 720), 1024, (1024, 576)),  # 2 would keep 62%: the exact fraction 5/4
        ((1600, 900), 1024, (1024, 576)),  # 2 would keep 78%
        ((2560, 1440), 1024, (1024, 576)),  # 3 would keep 83%
        ((1100, 800), 1024, (1024, 745)),
        ((640, 480), 1024, (640, 480)),  # within max_side: kept
        ((1024, 768), 1024, (1024, 768)),
        ((100, 10), 64, (64, 16)),  # 2 keeps 78%; the shorter side at least 16
        ((1000, 200), 64, (62, 16)),  # 16: 62.5, 98%
    ],
)
def test_working_size(size, max_side, expected):
    assert working_size(*size, max_side) == expected
    assert working_size(*size, 0) == size


def _bench_find_pair(size):
    """bench_find's pair (astronaut photo, a planted ellipse, image 2 shifted 2.5 px)."""
    spec = importlib.util.spec_from_file_location("bench_find", _REPO / "benchmarks/bench_find.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    img1, img2, truth = module.make_pair(size)
    return img1, img2, np.array([truth], np.float32)


def _upscaled_real_pair(name, factor):
    """The real pair ``name`` enlarged ``factor`` times (bicubic), its truth boxes mapped."""
    p = real_pair(name)
    h, w = p.img1.shape[:2]
    size = (round(w * factor), round(h * factor))
    img1, img2 = (cv2.resize(im, size, interpolation=cv2.INTER_CUBIC) for im in (p.img1, p.img2))
    scale = np.float32([size[0] / w, size[1] / h] * 2)
    return img1, img2, np.asarray(p.boxes, np.float32) * scale


@pytest.mark.parametrize(
    ("make", "args", "whole"),
    [
        (_bench_find_pair, ((1920, 1080),), [960, 540]),
        (_bench_find_pair, ((3840, 2160),), [960, 540]),
        pytest.param(
            _upscaled_real_pair, ("object_chalk", 2.0), [1008, 756], marks=needs_realpairs
        ),
        pytest.param(
            _upscaled_real_pair, ("puzzle_townhall", 2.25), [716, 956], marks=needs_realpairs
        ),
        pytest.param(
            _upscaled_real_pair, ("ui_signin_button", 2.25), [1008, 882], marks=needs_realpairs
        ),
    ],
)
def test_whole_factor_working_size_finds_the_boxes_of_the_exact_fraction(
    make, args, whole, monkeypatch
):
    img1, img2, truth = make(*args)
    new = find(img1, img2, diff_map=False)
    monkeypatch.setattr(find_config, "WHOLE_FACTOR_KEEP", 2.0)  # never whole: the exact fraction
    old = find(img1, img2, diff_map=False)
    assert new.metadata["working_size"] == whole != old.metadata["working_size"]
    assert max(old.metadata["working_size"]) == DEFAULT_MAX_SIDE
    assert len(new) == len(old) and len(new) > 0
    iou = box_iou(new.boxes, old.boxes)
    assert iou.max(axis=0).min() >= 0.9 and iou.max(axis=1).min() >= 0.9
    assert match_boxes(new.boxes, None, truth).counts == match_boxes(old.boxes, None, truth).counts
