"""MSE: values against scikit-image, the map, reductions and input validation."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from skimage.metrics import mean_squared_error

from spotdiff._errors import InvalidOptionError, LayoutError
from spotdiff.maps.metrics import MSE, mse, squared_error_map


def _pair(n=2, shape=(3, 16, 20), seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *shape, generator=g, dtype=dtype)
    y = (x + 0.1 * torch.randn(x.shape, generator=g, dtype=dtype)).clamp(0, 1)
    return x, y


def test_matches_scikit_image_per_sample():
    x, y = _pair()
    values = mse(x, y)
    assert values.shape == (2,)
    for i in range(2):
        assert values[i].item() == pytest.approx(mean_squared_error(x[i].numpy(), y[i].numpy()))


def test_large_batches_take_the_vectorised_path_with_the_same_values():
    mse_module = importlib.import_module("spotdiff.maps.metrics.mse")  # the name is shadowed

    x, y = _pair(n=mse_module._FUSED_MAX_BATCH + 2, shape=(1, 4, 5))
    fused = torch.cat([mse(x[i : i + 1], y[i : i + 1]) for i in range(x.shape[0])])
    torch.testing.assert_close(mse(x, y), fused, atol=1e-15, rtol=0)
    a = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(mse(a, y).sum(), a)
    torch.testing.assert_close(grad, 2 * (x - y) / (4 * 5), atol=1e-15, rtol=0)


def test_known_value_and_map():
    x = torch.zeros(1, 1, 2, 2)
    y = torch.tensor([[[[0.0, 0.5], [1.0, 0.0]]]])
    assert squared_error_map(x, y).flatten().tolist() == [0.0, 0.25, 1.0, 0.0]
    assert mse(x, y).item() == pytest.approx(1.25 / 4)
    assert MSE().map(x, y).shape == (1, 1, 2, 2)


@pytest.mark.parametrize(("reduction", "expected"), [("none", (2,)), ("mean", ()), ("sum", ())])
def test_reductions(reduction, expected):
    x, y = _pair()
    out = mse(x, y, reduction=reduction)
    assert out.shape == expected
    per_sample = mse(x, y)
    if reduction == "mean":
        assert out.item() == pytest.approx(per_sample.mean().item())
    if reduction == "sum":
        assert out.item() == pytest.approx(per_sample.sum().item())


def test_gradient_is_analytic():
    x, y = _pair(n=1)
    x.requires_grad_(True)
    mse(x, y).sum().backward()
    torch.testing.assert_close(x.grad, 2 * (x.detach() - y) / x[0].numel())


@pytest.mark.parametrize(
    ("x", "y", "error", "match"),
    [
        (np.zeros((1, 1, 4, 4)), torch.zeros(1, 1, 4, 4), LayoutError, "torch tensors"),
        (torch.zeros(1, 4, 4), torch.zeros(1, 4, 4), LayoutError, r"got img1 .*img1\[None\]"),
        (torch.zeros(1, 1, 4, 4), torch.zeros(1, 4, 4), LayoutError, r"got img2 .*img2\[None\]"),
        (torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5), LayoutError, "same shape"),
        (torch.zeros(1, 1, 4, 4, dtype=torch.uint8),) * 2 + (LayoutError, "float"),
    ],
)
def test_invalid_inputs(x, y, error, match):
    with pytest.raises(error, match=match):
        mse(x, y)


def test_unknown_reduction_lists_valid_ones():
    x, y = _pair()
    with pytest.raises(InvalidOptionError, match="'none', 'mean', 'sum'"):
        mse(x, y, reduction="avg")
