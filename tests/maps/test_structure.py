"""The structural map: parity with the torch SSIM, noise awareness, clipped pixels."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.maps.ssim_cv import ssim_map_cv
from spotdiff.maps.structure import structural_difference

skdata = pytest.importorskip("skimage.data")


def _pair() -> tuple[np.ndarray, np.ndarray]:
    a = skdata.camera()[100:228, 150:310]  # (128, 160) uint8
    b = a.copy()
    b[40:70, 60:100] = b[40:70, 60:100][::-1]  # a flipped patch: same levels, new structure
    noise = np.random.default_rng(0).normal(0, 3, a.shape)
    return a, np.clip(b + noise, 0, 255).astype(np.uint8)


def test_parity_with_torch_ssim_map():
    """1 - map equals 1 - the torch SSIM map with the luminance term switched off (k1 huge)."""
    torch = pytest.importorskip("torch", reason="the torch SSIM is the parity reference")
    maps = pytest.importorskip("spotdiff.maps", reason="spotdiff.maps (torch) not importable")
    a, b = _pair()
    x = torch.from_numpy(a.astype(np.float64))[None, None].requires_grad_(True)  # torch path
    y = torch.from_numpy(b.astype(np.float64))[None, None]
    ref = maps.ssim_map(x, y, data_range=255.0, k1=1000.0)[0, 0].detach().numpy()
    ours = structural_difference(a, b, noise=0.0)
    np.testing.assert_allclose(ours, 1.0 - ref, atol=2e-4)  # float32 vs float64 variances
    # and the OpenCV SSIM the engine builds on is the torch SSIM at the standard settings
    full = maps.ssim_map(x, y, data_range=255.0)[0, 0].detach().numpy()
    np.testing.assert_allclose(ssim_map_cv(a, b, data_range=255.0), full, atol=2e-4)


def test_change_is_localized():
    a, b = _pair()
    d = structural_difference(a, b, noise=3.0)
    assert d.dtype == np.float32 and d.shape == a.shape
    assert d[45:65, 65:95].mean() > 0.3
    assert np.percentile(d[:, :40], 99) < 0.1 and np.percentile(d[90:], 99) < 0.1


def test_noise_raises_the_contrast_constant():
    flat = np.full((64, 64), 120, np.uint8)
    noisy = np.clip(flat + np.random.default_rng(1).normal(0, 5, flat.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    plain = structural_difference(flat, noisy, noise=0.0).mean()
    aware = structural_difference(flat, noisy, noise=5.0).mean()
    assert plain > 0.25 and aware < 0.1


def test_unreliable_pixels_are_silenced_with_their_window():
    a, b = _pair()
    unreliable = np.zeros(a.shape, bool)
    unreliable[55, 80] = True
    d = structural_difference(a, b, unreliable=unreliable)
    assert d[50:61, 75:86].max() == 0  # the 11x11 window around the pixel
    assert d[42:48, 62:70].mean() > 0.2
