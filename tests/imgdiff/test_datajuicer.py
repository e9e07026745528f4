"""The Data-Juicer plug-in: the registration mechanism (with stand-ins for Data-Juicer's objects),
then the real Data-Juicer 1.6: the operator in-process, and docs/imgdiff.md's recipe under a real
``dj-process`` with worker processes.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageFile

from spotdiff import MissingDependencyError
from spotdiff.backends.tiny import planted_pair

_TRUNCATED = ImageFile.LOAD_TRUNCATED_IMAGES
import spotdiff.imgdiff.datajuicer as plugin  # noqa: E402  (imports Data-Juicer when installed)

# Data-Juicer sets LOAD_TRUNCATED_IMAGES = True for the process when imported: keep the rest of
# the suite's Pillow as it was (tests/io expect truncated files to fail)
ImageFile.LOAD_TRUNCATED_IMAGES = _TRUNCATED

CANONICAL = "spotdiff.imgdiff.datajuicer"
# Data-Juicer is part of the install (.ci/run: extra `all`); where it is not installed at all, the
# tests of the real thing say so and skip. Installed but broken is an error, never a skip.
needs_data_juicer = pytest.mark.skipif(
    importlib.util.find_spec("data_juicer") is None,
    reason="py-data-juicer is not installed (pip install -c constraints.txt -e '.[datajuicer]')",
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "imgdiff.md"
FIELDS_12 = ("image_path1", "image_path2")


# --- stand-ins: the mechanism, without Data-Juicer --------------------------------------------


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
        self.skip_op_error = kwargs.get("skip_op_error", True)


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
    _fresh_import_later(monkeypatch)
    monkeypatch.delitem(sys.modules, "datajuicer", raising=False)
    yield base_op
    sys.modules.pop("datajuicer", None)


def _fresh_import_later(monkeypatch):
    """The next import of the plug-in runs its code again; the original is restored after."""
    import spotdiff.imgdiff

    monkeypatch.delitem(sys.modules, CANONICAL)
    monkeypatch.setattr(spotdiff.imgdiff, "datajuicer", plugin)


def _load_like_data_juicer(path):
    """What data_juicer.config.load_custom_operators does with a file path."""
    spec = importlib.util.spec_from_file_location("datajuicer", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["datajuicer"] = module
    spec.loader.exec_module(module)
    return module


def test_without_data_juicer_nothing_is_registered(monkeypatch):
    for name in ("data_juicer", "data_juicer.ops", "data_juicer.ops.base_op"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    _fresh_import_later(monkeypatch)
    module = importlib.import_module(CANONICAL)
    assert module.REGISTERED is False and module.register() is False
    assert not hasattr(module, "SpotdiffDifferenceAreaGeneratorMapper")
    assert module.OP_NAME == "spotdiff_difference_area_generator_mapper"


def test_custom_operator_file_registers_the_canonical_class_and_runs(fake_dj):
    module = _load_like_data_juicer(plugin.__file__)
    canonical = sys.modules[CANONICAL]
    assert module is not canonical and module.REGISTERED
    cls = fake_dj.OPERATORS.modules[plugin.OP_NAME]
    # one class, named by an importable module: what pickling into workers needs
    assert cls is module.SpotdiffDifferenceAreaGeneratorMapper
    assert cls is canonical.SpotdiffDifferenceAreaGeneratorMapper
    assert cls.__module__ == CANONICAL
    assert fake_dj.TAGGING_OPS.modules[plugin.OP_NAME] is cls
    assert fake_dj.UNFORKABLE.modules[plugin.OP_NAME] is cls
    assert module.register() is True  # idempotent: no KeyError on a second registration
    op = cls(
        image_pair_similarity_filter_args={"min_score_1": 0.2},
        backend="classical",
        accelerator="cpu",
        text_key="text",
        skip_op_error=True,
    )
    assert op.skip_op_error is False  # what escapes process_single must stop the run
    assert op._generator.config.similarity.min_score_1 == 0.2
    assert op._generator.device == "cpu"
    img1, img2 = planted_pair()
    sample = {"image_path1": img1, "image_path2": img2, "caption1": "A red box.",
              "caption2": "A blue box.", "text": "", "__dj__meta__": {}}  # fmt: skip
    out = op.process_single(sample, rank=0)
    boxes = out["__dj__meta__"]["__dj__bbox__"]
    assert boxes.dtype == np.float32 and boxes.shape == (1, 4) and boxes.any()
    assert out["__dj__meta__"]["spotdiff_error"] == ""
    assert sample["__dj__meta__"] == {}


# --- the real Data-Juicer, in-process ----------------------------------------------------------


@pytest.fixture
def dj_loaded(monkeypatch):
    """Data-Juicer's own custom-operator loading of the plug-in file (module ``datajuicer``)."""
    if importlib.util.find_spec("data_juicer") is None:
        pytest.skip(needs_data_juicer.kwargs["reason"])
    from data_juicer.config.config import load_custom_operators

    monkeypatch.delitem(sys.modules, "datajuicer", raising=False)
    load_custom_operators([plugin.__file__])
    yield sys.modules["datajuicer"]
    sys.modules.pop("datajuicer", None)


