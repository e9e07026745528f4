"""One device rule for maps and models: CUDA when available, else CPU; bad devices one clear error."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from spotdiff._device import resolve_device  # noqa: E402
from spotdiff._errors import InvalidOptionError  # noqa: E402


def test_default_is_cuda_when_available_else_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(None) == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device(None) == torch.device("cuda:0")
    assert resolve_device(None, rank=3) == torch.device("cuda:1")  # workers spread over GPUs
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(InvalidOptionError, match=r"only 2 CUDA device\(s\)"):
        resolve_device("cuda:2")


def test_explicit_devices(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(" CPU ") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(InvalidOptionError, match=r"sees no CUDA GPU.*--device cpu"):
        resolve_device("cuda")
    with pytest.raises(InvalidOptionError, match="'bogus' is not a torch device"):
        resolve_device("bogus")
    with pytest.raises(InvalidOptionError, match="is not a torch device"):
        resolve_device(3.5)
