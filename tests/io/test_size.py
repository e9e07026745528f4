"""The size policy: resize, pad or error, for uint8 / float arrays and float tensors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from spotdiff import InvalidOptionError, SizeMismatchError, SpotdiffWarning
from spotdiff.io import match_sizes, match_sizes_tensor
from spotdiff.io._layout import known_layout

RNG = np.random.default_rng(3)
IMG1 = RNG.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
IMG2 = RNG.integers(0, 256, size=(10, 40, 3), dtype=np.uint8)


def test_same_size_is_returned_as_it_is():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out1, out2 = match_sizes(img1=IMG1, img2=IMG1.copy(), size_mismatch="error")
    assert out1 is IMG1
    np.testing.assert_array_equal(out2, IMG1)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_resize_second_to_first(dtype):
    img2 = (IMG2 / 255.0).astype(dtype) if dtype == np.float32 else IMG2
    with pytest.warns(SpotdiffWarning, match="30x20 and 40x10: resized the second to 30x20"):
        out1, out2 = match_sizes(IMG1.astype(dtype), img2, "resize")
    assert out1.shape == out2.shape == (20, 30, 3) and out2.dtype == dtype


def test_pad_with_white_to_the_larger_size():
    out1, out2 = match_sizes(IMG1, IMG2, size_mismatch="pad")
    assert out1.shape == out2.shape == (20, 40, 3)
    assert (out1[:, 30:] == 255).all() and (out2[10:] == 255).all()
    np.testing.assert_array_equal(out2[:10], IMG2)
    f1, f2 = match_sizes(IMG1 / 255.0, IMG2 / 255.0, "pad")
    assert f1[0, 35, 0] == 1.0 and f2[15, 0, 0] == 1.0


def test_tensors_follow_the_same_policy():
    t1 = torch.from_numpy(IMG1).permute(2, 0, 1)[None].float() / 255
    t2 = torch.from_numpy(IMG2).permute(2, 0, 1)[None].float() / 255
    out1, out2 = match_sizes_tensor(img1=t1, img2=t2, size_mismatch="pad")
    assert out1.shape == out2.shape == (1, 3, 20, 40)
    with pytest.warns(SpotdiffWarning, match="resized the second"):
        out1, out2 = match_sizes_tensor(t1, t2)
    assert out2.shape == (1, 3, 20, 30) and float(out2.min()) >= 0 and float(out2.max()) <= 1
    with pytest.raises(SizeMismatchError, match="30x20 and 40x10"):
        match_sizes_tensor(t1, t2, "error")


def test_errors_name_sizes_and_options():
    with pytest.raises(SizeMismatchError, match=r"pass size_mismatch='resize' \(--resize\)"):
        match_sizes(IMG1, IMG2, "error")
    with pytest.raises(InvalidOptionError, match="size_mismatch must be one of"):
        match_sizes(IMG1, IMG2, "crop")


def test_results_carry_their_known_layout():
    # a (3, 4, 3) result is HWC by construction: reading it again must not guess
    small1 = RNG.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
    small2 = RNG.integers(0, 256, size=(3, 3, 3), dtype=np.uint8)
    with pytest.warns(SpotdiffWarning, match="resized"):
        out1, out2 = match_sizes(small1, small2)
    assert known_layout(out1) == known_layout(out2) == "HWC"
    t1, t2 = match_sizes_tensor(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))
    assert known_layout(t1) == known_layout(t2) == "NCHW"
