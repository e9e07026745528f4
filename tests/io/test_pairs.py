"""Pairs: size policies and directory pairing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from spotdiff import PairingError, SizeMismatchError, SpotdiffWarning
from spotdiff.io import load_pair, load_tensor_pair, pair_directories

RNG = np.random.default_rng(2)
A = RNG.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
B = RNG.integers(0, 256, size=(40, 60, 3), dtype=np.uint8)


def test_same_size_is_untouched(recwarn):
    a, b = load_pair(A, A.copy())
    np.testing.assert_array_equal(a, A)
    np.testing.assert_array_equal(b, A)
    assert not recwarn.list


def test_resize_second_to_first_with_warning():
    with pytest.warns(SpotdiffWarning, match=r"30x20 and 60x40: resized the second to 30x20"):
        a, b = load_pair(A, B)
    assert a.shape == b.shape == (20, 30, 3)
    with pytest.warns(SpotdiffWarning):
        ta, tb = load_tensor_pair(A, B)
    assert ta.shape == tb.shape == (1, 3, 20, 30)


def test_pad_both_to_the_larger_size():
    a, b = load_pair(A, B[:10, :50], size_mismatch="pad")
    assert a.shape == b.shape == (20, 50, 3)
    assert (a[:, 30:] == 255).all() and (b[10:] == 255).all()
    ta, tb = load_tensor_pair(A, B[:10, :50], size_mismatch="pad")
    assert ta.shape == tb.shape == (1, 3, 20, 50)
    torch.testing.assert_close(ta[0].permute(1, 2, 0), torch.from_numpy(a).float() / 255)


def test_error_policy_names_both_sizes_and_the_fix():
    with pytest.raises(SizeMismatchError, match=r"30x20 and 60x40: pass size_mismatch='resize'"):
        load_pair(A, B, size_mismatch="error")
    with pytest.raises(ValueError, match="size_mismatch must be one of"):
        load_pair(A, B, size_mismatch="crop")


def test_gray_against_colour_tensor_pair():
    gray = RNG.integers(0, 256, size=(20, 30), dtype=np.uint8)
    a, b = load_tensor_pair(gray, A)
    assert a.shape == b.shape == (1, 3, 20, 30)
    assert load_pair(gray, A)[0].shape == (20, 30, 3)


def test_batches_of_different_length():
    with pytest.raises(PairingError, match="2 and 3 images"):
        load_tensor_pair(np.stack([A] * 2), np.stack([A] * 3))


def _write(directory, names, array=A):
    directory.mkdir(exist_ok=True)
    for name in names:
        Image.fromarray(array).save(directory / name)


def test_directories_pair_by_name(tmp_path):
    _write(tmp_path / "d1", ["b.png", "a.png", "c.png"])
    _write(tmp_path / "d2", ["a.png", "c.jpg", "b.png"])
    (tmp_path / "d2" / "notes.txt").write_text("not an image")
    pairs = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert [(n, p1.name, p2.name) for n, p1, p2 in pairs.pairs] == [
        ("a", "a.png", "a.png"),
        ("b", "b.png", "b.png"),
        ("c", "c.png", "c.jpg"),
    ]


def test_equal_counts_with_different_names_pair_in_order_with_warning(tmp_path):
    _write(tmp_path / "d1", ["img1.png", "x.png"])
    _write(tmp_path / "d2", ["img2.png", "x.png"])
    with pytest.warns(SpotdiffWarning, match="img1.png~img2.png"):
        pairs = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert len(pairs) == 2
    with pytest.raises(PairingError, match="file names differ"):
        pair_directories(tmp_path / "d1", tmp_path / "d2", strict=True)


def test_different_counts_name_both_directories(tmp_path):
    _write(tmp_path / "d1", ["a.png", "b.png", "c.png"])
    _write(tmp_path / "d2", ["a.png", "b.png"])
    with pytest.raises(PairingError, match=r"d1 holds 3 images and .*d2 holds 2.*c\.png"):
        pair_directories(tmp_path / "d1", tmp_path / "d2")


def test_empty_directory(tmp_path):
    _write(tmp_path / "d1", ["a.png"])
    (tmp_path / "d2").mkdir()
    with pytest.raises(PairingError, match="no image files"):
        pair_directories(tmp_path / "d1", tmp_path / "d2")


def test_two_files_decode_concurrently_with_serial_results_and_error_order(tmp_path):
    from spotdiff._errors import ImageReadError

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "a.png")
    Image.fromarray(b).save(tmp_path / "b.png")
    (tmp_path / "bad1.png").write_bytes(b"not an image")
    (tmp_path / "bad2.png").write_bytes(b"not an image either")
    x, y = load_pair(tmp_path / "a.png", (tmp_path / "b.png").read_bytes())
    np.testing.assert_array_equal(x, a)
    np.testing.assert_array_equal(y, b)
    with pytest.raises(ImageReadError, match="bad1"):  # image 1's error first, as a serial load
        load_pair(tmp_path / "bad1.png", tmp_path / "bad2.png")
    with pytest.raises(ImageReadError, match="bad2"):
        load_pair(tmp_path / "a.png", tmp_path / "bad2.png")
    with pytest.raises(ImageReadError, match="bad1"):
        load_pair(tmp_path / "bad1.png", tmp_path / "b.png")
