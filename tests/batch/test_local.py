"""spotdiff.batch._local: the local engine (inline or worker processes, input order, setup once
per worker)."""

from __future__ import annotations

import os

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


def test_stopping_early_shuts_the_pool_down():
    records = LocalEngine(2).map(SquareTask(), list(range(50)))
    assert next(records)["key"] == 0
    records.close()  # an interrupted run: the rows not started are dropped, no hang
