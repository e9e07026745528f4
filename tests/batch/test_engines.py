"""spotdiff.batch._engines: engines by name (``engine="local" | "ray"``, ``--engine``)."""

from __future__ import annotations

import pytest

from spotdiff._errors import InvalidOptionError
from spotdiff.batch import ENGINES, LocalEngine, make_engine


def test_local_by_name_with_its_workers():
    assert ENGINES == ("local", "ray")
    engine = make_engine("Local", workers=3)
    assert isinstance(engine, LocalEngine) and engine.workers == 3


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("spark", {}, "engine must be one of 'local', 'ray'; got 'spark'"),
        ("local", {"workers": 0}, "workers must be >= 1"),
        ("local", {"num_gpus": 1}, "num_gpus and address apply to engine='ray'"),
        ("local", {"address": "auto"}, "num_gpus and address apply to engine='ray'"),
        ("ray", {"workers": 0}, "workers must be >= 1"),
        ("ray", {"num_gpus": -1}, "num_gpus must be >= 0"),
    ],
)
def test_bad_names_and_options_are_one_clear_error(name, options, message):
    with pytest.raises(InvalidOptionError, match=message):
        make_engine(name, **options)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("spark", {}, "engine must be one of 'local', 'ray'; got 'spark'"),
        ("local", {"workers": 0}, "workers must be >= 1"),
        ("local", {"num_gpus": 1}, "num_gpus and address apply to engine='ray'"),
        ("ray", {"workers": 0}, "workers must be >= 1"),
        ("ray", {"num_gpus": -1}, "num_gpus must be >= 0"),
        ("local", {"workers": 2}, None),
        ("RAY", {"workers": 2, "num_gpus": 0.5}, None),
    ],
)
def test_check_engine_checks_the_options_of_make_engine_without_making_one(
    name, options, message, monkeypatch
):
    from spotdiff.batch import _engines, check_engine

    made = []
    monkeypatch.setattr(_engines, "LocalEngine", lambda *a, **k: made.append(a))
    if message is None:
        assert check_engine(name, **options) == name.lower()
    else:
        with pytest.raises(InvalidOptionError, match=message):
            check_engine(name, **options)
    assert made == []
