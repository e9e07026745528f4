"""Offline-ness decided once and fast: variables, one bounded probe per host, network errors."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error

import pytest

from spotdiff.backends import _network
from spotdiff.backends._network import (
    clear_probes,
    download_blocker,
    download_file,
    hub_host,
    is_network_error,
    offline_reason,
    reachable,
)


@pytest.fixture(autouse=True)
def fresh_probes(monkeypatch):
    for var in _network.OFFLINE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    clear_probes()
    yield
    clear_probes()


@pytest.mark.parametrize(
    ("env", "reason"),
    [({}, None), ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
     ({"HF_HUB_OFFLINE": "0"}, None), ({"TRANSFORMERS_OFFLINE": "true"}, "TRANSFORMERS_OFFLINE is set"),
     ({"SPOTDIFF_OFFLINE": "yes", "HF_HUB_OFFLINE": "1"}, "SPOTDIFF_OFFLINE is set"),
     ({"SPOTDIFF_OFFLINE": ""}, None)],
)  # fmt: skip
def test_offline_reason_names_only_a_variable_that_is_set(monkeypatch, env, reason):
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert offline_reason() == reason


def test_an_offline_variable_answers_without_probing(monkeypatch):
    calls = []
    monkeypatch.setattr(_network, "_probe", lambda *a: calls.append(a) or True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert download_blocker("huggingface.co") == "HF_HUB_OFFLINE is set"
    assert calls == []


def test_probe_is_made_once_per_host_and_cached(monkeypatch):
    calls = []
    monkeypatch.setattr(_network, "_probe", lambda host, port, t: calls.append(host) or False)
    assert download_blocker("huggingface.co") == "huggingface.co is not reachable from this machine"
    assert reachable("huggingface.co") is False
    assert download_blocker("github.com") is not None
    assert calls == ["huggingface.co", "github.com"]
    clear_probes()
    reachable("huggingface.co")
    assert calls == ["huggingface.co", "github.com", "huggingface.co"]


def test_probe_is_bounded_even_when_the_lookup_hangs(monkeypatch):
    def hang(address, timeout=None):
        time.sleep(5)
        raise OSError("too late")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    assert _network._probe("example.invalid", 443, 0.2) is False
    assert time.perf_counter() - start < 1.0


def test_probe_of_real_sockets():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        assert _network._probe("127.0.0.1", port, 1.0) is True
    finally:
        server.close()
    start = time.perf_counter()
    assert _network._probe("127.0.0.1", port, 1.0) is False  # closed: refused at once
    assert time.perf_counter() - start < 1.0


def test_proxy_and_endpoint_are_what_is_probed(monkeypatch):
    assert hub_host() == "huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example.org")
    assert hub_host() == "hf-mirror.example.org"
    assert _network._target("hf-mirror.example.org") == ("hf-mirror.example.org", 443)
    assert _network._target("localhost:8080") == ("localhost", 8080)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("https_proxy", "http://proxy.example.org:3128")
    assert _network._target("huggingface.co") == ("proxy.example.org", 3128)


class _RequestsError(OSError):
    pass


class _HttpxError(Exception):
    pass


_HttpxError.__module__ = "httpx._exceptions"


class _HubError(_HttpxError):
    pass


_HubError.__module__ = "huggingface_hub.errors"


@pytest.mark.parametrize(
    ("exc", "network"),
    [(ConnectionError("refused"), True), (TimeoutError(), True), (OSError("EHOSTUNREACH"), True),
     (urllib.error.URLError("no route"), True), (_RequestsError(), True), (_HttpxError(), True),
     (_HubError(), True), (ValueError("bad"), False), (RuntimeError("CUDA"), False),
     (KeyError("x"), False)],
)  # fmt: skip
def test_is_network_error(exc, network):
    assert is_network_error(exc) is network


def test_download_file_is_atomic(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 3_000_000)
    dest = download_file(src.as_uri(), tmp_path / "out" / "w.bin")
    assert dest.read_bytes() == src.read_bytes()
    with pytest.raises(OSError):
        download_file((tmp_path / "missing.bin").as_uri(), tmp_path / "out" / "v.bin")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["w.bin"]


def test_probe_cache_is_thread_safe(monkeypatch):
    calls = []

    def slow(host, port, timeout):
        calls.append(host)
        time.sleep(0.1)
        return True

    monkeypatch.setattr(_network, "_probe", slow)
    threads = [threading.Thread(target=reachable, args=("huggingface.co",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["huggingface.co"]
