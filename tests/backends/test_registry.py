"""The backend registry: entries, lookups, the preference walk, and a contract over every backend."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from spotdiff import InvalidOptionError, MissingDependencyError, UnknownNameError
from spotdiff._registry import Registry
from spotdiff.backends import (
    CLIP,
    PROTOCOLS,
    ROLES,
    FastSamSegmenter,
    WeightsSpec,
    backend_entry,
    choose_backend,
    get_backend,
    list_backends,
    register_backend,
)
from spotdiff.backends import _registry as reg
from spotdiff.backends.tiny import planted_pair

ALL = [(role, name) for role in ROLES for name in list_backends(role)]


def test_builtin_entries_say_what_they_need():
    assert {r: list_backends(r) for r in ROLES} == {
        "similarity": ["clip", "structural"],
        "segmentation": ["fastsam", "find"],
        "matching": ["blip", "skip"],
    }
    clip = backend_entry("similarity", "clip")
    assert clip.model and clip.spec is CLIP and clip.extra == "models"
    assert clip.library == "transformers"
    assert clip.options == ("batch_size", "device", "rank", "source", "trust_remote_code")
    fastsam = backend_entry("segmentation", "FastSAM")  # case folded
    assert fastsam.model and fastsam.extra == "fastsam" and fastsam.library == "ultralytics"
    assert "rank" in fastsam.options and "batch_size" not in fastsam.options
    for role, name in [
        ("similarity", "structural"),
        ("segmentation", "find"),
        ("matching", "skip"),
    ]:
        entry = backend_entry(role, name)
        assert not entry.model and entry.spec is None and entry.extra is None
    assert backend_entry("matching", "skip").label == "skipped"
    assert backend_entry("segmentation", "find").options is None  # FindProposals checks its own
    assert all(backend_entry(r, n).summary for r, n in ALL)


def test_preferences_are_data_walked_by_mode():
    names = {
        (role, mode): [e.name for e in reg.candidates(role, mode)]
        for role in ROLES
        for mode in (
            "auto",
            "models",
            "classical",
            "structural" if role == "similarity" else "auto",
        )
    }
    assert names[("similarity", "auto")] == ["clip", "structural"]
    assert names[("similarity", "models")] == ["clip"]
    assert names[("similarity", "classical")] == ["structural"]
    assert names[("similarity", "structural")] == ["structural"]
    assert names[("segmentation", "auto")] == ["fastsam", "find"]
    assert names[("matching", "models")] == ["blip"]
    assert names[("matching", "classical")] == ["skip"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [(lambda: get_backend("similarity", "clipp"), UnknownNameError,
      r"unknown similarity backend 'clipp'\. Did you mean 'clip'\?.*Valid names: clip, structural"),
     (lambda: get_backend("matching", "bert"), UnknownNameError, "Valid names: blip, skip"),
     (lambda: get_backend("similarity", "clip", sourse="x"), InvalidOptionError,
      r"'clip' got unknown option\(s\) sourse; valid options: batch_size, device, rank, source"),
     (lambda: get_backend("similarity", "structural", device="cpu"), InvalidOptionError,
      "valid options: none"),
     (lambda: get_backend("segmentation", "find", bogus=1), InvalidOptionError,
      r"unknown option\(s\) bogus; valid options: align, config"),
     (lambda: get_backend("ocr", "x"), InvalidOptionError,
      "role must be one of 'similarity', 'segmentation', 'matching'; got 'ocr'"),
     (lambda: list_backends("segment"), InvalidOptionError, "role must be one of"),
     (lambda: register_backend("similarity", "clip", model=False)(lambda: None),
      InvalidOptionError, "already registered")],
)  # fmt: skip
def test_lookup_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- the walk, on a scratch registry -------------------------------------------------------


class _Named:
    def __init__(self, name):
        self.name = name

    def similarity(self, images1, images2, *, tally=None):
        return np.ones(len(images1), np.float32)


@pytest.fixture
def scratch(monkeypatch):
    """Empty registries and preferences for the roles, restored afterwards."""
    monkeypatch.setattr(reg, "_REGISTRIES", {r: Registry(f"{r} backend") for r in ROLES})
    monkeypatch.setattr(reg, "_LOADED", True)
    monkeypatch.setattr(reg, "PREFERENCES", {r: () for r in ROLES})
    calls: list[str] = []

    def add(name, *, model, fail=None, spec=None):
        def loader(**options):
            calls.append(name)
            if fail is not None:
                raise fail
            return _Named(name)

        register_backend("similarity", name, model=model, spec=spec)(loader)

    def prefer(*names):
        reg.PREFERENCES["similarity"] = names

    return add, prefer, calls


class _HubHTTPError(Exception):
    pass


_HubHTTPError.__module__ = "huggingface_hub.errors"

_SPEC = WeightsSpec(name="big", default="org/big", library="not_a_module_xyz", extra="models")


@pytest.mark.parametrize(
    ("fail", "reason"),
    [(MissingDependencyError("no lib"), "not_a_module_xyz not installed"),
     (ConnectionError("refused"), "big weights download failed (ConnectionError)"),
     (TimeoutError("slow"), "big weights download failed (TimeoutError)"),
     (_HubHTTPError("502"), "big weights download failed (_HubHTTPError)")],
)  # fmt: skip
def test_auto_passes_over_what_cannot_run_here(scratch, fail, reason):
    add, prefer, calls = scratch
    add("big", model=True, fail=fail, spec=_SPEC)
    add("small", model=False)
    prefer("big", "small")
    choice = choose_backend("similarity", "auto", lambda entry: {})
    assert choice.entry.name == "small" and choice.backend.name == "small"
    assert choice.reason == reason
    assert choice.passed_over[0][0] == "big" and choice.passed_over[0][2] == str(fail)
    assert calls == ["big", "small"]
    with pytest.raises(type(fail)):
        choose_backend("similarity", "models", lambda entry: {})
    with pytest.raises(type(fail)):
        choose_backend("similarity", "big", lambda entry: {})  # a named backend must load


@pytest.mark.parametrize("fail", [RuntimeError("CUDA error"), InvalidOptionError("bad device")])
def test_auto_never_hides_a_real_error(scratch, fail):
    add, prefer, calls = scratch
    add("big", model=True, fail=fail)
    add("small", model=False)
    prefer("big", "small")
    with pytest.raises(type(fail)):
        choose_backend("similarity", "auto", lambda entry: {})
    assert calls == ["big"]


def test_models_tries_every_model_and_raises_the_first_error(scratch):
    add, prefer, calls = scratch
    first = MissingDependencyError("first")
    add("a", model=True, fail=first)
    add("b", model=True, fail=ConnectionError("second"))
    add("c", model=False)
    prefer("a", "b", "c")
    with pytest.raises(MissingDependencyError) as err:
        choose_backend("similarity", "models", lambda entry: {})
    assert err.value is first and calls == ["a", "b"]  # the model-free one is never tried
    calls.clear()
    assert choose_backend("similarity", "classical", lambda entry: {}).entry.name == "c"
    assert calls == ["c"]  # no model is even tried
    prefer("a")
    with pytest.raises(InvalidOptionError, match="no similarity backend is registered"):
        choose_backend("similarity", "classical", lambda entry: {})


# --- contract over every registered backend (tiny models where one is needed) --------------


class _StandInFastSAM:
    """ultralytics' FastSAM call: a list of BGR images in, results with ``.boxes.xyxy`` out."""

    class _R:
        class _B:
            class _T:  # a tensor's .cpu().numpy()
                def cpu(self):
                    return self

                def numpy(self):
                    return np.array([[1, 2, 10, 20]], np.float32)

            xyxy = _T()

            def __len__(self):
                return 1

        boxes = _B()

    def __call__(self, source, **kwargs):
        return [self._R() for _ in source]


