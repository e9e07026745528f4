"""Atomic output files: a temporary file in the same folder, then ``os.replace``.

A reader (or a crash, or ``kill -9``) sees either the old file or the complete new one, never a
truncated one. Every file spotdiff writes for a user goes through :func:`atomic_path` or
:func:`atomic_write`; :func:`atomic_group` makes several outputs of one job appear together or
not at all (a failure while preparing any of them leaves every earlier file untouched).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_group", "atomic_path", "atomic_write"]


def _temp_beside(path: Path) -> Path:
    # same folder (same file system, so os.replace is atomic); keep the suffix so that writers
    # that choose a format by extension (Pillow, OpenCV, numpy) still do
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The caller writes the temporary file by name (e.g. ``image.save(tmp)``). On any exception
    the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
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
    """``open(path, mode)`` that only replaces ``path`` once the ``with`` block succeeded."""
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
    system allows: the renames run back to back after all the writing succeeded.)
    """
    group = _Group()
    try:
        yield group
        for tmp, _ in group.staged:
            _fsync(tmp)
        for tmp, target in group.staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in group.staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        os.fsync(handle.fileno())
