"""Local structural similarity (SSIM) map with NumPy and OpenCV only (no torch).

This is the model-free engine's SSIM: the same per-pixel map as the torch
:func:`spotdiff.maps.metrics.ssim.ssim_map` and as scikit-image's
``structural_similarity(im1, im2, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=..., channel_axis=-1, full=True)[1]``, computed with
``cv2.sepFilter2D`` on float32, in cache-sized strips of rows spread over a small thread pool
(about 60 ms for a 1920x1080 RGB pair on 2 idle cores, where scikit-image takes about 450 ms;
see ``benchmarks/bench_ssim.py``). Its threads follow ``cv2.setNumThreads``.

Reproducing the reference:

- Gaussian window, ``sigma=1.5``, truncated like ``scipy.ndimage.gaussian_filter(truncate=3.5)``:
  radius ``int(3.5 * sigma + 0.5)`` (5 px for sigma 1.5, an 11-tap window), weights
  ``exp(-x**2 / (2 sigma**2))`` normalized to sum 1.
- Borders: scipy's ``mode='reflect'`` (edge sample repeated, ``d c b a | a b c d``), which is
  OpenCV's ``BORDER_REFLECT`` (not ``BORDER_REFLECT_101``) and numpy's ``'symmetric'``.
- Population covariances (``use_sample_covariance=False``), ``C1 = (k1 * L)**2``,
  ``C2 = (k2 * L)**2`` with ``L = data_range``.

Importing this module loads NumPy and OpenCV only.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from .._errors import InvalidOptionError
from .._threads import map_threads
from .._threads import workers as _workers
from .._validate import check_data_range, check_finite, check_image, check_same_shape

__all__ = [
    "check_window_fits",
    "gaussian_radius",
    "gaussian_window",
    "resolve_win_size",
    "ssim_map_cv",
    "ssim_map_hwc",
    "ssim_options",
]


def gaussian_radius(sigma: float) -> int:
    """Radius of the truncated gaussian window (scipy, scikit-image): ``int(3.5 sigma + 0.5)``."""
    return int(3.5 * sigma + 0.5)


def resolve_win_size(win_size: int | None, sigma: float) -> int:
    """Validated window size: ``win_size``, or ``2 int(3.5 sigma + 0.5) + 1`` (11 for 1.5)."""
    try:
        sigma_ok = not isinstance(sigma, bool) and 0 < float(sigma) < float("inf")
    except (TypeError, ValueError):
        sigma_ok = False
    if not sigma_ok:
        raise InvalidOptionError(f"sigma must be a positive finite number, got {sigma!r}")
    if win_size is None:
        return 2 * gaussian_radius(float(sigma)) + 1
    if isinstance(win_size, bool) or not isinstance(win_size, int) or win_size < 1:
        raise InvalidOptionError(f"win_size must be a positive odd integer, got {win_size!r}")
    if win_size % 2 == 0:
        raise InvalidOptionError(f"win_size must be odd, got {win_size}; use {win_size + 1}")
    return win_size


def _check_k(k1: float, k2: float) -> None:
    for name, k in (("k1", k1), ("k2", k2)):
        check_finite(name, k, low=0.0)


def ssim_options(
    *, data_range: float, win_size: int | None, sigma: float, k1: float, k2: float
) -> dict[str, float]:
    """Validated SSIM options, shared by the NumPy map (:func:`ssim_map_cv`) and the torch SSIM /
    MS-SSIM (:mod:`spotdiff.maps.metrics.ssim`): one validation, one set of messages.

    Returns:
        ``{"data_range", "win_size", "sigma", "k1", "k2"}``: ``data_range`` checked,
        ``win_size`` resolved (:func:`resolve_win_size`), ``sigma``, ``k1``, ``k2`` as floats.

    Raises:
        InvalidOptionError: a bad data_range, sigma, win_size, k1 or k2.
    """
    data_range = check_data_range(data_range)
    size = resolve_win_size(win_size, sigma)
    _check_k(k1, k2)
    return {
        "data_range": data_range,
        "win_size": size,
        "sigma": float(sigma),
        "k1": float(k1),
        "k2": float(k2),
    }


def check_window_fits(
    height: int, width: int, options: dict[str, float], *, win_size_option: bool = True
) -> None:
    """Raise :class:`~spotdiff._errors.InvalidOptionError` when an image of ``height`` x
    ``width`` pixels is smaller than the SSIM window of ``options`` (:func:`ssim_options`).

    Shared by the NumPy map (:func:`ssim_map_cv`) and the torch SSIM
    (:mod:`spotdiff.maps.metrics.ssim`): one check, one message. ``win_size_option`` says
    whether the caller takes a ``win_size`` (the message then suggests it).
    """
    win = int(options["win_size"])
    if min(height, width) >= win:
        return
    smaller = "sigma or win_size" if win_size_option else "sigma"
    raise InvalidOptionError(
        f"images are {width}x{height} but the SSIM window is {win}x{win} "
        f"(sigma={options['sigma']:g}): SSIM needs images of at least {win}x{win} pixels; "
        f"upsample them or pass a smaller {smaller}"
    )


def _check_pair(img1: np.ndarray, img2: np.ndarray) -> None:
    check_image("img1", img1)
    check_image("img2", img2)
    check_same_shape("img1", img1, "img2", img2)


def _default_range(a: np.ndarray, b: np.ndarray) -> float:
    if a.dtype == np.uint8 and b.dtype == np.uint8:
        return 255.0
    if np.issubdtype(a.dtype, np.floating) or np.issubdtype(b.dtype, np.floating):
        return 1.0
    raise InvalidOptionError(
        f"cannot infer data_range for dtypes {a.dtype} and {b.dtype}; "
        "pass data_range explicitly (e.g. data_range=65535 for uint16 images)"
    )


def ssim_map_cv(
    img1: np.ndarray,
    img2: np.ndarray,
    *,
    data_range: float | None = None,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> np.ndarray:
    """Per-pixel SSIM map of two images, with OpenCV.

    Args:
        img1: image 1, shape (H, W) or (H, W, C), dtype uint8 / any integer / float, values in
            ``[0, data_range]``.
        img2: image 2, same shape as ``img1`` (dtype may differ).
        data_range: ``L``, the range of the values (max - min possible). None means 255 when both
            images are uint8 and 1.0 when either is floating point; other integer dtypes need it.
        sigma: standard deviation of the gaussian window in pixels (> 0); the window has radius
            ``int(3.5 * sigma + 0.5)``. 1.5 (an 11x11 window) reproduces Wang et al. 2004 and
            scikit-image ``gaussian_weights=True``.
        k1, k2: the SSIM stabilizing constants (>= 0): ``C1 = (k1 L)^2``, ``C2 = (k2 L)^2``.

    Returns:
        float32 array with the shape of ``img1``, (H, W) or (H, W, C): the local SSIM of each pixel
        and channel, in ``[-1, 1]`` (1 where the neighbourhoods are identical). Equal to
        scikit-image's float64 ``full=True`` map (settings in the module docstring) within
        ~1e-4 at worst, ~1e-6 typically (float32 arithmetic); scikit-image's scalar is this map
        cropped by the radius on every side and averaged.

    Raises:
        LayoutError: the arrays are not (H, W) / (H, W, C) numeric images of one shape.
        InvalidOptionError: bad ``sigma`` / ``k1`` / ``k2`` / ``data_range``, or an image smaller
            than the window.
    """
    _check_pair(img1, img2)
    if data_range is None:
        data_range = _default_range(img1, img2)
    options = ssim_options(data_range=data_range, win_size=None, sigma=sigma, k1=k1, k2=k2)
    check_window_fits(*img1.shape[:2], options, win_size_option=False)
    window = gaussian_window(options["sigma"])
    return ssim_map_hwc(
        img1,
        img2,
        data_range=options["data_range"],
        window=window,
        k1=options["k1"],
        k2=options["k2"],
    )


def gaussian_window(sigma: float, win_size: int | None = None) -> np.ndarray:
    """The 1-D gaussian window: float64 (win_size,), sums to 1.

    ``win_size`` None means ``2 r + 1`` with ``r = int(3.5 * sigma + 0.5)``: then the taps equal
    ``scipy.ndimage.gaussian_filter(sigma=sigma, truncate=3.5)``'s and
    ``cv2.getGaussianKernel(2r + 1, sigma)``. ``win_size`` must be odd.
    """
    radius = gaussian_radius(sigma) if win_size is None else (win_size - 1) // 2
    coords = np.arange(-radius, radius + 1, dtype=np.float64)
    window = np.exp(-0.5 * (coords / sigma) ** 2)
    return window / window.sum()


def _reflect_rows(start: int, stop: int, height: int) -> np.ndarray:
    """Row indices start..stop-1 folded into [0, height) with scipy 'reflect' (edge repeated)."""
    idx = np.arange(start, stop)
    idx = np.where(idx < 0, -idx - 1, idx)
    return np.where(idx >= height, 2 * height - idx - 1, idx)


def ssim_map_hwc(
    a: np.ndarray,
    b: np.ndarray,
    *,
    data_range: float,
    window: np.ndarray,
    k1: float,
    k2: float,
    dtype: type[np.floating] = np.float32,
    out: np.ndarray | None = None,
    workers: int | None = None,
    c2_extra: np.ndarray | None = None,
) -> np.ndarray:
    """SSIM map of validated (H, W) / (H, W, C) arrays (at least one window high), in ``dtype``.

    ``window`` is the odd-length 1-D gaussian (:func:`gaussian_window`); ``out`` an optional
    ``dtype`` array of the inputs' shape to write into (returned); ``workers`` the number of
    threads (None: OpenCV's thread count); ``c2_extra`` an optional ``dtype`` (H, W) array
    added to ``C2`` at each pixel, in units of ``data_range ** 2`` (a contrast constant that
    varies over the picture). The inputs may be any strided views (e.g. an NHWC
    view of an NCHW tensor): they are read strip by strip into contiguous buffers.

    Shared by :func:`ssim_map_cv` (float32) and the CPU no-grad path of the torch ``ssim_map``
    (the input's float dtype). Works in horizontal strips of a few dozen rows so that the
    ten-odd temporaries stay in the CPU cache and no full-size temporary is allocated (memory
    traffic, not arithmetic, is what costs), and hands bands of strips to a thread pool (NumPy's
    arithmetic is single-threaded; OpenCV and NumPy release the GIL). Each strip reads
    ``radius`` extra rows above and below (reflected at the image's top and bottom only), so
    strips and bands join exactly.

    Numerics: values are centred (x / L - 1/2): SSIM needs the means (shifted back) and the
    (co)variances, which a common shift leaves unchanged, and float32 loses 4x less to the
    cancellation in var = E[x^2] - E[x]^2 on [-1/2, 1/2] than on [0, 1]. Max error against
    scikit-image's float64 map: ~7e-5 in float32 on photographs (typical ~3e-6), ~1e-12 in
    float64.
    """
    window = np.asarray(window, dtype=dtype)
    radius = (len(window) - 1) // 2
    if out is None:
        out = np.empty(a.shape, dtype)
    result = out
    if a.ndim == 3 and a.shape[2] == 1:  # OpenCV returns (H, W) for one channel
        a, b, out = a[..., 0], b[..., 0], out[..., 0]
    height = a.shape[0]
    row_bytes = max(1, a[0].size) * np.dtype(dtype).itemsize
    strip = int(min(256, max(32, (1 << 19) // row_bytes)))
    starts = list(range(0, height, strip))
    n_workers = min(len(starts), _workers() if workers is None else max(1, workers))
    job = functools.partial(
        _ssim_strips,
        a,
        b,
        out,
        window=window,
        radius=radius,
        strip=strip,
        scale=1.0 / data_range,
        k1=k1,
        k2=k2,
        dtype=dtype,
        c2_extra=c2_extra,
    )
    if n_workers == 1:
        job(starts)
    else:
        map_threads(job, [starts[i::n_workers] for i in range(n_workers)], n_workers)
    return result


def _ssim_strips(
    a: np.ndarray,
    b: np.ndarray,
    out: np.ndarray,
    starts: list[int],
    *,
    window: np.ndarray,
    radius: int,
    strip: int,
    scale: float,
    k1: float,
    k2: float,
    dtype: type[np.floating],
    c2_extra: np.ndarray | None = None,
) -> None:
    """Fill ``out`` rows [r0, r0 + strip) for each r0 in ``starts`` (one worker's share)."""
    height = a.shape[0]
    scale = dtype(scale)
    half = dtype(0.5)
    c1 = dtype(k1 * k1)
    c2 = dtype(k2 * k2)

    padded_shape = (strip + 2 * radius, *a.shape[1:])
    x, y, t, mu_x, mu_y, e_xx, e_yy, e_xy = (np.empty(padded_shape, dtype) for _ in range(8))
    p, q = (np.empty((strip, *a.shape[1:]), dtype) for _ in range(2))

    def blur(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        # rows: their halo is real (or reflected) data and only the middle rows are used;
        # columns: BORDER_REFLECT is scipy's 'reflect' (edge sample repeated)
        return cv2.sepFilter2D(src, -1, window, window, dst=dst, borderType=cv2.BORDER_REFLECT)

    for r0 in starts:
        r1 = min(height, r0 + strip)
        n = r1 - r0
        m = n + 2 * radius
        if r0 >= radius and r1 + radius <= height:
            src_a, src_b = a[r0 - radius : r1 + radius], b[r0 - radius : r1 + radius]
        else:
            rows = _reflect_rows(r0 - radius, r1 + radius, height)
            src_a, src_b = a[rows], b[rows]
        xs, ys, ts = x[:m], y[:m], t[:m]
        np.multiply(src_a, scale, out=xs, casting="unsafe")
        np.subtract(xs, half, out=xs)
        np.multiply(src_b, scale, out=ys, casting="unsafe")
        np.subtract(ys, half, out=ys)
        mx = blur(xs, mu_x[:m])[radius : radius + n]
        my = blur(ys, mu_y[:m])[radius : radius + n]
        np.multiply(xs, xs, out=ts)
        sxx = blur(ts, e_xx[:m])[radius : radius + n]
        np.multiply(ys, ys, out=ts)
        syy = blur(ts, e_yy[:m])[radius : radius + n]
        np.multiply(xs, ys, out=ts)
        sxy = blur(ts, e_xy[:m])[radius : radius + n]

        ps, qs, o = p[:n], q[:n], out[r0:r1]
        # (co)variances of the centred values; then the means shifted back to [0, 1]
        np.subtract(sxy, np.multiply(mx, my, out=ps), out=sxy)
        np.subtract(sxx, np.multiply(mx, mx, out=ps), out=sxx)
        np.subtract(syy, np.multiply(my, my, out=ps), out=syy)
        np.add(mx, half, out=mx)
        np.add(my, half, out=my)
        # numerator (2 mu_x mu_y + C1)(2 cov + C2)
        np.multiply(mx, my, out=ps)
        np.multiply(ps, 2, out=ps)
        np.add(ps, c1, out=ps)
        np.multiply(sxy, 2, out=sxy)
        np.add(sxy, c2, out=sxy)
        extra = None if c2_extra is None else c2_extra[r0:r1]
        if extra is not None:
            np.add(sxy, extra, out=sxy)
        np.multiply(ps, sxy, out=o)
        # denominator (mu_x^2 + mu_y^2 + C1)(var_x + var_y + C2)
        np.multiply(mx, mx, out=ps)
        np.multiply(my, my, out=qs)
        np.add(ps, qs, out=ps)
        np.add(ps, c1, out=ps)
        np.add(sxx, syy, out=qs)
        np.add(qs, c2, out=qs)
        if extra is not None:
            np.add(qs, extra, out=qs)
        np.multiply(ps, qs, out=ps)
        np.divide(o, ps, out=o)
