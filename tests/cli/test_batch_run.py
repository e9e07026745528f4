"""cli/_batch_run.py: the engine of a batch command whose rows may run a model."""

from __future__ import annotations

import types

import pytest

from spotdiff import _device
from spotdiff._errors import InvalidOptionError
from spotdiff.batch import LocalEngine, default_workers
from spotdiff.cli._batch_run import batch_engine, model_engine


def test_model_rows_default_to_one_worker_else_the_cores():
    one = model_engine(None, "local", models=True)
    cores = model_engine(None, "local", models=False)
    given = model_engine(3, "local", models=True)
    assert isinstance(one, LocalEngine) and one.workers == 1
    assert cores.workers == default_workers() and given.workers == 3


@pytest.mark.parametrize(("device_type", "models", "gpus"), [
    ("cuda", True, 1), ("cpu", True, 0), ("cuda", False, 0),
])  # fmt: skip
def test_ray_actors_get_a_gpu_when_models_run_on_cuda(monkeypatch, device_type, models, gpus):
    import spotdiff.batch as batch

    seen = {}

    def make_engine(name, **kwargs):
        seen.update(kwargs, name=name)
        return "engine"

    monkeypatch.setattr(batch, "make_engine", make_engine)
    monkeypatch.setattr(
        _device, "resolve_device", lambda device: types.SimpleNamespace(type=device_type)
    )
    assert model_engine(2, "ray", models=models, device="auto") == "engine"
    assert seen == {"name": "ray", "workers": 2, **({"num_gpus": 1} if gpus else {})}


def test_bad_workers_and_engines_are_one_error():
    with pytest.raises(InvalidOptionError, match="--workers 0"):
        batch_engine(0)
    with pytest.raises(InvalidOptionError, match="engine"):
        batch_engine(None, "spark")
