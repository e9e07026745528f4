"""Image-quality metrics (torch): MSE, PSNR, SSIM, MS-SSIM, LPIPS.

Each metric family lives in its own module and offers pure functions (``mse``, ``psnr``,
``ssim`` / ``ssim_map``, ``ms_ssim`` / ``ms_ssim_map``, ``lpips`` / ``lpips_map``) and a
:class:`Metric` module registered by name::

    >>> from spotdiff.maps.metrics import get_metric, list_metrics
    >>> list_metrics()
    ['lpips', 'ms_ssim', 'mse', 'psnr', 'ssim']
    >>> metric = get_metric("ssim", data_range=1.0)
    >>> values = metric(x, y)       # (N,) per sample, differentiable
    >>> local = metric.map(x, y)    # (N, C, H, W) per pixel

Inputs are float tensors (N, C, H, W) on any device, values in ``[0, data_range]``; the two
images are positional and every option is keyword-only.
"""

from __future__ import annotations

from typing import Any

from ..._registry import Registry
from ._base import Metric

METRICS: Registry[Metric] = Registry("metric")
register_metric = METRICS.register


def get_metric(name: str, /, **options: Any) -> Metric:
    """Build the registered metric ``name`` (case, ``-``/``_`` and aliases folded) with ``options``.

    Raises:
        UnknownNameError: no such metric; the message lists close matches and valid names.
        InvalidOptionError: an option the metric does not take (the message lists its options),
            or a bad value.
    """
    return METRICS.get(name, **options)


def list_metrics() -> list[str]:
    """Sorted canonical names of the registered metrics."""
    return METRICS.names()


# Importing the metric modules (lpips, ms_ssim, mse, psnr, ssim) registers their metrics. Their
# functions then take the modules' names in this namespace (``metrics.ssim`` is the function;
# ``from spotdiff.maps.metrics.ssim import ...`` still reaches the module), as in kornia.metrics.
from ._base import REDUCTIONS  # noqa: E402
from .lpips import LPIPS, lpips, lpips_map  # noqa: E402
from .ms_ssim import DEFAULT_WEIGHTS, MSSSIM, ms_ssim, ms_ssim_map  # noqa: E402
from .mse import MSE, mse, squared_error_map  # noqa: E402
from .psnr import PSNR, psnr, psnr_from_mse  # noqa: E402
from .ssim import SSIM, ssim, ssim_from_map, ssim_map  # noqa: E402

__all__ = [
    "DEFAULT_WEIGHTS",
    "LPIPS",
    "METRICS",
    "MSE",
    "MSSSIM",
    "PSNR",
    "REDUCTIONS",
    "SSIM",
    "Metric",
    "get_metric",
    "list_metrics",
    "lpips",
    "lpips_map",
    "ms_ssim",
    "ms_ssim_map",
    "mse",
    "psnr",
    "psnr_from_mse",
    "register_metric",
    "squared_error_map",
    "ssim",
    "ssim_from_map",
    "ssim_map",
]
