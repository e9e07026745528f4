"""Structural similarity (SSIM): the local SSIM map and its per-sample mean.

Reproduces scikit-image's ``structural_similarity(x_i, y_i, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=data_range, channel_axis=0)`` for each sample ``x_i``
(C, H, W): :func:`ssim_map` equals its ``full=True`` map, and :func:`ssim` its scalar (the map
cropped by ``(win_size - 1) // 2`` pixels on every side, then averaged over channels and pixels).
The scalar also equals pytorch-msssim's ``ssim(x, y, data_range=data_range,
size_average=False)``, whose "valid" convolutions compute exactly that cropped region.

The window is the gaussian of ``sigma`` truncated like scipy (``truncate=3.5``: 11 taps for
sigma 1.5), borders follow scipy's ``mode='reflect'`` (the edge sample is repeated:
``d c b a | a b c d``, numpy's ``'symmetric'``; not torch's ``'reflect'`` padding).

One private core, :func:`ssim_components`, gives the luminance and contrast-structure maps; the
SSIM map is their product and :mod:`.ms_ssim` reuses the core at every scale.

Speed: without gradients, a CPU ``ssim_map`` runs OpenCV's separable filters on cache-sized strips
of each (H, W) plane, read in place, in a thread pool (:func:`spotdiff.maps.ssim_cv.ssim_map_hwc`);
with gradients, or on other devices, it pads symmetrically and runs depthwise separable
convolutions on ``x, y, x*x, y*y, x*y`` (channels-last on CPU, as pytorch-msssim is fastest). The
scalar :func:`ssim` computes only the valid region and has a hand-written backward pass
(:mod:`._ssim_mean`), which is what the gradient strategy differentiates. Both centre the values
(``x / L - 1/2``) to keep float32's cancellation in ``E[x^2] - E[x]^2`` small: max deviation from
scikit-image's float64 map ~1e-4 in float32, ~1e-12 in float64.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from ..ssim_cv import check_window_fits, gaussian_window, ssim_map_hwc, ssim_options
from . import register_metric
from ._base import Metric, channels_last, check_pair, check_reduction, reduce
from ._ssim_mean import blur_valid, ssim_mean

__all__ = [
    "SSIM",
    "ssim",
    "ssim_from_map",
    "ssim_map",
]

_CV_DTYPES = (torch.float32, torch.float64)


@functools.lru_cache(maxsize=32)
def _window(win_size: int, sigma: float, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(gaussian_window(sigma, win_size), dtype=dtype, device=device)


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    # float16 / bfloat16 lose too much in E[x^2] - E[x]^2: compute in float32
    return x.dtype if x.dtype in _CV_DTYPES else torch.float32


def _prepare(
    x: torch.Tensor, y: torch.Tensor, *, win_size: int, sigma: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs in the compute dtype (channels-last on CPU) and the 1-D window to blur them with."""
    dtype = _compute_dtype(x)
    x, y = x.to(dtype), y.to(dtype)
    if x.device.type == "cpu":  # depthwise convolutions are ~3x faster channels-last on CPU
        x, y = channels_last(x), channels_last(y)
    return x, y, _window(win_size, float(sigma), x.device, dtype)


def _pad_symmetric(x: torch.Tensor, r: int) -> torch.Tensor:
    """Pad H and W by ``r`` with scipy's 'reflect' (edge repeated); differentiable."""
    if r == 0:
        return x
    x = torch.cat([x[..., :r].flip(-1), x, x[..., -r:].flip(-1)], dim=-1)
    return torch.cat([x[..., :r, :].flip(-2), x, x[..., -r:, :].flip(-2)], dim=-2)


