"""The operator with tiny CLIP and BLIP models loaded like real ones: every gate and the counts."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the model backends need transformers (extra 'models')")
pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect (extra 'models')")

from spotdiff import WeightsNotFoundError
from spotdiff.backends import clear_cache
from spotdiff.backends.tiny import planted_pair
from spotdiff.imgdiff import BBOX_KEY, META_KEY, DifferenceAreaGenerator

CAP1 = "A plane in the sky flying alone."
CAP2 = "A boat in the ocean sailing alone."
MODELS = {"similarity": "models", "matching": "models", "segmentation": "classical"}


def _op(tiny, *, blip="blip_high", sim=None, itm=None, **kw):
    return DifferenceAreaGenerator(
        {"hf_clip": tiny["clip"], **(sim or {})},
        None,
        {"hf_blip": tiny[blip], **(itm or {})},
        backend=MODELS,
        device="cpu",
        **kw,
    )


def _sample(seed=0):
    img1, img2 = planted_pair(seed)
    return {"image_path1": img1, "image_path2": img2, "caption1": CAP1, "caption2": CAP2}


def test_all_steps_run_with_models_and_count_forward_passes(tiny_models):
    op = _op(tiny_models)
    out = op.process_single(_sample())
    info = out[META_KEY]["spotdiff_imgdiff"]
    assert info["backends"] == {
        "captions": "lemminflect", "similarity": "clip", "segmentation": "find",
        "matching": "blip", "crop_similarity": "clip",
    }  # fmt: skip
    n = info["counts"]["candidates"]
    assert n >= 1 and info["counts"]["matched"] == n  # the forced BLIP score 0.881 passes
    # one CLIP pass for the pair, one BLIP vision + text pass per side, one CLIP pass for crops
    assert info["forward_passes"] == {
        "blip_text": 2, "blip_vision": 2, "clip": 2, "total": 6,
    }  # fmt: skip
    boxes = out[META_KEY][BBOX_KEY]
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4 and boxes.any()
    result = op.compute(*planted_pair(), CAP1, CAP2)
    np.testing.assert_allclose(result.data["itm1"], 1 / (1 + np.exp(-2.0)), atol=1e-6)
    assert set(result.data["noun1"]) <= {"plane", "sky"}


@pytest.mark.parametrize(
    ("itm", "kept"),
    [({"min_score": 0.88, "max_score": 0.89}, True), ({"min_score": 0.89}, False),
     ({"max_score": 0.88}, False)],
)  # fmt: skip
def test_matching_thresholds_with_a_forced_score(tiny_models, itm, kept):
    out = _op(tiny_models, itm=itm).process_single(_sample())
    info = out[META_KEY]["spotdiff_imgdiff"]
    assert bool(out[META_KEY][BBOX_KEY].any()) is kept
    if not kept:
        assert info["filtered_at"] == "matching"
        assert info["forward_passes"]["blip_vision"] == 1  # image-2 crops never scored


def test_similarity_gates_with_forced_bounds(tiny_models):
    op = _op(tiny_models)
    pair_sim = op.compute(*planted_pair(), CAP1, CAP2).metadata["pair_similarity"]
    above = _op(tiny_models, sim={"min_score_1": min(pair_sim + 1e-4, 1.0)})
    info = above.process_single(_sample())[META_KEY]["spotdiff_imgdiff"]
    assert info["filtered_at"] == "similarity"
    assert info["forward_passes"] == {"clip": 1, "total": 1}
    crop_sim = float(op.compute(*planted_pair(), CAP1, CAP2).data["similarity"][0])
    out = _op(tiny_models, sim={"max_score_2": crop_sim - 1e-4}).process_single(_sample())
    assert out[META_KEY]["spotdiff_imgdiff"]["filtered_at"] == "crop_similarity"
    np.testing.assert_array_equal(out[META_KEY][BBOX_KEY], np.zeros((1, 4), np.float32))


def test_models_mode_raises_when_weights_are_missing(tmp_path, monkeypatch):
    clear_cache()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    op = DifferenceAreaGenerator(backend=MODELS, device="cpu")
    with pytest.raises(WeightsNotFoundError, match="models--openai--clip-vit-base-patch32"):
        op.process_single(_sample())


def test_auto_falls_back_per_step_and_logs_one_line(tmp_path, monkeypatch, tiny_models, caplog):
    clear_cache()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    op = DifferenceAreaGenerator({"hf_clip": tiny_models["clip"]}, device="cpu")  # auto
    with caplog.at_level(logging.INFO, logger="spotdiff.imgdiff"):
        out = op.process_single(_sample())
    names = out[META_KEY]["spotdiff_imgdiff"]["backends"]
    assert names["similarity"] == "clip"  # local tiny CLIP
    assert names["segmentation"] == "find"  # no ultralytics / FastSAM weights
    assert names["matching"] == "skipped"  # Salesforce/blip-itm-base-coco is not cached
    line = op.prepare().describe()
    assert line.startswith("similarity: clip; segmentation: find (")
    assert line.endswith("; matching: skipped (blip weights not found locally)")
    assert "using" not in caplog.text
    summary = [r.getMessage() for r in caplog.records if "backends:" in r.getMessage()]
    assert summary == [f"spotdiff imgdiff backends: {line}"]
    result = op.compute(*planted_pair(), CAP1, CAP2)
    assert result.metadata["notes"][0] == line
    assert any("HF_HUB_OFFLINE is set" in n for n in result.metadata["notes"][1:])
    op.process_single(_sample(1))  # resolved once: nothing logged again
    assert len([r for r in caplog.records if "backends:" in r.getMessage()]) == 1


def test_two_threads_share_the_models_without_interference(tiny_models):
    op = _op(tiny_models, blip="blip")
    samples = [_sample(s) for s in range(3)]
    expected = [op.process_single(s)[META_KEY][BBOX_KEY] for s in samples]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda s: op.process_single(s)[META_KEY][BBOX_KEY], samples * 2))
    for e, g in zip(expected * 2, got, strict=True):
        np.testing.assert_array_equal(e, g)
