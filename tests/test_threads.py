from __future__ import annotations

import os
import threading

import cv2
import pytest

from spotdiff._threads import map_threads, workers


@pytest.fixture
def two_threads():
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    yield
    cv2.setNumThreads(before)


def test_map_threads_keeps_the_order_and_runs_the_first_item_here(two_threads):
    seen = {}

    def job(x):
        seen[x] = threading.current_thread() is threading.main_thread()
        return x * x

    assert map_threads(job, [3, 1, 2]) == [9, 1, 4]
    assert seen[3] is True
    if workers() > 1:  # a one-core machine runs them all here
        assert seen[1] is False and seen[2] is False


def test_map_threads_one_by_one_when_opencv_has_one_thread():
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        names = map_threads(lambda _: threading.current_thread().name, [0, 1])
    finally:
        cv2.setNumThreads(before)
    assert names == [threading.main_thread().name] * 2


def test_map_threads_raises_the_jobs_error(two_threads):
    def job(x):
        if x == 2:
            raise ValueError("two")
        return x

    with pytest.raises(ValueError, match="two"):
        map_threads(job, [1, 2])


def test_map_threads_honours_threads_given():
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        names = map_threads(lambda _: threading.current_thread().name, [0, 1], threads=2)
    finally:
        cv2.setNumThreads(before)
    assert names[0] == threading.main_thread().name != names[1]


def test_workers_follow_opencvs_threads_up_to_the_cores_read_once():
    # the cores are read at import (os.cpu_count() reads a file per call): the same number
    before = cv2.getNumThreads()
    try:
        for n in (1, 2, 64):
            cv2.setNumThreads(n)
            assert workers() == max(1, min(cv2.getNumThreads(), os.cpu_count() or 1))
    finally:
        cv2.setNumThreads(before)
