"""spotdiff.batch._local: the local engine (inline or worker processes, input order, setup once
per worker)."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.batch import LocalEngine, default_workers


def SquareTask():  # imported when the test runs (sys.path set by conftest.py)
    from batch_tasks import SquareTask

    return SquareTask()


@pytest.mark.parametrize("workers", [1, 2])
def test_rows_come_back_in_input_order_whatever_the_workers(workers):
    records = list(LocalEngine(workers).map(SquareTask(), list(range(10))))
    assert [r["key"] for r in records] == list(range(10))
    assert [r.get("square") for r in records] == [k * k if k != 3 else None for k in range(10)]
    pids = {r["_pid"] for r in records if "_pid" in r}
    if workers == 1:
        assert pids == {os.getpid()}  # inline: models stay in this process
    else:
        assert os.getpid() not in pids and 1 <= len(pids) <= 2  # setup once per worker


def test_payloads_are_read_lazily_and_no_payload_starts_nothing():
    class Counting:
        setups = 0

        def setup(self) -> None:
            Counting.setups += 1

        def run(self, state: None, payload: int) -> dict:
            return {"key": payload}

    read: list[int] = []

    def payloads(n):
        for i in range(n):
            read.append(i)
            yield i

    assert list(LocalEngine(4).map(Counting(), payloads(0))) == []
    assert Counting.setups == 0  # no payload: no setup, no pool
    records = LocalEngine(4).map(Counting(), payloads(1))  # one payload: inline, not a pool
    assert next(records) == {"key": 0} and Counting.setups == 1
    read.clear()
    records = LocalEngine(1).map(Counting(), payloads(10**9))
    assert [next(records)["key"] for _ in range(3)] == [0, 1, 2] and read == [0, 1, 2]


def test_workers_default_to_the_cores_and_are_checked():
    assert LocalEngine().workers == default_workers() >= 1
    with pytest.raises(InvalidOptionError, match="workers"):
        LocalEngine(0)


def test_each_worker_gets_its_share_of_the_cores_threads(monkeypatch):
    from batch_tasks import ThreadsTask

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # the workers inherit this environment
    records = list(LocalEngine(2).map(ThreadsTask(), [0, 1, 2]))
    share = max(1, default_workers() // 2)  # 2 workers on 2 cores: 1 thread each, not 2 x 2
    assert [(r["cv2"], r["omp"]) for r in records] == [(share, str(share))] * 3


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(),
    reason="preloading needs the forkserver start method (not on Windows / macOS spawn-only)",
)
def test_a_tasks_preload_modules_are_imported_once_in_the_forkserver():
    # a fresh interpreter: this process's forkserver may already run (preload is set before)
    script = (
        "import json, os; from spotdiff.batch import LocalEngine; from batch_tasks import "
        "PreloadTask; rows = list(LocalEngine(2).map(PreloadTask(), [0, 1, 2])); "
        "print(json.dumps([rows, os.getpid()]))"
    )
    here = str(Path(__file__).parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, *sys.path]))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    rows, parent = json.loads(done.stdout)
    workers = {r["pid"] for r in rows}
    loaded = {r["loaded_in"] for r in rows}
    assert len(loaded) == 1 and not loaded & (workers | {parent})  # the forkserver imported it


def test_stopping_early_shuts_the_pool_down():
    records = LocalEngine(2).map(SquareTask(), list(range(50)))
    assert next(records)["key"] == 0
    records.close()  # an interrupted run: the rows not started are dropped, no hang
