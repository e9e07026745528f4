"""Whether model weights may be downloaded: decided once per process, fast, and honestly.

Before any download (Hugging Face hub, ultralytics assets, LPIPS files) the loaders ask
:func:`download_blocker`, which answers without touching the network when the user asked for
offline work, and otherwise with one short connectivity probe per host, cached for the process:

1. ``SPOTDIFF_OFFLINE``, ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` set to a true value
   (``1``, ``true``, ``yes``, ``on``): no download, and the reason names the variable that is set
   (a message never mentions a variable that is not set);
2. else one TCP connection to the host (or to the HTTPS proxy the environment names) with a
   :data:`PROBE_TIMEOUT_S` second limit, run in a daemon thread so that a hanging DNS lookup
   cannot hold the caller longer than that; the answer is cached until :func:`clear_probes`.

Without this, a machine with no network and no offline variable spent about 46 s in the hub
client's retries before each fallback.

:func:`is_network_error` says whether an exception raised by a download is a connectivity failure
(``ConnectionError``, ``TimeoutError``, ``OSError``, and the errors of ``requests``, ``urllib3``,
``httpx`` and ``huggingface_hub``), recognised without importing those libraries.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = [
    "OFFLINE_VARIABLES",
    "PROBE_TIMEOUT_S",
    "clear_probes",
    "download_blocker",
    "download_file",
    "hub_host",
    "is_network_error",
    "offline_reason",
    "reachable",
]

#: Environment variables that forbid downloads, in the order they are reported.
OFFLINE_VARIABLES = ("SPOTDIFF_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
#: Most seconds one connectivity probe may take.
PROBE_TIMEOUT_S = 1.5
#: Most seconds a direct file download may wait for the server between two reads.
DOWNLOAD_TIMEOUT_S = 30.0

_TRUE = {"1", "true", "yes", "on"}
_NETWORK_LIBRARIES = {"requests", "urllib3", "httpx", "httpcore", "huggingface_hub"}
_PROBES: dict[tuple[str, int], bool] = {}
_PROBE_LOCK = threading.Lock()


def offline_reason() -> str | None:
    """``"HF_HUB_OFFLINE is set"`` (or the first other variable set), None when none is set."""
    for var in OFFLINE_VARIABLES:
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return f"{var} is set"
    return None


def hub_host() -> str:
    """Host of the Hugging Face hub: ``$HF_ENDPOINT``'s, else ``huggingface.co``."""
    endpoint = os.environ.get("HF_ENDPOINT", "").strip()
    netloc = urllib.parse.urlsplit(endpoint).netloc if endpoint else ""
    return netloc or "huggingface.co"


def _target(host: str) -> tuple[str, int]:
    """``(host, port)`` a connection to ``host`` over HTTPS really goes to (its proxy, if any)."""
    name, _, port = host.partition(":")
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(name):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.hostname:
            return parts.hostname, parts.port or 80
    return name, int(port) if port.isdigit() else 443


def _probe(host: str, port: int, timeout: float) -> bool:
    """One TCP connection to ``host:port`` within ``timeout`` seconds (DNS included)."""
    answer: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=connect, name="spotdiff-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


def reachable(host: str) -> bool:
    """Whether ``host`` (``"name"`` or ``"name:port"``) accepts a connection; cached per process.

    At most :data:`PROBE_TIMEOUT_S` seconds the first time for a host, then instant.
    """
    target = _target(host)
    with _PROBE_LOCK:
        if target not in _PROBES:
            _PROBES[target] = _probe(*target, PROBE_TIMEOUT_S)
        return _PROBES[target]


def clear_probes() -> None:
    """Forget the cached probe answers (the next :func:`reachable` probes again)."""
    with _PROBE_LOCK:
        _PROBES.clear()


def download_blocker(host: str) -> str | None:
    """Why nothing may be downloaded from ``host`` now, or None when a download may be tried.

    Returns :func:`offline_reason` when an offline variable is set (no probe is made), else
    ``"<host> is not reachable from this machine"`` when the probe fails, else None.
    """
    reason = offline_reason()
    if reason is not None:
        return reason
    if not reachable(host):
        return f"{host} is not reachable from this machine"
    return None


def is_network_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a connectivity failure of a download (module docstring)."""
    if isinstance(exc, OSError):  # ConnectionError, TimeoutError, URLError, requests' errors
        return True
    return any(cls.__module__.split(".")[0] in _NETWORK_LIBRARIES for cls in type(exc).__mro__)


def download_file(url: str, dest: Path, *, timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download ``url`` to ``dest`` atomically (a partial download never appears at ``dest``).

    Raises:
        OSError: any network or file error (``urllib.error.URLError`` is one).
    """
    from .._atomic import atomic_write

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(dest, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
    return dest
