"""The Data-Juicer contract of ``DifferenceAreaGenerator`` with the model-free backends."""

from __future__ import annotations

import copy
import multiprocessing
import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect (extra 'models')")

from spotdiff import ImageReadError, InvalidOptionError
from spotdiff.backends.tiny import planted_pair
from spotdiff.imgdiff import BBOX_KEY, META_KEY, DifferenceAreaGenerator

CAP1 = "A plane in the sky flying alone."
CAP2 = "A boat in the ocean sailing alone."


def _sample(tmp_path, seed=0, name="p"):
    img1, img2 = planted_pair(seed)
    p1, p2 = tmp_path / f"{name}1.png", tmp_path / f"{name}2.png"
    Image.fromarray(img1).save(p1)
    Image.fromarray(img2).save(p2)
    return {"image_path1": str(p1), "image_path2": str(p2), "caption1": CAP1, "caption2": CAP2,
            "id": name, "__dj__meta__": {"other": 1}}  # fmt: skip


def test_output_contract_and_the_planted_box(tmp_path):
    op = DifferenceAreaGenerator(backend="classical")
    sample = _sample(tmp_path)
    out = op.process_single(sample, rank=None)
    boxes = out[META_KEY][BBOX_KEY]
    assert isinstance(boxes, np.ndarray) and boxes.dtype == np.float32 and boxes.shape == (1, 4)
    # the 24x20 block at x 40..64, y 20..40: centre (52, 30); the engine's box covers it
    cx, cy, w, h = boxes[0]
    assert abs(cx - 52) <= 1.5 and abs(cy - 30) <= 1.5
    assert 24 <= w <= 36 and 20 <= h <= 30
    assert out[META_KEY]["other"] == 1  # the sample's own meta is kept
    assert {k: out[k] for k in sample if k != META_KEY} == {
        k: v for k, v in sample.items() if k != META_KEY
    }
    info = out[META_KEY]["spotdiff_imgdiff"]
    assert info["backends"] == {
        "captions": "lemminflect", "similarity": "structural", "segmentation": "find",
        "matching": "skipped", "crop_similarity": "structural",
    }  # fmt: skip
    assert info["filtered_at"] is None
    assert info["forward_passes"] == {"total": 0}
    assert info["nouns"] == [["plane", "sky"], ["boat", "ocean"]]
    assert 0.8 < info["pair_similarity"] <= 1.0


def test_zeros_when_filtered_out(tmp_path):
    sample = _sample(tmp_path)
    op = DifferenceAreaGenerator({"max_score_1": 0.5}, backend="classical")
    out = op.process_single(sample)
    np.testing.assert_array_equal(out[META_KEY][BBOX_KEY], np.zeros((1, 4), np.float32))
    assert out[META_KEY][BBOX_KEY].dtype == np.float32
    assert out[META_KEY]["spotdiff_imgdiff"]["filtered_at"] == "similarity"
    # identical images: no difference survives
    same = dict(sample, image_path2=sample["image_path1"])
    out = DifferenceAreaGenerator(backend="classical", meta_key=None).process_single(same)
    np.testing.assert_array_equal(out[META_KEY][BBOX_KEY], np.zeros((1, 4), np.float32))
    assert set(out[META_KEY]) == {"other", BBOX_KEY}


def test_inputs_are_not_mutated(tmp_path):
    sample = _sample(tmp_path)
    args = ({"min_score_1": 0.2}, {"imgsz": 512}, {"min_score": 0.0})
    snapshot = copy.deepcopy((sample, args))
    op = DifferenceAreaGenerator(*args, backend="classical")
    out = op.process_single(sample)
    assert (sample, args) == snapshot
    assert out is not sample and out[META_KEY] is not sample[META_KEY]


def test_missing_field_and_unreadable_image_errors_name_them(tmp_path):
    op = DifferenceAreaGenerator(backend="classical")
    sample = _sample(tmp_path)
    with pytest.raises(InvalidOptionError, match=r"missing field.*caption2"):
        op.process_single({k: v for k, v in sample.items() if k != "caption2"})
    with pytest.raises(InvalidOptionError, match="caption1 must be a string"):
        op.process_single(dict(sample, caption1=None))
    missing = str(tmp_path / "nope.png")
    with pytest.raises(ImageReadError, match=r"nope\.png"):
        op.process_single(dict(sample, image_path2=missing))
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ImageReadError, match=r"bad\.png"):
        op.process_single(dict(sample, image_path1=str(tmp_path / "bad.png")))


def test_nothing_is_written_even_when_a_step_raises(tmp_path, monkeypatch):
    assets, scratch = tmp_path / "assets", tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("DATA_JUICER_ASSETS_CACHE", str(assets))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    sample = _sample(tmp_path)
    op = DifferenceAreaGenerator(backend="classical")
    backends = op.prepare()

    class Boom(RuntimeError):
        pass

    def fail(*args, **kwargs):
        raise Boom("forced failure in step 6")

    before = sorted(os.listdir(tmp_path))
    calls = {"n": 0}
    real = backends.similarity.similarity

    def second_call_fails(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs) if calls["n"] == 1 else fail()

    monkeypatch.setattr(backends.similarity, "similarity", second_call_fails)
    with pytest.raises(Boom):
        op.process_single(sample)
    assert calls["n"] == 2  # it failed inside step 6, after crops were made
    assert not assets.exists()
    assert os.listdir(scratch) == []
    assert sorted(os.listdir(tmp_path)) == before


