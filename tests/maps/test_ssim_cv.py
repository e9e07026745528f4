"""ssim_map_cv: the OpenCV SSIM map against scikit-image and the torch map; no torch import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from spotdiff._errors import InvalidOptionError, LayoutError
from spotdiff.maps.ssim_cv import (
    check_window_fits,
    gaussian_radius,
    gaussian_window,
    ssim_map_cv,
    ssim_options,
)


def _pair(shape=(70, 90, 3), seed=0, noise=0.08):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    base = 0.5 + 0.4 * np.sin(xx / 7.0) * np.cos(yy / 5.0)
    a = np.clip(base[..., None] + 0.1 * rng.random(shape if len(shape) == 3 else (*shape, 1)), 0, 1)
    a = a.reshape(shape)
    b = np.clip(a + noise * rng.standard_normal(shape), 0, 1)
    b[20:40, 30:60] = 1 - b[20:40, 30:60]  # a real change
    return a, b


def _skimage(a, b, data_range, sigma=1.5):
    return structural_similarity(
        a.astype(np.float64),
        b.astype(np.float64),
        gaussian_weights=True,
        sigma=sigma,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=-1 if a.ndim == 3 else None,
        full=True,
    )


@pytest.mark.parametrize("shape", [(70, 90, 3), (70, 90), (33, 200, 1)])
def test_float_map_matches_scikit_image(shape):
    a, b = _pair(shape)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    value, ref = _skimage(a32, b32, 1.0)
    out = ssim_map_cv(a32, b32)
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, atol=1e-4, rtol=0)
    assert np.abs(out - ref).mean() < 1e-5
    r = gaussian_radius(1.5)
    assert out[r:-r, r:-r].mean(dtype=np.float64) == pytest.approx(value, abs=1e-5)


def test_uint8_uses_255_and_matches_scikit_image():
    a, b = _pair()
    a8, b8 = (a * 255).round().astype(np.uint8), (b * 255).round().astype(np.uint8)
    _, ref = _skimage(a8, b8, 255)
    np.testing.assert_allclose(ssim_map_cv(a8, b8), ref, atol=1e-4, rtol=0)
    np.testing.assert_array_equal(ssim_map_cv(a8, b8), ssim_map_cv(a8, b8, data_range=255))


@pytest.mark.parametrize("sigma", [0.8, 2.5])
def test_other_sigmas(sigma):
    a, b = _pair((64, 48))
    _, ref = _skimage(a, b, 1.0, sigma=sigma)
    np.testing.assert_allclose(ssim_map_cv(a, b, sigma=sigma), ref, atol=1e-4, rtol=0)


def test_tall_images_cross_many_strips():
    # strips of rows join exactly: compare with scikit-image on an image many strips tall
    a, b = _pair((600, 23))
    _, ref = _skimage(a, b, 1.0)
    np.testing.assert_allclose(ssim_map_cv(a, b), ref, atol=1e-4, rtol=0)


def test_identical_images_give_one_and_change_is_localized():
    a, b = _pair()
    np.testing.assert_allclose(ssim_map_cv(a, a), 1.0, atol=1e-5)
    out = ssim_map_cv(a, b).mean(axis=2)
    assert out[25:35, 35:55].mean() < 0.2 < 0.5 < out[50:, :20].mean()


def test_matches_the_torch_map():
    torch = pytest.importorskip("torch")
    from spotdiff.maps.metrics import ssim_map

    a, b = _pair()
    x = torch.from_numpy(a).permute(2, 0, 1)[None].float().requires_grad_(True)  # torch path
    y = torch.from_numpy(b).permute(2, 0, 1)[None].float()
    ref = ssim_map(x, y)[0].detach().permute(1, 2, 0).numpy()
    out = ssim_map_cv(a.astype(np.float32), b.astype(np.float32))
    np.testing.assert_allclose(out, ref, atol=3e-5, rtol=0)  # two float32 computations


def test_window_matches_opencv_and_scipy_truncation():
    cv2 = pytest.importorskip("cv2")
    assert gaussian_radius(1.5) == 5
    w = gaussian_window(1.5)
    assert w.shape == (11,) and w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, cv2.getGaussianKernel(11, 1.5, cv2.CV_64F).ravel(), atol=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "error", "match"),
    [
        (np.zeros((20, 20)), np.zeros((20, 21)), {}, LayoutError, "same shape"),
        (np.zeros((2, 20, 20, 3)), np.zeros((2, 20, 20, 3)), {}, LayoutError, "batch"),
        ([[0.0] * 20] * 20, np.zeros((20, 20)), {}, LayoutError, "numpy"),
        (np.zeros((8, 20)), np.zeros((8, 20)), {}, InvalidOptionError, "11x11"),
        (np.zeros((20, 20)), np.zeros((20, 20)), {"sigma": -1}, InvalidOptionError, "sigma"),
        (np.zeros((20, 20)), np.zeros((20, 20)), {"data_range": 0}, InvalidOptionError, "range"),
        (np.zeros((20, 20), np.uint16),) * 2 + ({}, InvalidOptionError, "data_range"),
    ],
)
def test_invalid_inputs(a, b, kwargs, error, match):
    with pytest.raises(error, match=match):
        ssim_map_cv(a, b, **kwargs)


def test_import_does_not_load_torch():
    code = "import sys, spotdiff.maps.ssim_cv; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_works_single_threaded_and_in_a_forked_child():
    import multiprocessing

    a, b = _pair((600, 40, 3))  # three strips of 256 rows: two threads
    ref = ssim_map_cv(a, b)  # starts the thread pool in this process
    np.testing.assert_array_equal(_ssim_map_hwc(a, b, workers=1), ref)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        out = pool.apply(ssim_map_cv, (a, b))
    np.testing.assert_array_equal(out, ref)


def _ssim_map_hwc(a, b, *, workers):
    from spotdiff.maps.ssim_cv import ssim_map_hwc as impl

    return impl(
        a, b, data_range=1.0, window=gaussian_window(1.5), k1=0.01, k2=0.03, workers=workers
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sigma": float("inf")}, "sigma must be a positive finite number"),
        ({"sigma": 0}, "sigma must be a positive finite number"),
        ({"k1": "x"}, "k1 must be a number"),
        ({"k2": float("inf")}, "k2 must be a finite number"),
        ({"data_range": 0}, "data_range must be a positive finite number"),
        ({"data_range": True}, "data_range must be a positive finite number"),
    ],
)
def test_numpy_and_torch_ssim_share_one_validation(options, match):
    """The same bad option gives the same error from the NumPy map and the torch SSIM."""
    torch = pytest.importorskip("torch")
    from spotdiff.maps.metrics.ssim import ssim_map

    a = np.zeros((16, 16), np.uint8)
    with pytest.raises(InvalidOptionError, match=match):
        ssim_map_cv(a, a, **options)
    t = torch.zeros(1, 1, 16, 16)
    with pytest.raises(InvalidOptionError, match=match):
        ssim_map(t, t, **options)


def test_numpy_and_torch_ssim_share_one_window_check():
    """An image smaller than the window: one check, one message (the torch SSIM also takes
    win_size, so it suggests it)."""
    torch = pytest.importorskip("torch")
    from spotdiff.maps.metrics.ssim import ssim, ssim_map

    a = np.zeros((8, 20), np.float32)
    with pytest.raises(InvalidOptionError) as numpy_error:
        ssim_map_cv(a, a)
    t = torch.zeros(1, 1, 8, 20)
    for fn in (ssim_map, ssim):
        with pytest.raises(InvalidOptionError) as torch_error:
            fn(t, t)
        assert str(torch_error.value) == str(numpy_error.value) + " or win_size"
    assert str(numpy_error.value) == (
        "images are 20x8 but the SSIM window is 11x11 (sigma=1.5): SSIM needs images of at "
        "least 11x11 pixels; upsample them or pass a smaller sigma"
    )


def test_window_check_boundary():
    options = ssim_options(data_range=1.0, win_size=7, sigma=1.5, k1=0.01, k2=0.03)
    check_window_fits(7, 300, options)  # exactly the window: fine
    with pytest.raises(InvalidOptionError, match="images are 300x6 but the SSIM window is 7x7"):
        check_window_fits(6, 300, options)
