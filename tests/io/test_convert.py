"""Conversion of every input kind to uint8 RGB arrays and float NCHW tensors."""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from spotdiff import ImageReadError, LayoutError
from spotdiff.io import to_rgb8, to_rgb8_batch, to_tensor

RNG = np.random.default_rng(1)
HWC = RNG.integers(0, 256, size=(10, 14, 3), dtype=np.uint8)


def _variants():
    chw = np.ascontiguousarray(HWC.transpose(2, 0, 1))
    t_chw = torch.from_numpy(chw)
    return {
        "numpy HWC uint8": (HWC, "auto"),
        "numpy CHW uint8": (chw, "auto"),
        "numpy HWC float": (HWC / 255.0, "auto"),
        "numpy NHWC": (HWC[None], "auto"),
        "torch CHW uint8": (t_chw, "auto"),
        "torch HWC float": (torch.from_numpy(HWC / 255.0).float(), "auto"),
        "torch NCHW float": (t_chw[None].float() / 255.0, "auto"),
        "torch NHWC float": (torch.from_numpy(HWC[None] / 255.0).float(), "auto"),
        "PIL": (Image.fromarray(HWC), "auto"),
        "explicit CHW": (chw, "CHW"),
    }


@pytest.mark.parametrize("name", list(_variants()))
def test_every_input_kind_gives_the_same_rgb8(name):
    value, layout = _variants()[name]
    np.testing.assert_array_equal(to_rgb8(value, layout=layout), HWC)


@pytest.mark.parametrize("name", list(_variants()))
def test_every_input_kind_gives_the_same_tensor(name):
    value, layout = _variants()[name]
    tensor = to_tensor(value, layout=layout)
    assert tensor.shape == (1, 3, 10, 14) and tensor.dtype == torch.float32
    expected = torch.from_numpy(HWC).permute(2, 0, 1)[None].float() / 255.0
    torch.testing.assert_close(tensor, expected, atol=1e-6, rtol=0)


def test_paths_and_bytes(tmp_path):
    Image.fromarray(HWC).save(tmp_path / "a.png")
    np.testing.assert_array_equal(to_rgb8(tmp_path / "a.png"), HWC)
    np.testing.assert_array_equal(to_rgb8(str(tmp_path / "a.png")), HWC)
    buffer = io.BytesIO()
    Image.fromarray(HWC).save(buffer, format="PNG")
    np.testing.assert_array_equal(to_rgb8(buffer.getvalue()), HWC)
    assert to_tensor(buffer.getvalue()).shape == (1, 3, 10, 14)
    with pytest.raises(ImageReadError):
        to_rgb8(b"")


def test_gray_and_alpha_arrays():
    gray = RNG.integers(0, 256, size=(6, 7), dtype=np.uint8)
    out = to_rgb8(gray)
    assert out.shape == (6, 7, 3)
    np.testing.assert_array_equal(out[..., 2], gray)
    rgba = np.zeros((6, 7, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent -> white
    np.testing.assert_array_equal(to_rgb8(rgba), np.full((6, 7, 3), 255, np.uint8))
    assert to_tensor(rgba).shape == (1, 3, 6, 7)
    assert float(to_tensor(rgba).min()) == 1.0
    assert to_tensor(gray).shape == (1, 1, 6, 7)


def test_batches():
    batch = RNG.integers(0, 256, size=(4, 10, 14, 3), dtype=np.uint8)
    assert len(to_rgb8_batch(batch)) == 4
    assert to_tensor(batch).shape == (4, 3, 10, 14)
    assert to_tensor([HWC, HWC]).shape == (2, 3, 10, 14)
    with pytest.raises(LayoutError, match="one batch must share one size"):
        to_tensor([HWC, HWC[:5]])
    with pytest.raises(LayoutError, match="expected one image"):
        to_rgb8(batch)
    with pytest.raises(LayoutError, match="empty list"):
        to_tensor([])


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.full((4, 4), 255.0), "divide by 255"),
        (np.full((4, 4), -0.5), r"\(x \+ 1\) / 2"),
        (np.full((4, 4), 300, dtype=np.int32), "8-bit"),
        (np.full((4, 4), 1 + 2j), "unsupported pixel dtype"),
        ("not a path but a string?", "no such file"),
        (object(), "cannot read an image"),
        (torch.full((3, 8, 8), 2.0), "divide by 255"),
    ],
)
def test_bad_values_are_clear_errors(value, match):
    with pytest.raises((LayoutError, ImageReadError), match=match):
        to_tensor(value)