def _build(role, name, tiny_models):
    entry = backend_entry(role, name)
    if name == "fastsam":  # its real loader needs ultralytics and weights: same class, stand-in
        return FastSamSegmenter(_StandInFastSAM(), source="stand-in", device="cpu", imgsz=64,
                                conf=0.05, iou=0.5)  # fmt: skip
    if entry.model:
        pytest.importorskip("transformers", reason="the model backends need transformers")
        return get_backend(role, name, source=tiny_models[name], device="cpu", batch_size=2)
    return get_backend(role, name)


@pytest.mark.parametrize(("role", "name"), ALL, ids=[f"{r}-{n}" for r, n in ALL])
def test_every_backend_follows_its_role_protocol(role, name, tiny_models):
    backend = _build(role, name, tiny_models)
    entry = backend_entry(role, name)
    if backend is None:  # "skip": the step does not run
        assert role == "matching" and entry.label == "skipped"
        return
    assert isinstance(backend, PROTOCOLS[role])
    assert backend.name == entry.label == name
    img1, img2 = planted_pair()
    tally: Counter = Counter()
    if role == "similarity":
        out = backend.similarity([img1, img1], [img1, img2], tally=tally)
        assert out.shape == (2,) and out.dtype == np.float32
        assert out[0] == pytest.approx(1.0, abs=1e-5) and -1.0 <= out[1] <= 1.0
        with pytest.raises(InvalidOptionError, match="one length"):
            backend.similarity([img1], [img1, img2])
    elif role == "segmentation":
        boxes1, boxes2 = backend.propose(img1, img2, tally=tally)
        for boxes in (boxes1, boxes2):
            assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4
            assert (boxes[:, 2] >= boxes[:, 0]).all() and (boxes[:, 3] >= boxes[:, 1]).all()
    else:
        out = backend.match([img1, img2[20:40, 40:64], img1[:5, :7]], ["plane", "sky"], tally=tally)
        assert out.shape == (3, 2) and out.dtype == np.float32
        assert ((out >= 0) & (out <= 1)).all()
    assert all(v > 0 for v in tally.values())
    assert set(tally) <= {"clip", "fastsam", "blip_vision", "blip_text"}
