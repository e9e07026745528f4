"""Strategies: difference, autograd gradient (difference-finder's), ssim_map."""

from __future__ import annotations

import pytest
import torch

from spotdiff import InvalidOptionError
from spotdiff.maps import get_metric, get_strategy, list_strategies, ssim_map

torch.manual_seed(0)
A = torch.rand(2, 3, 24, 24)
B = A.clone()
B[:, :, 5:10, 5:10] = 1.0 - B[:, :, 5:10, 5:10]


def test_names():
    assert set(list_strategies()) == {"difference", "gradient", "ssim_map"}


def test_difference_is_absolute_difference_and_returns_the_metric():
    diff_map, values = get_strategy("difference")(A, B, metric=get_metric("mse"))
    torch.testing.assert_close(diff_map, (A - B).abs())
    torch.testing.assert_close(values, ((A - B) ** 2).mean(dim=(1, 2, 3)))


def test_gradient_of_mse_is_analytic():
    # d/dt mean((c - t)^2) = 2 (t - c) / numel ; reference image 0 is the target
    grad, values = get_strategy("gradient")(A, B, metric=get_metric("mse"))
    numel = A[0].numel()
    torch.testing.assert_close(grad, 2 * (A - B) / numel)
    torch.testing.assert_close(values, ((A - B) ** 2).mean(dim=(1, 2, 3)))
    grad1, _ = get_strategy("gradient", reference_idx=1)(A, B, metric=get_metric("mse"))
    torch.testing.assert_close(grad1, 2 * (B - A) / numel)


def test_gradient_matches_difference_finder_on_one_image():
    # difference-finder: target.requires_grad=True; metric_fn(compare, target).mean(); grad
    a, b = A[:1].clone(), B[:1].clone()
    target = a.clone().requires_grad_(True)
    scalar = torch.nn.functional.mse_loss(b, target)
    (expected,) = torch.autograd.grad(scalar, target)
    grad, _ = get_strategy("gradient")(a, b, metric=get_metric("mse"))
    torch.testing.assert_close(grad, expected)


def test_gradient_lights_up_the_changed_square():
    grad, _ = get_strategy("gradient")(A, B, metric=get_metric("ssim"))
    magnitude = grad.abs().mean(dim=1)
    inside = magnitude[:, 5:10, 5:10].mean()
    outside = magnitude[:, 15:, 15:].mean()
    assert inside > 10 * outside


def test_gradient_batch_elements_are_independent():
    grad, _ = get_strategy("gradient")(A, B, metric=get_metric("psnr"))
    single, _ = get_strategy("gradient")(A[1:], B[1:], metric=get_metric("psnr"))
    torch.testing.assert_close(grad[1:], single)


def test_gradient_does_not_touch_inputs():
    a = A.clone()
    get_strategy("gradient")(a, B, metric=get_metric("mse"))
    assert not a.requires_grad and a.grad is None


def test_ssim_map_strategy():
    diff_map, values = get_strategy("ssim_map")(A, B, metric=get_metric("ssim"))
    torch.testing.assert_close(diff_map, 1 - ssim_map(A, B, data_range=1.0))
    assert diff_map[:, :, 5:10, 5:10].mean() > 5 * diff_map[:, :, 16:, 16:].mean()
    assert values.shape == (2,)


def test_callable_metric_and_bad_metric_output():
    grad, values = get_strategy("gradient")(A, B, metric=lambda x, y: ((x - y).abs()).mean())
    assert grad.shape == A.shape and values.shape == (2,)
    with pytest.raises(InvalidOptionError, match="one value per sample"):
        get_strategy("difference")(A, B, metric=lambda x, y: torch.zeros(5))


def test_reference_idx_is_checked():
    with pytest.raises(InvalidOptionError, match="reference_idx"):
        get_strategy("gradient", reference_idx=2)


@pytest.mark.parametrize("sigma", ["abc", 0, -1.0, float("inf"), float("nan"), None])
def test_ssim_map_sigma_is_checked_when_built(sigma):
    # regression: any sigma was accepted and failed (or gave NaN) only inside the first map
    with pytest.raises(InvalidOptionError, match="sigma"):
        get_strategy("ssim_map", sigma=sigma)


def test_strategies_take_img1_img2():
    import inspect

    for name in list_strategies():
        params = list(inspect.signature(get_strategy(name)).parameters)
        assert params[:2] == ["img1", "img2"] and "metric" in params
