"""spotdiff.batch._jsonl: tolerant JSONL input, output scan / repair for resume, whole-line writes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.batch import _jsonl
from spotdiff.batch._jsonl import (
    InputLine,
    RowWriter,
    join_image_root,
    read_rows,
    repair_output,
    row_key,
    scan_output,
)


def _out(line, **fields):
    return json.dumps({**fields, "__dj__meta__": {"spotdiff_line": line}}).encode() + b"\n"


def test_read_rows_decodes_each_line_on_its_own(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"image_path1": "a.png", "image_path2": "/abs/b.png"}\r\n'
        b"\n   \n"
        b'{"caption1": "caf\xe9"}\n'
        b"[1]\n"
        b"null\n"
        b"{broken\n"
        b'{"last": "no newline"}'
    )
    lines = list(read_rows(path))
    assert [line.number for line in lines] == [1, 4, 5, 6, 7, 8]
    assert lines[0] == InputLine(1, {"image_path1": "a.png", "image_path2": "/abs/b.png"})
    assert lines[1].row is None
    assert lines[1].problem == (
        "line 4 is not UTF-8 text (byte 0xe9 at column 18); re-encode the file as UTF-8"
    )
    assert lines[2].problem.startswith("line 5 is not a JSON object (got list)")
    assert lines[3].problem.startswith("line 6 is not a JSON object (got null)")
    assert lines[4].problem.startswith("line 7 is not JSON: Expecting property name")
    assert lines[5] == InputLine(8, {"last": "no newline"})


def test_join_image_root_joins_relative_image_paths_only():
    row = {"image_path1": "a.png", "image_path2": "/abs/b.png", "caption1": "c.png"}
    joined = join_image_root(row, Path("/root"))
    assert joined == {
        "image_path1": "/root/a.png",
        "image_path2": "/abs/b.png",
        "caption1": "c.png",
    }
    assert row["image_path1"] == "a.png"  # the input row is not changed
    assert join_image_root(row, None) is row


@pytest.mark.parametrize(
    ("row", "number", "id_field", "key"),
    [
        ({"id": 1}, 3, "id", "id:1"),
        ({"id": "1"}, 3, "id", 'id:"1"'),  # 1 and "1" are different ids
        ({"id": {"b": 1, "a": 2}}, 3, "id", 'id:{"a": 2, "b": 1}'),
        ({"id": None}, 3, "id", "line:3"),
        ({"other": 1}, 3, "id", "line:3"),
        (None, 4, "id", "line:4"),
        ({"id": 1}, 5, None, "line:5"),
    ],
)
def test_row_key(row, number, id_field, key):
    assert row_key(row, number, id_field) == key


def test_scan_finds_done_rows_and_failed_rows(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(_out(1, id="a") + b"\n" + _out(2, id="b", error="x") + _out(3, id="c"))
    scan = scan_output(path, id_field="id", retry_errors=False)
    assert scan.done == {'id:"a"', 'id:"b"', 'id:"c"'}
    assert (scan.failed, scan.retried, scan.torn, scan.needs_newline) == (1, 0, 0, False)
    scan = scan_output(path, id_field=None, retry_errors=True)
    assert scan.done == {"line:1", "line:3"} and (scan.failed, scan.retried) == (0, 1)


def test_torn_last_line_is_cut_in_place(tmp_path):
    path = tmp_path / "out.jsonl"
    good = _out(1) + _out(2)
    path.write_bytes(good + b'{"id": "c", "__dj__me')
    scan = scan_output(path, id_field=None, retry_errors=False)
    assert (scan.torn, scan.keep_end) == (21, len(good))
    assert path.read_bytes() == good + b'{"id": "c", "__dj__me'  # scanning changes nothing
    inode = path.stat().st_ino
    repair_output(path, scan)
    assert path.read_bytes() == good and path.stat().st_ino == inode


@pytest.mark.parametrize("tail", [b"{not json}\n", b"\x00\x00\x00\x00", b'{"a": "\xe2\x82'])
def test_a_last_line_that_is_not_json_is_torn_even_with_a_newline(tmp_path, tail):
    path = tmp_path / "out.jsonl"
    path.write_bytes(_out(1) + tail)
    scan = scan_output(path, id_field=None, retry_errors=False)
    assert scan.torn == len(tail)
    repair_output(path, scan)
    assert path.read_bytes() == _out(1)


def test_a_complete_last_row_only_gets_its_newline(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(_out(1) + _out(2).rstrip(b"\n"))
    scan = scan_output(path, id_field=None, retry_errors=False)
    assert scan.done == {"line:1", "line:2"} and scan.needs_newline and not scan.torn
    repair_output(path, scan)
    assert path.read_bytes() == _out(1) + _out(2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_out(1) + b"oops\n" + _out(2), "line 2 is not JSON"),
        (b"a,b\n1,2\n", "line 1 is not JSON"),
        (b"just one line of notes\n", "line 1 is not JSON"),  # not torn: no row starts so
        (_out(1) + b"\xff\xfe\n", "line 2 is not JSON"),
        (_out(1) + b'{"id": 2}\n', "line 2 has no __dj__meta__.spotdiff_line"),
        (b'{"__dj__meta__": {"spotdiff_line": "1"}}\n', "line 1 has no __dj__meta__"),
        (b"[1, 2]\n", "line 1 has no __dj__meta__.spotdiff_line"),
    ],
)
def test_a_file_that_is_not_our_output_is_refused_untouched(tmp_path, content, message):
    path = tmp_path / "out.jsonl"
    path.write_bytes(content)
    with pytest.raises(InvalidOptionError, match="pass --overwrite to start again") as info:
        scan_output(path, id_field=None, retry_errors=False)
    assert message in str(info.value)
    assert path.read_bytes() == content


def test_retry_rewrites_without_error_rows_atomically_and_keeps_the_mode(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(_out(1) + _out(2, error="e") + _out(3) + _out(4, error="e") + b'{"torn')
    path.chmod(0o644)
    scan = scan_output(path, id_field=None, retry_errors=True)
    assert (scan.done, scan.retried, scan.failed) == ({"line:1", "line:3"}, 2, 0)
    repair_output(path, scan)
    assert path.read_bytes() == _out(1) + _out(3)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_retry_through_a_symlink_rewrites_its_target(tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_bytes(_out(1, error="e") + _out(2))
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    repair_output(link, scan_output(link, id_field=None, retry_errors=True))
    assert link.is_symlink() and real.read_bytes() == _out(2)


def test_retry_keeps_everything_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "out.jsonl"
    content = _out(1) + _out(2, error="e")
    path.write_bytes(content)
    scan = scan_output(path, id_field=None, retry_errors=True)

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(_jsonl.shutil, "copymode", fail)
    with pytest.raises(OSError, match="disk full"):
        repair_output(path, scan)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_row_writer_appends_each_row_in_one_write(tmp_path, monkeypatch):
    path = tmp_path / "out.jsonl"
    path.write_bytes(_out(1))
    calls = []
    real_write = os.write

    def write(fd, data):
        calls.append(len(data))
        return real_write(fd, data)

    monkeypatch.setattr(_jsonl.os, "write", write)
    big = "x" * 200_000
    with RowWriter(path) as out:
        out.write({"big": big, "array": np.arange(3, dtype=np.int64), "n": np.float32(0.5)})
        out.write({"path": Path("/a")})
    lines = path.read_bytes().splitlines(keepends=True)
    assert lines[0] == _out(1)
    assert json.loads(lines[1]) == {"big": big, "array": [0, 1, 2], "n": 0.5}
    assert json.loads(lines[2]) == {"path": "/a"}
    assert calls == [len(lines[1]), len(lines[2])]


def test_row_writer_finishes_a_partial_write(tmp_path, monkeypatch):
    path = tmp_path / "out.jsonl"
    real_write = os.write
    monkeypatch.setattr(_jsonl.os, "write", lambda fd, data: real_write(fd, data[:7]))
    with RowWriter(path) as out:
        out.write({"a": "b" * 30})
    assert json.loads(path.read_bytes()) == {"a": "b" * 30}
