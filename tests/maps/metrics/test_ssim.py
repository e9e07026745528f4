"""SSIM: map and scalar against scikit-image and pytorch-msssim, gradients, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pytorch_msssim import ssim as pm_ssim
from skimage.metrics import structural_similarity

from spotdiff._errors import InvalidOptionError, LayoutError
from spotdiff.maps.metrics import SSIM, ssim, ssim_from_map, ssim_map
from spotdiff.maps.metrics.ssim import ssim_components


def _pair(n=2, c=3, size=(24, 30), seed=0, dtype=torch.float64, noise=0.1):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, c, *size, generator=g, dtype=torch.float64)
    x = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)  # some structure
    y = (x + noise * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x.to(dtype), y.to(dtype)


def _skimage(x, y, data_range=1.0, sigma=1.5):
    """scikit-image's (scalar, map (C, H, W)) for one sample (C, H, W), in float64."""
    value, full = structural_similarity(
        x.double().numpy(),
        y.double().numpy(),
        gaussian_weights=True,
        sigma=sigma,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=0,
        full=True,
    )
    return value, full


@pytest.mark.parametrize("requires_grad", [False, True], ids=["opencv-path", "torch-path"])
@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float64, 1e-10), (torch.float32, 1e-4)], ids=["f64", "f32"]
)
def test_map_and_scalar_match_scikit_image(dtype, tol, requires_grad):
    x, y = _pair(dtype=dtype)
    x.requires_grad_(requires_grad)
    local = ssim_map(x, y)
    values = ssim(x, y)
    assert local.shape == x.shape and local.dtype == dtype
    assert values.shape == (2,) and values.dtype == dtype
    for i in range(2):
        ref_value, ref_map = _skimage(x[i].detach(), y[i])
        np.testing.assert_allclose(local[i].detach().numpy(), ref_map, atol=tol, rtol=0)
        assert values[i].item() == pytest.approx(ref_value, abs=tol)


@pytest.mark.parametrize("sigma", [1.0, 2.0])
def test_other_sigmas_and_data_range_match_scikit_image(sigma):
    x, y = _pair(n=1, c=1, size=(31, 27))
    x255, y255 = x * 255, y * 255
    local = ssim_map(x255, y255, data_range=255, sigma=sigma)
    ref_value, ref_map = _skimage(x255[0], y255[0], data_range=255, sigma=sigma)
    np.testing.assert_allclose(local[0].numpy(), ref_map, atol=1e-10)
    win = 2 * int(3.5 * sigma + 0.5) + 1
    assert ssim_from_map(local, win_size=win).item() == pytest.approx(ref_value, abs=1e-10)


def test_scalar_matches_pytorch_msssim():
    x, y = _pair(dtype=torch.float32, size=(40, 33))
    ref = pm_ssim(x, y, data_range=1.0, size_average=False)
    torch.testing.assert_close(ssim(x, y), ref, atol=2e-6, rtol=0)


def test_borders_repeat_the_edge_sample():
    # scipy 'reflect' (d c b a | a b c d): a left-right ramp stays locally "the same" at the
    # edge; this pins the padding mode (torch 'reflect' gives a different first column).
    x = torch.linspace(0, 1, 16, dtype=torch.float64).repeat(1, 1, 16, 1)
    y = x.clone()
    y[..., :, 0] += 0.2
    _, ref_map = _skimage(x[0], y[0])
    np.testing.assert_allclose(ssim_map(x, y)[0].numpy(), ref_map, atol=1e-12)


def test_grad_and_no_grad_paths_agree():
    x, y = _pair(dtype=torch.float32, size=(37, 41))
    fast = ssim_map(x, y)
    slow = ssim_map(x.clone().requires_grad_(True), y).detach()
    torch.testing.assert_close(fast, slow, atol=2e-6, rtol=0)


def test_gradcheck():
    x, y = _pair(n=1, c=2, size=(12, 13))
    x.requires_grad_(True)
    y.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: ssim(a, b), (x, y), fast_mode=True)
    assert torch.autograd.gradcheck(lambda a, b: ssim_map(a, b), (x, y), fast_mode=True)