def test_deterministic_and_picklable(tmp_path):
    sample = _sample(tmp_path)
    op = DifferenceAreaGenerator(backend="classical")
    first = op.process_single(sample)
    clone = pickle.loads(pickle.dumps(op))
    assert clone._backends is None
    again = clone.process_single(sample)
    np.testing.assert_array_equal(first[META_KEY][BBOX_KEY], again[META_KEY][BBOX_KEY])
    assert first[META_KEY]["spotdiff_imgdiff"] == again[META_KEY]["spotdiff_imgdiff"]
    assert op.prepare() is op.prepare()  # resolved once


def _run_one(op, sample):
    return op.process_single(sample)[META_KEY][BBOX_KEY]


def test_two_threads_and_two_processes_do_not_interfere(tmp_path):
    samples = [_sample(tmp_path, seed=s, name=f"s{s}") for s in range(4)]
    samples[1] = dict(samples[1], image_path2=samples[1]["image_path1"])  # no difference
    op = DifferenceAreaGenerator(backend="classical")
    expected = [_run_one(op, s) for s in samples]
    assert not expected[1].any() and expected[0].any()
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(_run_one, [op] * 8, samples * 2))
    for e, g in zip(expected * 2, got, strict=True):
        np.testing.assert_array_equal(e, g)
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, nothing shared
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        got = list(pool.map(op.process_single, samples))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(e, g[META_KEY][BBOX_KEY])


def test_prepare_describes_the_backends_in_one_line(tmp_path):
    op = DifferenceAreaGenerator(backend="classical")
    line = op.prepare().describe()
    assert line == "similarity: structural; segmentation: find; matching: skipped"
    out = op.compute(*planted_pair(), CAP1, CAP2)
    assert out.metadata["notes"] == [line]


def test_auto_with_a_rank_and_no_network_falls_back(empty_model_caches, no_network):
    op = DifferenceAreaGenerator()  # auto, device None: GPU rank % count when there is one
    backends = op.prepare(rank=3)
    assert backends.names["similarity"] == "structural"
    assert "using" not in backends.describe() and "HF_HUB_OFFLINE" not in "".join(backends.notes)


def test_a_bad_device_is_an_option_error_at_prepare(empty_model_caches, no_network):
    pytest.importorskip("torch", reason="devices are torch devices")
    op = DifferenceAreaGenerator(device="cuda:99")
    with pytest.raises(InvalidOptionError, match="cuda:99"):
        op.prepare()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"find_options": 5}, "find_options must be a dict"),
        ({"backend": ["a"]}, "backend must be one of"),
        ({"backend": 3}, "backend must be one of"),
    ],
)
def test_bad_option_types_are_invalid_option_errors(options, match):
    with pytest.raises(InvalidOptionError, match=match):
        DifferenceAreaGenerator(**options)


class PassCounting:
    """A similarity backend counting forward passes as a batched model runs them:
    ``ceil(images / batch_size)`` per call (both lists go through together)."""

    name = "counting"

    def __init__(self, inner, batch_size):
        self.inner, self.batch_size, self.calls = inner, batch_size, []

    def similarity(self, a, b, *, tally=None):
        self.calls.append(len(a) + len(b))
        tally["sim"] += -(-(len(a) + len(b)) // self.batch_size)
        return self.inner.similarity(a, b, tally=tally)


@pytest.mark.parametrize(("batch_size", "pooled"), [(8, 2), (1, 10)])
def test_compute_many_pools_the_pair_gate_of_all_pairs_in_one_call(tmp_path, batch_size, pooled):
    from dataclasses import replace

    samples = [_sample(tmp_path, seed=s, name=f"p{s}") for s in range(5)]
    pairs = [(s["image_path1"], s["image_path2"], CAP1, CAP2) for s in samples]
    op = DifferenceAreaGenerator(backend="classical", batch_size=batch_size)
    counting = PassCounting(op.prepare().similarity, batch_size)
    op._backends = replace(op.prepare(), similarity=counting)

    one_by_one = [op.compute(*p) for p in pairs]
    gate_calls = counting.calls[::2]  # per pair: the gate (2 images), then the crop pairs
    assert gate_calls == [2] * 5
    counting.calls.clear()
    many = op.compute_many(pairs)
    assert counting.calls[0] == 10  # the five gates in one call: 10 images
    for single, pooled_result in zip(one_by_one, many, strict=True):
        np.testing.assert_array_equal(pooled_result.boxes, single.boxes)
        own = pooled_result.metadata["forward_passes"]
        gate = -(-2 // batch_size)  # the gate's passes of one pair on its own
        assert own["sim"] == single.metadata["forward_passes"]["sim"] - gate
        assert pooled_result.metadata["pooled_passes"] == {"sim": pooled, "pairs": 5}
    assert op.compute_many([]) == []
