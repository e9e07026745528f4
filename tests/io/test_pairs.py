"""Pairs: size policies and directory pairing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from spotdiff import InvalidOptionError, PairingError, SizeMismatchError, SpotdiffWarning
from spotdiff.io import (
    DirectoryPairs,
    DirectoryRow,
    decode_pair,
    decode_pair_reduced,
    directory_rows,
    load_pair,
    load_tensor_pair,
    pair_directories,
)

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


def _names(paths):
    return [p.name for p in paths]


def test_different_names_are_never_paired_even_with_equal_counts(tmp_path, recwarn):
    # regression: cat.png was compared with zebra.png (sorted-order pairing, with a warning)
    _write(tmp_path / "d1", ["cat.png", "x.png"])
    _write(tmp_path / "d2", ["zebra.png", "x.png"])
    found = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert [(n, p1.name, p2.name) for n, p1, p2 in found.pairs] == [("x", "x.png", "x.png")]
    assert _names(found.only_in_1) == ["cat.png"]
    assert _names(found.only_in_2) == ["zebra.png"]
    assert len(found) == 1
    assert not recwarn.list


def test_strict_raises_naming_the_unmatched_files(tmp_path):
    _write(tmp_path / "d1", ["cat.png", "x.png"])
    _write(tmp_path / "d2", ["zebra.png", "x.png", "y.png"])
    with pytest.raises(
        PairingError, match=r"only in the first: cat\.png; only in the second: y\.png, zebra\.png"
    ):
        pair_directories(tmp_path / "d1", tmp_path / "d2", strict=True)
    _write(tmp_path / "d3", ["x.png"])
    _write(tmp_path / "d4", ["x.jpg"])
    assert len(pair_directories(tmp_path / "d3", tmp_path / "d4", strict=True)) == 1


def test_different_counts_return_the_unmatched_files(tmp_path):
    # regression: different counts raised PairingError instead of pairing what matches
    _write(tmp_path / "d1", ["a.png", "b.png", "c.png"])
    _write(tmp_path / "d2", ["a.png", "b.png"])
    found = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert [n for n, _, _ in found.pairs] == ["a", "b"]
    assert _names(found.only_in_1) == ["c.png"] and found.only_in_2 == []


def test_stems_pair_only_when_unique(tmp_path):
    _write(tmp_path / "d1", ["a.png", "a.jpg", "b.png"])
    _write(tmp_path / "d2", ["a.bmp", "b.jpg"])
    found = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert [(n, p1.name, p2.name) for n, p1, p2 in found.pairs] == [("b", "b.png", "b.jpg")]
    assert _names(found.only_in_1) == ["a.jpg", "a.png"]
    assert _names(found.only_in_2) == ["a.bmp"]


def test_names_stay_unique_when_two_pairs_share_a_stem(tmp_path):
    _write(tmp_path / "d1", ["a.png", "a.jpg", "b.png"])
    _write(tmp_path / "d2", ["a.png", "a.jpg", "b.png"])
    found = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert [n for n, _, _ in found.pairs] == ["a.jpg", "a.png", "b"]


def test_one_empty_directory_leaves_everything_unmatched(tmp_path):
    _write(tmp_path / "d1", ["a.png"])
    (tmp_path / "d2").mkdir()
    found = pair_directories(tmp_path / "d1", tmp_path / "d2")
    assert found.pairs == [] and _names(found.only_in_1) == ["a.png"]
    with pytest.raises(PairingError, match=r"only in the first: a\.png"):
        pair_directories(tmp_path / "d1", tmp_path / "d2", strict=True)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        ("both_empty", "no image files in either"),
        ("missing", "not a directory"),
        ("file", "not a directory"),
    ],
)
def test_pairing_errors(tmp_path, make, match):
    (tmp_path / "d1").mkdir()
    (tmp_path / "d1" / "notes.txt").write_text("not an image")
    second = tmp_path / "d2"
    if make == "both_empty":
        second.mkdir()
    elif make == "file":
        second.write_bytes(b"")
    else:
        _write(tmp_path / "d1", ["a.png"])
    with pytest.raises(PairingError, match=match) as info:
        pair_directories(tmp_path / "d1", second)
    assert "d2" in str(info.value)


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


def test_decode_pair_reduced_returns_original_sizes(tmp_path):
    Image.new("RGB", (4000, 3000), (200, 10, 10)).save(tmp_path / "a.jpg")
    Image.new("RGB", (2000, 1500), (200, 10, 10)).save(tmp_path / "b.png")
    both = decode_pair_reduced(tmp_path / "a.jpg", tmp_path / "b.png", max_side=500)
    img1, img2, size1, size2 = both  # unpacks as a 4-tuple
    assert img1.shape == (375, 500, 3)  # JPEG at 1/8
    assert img2.shape == (375, 500, 3)  # PNG averaged by 4 after loading
    assert (size1, size2) == ((4000, 3000), (2000, 1500))
    assert both.scale1 == (8.0, 8.0)
    assert both.scale2 == (4.0, 4.0)
    arrays = decode_pair_reduced(A, (tmp_path / "b.png").read_bytes(), max_side=500)
    assert arrays.img1 is not A and arrays.original_size1 == (30, 20)  # in memory: as it is
    assert arrays.original_size2 == (2000, 1500) and arrays.img2.shape == (375, 500, 3)
    full = decode_pair_reduced(tmp_path / "b.png", A)
    assert full.img1.shape == (1500, 2000, 3) and full.scale1 == (1.0, 1.0)


def test_load_pair_max_side_reduces_both_then_applies_the_size_policy(tmp_path):
    Image.new("RGB", (4000, 3000), (0, 90, 0)).save(tmp_path / "a.jpg")
    Image.new("RGB", (2000, 1500), (0, 90, 0)).save(tmp_path / "b.jpg")
    x, y = load_pair(tmp_path / "a.jpg", tmp_path / "b.jpg", max_side=1000)
    assert x.shape == y.shape == (750, 1000, 3)  # 1/4 and 1/2: one size, no resize needed
    a, b = decode_pair(tmp_path / "a.jpg", tmp_path / "b.jpg", max_side=1000)
    assert a.shape == b.shape == (750, 1000, 3)
    with pytest.raises(InvalidOptionError, match="max_side must be >= 1"):
        load_pair(A, A, max_side=0)


def test_concurrent_decodes_name_their_own_file_in_warnings(tmp_path):
    import struct

    exif = (
        b"Exif\0\0II*\0"
        + struct.pack("<LH", 8, 2)
        + struct.pack("<HHL4s", 0x0112, 3, 1, b"\x06\0\0\0")
        + struct.pack("<HHLL", 0x010E, 2, 1000, 40)  # more data than the EXIF block holds
        + struct.pack("<L", 0)
    )
    Image.fromarray(A).save(tmp_path / "one.jpg", exif=exif)
    Image.fromarray(A).save(tmp_path / "two.jpg", exif=exif)
    for _ in range(10):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            img1, img2 = decode_pair(tmp_path / "one.jpg", tmp_path / "two.jpg")
        assert img1.shape == img2.shape == (30, 20, 3)  # orientation 6 applied to both
        assert all(w.category is SpotdiffWarning for w in caught)
        assert sorted(str(w.message).split(":")[0] for w in caught) == [
            str(tmp_path / "one.jpg"),
            str(tmp_path / "two.jpg"),
        ]


def test_directory_rows_record_every_unmatched_file(tmp_path, monkeypatch):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    paired = DirectoryPairs(
        pairs=[("b", d1 / "b.png", d2 / "b.png")],
        only_in_1=[d1 / "cat.png", d1 / "dup.png"],
        only_in_2=[d2 / "zebra.png", d2 / "dup.jpg", d2 / "dup.webp"],
    )
    monkeypatch.setattr("spotdiff.io._pairs.pair_directories", lambda a, b: paired)
    rows = directory_rows(d1, d2)
    assert [(r.name, r.path1, r.path2) for r in rows] == [
        ("b", d1 / "b.png", d2 / "b.png"),
        ("cat", d1 / "cat.png", None),
        ("dup.jpg", None, d2 / "dup.jpg"),  # names stay unique: the stem is taken
        ("dup", d1 / "dup.png", None),
        ("dup.webp", None, d2 / "dup.webp"),
        ("zebra", None, d2 / "zebra.png"),
    ]
    assert rows[0].error is None and rows[0].file == d1 / "b.png"
    assert rows[1].error == f"no file named cat.* in {d2}"
    assert rows[5].error == f"no file named zebra.* in {d1}"
    assert rows[3].error == (
        f"2 files named dup.* in {d2} (dup.jpg, dup.webp); cannot tell which to compare with "
        "dup.png"
    )
    assert isinstance(rows[0], DirectoryRow)