def test_uint16_and_bool():
    value = np.array([[0, 65535]], dtype=np.uint16)
    torch.testing.assert_close(to_tensor(value)[0, 0, 0], torch.tensor([0.0, 1.0]))
    np.testing.assert_array_equal(to_rgb8(np.array([[True, False]]))[0, :, 0], [255, 0])


def test_tensor_stays_on_device_and_keeps_float64():
    value = torch.rand(1, 3, 5, 5, dtype=torch.float64)
    out = to_tensor(value)
    assert out.dtype == torch.float64 and out.device == value.device
    assert to_tensor(value, dtype=torch.float32).dtype == torch.float32


def test_requires_grad_input_is_detached():
    value = torch.rand(1, 3, 5, 5, requires_grad=True)
    assert not to_tensor(value).requires_grad


NAN_CASES = {
    "numpy all NaN": np.full((6, 5, 3), np.nan, np.float32),
    "numpy one inf": np.where(np.arange(90).reshape(6, 5, 3) == 7, np.inf, 0.5),
    "numpy -inf float16": np.full((4, 5), -np.inf, np.float16),
    "torch one NaN": torch.zeros(3, 4, 5).index_put_(
        (torch.tensor([1]),) * 3, torch.tensor(np.nan)
    ),
    "torch NCHW inf channels-last": torch.full((1, 3, 4, 5), np.inf).to(
        memory_format=torch.channels_last
    ),
}
NAN_COUNTS = {
    "numpy all NaN": "90 non-finite values (NaN or inf) of 90",
    "numpy one inf": "1 non-finite values (NaN or inf) of 90",
    "numpy -inf float16": "20 non-finite values (NaN or inf) of 20",
    "torch one NaN": "1 non-finite values (NaN or inf) of 60",
    "torch NCHW inf channels-last": "60 non-finite values (NaN or inf) of 60",
}


@pytest.mark.parametrize("name", list(NAN_CASES))
@pytest.mark.parametrize("convert", [to_rgb8, to_tensor])
def test_non_finite_values_are_one_layout_error(name, convert):
    # regression: all-NaN arrays came back as black images, with numpy "All-NaN slice" warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LayoutError, match=re.escape(NAN_COUNTS[name])) as info:
            convert(NAN_CASES[name])
    assert "nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0)" in str(info.value)


def test_non_finite_input_to_find_and_load_pair():
    import spotdiff
    from spotdiff.io import load_pair

    nan = np.full((16, 16, 3), np.nan, np.float32)
    ok = np.zeros((16, 16, 3), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LayoutError, match="768 non-finite"):
            load_pair(ok, nan)
        with pytest.raises(LayoutError, match=r"16 non-finite values \(NaN or inf\) of 256"):
            load_pair(np.where(np.eye(16)[..., None] > 0, np.inf, ok)[..., :1], ok)
        with pytest.raises(LayoutError, match="768 non-finite"):
            spotdiff.find(nan, ok)


def test_floats_just_outside_the_unit_range_are_clipped_and_inputs_not_shared():
    value = np.array([[-0.0005, 0.5, 1.0005]], dtype=np.float32)
    out = to_tensor(value)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([0.0, 0.5, 1.0]))
    out += 1  # the result never shares the caller's memory
    assert value[0, 1] == 0.5
    np.testing.assert_array_equal(to_rgb8(value)[0, :, 0], [0, 128, 255])
