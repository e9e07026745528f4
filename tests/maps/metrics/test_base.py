"""The metrics' shared interface and checks (maps/metrics/_base.py): check_pair's messages,
reductions, channels_last strides and the Metric base class."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spotdiff import _validate
from spotdiff._errors import InvalidOptionError, LayoutError
from spotdiff.maps.metrics._base import (
    REDUCTIONS,
    Metric,
    channels_last,
    check_data_range,
    check_pair,
    check_reduction,
    reduce,
)

OK = torch.zeros(2, 3, 8, 9)


# --- check_pair -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("img1", "img2", "error", "message"),
    [(np.zeros((2, 3, 8, 9)), OK, LayoutError,
      "m expects torch tensors (N, C, H, W), got img1 of type ndarray; convert images with "
      "spotdiff's io helpers or torch.from_numpy(...).permute(2, 0, 1)[None].float() / 255"),
     (OK, [[0.0]], LayoutError,
      "m expects torch tensors (N, C, H, W), got img2 of type list; convert images with "
      "spotdiff's io helpers or torch.from_numpy(...).permute(2, 0, 1)[None].float() / 255"),
     (torch.zeros(3, 8, 9), OK, LayoutError,
      "m expects 4-D tensors (N, C, H, W), got img1 of shape (3, 8, 9) (add a batch axis with "
      "img1[None])"),
     (OK, torch.zeros(8, 9), LayoutError,
      "m expects 4-D tensors (N, C, H, W), got img2 of shape (8, 9)"),
     (OK, torch.zeros(2, 3, 8, 9, dtype=torch.uint8), LayoutError,
      "m expects floating-point tensors, got img2 of dtype torch.uint8; convert with img2.float() "
      "(and divide uint8 images by 255, or pass data_range=255)"),
     (OK, torch.zeros(2, 3, 9, 8), LayoutError,
      "m compares batches of the same shape, got (2, 3, 8, 9) and (2, 3, 9, 8); resize or crop "
      "one of them first"),
     (OK, torch.zeros(2, 3, 8, 9, device="meta"), LayoutError,
      "m: img1 is on cpu and img2 on meta; move both to one device"),
     (*(torch.zeros(0, 3, 8, 9),) * 2, LayoutError,
      "m: empty batch or no channels, got shape (0, 3, 8, 9)"),
     (*(torch.zeros(1, 0, 8, 9),) * 2, LayoutError,
      "m: empty batch or no channels, got shape (1, 0, 8, 9)")],
    ids=["numpy", "list", "3-D", "2-D", "uint8", "shapes", "devices", "empty", "no-channels"],
)  # fmt: skip
def test_check_pair_names_the_input_what_came_and_what_to_do(img1, img2, error, message):
    with pytest.raises(error) as info:
        check_pair(img1, img2, metric="m")
    assert str(info.value) == message


def test_layout_and_option_errors_are_value_errors():
    assert issubclass(LayoutError, ValueError) and issubclass(InvalidOptionError, ValueError)


def test_check_pair_min_size_counts_height_and_width():
    check_pair(OK, OK, metric="m", min_size=8)  # 8x9 is just enough
    with pytest.raises(InvalidOptionError) as info:
        check_pair(OK, OK, metric="SSIM", min_size=9, min_size_hint="pass win_size=7")
    assert str(info.value) == "SSIM needs images of at least 9x9 pixels, got 9x8; pass win_size=7"
    wide = torch.zeros(1, 1, 20, 5)  # W below the minimum, H above
    with pytest.raises(InvalidOptionError) as info:
        check_pair(wide, wide, metric="m", min_size=6)
    assert str(info.value) == "m needs images of at least 6x6 pixels, got 5x20"


def test_check_pair_accepts_any_float_dtype_and_returns_nothing():
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        x = torch.zeros(1, 1, 1, 1, dtype=dtype)
        assert check_pair(x, x, metric="m") is None


# --- reductions -------------------------------------------------------------------------------


def test_reduce_none_mean_sum():
    values = torch.tensor([1.0, 2.0, 6.0])
    assert reduce(values, "none") is values
    mean, total = reduce(values, "mean"), reduce(values, "sum")
    assert mean.shape == () and mean.item() == 3.0
    assert total.shape == () and total.item() == 9.0
    x = torch.tensor([1.0, 3.0], requires_grad=True)
    reduce(x * x, "mean").backward()  # d/dx mean(x^2) = x
    assert x.grad.tolist() == [1.0, 3.0]


@pytest.mark.parametrize("bad", ["max", "Mean", "", None, 1])
def test_bad_reductions_list_the_valid_ones(bad):
    expected = f"reduction must be one of 'none', 'mean', 'sum', got {bad!r}"
    with pytest.raises(InvalidOptionError) as info:
        check_reduction(bad)
    assert str(info.value) == expected
    with pytest.raises(InvalidOptionError) as info:
        reduce(torch.ones(2), bad)
    assert str(info.value) == expected


def test_check_reduction_returns_the_valid_name():
    assert REDUCTIONS == ("none", "mean", "sum")
    assert [check_reduction(r) for r in REDUCTIONS] == list(REDUCTIONS)


def test_check_data_range_is_the_shared_validator():
    assert check_data_range is _validate.check_data_range
    assert check_data_range(255) == 255.0


# --- channels_last ----------------------------------------------------------------------------


def test_single_image_from_hwc_numpy_layout_gets_canonical_strides():
    # torch.from_numpy(hwc).permute(2, 0, 1)[None] has batch stride C: same values, fast path
    hwc = torch.rand(20, 24, 3)
    x = hwc.permute(2, 0, 1)[None]
    assert x.stride()[0] == 3
    view = channels_last(x)
    assert view.stride() == (20 * 24 * 3, 1, 24 * 3, 3)
    assert view.data_ptr() == x.data_ptr()  # no copy
    torch.testing.assert_close(view, x, atol=0, rtol=0)


@pytest.mark.parametrize(
    ("shape", "copied"),
    [((2, 3, 5, 6), True), ((1, 1, 4, 5), False), ((2, 1, 4, 5), False), ((1, 3, 1, 1), False)],
)
def test_channels_last_strides_are_canonical_for_every_shape(shape, copied):
    n, c, h, w = shape
    x = torch.arange(n * c * h * w, dtype=torch.float32).reshape(shape)  # NCHW contiguous
    y = channels_last(x)
    assert y.stride() == (c * h * w, 1, w * c, c)
    assert y.is_contiguous(memory_format=torch.channels_last)
    assert (y.data_ptr() != x.data_ptr()) is copied  # size-1 C or H, W: same memory, new view
    assert torch.equal(y, x)
    assert channels_last(y).data_ptr() == y.data_ptr()  # already canonical: a view


def test_channels_last_passes_gradients_through():
    x = torch.rand(1, 3, 4, 5, requires_grad=True)
    weights = torch.arange(60.0).reshape(1, 3, 4, 5)
    (channels_last(x) * weights).sum().backward()
    assert torch.equal(x.grad, weights)


# --- the Metric base class --------------------------------------------------------------------


class _Scaled(Metric):
    name = "scaled"
    higher_is_better = True

    def __init__(self, factor: float = 2.0) -> None:
        super().__init__()
        self._options = {"factor": factor, "reduction": "none"}

    def forward(self, img1, img2):
        return self.map(img1, img2).mean(dim=(1, 2, 3))

    def map(self, img1, img2):
        return self._options["factor"] * (img1 - img2).abs()


def test_metric_base_defaults_and_extra_repr():
    assert Metric.name == "" and Metric.higher_is_better is False
    assert repr(_Scaled(0.5)) == "_Scaled(factor=0.5, reduction='none')"
    plain = Metric()
    assert plain.extra_repr() == "" and repr(plain) == "Metric()"
    with pytest.raises(NotImplementedError):
        plain(OK, OK)
    with pytest.raises(NotImplementedError):
        plain.map(OK, OK)
    metric = _Scaled()
    x = torch.zeros(2, 1, 2, 2)
    assert metric(x, x + 0.25).tolist() == [0.5, 0.5]
    assert isinstance(metric, torch.nn.Module)
