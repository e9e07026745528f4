"""spotdiff.batch._runner: keyed rows in, one JSONL row per key out, resumable."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.batch import BatchRow, BatchRun, LocalEngine, run_batch, settings_path


class Task:
    """Rows fail when their payload says so; ``calls`` counts the rows run (inline engine)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def setup(self) -> None:
        return None

    def run(self, state: None, payload: dict) -> dict:
        self.calls.append(payload["key"])
        row = {"key": payload["key"], "value": payload["value"], "_note": "not written"}
        return row | ({"error": "bad"} if payload.get("bad") else {})


class _Trivial(Task):
    """A row is its key back (no call list: the memory test counts every byte)."""

    def run(self, state: None, payload: dict) -> dict:
        return {"key": payload["key"]}


def _rows(n: int, bad: frozenset = frozenset()) -> list[BatchRow]:
    return [BatchRow(f"k{i}", {"key": f"k{i}", "value": i, "bad": i in bad}) for i in range(n)]


def _run(path, rows, task=None, **kw):
    task = task or Task()
    seen: list[tuple[str, bool]] = []
    run = run_batch(
        rows,
        path,
        task,
        key_of=lambda r: r.get("key"),
        settings=kw.pop("settings", {"v": 1}),
        engine=LocalEngine(1),
        on_row=lambda record, fresh: seen.append((record["key"], fresh)),
        **kw,
    )
    return run, task, seen


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_fresh_run_writes_every_row_in_order_without_private_keys(tmp_path):
    out = tmp_path / "out.jsonl"
    run, _, seen = _run(out, _rows(4, frozenset({2})))
    assert [r["key"] for r in _lines(out)] == ["k0", "k1", "k2", "k3"]
    assert all("_note" not in r for r in _lines(out))
    assert _lines(out)[2]["error"] == "bad"  # the bad row recorded, the run went on
    assert (run.written, run.kept, run.resumed) == (4, 0, False)
    assert seen == [(f"k{i}", True) for i in range(4)]
    assert json.loads(settings_path(out).read_text()) == {"v": 1}


