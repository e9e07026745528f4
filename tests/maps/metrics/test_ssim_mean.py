"""The valid-region blur and the mean SSIM with its hand-written backward
(maps/metrics/_ssim_mean.py), against a direct computation of the textbook formulas (numpy sums
over each window) and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from spotdiff.maps.metrics._ssim_mean import _blur_transposed, blur_valid, ssim_mean

K1, K2 = 0.01, 0.03


def _window(size: int = 11, sigma: float = 1.5, dtype=torch.float64) -> torch.Tensor:
    r = (size - 1) // 2
    g = np.exp(-((np.arange(size) - r) ** 2) / (2 * sigma**2))
    return torch.tensor(g / g.sum(), dtype=dtype)


def _pair(shape=(2, 3, 19, 23), seed=0, dtype=torch.float64, noise=0.1):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=torch.float64)
    x = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)  # some structure
    y = (x + noise * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x.to(dtype), y.to(dtype)


def _direct_blur(z: np.ndarray, win: np.ndarray) -> np.ndarray:
    """sum_{a, b} win[a] win[b] z[..., i + a, j + b] for every window inside the image."""
    k = len(win)
    windows = sliding_window_view(z, (k, k), axis=(-2, -1))  # (N, C, H', W', k, k)
    return np.einsum("nchwab,a,b->nchw", windows, win, win)


def _direct_ssim(x: np.ndarray, y: np.ndarray, win: np.ndarray, data_range: float) -> np.ndarray:
    """Mean over channels and valid pixels of the uncentred SSIM formula (float64)."""
    x, y = x / data_range, y / data_range
    mx, my = _direct_blur(x, win), _direct_blur(y, win)
    vx = _direct_blur(x * x, win) - mx * mx
    vy = _direct_blur(y * y, win) - my * my
    cov = _direct_blur(x * y, win) - mx * my
    c1, c2 = K1**2, K2**2
    s = (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(axis=(1, 2, 3))


def _torch_ssim(x: torch.Tensor, y: torch.Tensor, win: torch.Tensor) -> torch.Tensor:
    """The same formula in plain torch ops (autograd's gradient is the reference)."""
    c = x.shape[1]
    kernel = (win[:, None] * win[None, :]).expand(c, 1, -1, -1)

    def blur(z):
        return torch.nn.functional.conv2d(z, kernel, groups=c)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = K1**2, K2**2
    s = (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.mean(dim=(1, 2, 3))


# --- blur_valid ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 11])
def test_blur_valid_is_the_windowed_weighted_sum(size):
    z = torch.rand(2, 3, 14, 17, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    win = _window(size)
    out = blur_valid(z, win)
    assert out.shape == (2, 3, 14 - size + 1, 17 - size + 1) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), _direct_blur(z.numpy(), win.numpy()), atol=1e-14)
    # channels-last memory (as the ssim module passes it on CPU) gives the same numbers
    np.testing.assert_allclose(
        blur_valid(z.contiguous(memory_format=torch.channels_last), win).numpy(),
        out.numpy(),
        atol=1e-14,
    )


def test_blur_valid_keeps_constants_and_channels_apart():
    z = torch.zeros(1, 2, 12, 12, dtype=torch.float64)
    z[:, 0] = 3.0
    out = blur_valid(z, _window())  # the window sums to one
    assert out.shape == (1, 2, 2, 2)
    torch.testing.assert_close(out[:, 0], torch.full((1, 2, 2), 3.0, dtype=torch.float64))
    assert out[:, 1].abs().max() == 0


def test_the_transposed_blur_is_the_adjoint_of_blur_valid():
    # <blur_valid(a), b> == <a, blur_transposed(b)>: what the backward pass relies on
    g = torch.Generator().manual_seed(2)
    a = torch.rand(2, 3, 15, 18, dtype=torch.float64, generator=g)
    win = _window()
    b = torch.rand(2, 3, 5, 8, dtype=torch.float64, generator=g)
    t = _blur_transposed(b, win)
    assert t.shape == a.shape
    left = (blur_valid(a, win) * b).sum().item()
    assert left == pytest.approx((a * t).sum().item(), rel=1e-13)


# --- ssim_mean ------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "sigma"), [(11, 1.5), (7, 1.0), (3, 0.8)])
def test_ssim_mean_equals_the_direct_formula(size, sigma):
    x, y = _pair()
    win = _window(size, sigma)
    values = ssim_mean(x, y, win=win, data_range=1.0, k1=K1, k2=K2)
    assert values.shape == (2,) and values.dtype == torch.float64
    ref = _direct_ssim(x.numpy(), y.numpy(), win.numpy(), 1.0)
    np.testing.assert_allclose(values.numpy(), ref, atol=1e-12, rtol=0)
    assert (values < 1).all() and (values > 0.3).all()


def test_data_range_float32_and_identical_images():
    x, y = _pair()
    win = _window()
    ref = _direct_ssim(x.numpy(), y.numpy(), win.numpy(), 1.0)
    scaled = ssim_mean(255 * x, 255 * y, win=win, data_range=255.0, k1=K1, k2=K2)
    np.testing.assert_allclose(scaled.numpy(), ref, atol=1e-12, rtol=0)
    x32, y32 = x.float(), y.float()
    single = ssim_mean(x32, y32, win=win.float(), data_range=1.0, k1=K1, k2=K2)
    assert single.dtype == torch.float32
    np.testing.assert_allclose(single.numpy(), ref, atol=1e-5, rtol=0)  # centred: little loss
    same = ssim_mean(x32, x32, win=win.float(), data_range=1.0, k1=K1, k2=K2)
    assert same.tolist() == [1.0, 1.0]  # exactly: l and cs are ratios of equal numbers


def test_samples_are_independent():
    x, y = _pair(shape=(3, 2, 16, 16))
    win = _window()
    whole = ssim_mean(x, y, win=win, data_range=1.0, k1=K1, k2=K2)
    for i in range(3):
        one = ssim_mean(x[i : i + 1], y[i : i + 1], win=win, data_range=1.0, k1=K1, k2=K2)
        assert one.item() == pytest.approx(whole[i].item(), abs=1e-15)


# --- the backward pass ------------------------------------------------------------------------


def test_gradcheck_against_finite_differences():
    x, y = _pair(shape=(2, 2, 9, 10), seed=4)
    x.requires_grad_(True)
    y.requires_grad_(True)
    win = _window(5, 1.0)

    def fn(a, b):
        return ssim_mean(a, b, win=win, data_range=1.0, k1=K1, k2=K2)

    assert torch.autograd.gradcheck(fn, (x, y), eps=1e-6, atol=1e-8)


@pytest.mark.parametrize("which", ["x", "y", "both"])
def test_analytic_gradient_equals_autograd_of_the_direct_formula(which):
    x, y = _pair(seed=3)
    win = _window()
    weights = torch.tensor([0.7, -1.3], dtype=torch.float64)  # distinct upstream grads
    grads = []
    for fn in (lambda a, b: ssim_mean(a, b, win=win, data_range=1.0, k1=K1, k2=K2),
               lambda a, b: _torch_ssim(a, b, win)):  # fmt: skip
        a = x.clone().requires_grad_(which in ("x", "both"))
        b = y.clone().requires_grad_(which in ("y", "both"))
        (fn(a, b) * weights).sum().backward()
        assert (a.grad is None) is (which == "y") and (b.grad is None) is (which == "x")
        grads.append([t.grad for t in (a, b) if t.grad is not None])
    for ours, ref in zip(*grads, strict=True):
        assert ref.abs().max() > 1e-4  # the comparison is not vacuous
        torch.testing.assert_close(ours, ref, atol=1e-12, rtol=0)


def test_gradient_of_data_range_scaled_inputs():
    # S(x / L, y / L): the gradient with respect to the raw inputs carries the 1 / L factor
    x, y = _pair(shape=(1, 1, 14, 14), seed=5)
    win = _window()
    a = (255 * x).requires_grad_(True)
    ssim_mean(a, 255 * y, win=win, data_range=255.0, k1=K1, k2=K2).sum().backward()
    b = x.clone().requires_grad_(True)
    ssim_mean(b, y, win=win, data_range=1.0, k1=K1, k2=K2).sum().backward()
    torch.testing.assert_close(a.grad * 255, b.grad, atol=1e-12, rtol=0)


def test_no_graph_without_grad_and_first_order_only():
    x, y = _pair(shape=(1, 1, 12, 12))
    win = _window()
    x.requires_grad_(True)
    with torch.no_grad():
        assert not ssim_mean(x, y, win=win, data_range=1.0, k1=K1, k2=K2).requires_grad
    value = ssim_mean(x, y, win=win, data_range=1.0, k1=K1, k2=K2)
    (grad,) = torch.autograd.grad(value.sum(), x, create_graph=True)
    # first order only: the hand-written backward records no graph, so a second derivative
    # (a gradient penalty) sees a constant; autograd through ssim_components has one
    assert grad.abs().max() > 0 and not grad.requires_grad
