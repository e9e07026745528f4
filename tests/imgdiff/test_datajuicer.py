"""The Data-Juicer plug-in: registration through Data-Juicer's custom-operator file loading.

Data-Juicer itself is not installed here (it pulls torchvision); the first tests stand in for
the three objects the plug-in touches (``OPERATORS`` / ``TAGGING_OPS`` / ``UNFORKABLE``
registries with ``register_module(name)`` and ``modules``, and the ``Mapper`` base class) and
load the file the way ``data_juicer.config.load_custom_operators`` does. The last test runs the
real thing where Data-Juicer is installed.
"""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np
import pytest

pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect (extra 'models')")

import spotdiff.imgdiff.datajuicer as plugin
from spotdiff.backends.tiny import planted_pair


class _Registry:
    def __init__(self):
        self.modules = {}

    def register_module(self, name):
        def decorate(cls):
            if name in self.modules:
                raise KeyError(f"{name} is already registered")
            self.modules[name] = cls
            return cls

        return decorate


class _Mapper:
    _accelerator = "cuda"

    def __init__(self, *args, **kwargs):
        self.accelerator = kwargs.get("accelerator", self._accelerator)
        self.text_key = kwargs.get("text_key", "text")


@pytest.fixture
def fake_dj(monkeypatch):
    base_op = types.ModuleType("data_juicer.ops.base_op")
    base_op.OPERATORS, base_op.TAGGING_OPS, base_op.UNFORKABLE = (
        _Registry(),
        _Registry(),
        _Registry(),
    )
    base_op.Mapper = _Mapper
    ops = types.ModuleType("data_juicer.ops")
    ops.base_op = base_op
    root = types.ModuleType("data_juicer")
    root.ops = ops
    for name, mod in [
        ("data_juicer", root),
        ("data_juicer.ops", ops),
        ("data_juicer.ops.base_op", base_op),
    ]:
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.delitem(sys.modules, "datajuicer", raising=False)
    yield base_op
    sys.modules.pop("datajuicer", None)


def _load_like_data_juicer(path):
    """What data_juicer.config.load_custom_operators does with a file path."""
    spec = importlib.util.spec_from_file_location("datajuicer", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["datajuicer"] = module
    spec.loader.exec_module(module)
    return module


def test_without_data_juicer_nothing_is_registered():
    if plugin._base_op is not None:
        pytest.skip("Data-Juicer is installed here")
    assert plugin.REGISTERED is False and plugin.register() is False
    assert plugin.OP_NAME == "spotdiff_difference_area_generator_mapper"


def test_custom_operator_file_registers_and_runs(fake_dj, tmp_path):
    module = _load_like_data_juicer(plugin.__file__)
    assert module.REGISTERED
    cls = fake_dj.OPERATORS.modules[plugin.OP_NAME]
    assert fake_dj.TAGGING_OPS.modules[plugin.OP_NAME] is cls
    assert fake_dj.UNFORKABLE.modules[plugin.OP_NAME] is cls
    assert module.register() is True  # idempotent: no KeyError on a second registration
    op = cls(
        image_pair_similarity_filter_args={"min_score_1": 0.2},
        backend="classical",
        accelerator="cpu",
        text_key="text",
    )
    assert op._generator.config.similarity.min_score_1 == 0.2
    assert op._generator.device == "cpu"
    img1, img2 = planted_pair()
    sample = {"image_path1": img1, "image_path2": img2, "caption1": "A red box.",
              "caption2": "A blue box.", "text": "", "__dj__meta__": {}}  # fmt: skip
    out = op.process_single(sample, rank=0)
    boxes = out["__dj__meta__"]["__dj__bbox__"]
    assert boxes.dtype == np.float32 and boxes.shape == (1, 4)
    assert sample["__dj__meta__"] == {}


def test_real_data_juicer_recipe(tmp_path):
    pytest.importorskip(
        "data_juicer",
        reason="py-data-juicer is not installed: the 'datajuicer' extra is not part of .ci/run's "
        "install yet (issue 11 adds it, with a real dj-process run)",
    )
    from data_juicer.config.config import load_custom_operators
    from data_juicer.ops.base_op import OPERATORS
    from data_juicer.ops.load import load_ops

    load_custom_operators([plugin.__file__])
    (op,) = load_ops([{plugin.OP_NAME: {"backend": "classical"}}])
    img1, img2 = planted_pair()
    out = op.process_single({"image_path1": img1, "image_path2": img2, "caption1": "A cup.",
                             "caption2": "A bowl.", "__dj__meta__": {}})  # fmt: skip
    assert plugin.OP_NAME in OPERATORS.modules
    assert out["__dj__meta__"]["__dj__bbox__"].shape[1] == 4
