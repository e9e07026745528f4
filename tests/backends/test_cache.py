"""The process-wide backend cache (backends/_cache.py): one object per key, built once even when
threads race for it, forgotten by clear_cache."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from spotdiff.backends import _cache
from spotdiff.backends import clear_cache as public_clear_cache
from spotdiff.backends._cache import cached, clear_cache


@pytest.fixture(autouse=True)
def scratch_cache(monkeypatch):
    """An empty cache for each test; the models other tests loaded stay where they were."""
    monkeypatch.setattr(_cache, "_CACHE", {})
    monkeypatch.setattr(_cache, "_LOCKS", {})
    return _cache


class _Loader:
    """``load()`` returning a new object per call and counting the calls (optionally slow)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self) -> object:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        return object()


def test_one_object_per_key_built_on_first_use():
    load = _Loader()
    first = cached(("clip", "org/model", "cpu", False), load)
    again = cached(("clip", "org/model", "cpu", False), load)
    assert again is first and load.calls == 1
    other_device = cached(("clip", "org/model", "cuda:0", False), load)
    other_name = cached(("blip", "org/model", "cpu", False), load)
    assert other_device is not first and other_name is not first
    assert load.calls == 3
    assert len(_cache._CACHE) == 3


def test_falsy_objects_are_cached_too():
    load = _Loader()

    def none():
        load()
        return None

    assert cached("k", none) is None and cached("k", none) is None
    assert load.calls == 1


def test_a_failed_load_is_not_cached_and_the_next_use_tries_again():
    def broken():
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cached("k", broken)
    assert "k" not in _cache._CACHE
    load = _Loader()
    value = cached("k", load)
    assert cached("k", load) is value and load.calls == 1


def test_unhashable_keys_are_refused():
    with pytest.raises(TypeError, match="unhashable"):
        cached(["clip"], _Loader())


def test_threads_asking_for_one_key_load_it_once():
    load = _Loader(delay=0.05)  # slow enough that every thread arrives while it loads
    start = threading.Barrier(8)

    def ask(_):
        start.wait()
        return cached("same", load)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, range(8)))
    assert load.calls == 1
    assert all(r is results[0] for r in results)


def test_different_keys_load_in_parallel():
    # key "a" is still loading when key "b" is asked for: b must not wait for a's lock
    a_started, b_done = threading.Event(), threading.Event()

    def load_a():
        a_started.set()
        assert b_done.wait(5), "loading b waited for a: keys are serialized"
        return "a"

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(cached, "a", load_a)
        assert a_started.wait(5)
        assert cached("b", lambda: "b") == "b"
        b_done.set()
        assert future.result(5) == "a"


def test_clear_cache_forgets_everything():
    load = _Loader()
    first = cached("k", load)
    cached("j", load)
    clear_cache()
    assert _cache._CACHE == {} and _cache._LOCKS == {}
    second = cached("k", load)
    assert second is not first and load.calls == 3
    assert public_clear_cache is clear_cache  # spotdiff.backends.clear_cache is this one
