"""FindConfig resolves every size-dependent default of find() in one method (for_size)."""

from __future__ import annotations

import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.find_config import FindConfig, working_size


@pytest.mark.parametrize(
    ("config", "size", "expected"),
    [
        (
            FindConfig(),
            (1920, 1080),
            {"min_area": 41.472, "merge_gap": 32.4, "working_size": (1024, 576)},
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
    [((1920, 1080), 1024, (1024, 576)), ((640, 480), 1024, (640, 480)), ((100, 10), 64, (64, 16))],
)
def test_working_size(size, max_side, expected):
    assert working_size(*size, max_side) == expected
    assert working_size(*size, 0) == size
