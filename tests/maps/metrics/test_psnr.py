"""PSNR: values against scikit-image, +inf for identical images with finite gradients."""

from __future__ import annotations

import math

import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from spotdiff._errors import InvalidOptionError
from spotdiff.maps.metrics import PSNR, psnr, psnr_from_mse


def _pair(n=2, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 16, 20, generator=g, dtype=torch.float64)
    y = (x + 0.05 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x * scale, y * scale


@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_matches_scikit_image(data_range):
    x, y = _pair(scale=data_range)
    values = psnr(x, y, data_range=data_range)
    for i in range(2):
        ref = peak_signal_noise_ratio(x[i].numpy(), y[i].numpy(), data_range=data_range)
        assert values[i].item() == pytest.approx(ref, abs=1e-9)


def test_known_value():
    x = torch.zeros(1, 1, 4, 4)
    y = torch.full((1, 1, 4, 4), 0.1)
    assert psnr(x, y).item() == pytest.approx(20.0, abs=1e-4)  # 10 log10(1 / 0.01)


def test_identical_images_give_inf_and_zero_gradient():
    x, y = _pair()
    y[1] = x[1]
    x.requires_grad_(True)
    values = psnr(x, y)
    assert math.isfinite(values[0].item())
    assert values[1].item() == math.inf
    values.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert (x.grad[1] == 0).all()
    assert x.grad[0].abs().sum() > 0


def test_map_is_the_squared_error_the_value_derives_from():
    x, y = _pair()
    metric = PSNR(data_range=1.0)
    err = metric.map(x, y)
    assert err.shape == x.shape
    torch.testing.assert_close(metric(x, y), psnr_from_mse(err.mean(dim=(1, 2, 3))))


def test_reduction_and_options():
    x, y = _pair()
    assert psnr(x, y, reduction="mean").item() == pytest.approx(psnr(x, y).mean().item())
    with pytest.raises(InvalidOptionError, match="data_range"):
        psnr(x, y, data_range=0)
    with pytest.raises(InvalidOptionError, match="data_range"):
        PSNR(data_range="big")
