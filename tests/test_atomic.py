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


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def test_temporary_names_carry_the_mark_the_host_and_the_pid(tmp_path):
    from spotdiff._atomic import _HOST, _TEMP_NAME

    with atomic_path(tmp_path / "out.png") as tmp:
        match = _TEMP_NAME.match(tmp.name)
        assert match is not None and tmp.name.startswith(".out.png.spotdiff-")
        assert (match["host"], int(match["pid"])) == (_HOST, os.getpid())
        tmp.write_bytes(b"x")


def test_a_write_removes_stale_temporaries_of_dead_writers_only(tmp_path):
    from spotdiff._atomic import _HOST

    dead, live = _dead_pid(), os.getppid()  # the parent (pytest's launcher) is alive
    stale = tmp_path / f".out.png.spotdiff-{_HOST}-{dead}.abc123_x.tmp.png"
    other_target = tmp_path / f".other.jpg.spotdiff-{_HOST}-{dead}.zz9.tmp.jpg"
    busy = tmp_path / f".out.png.spotdiff-{_HOST}-{live}.abc123_y.tmp.png"
    foreign_host = (
        tmp_path / f".out.png.spotdiff-{'0' * 6 if _HOST != '0' * 6 else '1' * 6}-{dead}.q.tmp.png"
    )
    old_style = tmp_path / ".out.png.k2j3h4.tmp.png"  # no mark: not known to be ours
    user = tmp_path / f"notes.spotdiff-{_HOST}-{dead}.a.tmp.txt"  # not hidden: not ours
    keep = [busy, foreign_host, old_style, user]
    for path in [stale, other_target, *keep]:
        path.write_bytes(b"")
    sub = tmp_path / "sub"
    sub.mkdir()
    nested = sub / f".a.png.spotdiff-{_HOST}-{dead}.abc.tmp.png"
    nested.write_bytes(b"")
    with atomic_write(tmp_path / "out.png", "wb") as fh:
        fh.write(b"png")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted(
        ["out.png", *(p.name for p in keep)]
    )
    assert nested.exists()  # another folder: swept by a write into it
    with atomic_path(sub / "b.png") as tmp:
        tmp.write_bytes(b"b")
    assert sorted(p.name for p in sub.iterdir()) == ["b.png"]


_KILLED_WRITER = """
import sys, time
from spotdiff._atomic import atomic_write
with atomic_write(sys.argv[1], "wb") as fh:
    fh.write(b"half")
    fh.flush()
    print("writing", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_mid_write_leaves_nothing_after_the_next_run(tmp_path):
    import signal
    import subprocess
    import sys

    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def writer() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip

    first = writer()
    assert first.stdout.readline() == "writing\n"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert target.read_bytes() == b"old" and len(_temps(tmp_path)) == 1  # the litter of kill -9
    second = writer()  # the next run's first write sweeps the folder
    assert second.stdout.readline() == "writing\n"
    try:
        (left,) = _temps(tmp_path)  # its own temporary file only
        assert f"-{second.pid}." in left
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait()
        first.stdout.close()
        second.stdout.close()
    with atomic_path(target) as tmp:  # this process: a new folder to it, swept too
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and _temps(tmp_path) == []
