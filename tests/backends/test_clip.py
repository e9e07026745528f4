"""The CLIP backend (backends/clip.py) on a tiny saved model: the real loading path, embeddings
equal to Data-Juicer's one-image calls, the cosine similarity gate, caching and the device."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the model backends need transformers (extra 'models')")

import torch
import transformers
from PIL import Image

from spotdiff import InvalidOptionError
from spotdiff.backends import ClipEmbedder, backend_entry, clear_cache, get_backend, load_clip
from spotdiff.backends._hf import load_image_processor

RNG = np.random.default_rng(0)
SIZES = [(20, 30), (7, 5), (40, 40), (3, 9), (33, 21)]
CROPS = [RNG.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in SIZES]


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


def test_similarity_is_symmetric_and_both_lists_share_the_batches(tiny_models):
    clip = load_clip(tiny_models["clip"], device="cpu", batch_size=4)
    tally = Counter()
    forward = clip.similarity(CROPS[:3], CROPS[2:5], tally=tally)
    backward = clip.similarity(CROPS[2:5], CROPS[:3])
    np.testing.assert_allclose(forward, backward, atol=1e-6)
    assert ((forward >= -1) & (forward <= 1)).all()
    assert tally == {"clip": 2}  # 6 images, batches of 4


def test_empty_lists_and_unpaired_lists(tiny_models):
    clip = load_clip(tiny_models["clip"], device="cpu")
    tally = Counter()
    emb = clip.embed([], tally=tally)
    assert emb.shape == (0, 16) and emb.dtype == np.float32 and tally == {}
    sims = clip.similarity([], [], tally=tally)
    assert sims.shape == (0,) and sims.dtype == np.float32 and tally == {}
    with pytest.raises(InvalidOptionError, match=r"one length.*got 1 and 2 images"):
        clip.similarity(CROPS[:1], CROPS[:2], tally=tally)
    assert tally == {}  # checked before any forward pass


def test_one_image_instead_of_a_list_is_refused(tiny_models):
    # regression: similarity(img1, img2) compared the images' rows, as 2-D "images"
    from spotdiff import LayoutError

    clip = load_clip(tiny_models["clip"], device="cpu")
    with pytest.raises(
        LayoutError, match=r"images\[0\] must have shape \(H, W, 3\), got \(30, 3\)"
    ):
        clip.similarity(CROPS[0], CROPS[0])
    with pytest.raises(LayoutError, match=r"images\[1\] must be uint8, got dtype float64"):
        clip.embed([CROPS[0], CROPS[0] / 255.0])


def test_clip_is_loaded_once_per_process(tiny_models):
    clear_cache()
    a = load_clip(tiny_models["clip"], device="cpu")
    b = load_clip(tiny_models["clip"], device="cpu", batch_size=4)
    assert a.model is b.model and b.batch_size == 4
    # another batch size is a shallow copy: the cached object keeps its own
    assert b is not a and b.processor is a.processor and a.batch_size == 32
    assert load_clip(tiny_models["clip"], device="cpu") is a
    assert get_backend("similarity", "clip", source=tiny_models["clip"], device="cpu") is a
    assert isinstance(a, ClipEmbedder)
    assert repr(a) == f"ClipEmbedder(source={tiny_models['clip']!r}, device='cpu')"
    assert backend_entry("similarity", "clip").loader is load_clip


def test_clip_device_follows_the_one_device_rule(tiny_models):
    expected = f"cuda:{3 % torch.cuda.device_count()}" if torch.cuda.is_available() else "cpu"
    assert load_clip(tiny_models["clip"], rank=3).device == expected
    with pytest.raises(InvalidOptionError, match="not a torch device"):
        load_clip(tiny_models["clip"], device="gpu-please")