def ssim_components(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    data_range: float,
    win_size: int,
    sigma: float,
    k1: float,
    k2: float,
    valid: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The private core: luminance and contrast-structure maps of validated inputs.

    With ``valid=True`` the borders are not padded: the maps cover only the pixels whose window
    lies inside the image, (H - win_size + 1, W - win_size + 1), which is exactly the region the
    scalar SSIM averages (scikit-image's crop, pytorch-msssim's "valid" convolutions). The
    scalars and their gradients use it: no padding copies, no wasted border work.

    Args:
        x, y: float (N, C, H, W), H and W >= ``win_size``, values in ``[0, data_range]``.
        data_range, win_size, sigma, k1, k2: as in :func:`ssim_map` (already validated).

    Returns:
        ``(luminance, cs)``, each (N, C, H, W) in the compute dtype (float32 for half inputs):
        ``l = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)`` in (0, 1] and
        ``cs = (2 cov_xy + C2) / (var_x + var_y + C2)`` in [-1, 1], with gaussian-weighted
        local statistics, population covariances and symmetric borders. ``l * cs`` is SSIM.
    """
    x, y, win = _prepare(x, y, win_size=win_size, sigma=sigma)
    r = (win_size - 1) // 2
    scale = 1.0 / data_range
    # centred values (see the module docstring); C1, C2 in units of data_range
    pad = 0 if valid else r
    xc = _pad_symmetric(x * scale - 0.5, pad)
    yc = _pad_symmetric(y * scale - 0.5, pad)

    def blur(z: torch.Tensor) -> torch.Tensor:  # separable, "valid": (H + 2r) -> H
        return blur_valid(z, win)

    mu_x, mu_y = blur(xc), blur(yc)
    e_xx, e_yy, e_xy = blur(xc * xc), blur(yc * yc), blur(xc * yc)

    c1 = k1 * k1
    c2 = k2 * k2
    mu_xy = mu_x * mu_y
    cov = e_xy - mu_xy
    var_sum = (e_xx - mu_x * mu_x) + (e_yy - mu_y * mu_y)
    cs = (2.0 * cov + c2) / (var_sum + c2)
    # the luminance term needs the means themselves: shift them back to [0, 1] units
    mx, my = mu_x + 0.5, mu_y + 0.5
    luminance = (2.0 * mx * my + c1) / (mx * mx + my * my + c1)
    return luminance, cs


def _needs_grad(x: torch.Tensor, y: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)


def _use_opencv(x: torch.Tensor, y: torch.Tensor) -> bool:
    """CPU float32/64 inputs without gradients: the OpenCV map (:func:`_ssim_map_opencv`)."""
    return (
        x.device.type == "cpu"
        and y.device.type == "cpu"
        and x.dtype in _CV_DTYPES
        and not _needs_grad(x, y)
    )


def _checked_options(x: torch.Tensor, y: torch.Tensor, **given: Any) -> dict[str, float]:
    """Validated options (:func:`~spotdiff.maps.ssim_cv.ssim_options` of ``given``) for a
    valid pair of inputs at least the window's size."""
    options = ssim_options(**given)
    check_pair(x, y, metric="ssim")
    check_window_fits(*x.shape[-2:], options)
    return options


def _ssim_map_opencv(x: torch.Tensor, y: torch.Tensor, options: dict[str, float]) -> torch.Tensor:
    """CPU, no-grad path: OpenCV on each (H, W) plane, read in place; (N, C, H, W) contiguous.

    ``options``: validated (:func:`_checked_options`).
    """
    out = torch.empty(x.shape, dtype=x.dtype)
    window = gaussian_window(options["sigma"], int(options["win_size"]))
    xs = x.detach().numpy()
    ys = y.detach().to(x.dtype).numpy()
    planes = out.numpy()
    np_dtype = planes.dtype.type
    for i in range(x.shape[0]):
        for c in range(x.shape[1]):
            ssim_map_hwc(
                xs[i, c],
                ys[i, c],
                data_range=options["data_range"],
                window=window,
                k1=options["k1"],
                k2=options["k2"],
                dtype=np_dtype,
                out=planes[i, c],
            )
    return out