def _op(**args):
    from data_juicer.ops.load import load_ops

    (op,) = load_ops([{plugin.OP_NAME: {"backend": "classical", "skip_op_error": True, **args}}])
    return op


def test_real_data_juicer_loads_the_canonical_class_and_it_pickles(dj_loaded):
    from data_juicer.ops.base_op import OPERATORS, UNFORKABLE

    cls = OPERATORS.modules[plugin.OP_NAME]
    assert cls is dj_loaded.SpotdiffDifferenceAreaGeneratorMapper
    assert cls.__module__ == CANONICAL and UNFORKABLE.modules[plugin.OP_NAME] is cls
    op = _op()
    img1, img2 = planted_pair()
    out = op.process_single({"image_path1": img1, "image_path2": img2, "caption1": "A cup.",
                             "caption2": "A bowl.", "__dj__meta__": {}})  # fmt: skip
    assert out["__dj__meta__"]["__dj__bbox__"].shape[1] == 4
    # a worker gets the operator pickled (datasets uses dill): the class goes by reference, by
    # its importable module name, never as "datajuicer"
    import dill

    payload = dill.dumps(op.process)
    assert CANONICAL.encode() in payload and b"\x8c\ndatajuicer" not in payload
    assert type(dill.loads(payload).__wrapped__.__self__) is cls


