"""Atomic output files: a temporary file in the same folder, then ``os.replace``.

A reader (or a crash, or ``kill -9``) sees either the old file or the complete new one, never a
truncated one. Every file spotdiff writes for a user goes through :func:`atomic_path` or
:func:`atomic_write`; :func:`atomic_group` makes several outputs of one job appear together or
not at all (a failure while preparing any of them leaves every earlier file untouched).

Temporary files are named ``.NAME.spotdiff-HOST-PID.XXXXXXXX.tmpSUFFIX`` (HOST: 6 hex digits of
a hash of this machine's name, PID: the writing process). A process killed mid-write (``kill
-9``) leaves its temporary file behind; the first write of a later process into the same folder
removes the ones of this machine whose process is gone (:func:`sweep_stale`). A file of a live
process, of another machine (a shared file system), or not named this way is never touched.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_group", "atomic_path", "atomic_write", "sweep_stale"]

#: The mark of a temporary file of ours: ``.NAME.spotdiff-HOST-PID.RANDOM.tmpSUFFIX``.
_MARK = "spotdiff-"
_TEMP_NAME = re.compile(r"^\..*\.spotdiff-(?P<host>[0-9a-f]{6})-(?P<pid>[0-9]+)\.[a-z0-9_]+\.tmp")


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


_HOST = _host()
_swept: set[str] = set()  # folders this process has swept (once each)
_swept_lock = threading.Lock()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: a process of another user has that pid; anything else: keep it
        return True
    return True


def sweep_stale(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed writers of this machine left in ``folder``.

    Only names of :mod:`spotdiff._atomic`'s own pattern are looked at, and only those whose
    machine is this one and whose process no longer exists are removed (a live process's file,
    another machine's, or any other file is left alone). Called by every atomic write, once per
    folder and process. Returns the paths removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or match["host"] != _HOST or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _sweep_once(folder: Path) -> None:
    key = os.path.abspath(folder)
    if key in _swept or not os.path.isdir(key):  # a missing folder: swept once it exists
        return
    with _swept_lock:
        if key in _swept:
            return
        _swept.add(key)
    sweep_stale(folder)


def _temp_beside(path: Path) -> Path:
    # same folder (same file system, so os.replace is atomic); keep the suffix so that writers
    # that choose a format by extension (Pillow, OpenCV, numpy) still do. The stem is shortened
    # so that the temporary name stays within the 255-byte limit of a file name. The name
    # carries this machine and process, so that a later run can tell a killed writer's file.
    _sweep_once(path.parent)
    stem = path.name[:_MAX_STEM_CHARS]
    prefix = f".{stem}.{_MARK}{_HOST}-{os.getpid()}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=f".tmp{path.suffix}", dir=path.parent)
    try:
        # mkstemp creates the file private (0600); give it the mode the target has, or the one a
        # new file gets (0666 less the umask), so that a replaced output keeps its permissions
        os.fchmod(fd, _mode_for(path))
    except OSError:  # pragma: no cover - e.g. a file system without permissions
        pass
    finally:
        os.close(fd)
    return Path(name)


_MAX_STEM_CHARS = 120


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask is process-wide and racy)
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - systems without /proc
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The caller writes the temporary file by name (e.g. ``image.save(tmp)``). On any exception
    the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    _check_not_dir(target)
    tmp = _temp_beside(target)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    """``open(path, mode)`` that only replaces ``path`` once the ``with`` block succeeded.

    ``mode`` is ``"w"``, ``"wt"`` or ``"wb"``: the file is written from scratch (appending or
    reading would see the empty temporary file, not ``path``).
    """
    if mode not in ("w", "wt", "wb"):
        from ._errors import InvalidOptionError

        raise InvalidOptionError(
            f"atomic_write writes a new file: mode must be 'w', 'wt' or 'wb', got {mode!r}"
        )
    if "b" in mode:
        encoding = None
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding) as handle:
        yield handle


class _Group:
    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path]] = []

    def path(self, path: str | os.PathLike[str]) -> Path:
        """A temporary path for ``path``; all of the group's files are put in place together."""
        target = Path(path)
        _check_not_dir(target)
        tmp = _temp_beside(target)
        self.staged.append((tmp, target))
        return tmp


@contextlib.contextmanager
def atomic_group() -> Iterator[_Group]:
    """Stage several output files; rename them into place only when every one was written.

    >>> with atomic_group() as group:                         # doctest: +SKIP
    ...     picture.save(group.path("annotated.png"))
    ...     mask.save(group.path("mask.png"))

    If anything in the block raises, no target is touched and the temporary files are removed.
    (The final renames are each atomic; the group as a whole is as close to atomic as a file
    system allows: the renames run back to back after all the writing succeeded, and a target
    that is a directory, which a rename cannot replace, is refused before any rename.)
    """
    group = _Group()
    try:
        yield group
        for tmp, target in group.staged:
            _check_not_dir(target)
            _fsync(tmp)
        for tmp, target in group.staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in group.staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


def _check_not_dir(target: Path) -> None:
    if target.is_dir():  # a rename cannot replace a directory: say so before writing anything
        raise IsADirectoryError(
            errno.EISDIR, "is a directory; expected the path of an output file", str(target)
        )


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        os.fsync(handle.fileno())