def ssim_map(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    data_range: float = 1.0,
    win_size: int | None = None,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Local SSIM of every pixel and channel.

    Args:
        img1, img2: float tensors (N, C, H, W) of one shape, any device and float dtype, values in
            ``[0, data_range]``; H and W at least ``win_size``.
        data_range: ``L``, the span of the values (1.0 for [0, 1], 255 for 8-bit values).
        win_size: odd window size; None (default) derives it from ``sigma`` like scikit-image,
            ``2 int(3.5 sigma + 0.5) + 1`` (11 for sigma 1.5, pytorch-msssim's default).
        sigma: standard deviation of the gaussian window, in pixels.
        k1, k2: stabilizing constants, ``C1 = (k1 L)^2``, ``C2 = (k2 L)^2``.

    Returns:
        (N, C, H, W) tensor on ``img1``'s device and in its dtype, values in [-1, 1] (1 where the
        neighbourhoods agree). Equals scikit-image's ``structural_similarity(x_i, y_i,
        gaussian_weights=True, sigma=sigma, use_sample_covariance=False, data_range=L,
        channel_axis=0, full=True)[1]`` within ~1e-4 (float32) / 1e-10 (float64). Differentiable
        w.r.t. both inputs.

    Raises:
        LayoutError: inputs not float (N, C, H, W) tensors of one shape and device.
        InvalidOptionError: bad options, or images smaller than the window.
    """
    options = _checked_options(
        img1, img2, data_range=data_range, win_size=win_size, sigma=sigma, k1=k1, k2=k2
    )
    if _use_opencv(img1, img2):
        return _ssim_map_opencv(img1, img2, options)
    luminance, cs = ssim_components(img1, img2, **options)
    return (luminance * cs).to(img1.dtype)


def ssim_from_map(ssim_values: torch.Tensor, *, win_size: int = 11) -> torch.Tensor:
    """Per-sample SSIM from a (N, C, H, W) SSIM map: the mean after cropping the border.

    The crop, ``(win_size - 1) // 2`` pixels on every side, drops the pixels whose window reaches
    past the image (as scikit-image does; pytorch-msssim never computes them).
    """
    r = (win_size - 1) // 2
    h, w = ssim_values.shape[-2:]
    return ssim_values[..., r : h - r, r : w - r].mean(dim=(1, 2, 3))


def _ssim_mean_valid(x: torch.Tensor, y: torch.Tensor, options: dict[str, float]) -> torch.Tensor:
    """(N,) mean SSIM over the valid region, with the analytic backward; ``options``:
    validated (:func:`_checked_options`)."""
    x, y, win = _prepare(x, y, win_size=int(options["win_size"]), sigma=options["sigma"])
    k1, k2 = options["k1"], options["k2"]
    return ssim_mean(x, y, win=win, data_range=options["data_range"], k1=k1, k2=k2)


def ssim(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    data_range: float = 1.0,
    win_size: int | None = None,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    reduction: str = "none",
) -> torch.Tensor:
    """Mean SSIM per sample.

    Args:
        img1, img2, data_range, win_size, sigma, k1, k2: as in :func:`ssim_map`.
        reduction: ``"none"`` -> (N,), ``"mean"`` / ``"sum"`` over the batch -> 0-d tensor.

    Returns:
        (N,) (or 0-d) tensor in ``img1``'s dtype, in [-1, 1], 1 for identical images. The mean of
        :func:`ssim_map` over channels and pixels after cropping ``(win_size - 1) // 2`` pixels
        on every side: scikit-image's ``structural_similarity(..., gaussian_weights=True,
        sigma=1.5, use_sample_covariance=False, data_range=L, channel_axis=0)`` and
        pytorch-msssim's ``ssim(x, y, data_range=L, size_average=False)``.
    """
    check_reduction(reduction)
    options = _checked_options(
        img1, img2, data_range=data_range, win_size=win_size, sigma=sigma, k1=k1, k2=k2
    )
    if _use_opencv(img1, img2):
        values = ssim_from_map(
            _ssim_map_opencv(img1, img2, options), win_size=int(options["win_size"])
        )
    else:  # differentiable: only the averaged (valid) region is computed
        values = _ssim_mean_valid(img1, img2, options).to(img1.dtype)
    return reduce(values, reduction)


@register_metric("ssim")
class SSIM(Metric):
    """Structural similarity (higher is better, 1 for identical images); see :func:`ssim`.

    Args:
        data_range, win_size, sigma, k1, k2: as in :func:`ssim_map`.

    ``forward`` -> (N,) mean SSIM; ``map`` -> (N, C, H, W) local SSIM in [-1, 1].
    """

    name = "ssim"
    higher_is_better = True

    def __init__(
        self,
        *,
        data_range: float = 1.0,
        win_size: int | None = None,
        sigma: float = 1.5,
        k1: float = 0.01,
        k2: float = 0.03,
    ) -> None:
        super().__init__()
        self._options = ssim_options(
            data_range=data_range, win_size=win_size, sigma=sigma, k1=k1, k2=k2
        )
        self.data_range, self.win_size, self.sigma, self.k1, self.k2 = self._options.values()

    def map(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) local SSIM."""
        return ssim_map(img1, img2, **self._options)

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """(N,) mean SSIM per sample (the cropped mean of :meth:`map`)."""
        return ssim(img1, img2, **self._options)