def test_real_operator_keeps_a_failing_row_with_its_error(dj_loaded, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    img1, _ = planted_pair()
    op = _op()
    sample = {"image_path1": img1, "image_path2": str(bad), "caption1": "A cup.",
              "caption2": "A bowl.", "__dj__meta__": {"other": 1}}  # fmt: skip
    batch = op.process({k: [v] for k, v in sample.items()})  # Data-Juicer's wrapped call
    assert batch["image_path2"] == [str(bad)]  # the row is still there
    meta = batch["__dj__meta__"][0]
    np.testing.assert_array_equal(meta["__dj__bbox__"], np.zeros((1, 4), np.float32))
    assert meta["spotdiff_error"] == (
        f"ImageReadError: {bad}: not an image spotdiff can read "
        "(supported: PNG, JPEG, WebP, BMP, TIFF, GIF)"
    )
    assert meta["other"] == 1
    missing = op.process_single({"image_path1": img1, "caption1": "A cup."})
    assert missing["__dj__meta__"]["spotdiff_error"].startswith(
        "InvalidOptionError: sample is missing field(s) image_path2, caption2"
    )


def test_real_operator_missing_dependency_is_not_swallowed(dj_loaded, monkeypatch):
    op = _op()  # skip_op_error=True asked for, as Data-Juicer's recipes default to

    def fail(sample, rank=None):
        raise MissingDependencyError("ultralytics is required ... pip install 'spotdiff[fastsam]'")

    monkeypatch.setattr(op._generator, "process_single", fail)
    img1, img2 = planted_pair()
    sample = {"image_path1": [img1], "image_path2": [img2], "caption1": ["a"], "caption2": ["b"]}
    with pytest.raises(MissingDependencyError, match="spotdiff\\[fastsam\\]"):
        op.process(sample)


def test_real_operator_without_lemminflect_fails_when_built(dj_loaded, monkeypatch):
    monkeypatch.setitem(sys.modules, "lemminflect", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match="pip install 'spotdiff\\[datajuicer\\]'"):
        _op()


# --- docs/imgdiff.md's recipe under a real dj-process ------------------------------------------


def _docs_recipe() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Data-Juicer recipe") :]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def _write_rows(root: Path) -> list[dict]:
    rows = []
    for i, (w, h) in enumerate([(96, 72), (80, 64), (96, 72)]):
        img1, img2 = planted_pair(size=(w, h))
        Image.fromarray(img1).save(root / f"{i}_1.png")
        Image.fromarray(img2).save(root / f"{i}_2.png")
        rows.append({"image_path1": f"{i}_1.png", "image_path2": f"{i}_2.png",
                     "caption1": "A red box.", "caption2": "A blue box."})  # fmt: skip
    (root / "bad.png").write_bytes(b"not an image")
    rows.insert(0, dict(rows[0], image_path2="bad.png"))  # first row of worker 1 fails
    rows.insert(3, dict(rows[1], image_path1="missing.png"))
    for row in rows:  # absolute paths, as Data-Juicer's workers do not share the cwd's meaning
        row["image_path1"], row["image_path2"] = (str(root / row[k]) for k in FIELDS_12)
    with open(root / "pairs.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)
    return rows


def _dj_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, SPOTDIFF_OFFLINE="1", HF_HUB_OFFLINE="1", **extra)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _dj_process(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = shutil.which("dj-process", path=env["PATH"])
    assert exe, "dj-process is not installed (pip install 'spotdiff[datajuicer]')"
    return subprocess.run(
        [exe, "--config", "imgdiff_recipe.yaml"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@needs_data_juicer
def test_docs_recipe_runs_under_dj_process_with_workers(tmp_path):
    recipe = _docs_recipe()
    config = yaml.safe_load(recipe)
    assert config["np"] >= 2 and config["text_keys"] == "caption1"
    filled = re.sub(r"(custom_operator_paths:\n  - ).*", rf"\g<1>{plugin.__file__}", recipe)
    (tmp_path / "imgdiff_recipe.yaml").write_text(filled, encoding="utf-8")
    rows = _write_rows(tmp_path)
    proc = _dj_process(tmp_path, _dj_env())
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "No module named" not in log and "abruptly died" not in log
    assert f"Left {len(rows)} samples" in log
    out = [json.loads(line) for line in (tmp_path / "out" / "areas.jsonl").open()]
    assert [(r["image_path1"], r["image_path2"]) for r in out] == [
        (r["image_path1"], r["image_path2"]) for r in rows
    ]  # every row, in order: none vanished
    errors = [r["__dj__meta__"]["spotdiff_error"] for r in out]
    assert errors[0].startswith(f"ImageReadError: {tmp_path / 'bad.png'}: not an image")
    assert errors[3].startswith("ImageReadError: ") and "missing.png" in errors[3]
    for i in (1, 2, 4):
        meta = out[i]["__dj__meta__"]
        assert errors[i] == "" and len(meta["__dj__bbox__"]) >= 1 and any(meta["__dj__bbox__"][0])
        assert meta["spotdiff_imgdiff"]["backends"]["segmentation"] in ("find", "fastsam")
    for i in (0, 3):
        assert out[i]["__dj__meta__"]["__dj__bbox__"] == [[0.0, 0.0, 0.0, 0.0]]


@needs_data_juicer
def test_dj_process_without_lemminflect_fails_loudly(tmp_path):
    hide = tmp_path / "hide" / "lemminflect"
    hide.mkdir(parents=True)
    (hide / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    recipe = {"project_name": "t", "dataset_path": "pairs.jsonl", "export_path": "out/a.jsonl",
              "text_keys": "caption1", "np": 2, "custom_operator_paths": [plugin.__file__],
              "process": [{plugin.OP_NAME: {"backend": "classical"}}]}  # fmt: skip
    (tmp_path / "imgdiff_recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    _write_rows(tmp_path)
    proc = _dj_process(tmp_path, _dj_env(PYTHONPATH=str(tmp_path / "hide")))
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "MissingDependencyError: lemminflect is required" in log
    assert "pip install 'spotdiff[datajuicer]'" in log
    assert not (tmp_path / "out" / "a.jsonl").exists()
