"""CLIP and BLIP backends on tiny saved models: real loading path, parity with per-item calls."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the model backends need transformers (extra 'models')")

import torch
import transformers
from PIL import Image

from spotdiff.backends import clear_cache, load_blip, load_clip
from spotdiff.backends._hf import load_image_processor

RNG = np.random.default_rng(0)
CROPS = [RNG.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in [(20, 30), (7, 5), (40, 40), (3, 9), (33, 21)]]  # fmt: skip


def test_clip_embeddings_equal_get_image_features_one_by_one(tiny_models):
    clip = load_clip(tiny_models["clip"], device="cpu", batch_size=2)
    tally = Counter()
    emb = clip.embed(CROPS, tally=tally)
    assert emb.shape == (5, 16) and emb.dtype == np.float32
    assert tally == {"clip": 3}  # ceil(5 / 2) batched passes
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-6)
    # reference: Data-Juicer's way, one image per get_image_features call
    model = transformers.CLIPModel.from_pretrained(tiny_models["clip"]).eval()
    proc = load_image_processor(tiny_models["clip"], {})
    for crop, row in zip(CROPS, emb, strict=True):
        pixels = proc(images=[Image.fromarray(crop)], return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            feats = model.get_image_features(pixel_values=pixels)
        feats = getattr(feats, "pooler_output", feats)
        ref = torch.nn.functional.normalize(feats, dim=-1)[0].numpy()
        np.testing.assert_allclose(row, ref, atol=1e-5)


def test_clip_similarity_is_cosine_and_identical_images_score_one(tiny_models):
    clip = load_clip(tiny_models["clip"], device="cpu")
    tally = Counter()
    sims = clip.similarity(CROPS[:3], [CROPS[0], CROPS[2], CROPS[2]], tally=tally)
    assert tally == {"clip": 1}  # 6 images in one pass
    assert sims.shape == (3,) and sims.dtype == np.float32
    assert sims[0] == pytest.approx(1.0, abs=1e-6) and sims[2] == pytest.approx(1.0, abs=1e-6)
    emb = clip.embed([CROPS[1], CROPS[2]])
    assert sims[1] == pytest.approx(float(emb[0] @ emb[1]), abs=1e-6)


def test_blip_batched_matching_equals_the_full_model_per_pair(tiny_models):
    blip = load_blip(tiny_models["blip"], device="cpu", batch_size=2)
    nouns = ["plane", "sky", "dogs"]
    tally = Counter()
    probs = blip.match(CROPS, nouns, tally=tally)
    assert probs.shape == (5, 3) and probs.dtype == np.float32
    assert tally == {"blip_vision": 3, "blip_text": 3}
    # reference: Data-Juicer's way, BlipForImageTextRetrieval on each (crop, noun)
    model = transformers.BlipForImageTextRetrieval.from_pretrained(tiny_models["blip"]).eval()
    tok = transformers.AutoTokenizer.from_pretrained(tiny_models["blip"])
    proc = load_image_processor(tiny_models["blip"], {})
    for i, crop in enumerate(CROPS):
        pixels = proc(images=[Image.fromarray(crop)], return_tensors="pt")["pixel_values"]
        for k, noun in enumerate(nouns):
            enc = tok(noun, return_tensors="pt", truncation=True, max_length=32, padding=True)
            with torch.no_grad():
                out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                            pixel_values=pixels)  # fmt: skip
            ref = out.itm_score.softmax(dim=-1)[0, 1].item()
            assert probs[i, k] == pytest.approx(ref, abs=1e-5)


def test_blip_fixed_bias_model_gives_the_forced_probability(tiny_models):
    blip = load_blip(tiny_models["blip_high"], device="cpu")
    probs = blip.match(CROPS[:2], ["cat"])
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-2.0)), atol=1e-6)
    assert blip.match([], ["cat"]).shape == (0, 1)


def test_models_are_loaded_once_per_process(tiny_models):
    clear_cache()
    a = load_clip(tiny_models["clip"], device="cpu")
    b = load_clip(tiny_models["clip"], device="cpu", batch_size=4)
    assert a.model is b.model and b.batch_size == 4
    assert (
        load_blip(tiny_models["blip"], device="cpu").model
        is load_blip(tiny_models["blip"], device="cpu").model
    )


def test_device_follows_the_one_device_rule(tiny_models):
    from spotdiff import InvalidOptionError

    expected = f"cuda:{3 % torch.cuda.device_count()}" if torch.cuda.is_available() else "cpu"
    assert load_clip(tiny_models["clip"], rank=3).device == expected
    assert load_blip(tiny_models["blip"], device="auto").device == (
        "cuda:0" if torch.cuda.is_available() else "cpu"
    )
    with pytest.raises(InvalidOptionError, match="not a torch device"):
        load_clip(tiny_models["clip"], device="gpu-please")
