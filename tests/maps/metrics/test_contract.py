"""The contract every registered metric keeps: shapes, batching, gradients, best value, dtype."""

from __future__ import annotations

import functools

import pytest
import torch

from spotdiff._errors import InvalidOptionError, UnknownNameError
from spotdiff.maps.metrics import Metric, get_metric, list_metrics

# options that make each metric buildable offline (LPIPS: random weights, never downloaded)
OPTIONS = {"lpips": {"pretrained": False}}
# MS-SSIM halves the images four times: it needs > 160 px
SIZES = {"ms_ssim": (161, 163)}
DEFAULT_SIZE = (32, 34)
# exact numerical gradient checks where they are cheap; the others check finite, nonzero grads
GRADCHECK = {"mse", "psnr", "ssim"}


@functools.cache
def _metric(name: str) -> Metric:
    torch.manual_seed(0)
    return get_metric(name, **OPTIONS.get(name, {}))


def _pair(name: str, n: int = 3, dtype=torch.float32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    size = SIZES.get(name, DEFAULT_SIZE)
    x = torch.rand(n, 3, *size, generator=g, dtype=torch.float64)
    x = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    y = (x + 0.1 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x.to(dtype), y.to(dtype)


def test_the_expected_metrics_are_registered():
    assert {"mse", "psnr", "ssim", "ms_ssim", "lpips"} <= set(list_metrics())


@pytest.fixture(params=list_metrics())
def name(request):
    return request.param


def test_class_attributes(name):
    metric = _metric(name)
    assert isinstance(metric, Metric) and isinstance(metric, torch.nn.Module)
    assert metric.name == name
    assert isinstance(metric.higher_is_better, bool)


def test_shapes_and_batch_independence(name):
    metric = _metric(name)
    x, y = _pair(name)
    with torch.no_grad():
        values = metric(x, y)
        local = metric.map(x, y)
        singles = torch.cat([metric(x[i : i + 1], y[i : i + 1]) for i in range(3)])
        single_maps = torch.cat([metric.map(x[i : i + 1], y[i : i + 1]) for i in range(3)])
    assert values.shape == (3,)
    assert local.ndim == 4 and local.shape[0] == 3 and local.shape[-2:] == x.shape[-2:]
    assert local.shape[1] in (1, 3)
    assert torch.isfinite(values).all() and torch.isfinite(local).all()
    torch.testing.assert_close(values, singles, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(local, single_maps, atol=1e-5, rtol=1e-5)


def test_identical_images_give_the_best_value(name):
    metric = _metric(name)
    x, y = _pair(name, n=2)
    with torch.no_grad():
        same = metric(x, x)
        different = metric(x, y)
    if metric.higher_is_better:
        assert (same > different).all()
    else:
        assert (same < different).all()
        torch.testing.assert_close(same, torch.zeros_like(same), atol=1e-6, rtol=0)


def test_gradients_flow_to_both_inputs(name):
    metric = _metric(name)
    if name in GRADCHECK:
        g = torch.Generator().manual_seed(1)
        x = torch.rand(2, 2, 11, 12, generator=g, dtype=torch.float64, requires_grad=True)
        y = torch.rand(2, 2, 11, 12, generator=g, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(metric, (x, y), fast_mode=True)
        assert torch.autograd.gradcheck(metric.map, (x, y), fast_mode=True)
        return
    x, y = _pair(name, n=1)
    x.requires_grad_(True)
    y.requires_grad_(True)
    (metric(x, y).sum() + metric.map(x, y).mean()).backward()
    for grad in (x.grad, y.grad):
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_are_kept(name, dtype):
    metric = _metric(name)
    x, y = _pair(name, n=1, dtype=dtype)
    with torch.no_grad():
        values, local = metric(x, y), metric.map(x, y)
    assert values.dtype == dtype and local.dtype == dtype
    assert values.device == x.device and local.device == x.device


def test_unknown_metric_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        get_metric("ssmi")
    message = str(info.value)
    assert "'ssim'" in message  # the close match
    for valid in list_metrics():
        assert valid in message


def test_unknown_option_lists_the_metric_options():
    with pytest.raises(InvalidOptionError, match=r"'ssim'.*data_range, win_size, sigma, k1, k2"):
        get_metric("ssim", window=7)
    with pytest.raises(InvalidOptionError, match=r"\(none\)"):
        get_metric("mse", data_range=1.0)
    assert get_metric("SSIM", data_range=255).data_range == 255.0


def test_the_two_images_are_named_img1_img2():
    import inspect

    from spotdiff.maps.metrics import (
        lpips,
        lpips_map,
        ms_ssim,
        ms_ssim_map,
        mse,
        psnr,
        squared_error_map,
        ssim_map,
    )
    from spotdiff.maps.metrics import ssim as ssim_fn

    functions = [mse, squared_error_map, psnr, ssim_fn, ssim_map, ms_ssim, ms_ssim_map]
    functions += [lpips, lpips_map]
    for name in list_metrics():
        functions += [_metric(name).forward, _metric(name).map]
    for fn in functions:
        assert list(inspect.signature(fn).parameters)[:2] == ["img1", "img2"], fn
