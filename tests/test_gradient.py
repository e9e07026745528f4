"""The length of a vector field: exact IEEE steps, the same on every call."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff._gradient import magnitude


@pytest.mark.parametrize("shape", [(1, 1), (61, 80), (576, 1024)])
def test_magnitude_is_the_rounded_length_and_the_same_on_every_call(shape):
    rng = np.random.default_rng(shape[0])
    x = (rng.standard_normal(shape) * 300).astype(np.float32)
    y = (rng.standard_normal(shape) * 300).astype(np.float32)
    first = magnitude(x, y)
    assert first.dtype == np.float32 and first.shape == shape
    np.testing.assert_array_equal(first, np.sqrt(x * x + y * y))  # each step correctly rounded
    for _ in range(20):  # fresh output buffers at other addresses each time
        np.testing.assert_array_equal(magnitude(x, y), first)


def test_magnitude_of_strided_views():
    field = np.random.default_rng(1).standard_normal((40, 30, 2)).astype(np.float32)
    out = magnitude(field[..., 0], field[..., 1])
    np.testing.assert_array_equal(out, np.sqrt(field[..., 0] ** 2 + field[..., 1] ** 2))