def test_resume_skips_done_keys_and_repairs_a_torn_line(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    _run(out, _rows(2))
    with open(out, "ab") as fh:
        fh.write(b'{"key": "k2", "val')  # killed mid-write
    run, task, seen = _run(out, _rows(4))
    assert task.calls == ["k2", "k3"]
    assert [r["key"] for r in _lines(out)] == ["k0", "k1", "k2", "k3"]
    assert (run.kept, run.written, run.torn) == (2, 2, 18)
    assert seen == [("k0", False), ("k1", False), ("k2", True), ("k3", True)]
    assert "dropped its torn last line (18 bytes" in capsys.readouterr().err


def test_retry_errors_redoes_failed_rows_only(tmp_path):
    out = tmp_path / "out.jsonl"
    _run(out, _rows(3, frozenset({1})))
    run, task, _ = _run(out, _rows(3), retry_errors=True)
    assert task.calls == ["k1"]
    assert sorted(r["key"] for r in _lines(out)) == ["k0", "k1", "k2"]
    assert all("error" not in r for r in _lines(out))
    run, task, _ = _run(out, _rows(3, frozenset({1})))  # errors kept without retry_errors
    assert task.calls == [] and run.kept == 3


def test_other_settings_or_overwrite_start_again(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    _run(out, _rows(2))
    _, task, _ = _run(out, _rows(2), settings={"v": 2})
    assert task.calls == ["k0", "k1"] and len(_lines(out)) == 2
    assert "written with other settings" in capsys.readouterr().err
    _, task, _ = _run(out, _rows(2), settings={"v": 2}, overwrite=True)
    assert task.calls == ["k0", "k1"] and len(_lines(out)) == 2


def test_an_output_without_settings_is_replaced_at_the_first_row_only(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"from": "an older spotdiff"}\n')

    class Stop(Task):
        def run(self, state, payload):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(out, _rows(2), task=Stop())
    assert out.read_text() == '{"from": "an older spotdiff"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary left
    _run(out, _rows(2))
    assert [r["key"] for r in _lines(out)] == ["k0", "k1"]


def test_a_foreign_line_inside_a_resumable_output_is_an_error(tmp_path):
    out = tmp_path / "out.jsonl"
    _run(out, _rows(2))
    out.write_text('{"nokey": 1}\n' + out.read_text())
    before = out.read_bytes()
    with pytest.raises(InvalidOptionError, match="line 1 is not a row of this output"):
        _run(out, _rows(3))
    assert out.read_bytes() == before


def test_rows_identical_for_one_and_two_workers(tmp_path):
    rows = _rows(7, frozenset({4}))
    from batch_tasks import KeyedTask

    for workers in (1, 2):
        run_batch(
            rows,
            tmp_path / f"w{workers}.jsonl",
            KeyedTask(),
            key_of=lambda r: r.get("key"),
            settings={},
            engine=LocalEngine(workers),
        )
    assert (tmp_path / "w1.jsonl").read_bytes() == (tmp_path / "w2.jsonl").read_bytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_kept_rows_are_reported_in_input_order_among_the_new_ones(tmp_path, workers):
    from batch_tasks import KeyedTask

    out = tmp_path / "out.jsonl"
    _run(out, _rows(6, frozenset({1, 3})))
    seen: list[tuple[str, bool]] = []
    run = run_batch(
        _rows(6),
        out,
        KeyedTask(),
        key_of=lambda r: r.get("key"),
        settings={"v": 1},
        engine=LocalEngine(workers),
        retry_errors=True,  # k1, k3 redone between kept rows: one callback per row, in order
        on_row=lambda record, fresh: seen.append((record["key"], fresh)),
    )
    assert seen == [(f"k{i}", i in (1, 3)) for i in range(6)]
    assert (run.kept, run.written, run.total) == (4, 2, 6)
    run, task, seen = _run(out, _rows(4))  # k4, k5 stay in the file, not reported
    assert task.calls == [] and seen == [(f"k{i}", False) for i in range(4)]
    assert (run.kept, run.total, len(_lines(out))) == (4, 4, 6)


def test_a_duplicate_key_stops_the_run_after_the_rows_before_it(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = _rows(3)
    with pytest.raises(InvalidOptionError, match="two input rows have the key 'k1'"):
        _run(out, [rows[0], rows[1], rows[2], rows[1], *_rows(5)[3:]])
    assert [r["key"] for r in _lines(out)] == ["k0", "k1", "k2"]
    run, task, _ = _run(out, _rows(5))  # the input fixed: resumed
    assert task.calls == ["k3", "k4"] and run.kept == 3
    with pytest.raises(InvalidOptionError, match="key 'k0'"):  # a kept key twice
        _run(out, [*_rows(5), _rows(1)[0]])


@pytest.mark.parametrize(("workers", "ahead"), [(1, 1), (2, 4)])
def test_the_input_is_read_as_the_rows_run(tmp_path, workers, ahead):
    from batch_tasks import KeyedTask

    read: list[int] = []

    def rows():
        for i in range(1000):
            read.append(i)
            yield BatchRow(f"k{i}", {"key": f"k{i}", "value": i})

    at_first: list[int] = []
    run_batch(
        rows(),
        tmp_path / "out.jsonl",
        KeyedTask(),
        key_of=lambda r: r.get("key"),
        settings={},
        engine=LocalEngine(workers),
        on_row=lambda record, fresh: at_first or at_first.append(len(read)),
    )
    assert at_first == [ahead]  # rows read when the first was written: the rows in flight
    assert len(read) == len(_lines(tmp_path / "out.jsonl")) == 1000


def test_memory_stays_flat_but_for_the_keys_over_200000_rows(tmp_path):
    n = 200_000

    def rows():
        for i in range(n):
            paths = {"image_path1": f"a/{i:07d}.png", "image_path2": f"b/{i:07d}.png"}
            yield BatchRow(f"r{i}", {"key": f"r{i}", "value": i, **paths})

    def peak(work) -> float:
        tracemalloc.start()
        try:
            work()
            return tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()

    def keys() -> None:  # the set of keys the runner keeps to refuse a duplicate
        seen: set[str] = set()
        for row in rows():
            seen.add(row.key)

    def streamed_run() -> None:
        done = run_batch(
            rows(),
            out,
            _Trivial(),
            key_of=lambda r: r.get("key"),
            settings={},
            engine=LocalEngine(1),
            on_row=lambda record, fresh: None,
        )
        run.append(done)

    out = tmp_path / "out.jsonl"
    run: list[BatchRun] = []
    streamed = peak(streamed_run)
    listed = peak(lambda: list(rows()))
    keyset = peak(keys)
    assert run[0].written == run[0].total == n
    # measured: streamed 21.4 MB, the keys alone 21.3 MB, a list of the rows 103-109 MB
    assert streamed < 30
    assert listed / streamed > 4
    assert streamed - keyset < 3  # everything but the keys: flat
