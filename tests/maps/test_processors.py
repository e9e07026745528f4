"""Pre- and post-processors: numbers, shapes, difference-finder's FFT filters."""

from __future__ import annotations

import pytest
import torch

from spotdiff import InvalidOptionError, UnknownNameError
from spotdiff.maps import (
    get_postprocessor,
    get_preprocessor,
    list_postprocessors,
    list_preprocessors,
)

torch.manual_seed(0)
X = torch.rand(2, 3, 32, 40)


def _reference_fft_filter(img, factor, keep_center):
    """difference-finder 0.0.4's hp/lp filter, restated (box in the shifted spectrum)."""
    k = torch.fft.fftshift(torch.fft.fft2(img))  # note: shifts every axis, as difference-finder did
    _, _, h, w = img.shape
    mask = torch.zeros_like(k.real) if keep_center else torch.ones_like(k.real)
    ch, cw, hh, hw = h // 2, w // 2, int(h * factor // 2), int(w * factor // 2)
    mask[:, :, ch - hh : ch + hh, cw - hw : cw + hw] = 1.0 if keep_center else 0.0
    return torch.fft.ifft2(torch.fft.ifftshift(k * mask)).real


def test_registered_names():
    assert set(list_preprocessors()) >= {
        "identity",
        "normalize",
        "highpass_filter",
        "lowpass_filter",
        "grayscale",
        "gaussian_blur",
    }
    assert set(list_postprocessors()) >= {
        "identity",
        "abs",
        "normalize",
        "gaussian_blur",
        "threshold",
    }
    with pytest.raises(UnknownNameError, match="highpass_filter"):
        get_preprocessor("hipass_filter")


@pytest.mark.parametrize(
    ("name", "factor", "keep"),
    [
        ("highpass_filter", 0.1, False),
        ("lowpass_filter", 0.9, True),
        ("highpass_filter", 0.3, False),
        ("lowpass_filter", 0.25, True),
    ],
)
def test_fft_filters_match_difference_finder(name, factor, keep):
    # difference-finder shifted the batch and channel axes too; on one image and channel the
    # shift of size-1 axes is a no-op, so compare per (1, 1, H, W) slice.
    processor = get_preprocessor(name, factor=factor)
    out = processor(X)
    for n in range(2):
        for c in range(3):
            ref = _reference_fft_filter(X[n : n + 1, c : c + 1], factor, keep)
            torch.testing.assert_close(out[n : n + 1, c : c + 1], ref, atol=1e-5, rtol=0)


def test_default_factors_and_extremes():
    high = get_preprocessor("highpass_filter")
    assert high.factor == 0.1 and get_preprocessor("lowpass_filter").factor == 0.9
    # lowpass keeping everything (factor 1 covers all but odd edges) ~ identity on even sizes
    torch.testing.assert_close(
        get_preprocessor("lowpass_filter", factor=1.0)(X), X, atol=1e-5, rtol=0
    )
    # highpass removes the DC term: every channel has ~zero mean
    assert high(X).mean(dim=(-2, -1)).abs().max() < 1e-5
    with pytest.raises(ValueError, match="factor must be <= 1"):
        get_preprocessor("highpass_filter", factor=1.5)


def test_normalize_grayscale_blur():
    y = get_preprocessor("normalize")(X * 0.5 + 0.2)
    assert torch.allclose(y.flatten(1).min(1).values, torch.zeros(2))
    assert torch.allclose(y.flatten(1).max(1).values, torch.ones(2))
    assert torch.equal(
        get_preprocessor("normalize")(torch.ones(1, 1, 4, 4)), torch.zeros(1, 1, 4, 4)
    )
    gray = get_preprocessor("grayscale")(X)
    assert gray.shape == (2, 1, 32, 40)
    torch.testing.assert_close(gray[:, 0], 0.299 * X[:, 0] + 0.587 * X[:, 1] + 0.114 * X[:, 2])
    blur = get_preprocessor("gaussian_blur", sigma=2.0)(X)
    assert blur.shape == X.shape and blur.std() < X.std() / 2
    const = torch.full((1, 3, 9, 9), 0.3)
    torch.testing.assert_close(get_preprocessor("gaussian_blur")(const), const)


def test_post_threshold_otsu_separates_two_levels():
    m = torch.zeros(1, 1, 10, 10)
    m[..., :3, :] = 0.8
    m += 0.01 * torch.rand_like(m)
    out = get_postprocessor("threshold")(m)
    assert torch.equal(out, (m > 0.5).float())
    fixed = get_postprocessor("threshold", value=0.9)(m)
    assert fixed.sum() == 0
    assert torch.equal(get_postprocessor("abs")(-m), m)


@pytest.mark.parametrize("kind", ["pre", "post"])
def test_blur_sigma_and_threshold_must_be_finite(kind):
    get = get_preprocessor if kind == "pre" else get_postprocessor
    with pytest.raises(InvalidOptionError, match="sigma must be a finite number"):
        get("gaussian_blur", sigma=float("inf"))  # regression: OverflowError on the first call
    with pytest.raises(InvalidOptionError, match="value must be a finite number"):
        get_postprocessor("threshold", value=float("inf"))


def test_a_huge_blur_sigma_does_not_allocate_a_huge_kernel():
    # regression: sigma=1e9 built a 6e9-tap kernel (24 GB); the radius is capped at the image side
    out = get_preprocessor("gaussian_blur", sigma=1e9)(X)
    assert out.shape == X.shape and torch.isfinite(out).all()
    # past the cap every sigma gives the same (flat) kernel of 2 * 40 + 1 taps
    torch.testing.assert_close(out, get_preprocessor("gaussian_blur", sigma=1e6)(X))