@pytest.mark.parametrize("which", ["x", "y", "both"])
def test_analytic_gradient_matches_autograd_of_the_components(which):
    # the scalar's hand-written backward against autograd through the plain formula
    x, y = _pair(n=2, c=3, size=(19, 23), seed=3)

    def reference(a, b):
        kw = {"data_range": 1.0, "win_size": 11, "sigma": 1.5, "k1": 0.01, "k2": 0.03}
        luminance, cs = ssim_components(a, b, valid=True, **kw)
        return (luminance * cs).mean(dim=(1, 2, 3))

    weights = torch.tensor([0.7, -1.3], dtype=torch.float64)  # distinct per-sample upstream grads
    grads = []
    for fn in (ssim, reference):
        a = x.clone().requires_grad_(which in ("x", "both"))
        b = y.clone().requires_grad_(which in ("y", "both"))
        inputs = [t for t in (a, b) if t.requires_grad]
        grads.append(torch.autograd.grad((fn(a, b) * weights).sum(), inputs))
    for ours, ref in zip(*grads, strict=True):
        assert ref.abs().max() > 1e-4  # the comparison is not vacuous
        torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


def test_single_image_from_hwc_numpy_layout_gives_the_same_ssim():
    # torch.from_numpy(hwc).permute(2, 0, 1)[None] has batch stride C (its strides are made
    # canonical by _base.channels_last: tests/maps/metrics/test_base.py)
    hwc = torch.rand(20, 24, 3)
    x = hwc.permute(2, 0, 1)[None]
    assert x.stride()[0] == 3
    y = (x + 0.05).clamp(0, 1)
    torch.testing.assert_close(ssim(x, y), ssim(x.contiguous(), y.contiguous()), atol=1e-6, rtol=0)


def test_components_multiply_to_the_map():
    x, y = _pair()
    luminance, cs = ssim_components(x, y, data_range=1.0, win_size=11, sigma=1.5, k1=0.01, k2=0.03)
    assert (luminance > 0).all() and (luminance <= 1 + 1e-12).all()
    assert (cs.abs() <= 1 + 1e-12).all()
    torch.testing.assert_close(luminance * cs, ssim_map(x, y), atol=1e-12, rtol=0)


def test_identical_images_and_half_precision():
    x, _ = _pair(dtype=torch.float16)
    assert torch.all(ssim_map(x, x) == 1)
    assert ssim(x, x).dtype == torch.float16


def test_module_and_reduction():
    x, y = _pair()
    metric = SSIM(data_range=1.0)
    torch.testing.assert_close(metric(x, y), ssim(x, y))
    torch.testing.assert_close(metric.map(x, y), ssim_map(x, y))
    assert ssim(x, y, reduction="mean").item() == pytest.approx(ssim(x, y).mean().item())
    assert "win_size=11" in repr(metric)


@pytest.mark.parametrize(
    ("kwargs", "size", "error", "match"),
    [
        ({}, (10, 30), InvalidOptionError, "at least 11x11"),
        ({"win_size": 8}, (20, 20), InvalidOptionError, "odd"),
        ({"sigma": 0}, (20, 20), InvalidOptionError, "sigma"),
        ({"data_range": -1}, (20, 20), InvalidOptionError, "data_range"),
        ({"k1": -0.1}, (20, 20), InvalidOptionError, "k1"),
        ({"reduction": "max"}, (20, 20), InvalidOptionError, "reduction"),
        # regressions: OverflowError / TypeError from inside, or a NaN map, before
        ({"sigma": float("inf")}, (20, 20), InvalidOptionError, "sigma must be a positive finite"),
        ({"sigma": True}, (20, 20), InvalidOptionError, "sigma"),
        ({"k1": float("inf")}, (20, 20), InvalidOptionError, "k1 must be a finite number"),
        ({"k2": "abc"}, (20, 20), InvalidOptionError, "k2 must be a number"),
        ({"data_range": True}, (20, 20), InvalidOptionError, "data_range"),
    ],
)
def test_invalid_options(kwargs, size, error, match):
    x, y = _pair(size=size)
    with pytest.raises(error, match=match):
        ssim(x, y, **kwargs)


def test_invalid_layout():
    with pytest.raises(LayoutError, match="same shape"):
        ssim_map(torch.zeros(1, 3, 20, 20), torch.zeros(1, 1, 20, 20))
