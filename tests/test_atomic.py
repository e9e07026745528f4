"""Atomic output files: atomic_path, atomic_write, atomic_group (spotdiff._atomic)."""

from __future__ import annotations

import os
import stat

import pytest

from spotdiff._atomic import atomic_group, atomic_path, atomic_write
from spotdiff._errors import InvalidOptionError


def _temps(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.name.startswith(".out.png.")
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not in place before the block ends
    assert target.read_bytes() == b"new" and _temps(tmp_path) == []
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"new" and _temps(tmp_path) == []


def test_atomic_write_text_and_bytes(tmp_path):
    with atomic_write(tmp_path / "a.txt") as fh:
        fh.write("héllo")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    with atomic_write(tmp_path / "b.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "a.txt") as fh:
        fh.write("partial")
        raise KeyboardInterrupt
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("mode", ["a", "r+", "x", "w+"])
def test_atomic_write_refuses_modes_that_do_not_write_from_scratch(tmp_path, mode):
    with (
        pytest.raises(InvalidOptionError, match="mode must be"),
        atomic_write(tmp_path / "a", mode),
    ):
        pass


def test_new_files_get_the_usual_permissions_and_replaced_ones_keep_theirs(tmp_path):
    # mkstemp makes its files 0600: an output must not end up private to its writer
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new.txt") as fh:
            fh.write("x")
        assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o640)
        with atomic_write(kept) as fh:
            fh.write("y")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_long_names_still_get_a_temporary_file(tmp_path):
    target = tmp_path / ("n" * 250 + ".png")
    with atomic_path(target) as tmp:
        assert len(tmp.name) < 255
        tmp.write_bytes(b"ok")
    assert target.read_bytes() == b"ok"


def test_a_directory_target_is_refused_before_writing(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"), atomic_path(tmp_path / "d"):
        pytest.fail("the block must not run")
    assert _temps(tmp_path) == []


def test_group_puts_every_file_in_place_together(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"old a")
    with atomic_group() as group:
        group.path(a).write_bytes(b"new a")
        assert a.read_bytes() == b"old a"
        group.path(b).write_bytes(b"new b")
        assert not b.exists()
    assert (a.read_bytes(), b.read_bytes()) == (b"new a", b"new b")
    assert _temps(tmp_path) == []


def test_group_failing_late_touches_no_target(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"old a")
    with pytest.raises(OSError, match="No space"), atomic_group() as group:
        group.path(a).write_bytes(b"new a")
        group.path(b).write_bytes(b"half")
        raise OSError(28, "No space left on device")
    assert a.read_bytes() == b"old a" and not b.exists() and _temps(tmp_path) == []


def test_group_with_an_unwritable_member_touches_no_target(tmp_path):
    a = tmp_path / "a.png"
    a.write_bytes(b"old a")
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(OSError), atomic_group() as group:
        group.path(a).write_bytes(b"new a")
        group.path(tmp_path / "blocker" / "b.png")
    assert a.read_bytes() == b"old a" and _temps(tmp_path) == []


def test_group_refuses_a_directory_target_before_any_rename(tmp_path):
    a, d = tmp_path / "a.png", tmp_path / "d.png"
    a.write_bytes(b"old a")
    with pytest.raises(IsADirectoryError), atomic_group() as group:
        group.path(a).write_bytes(b"new a")
        group.path(d).write_bytes(b"new d")
        d.mkdir()  # a directory appears where d.png goes: a rename could not replace it
    assert a.read_bytes() == b"old a" and _temps(tmp_path) == []
