"""MS-SSIM: parity with pytorch-msssim, the per-pixel map, gradients and the size limit."""

from __future__ import annotations

import pytest
import torch
from pytorch_msssim import ms_ssim as pm_ms_ssim

from spotdiff._errors import InvalidOptionError
from spotdiff.maps.metrics import DEFAULT_WEIGHTS, MSSSIM, get_metric, ms_ssim, ms_ssim_map


def _pair(n=2, size=(161, 170), seed=0, noise=0.08, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, *size, generator=g, dtype=torch.float64)
    x = torch.nn.functional.avg_pool2d(x, 5, stride=1, padding=2)
    y = (x + noise * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x.to(dtype), y.to(dtype)


@pytest.mark.parametrize("size", [(161, 170), (176, 193)])  # odd sizes exercise the padding
def test_matches_pytorch_msssim(size):
    x, y = _pair(size=size)
    ref = pm_ms_ssim(x, y, data_range=1.0, size_average=False)
    values = ms_ssim(x, y)
    assert values.shape == (2,) and values.dtype == torch.float32
    torch.testing.assert_close(values, ref, atol=1e-5, rtol=0)
    assert 0.5 < values.min() < values.max() < 1


def test_custom_weights_and_data_range_match_pytorch_msssim():
    weights = [0.2, 0.3, 0.5]
    x, y = _pair(n=1, size=(165, 170), dtype=torch.float64)  # pytorch-msssim wants > 160
    ref = pm_ms_ssim(x * 255, y * 255, data_range=255, size_average=False, weights=weights)
    values = ms_ssim(x * 255, y * 255, data_range=255, weights=weights)
    # pytorch-msssim builds its window in float32: ~1e-6 apart even in float64
    torch.testing.assert_close(values, ref, atol=1e-5, rtol=0)


def test_too_small_images_say_the_minimum():
    x, y = _pair(n=1, size=(160, 200))
    with pytest.raises(InvalidOptionError, match=r"at least 161x161.*fewer weights"):
        ms_ssim(x, y)
    ms_ssim(x, y, weights=DEFAULT_WEIGHTS[:4])  # 4 scales need 81 px


def test_identical_images_and_map():
    x, y = _pair(n=1)
    assert ms_ssim(x, x).item() == pytest.approx(1.0, abs=1e-6)
    local = ms_ssim_map(x, y)
    assert local.shape == x.shape and local.dtype == x.dtype
    assert local.min() >= 0 and local.max() <= 1
    assert torch.allclose(ms_ssim_map(x, x), torch.ones_like(x), atol=1e-5)
    # a local change shows up where it happened
    z = x.clone()
    z[..., 100:120, 100:120] = 1 - z[..., 100:120, 100:120]
    m = ms_ssim_map(x, z)[0].mean(0)
    assert m[105:115, 105:115].mean() < 0.5 < m[:40, :40].mean()


def test_gradients_are_finite_and_nonzero():
    x, y = _pair(n=1)
    x.requires_grad_(True)
    ms_ssim(x, y).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_registry_aliases_and_module():
    x, y = _pair(n=1)
    for name in ("ms_ssim", "ms-ssim", "msssim", "MS-SSIM"):
        assert isinstance(get_metric(name), MSSSIM)
    torch.testing.assert_close(MSSSIM()(x, y), ms_ssim(x, y))


def test_bad_weights():
    x, y = _pair(n=1)
    with pytest.raises(InvalidOptionError, match="weights"):
        ms_ssim(x, y, weights=[])
    with pytest.raises(InvalidOptionError, match="weights"):
        MSSSIM(weights=[0.5, -1])
