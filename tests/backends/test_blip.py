"""The BLIP ITM backend (backends/blip.py) on tiny saved models: the real loading path, batched
matching equal to the full model per (crop, noun) pair, texts, caching and the device."""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("transformers", reason="the model backends need transformers (extra 'models')")

import torch
import transformers
from PIL import Image

from spotdiff import InvalidOptionError
from spotdiff.backends import BlipMatcher, clear_cache, load_blip
from spotdiff.backends._hf import load_image_processor

RNG = np.random.default_rng(0)
SIZES = [(20, 30), (7, 5), (40, 40), (3, 9), (33, 21)]
CROPS = [RNG.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in SIZES]


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


def test_padding_and_truncation_do_not_change_a_texts_score(tiny_models):
    blip = load_blip(tiny_models["blip"], device="cpu")
    texts = ["cat", "a red cup on the table", "dog " * 60]  # the last is cut at 32 tokens
    together = blip.match(CROPS[:3], texts)
    for k, text in enumerate(texts):  # alone: no padding
        np.testing.assert_allclose(together[:, k], blip.match(CROPS[:3], [text])[:, 0], atol=1e-6)
    # [CLS] + 30 words + [SEP] fill the 32 positions: the words after the 30th are dropped
    np.testing.assert_allclose(blip.match(CROPS[:3], ["dog " * 30]), together[:, 2:], atol=1e-6)


@pytest.mark.parametrize("texts", [[""], ["cat", ""], ["cat", None], [3]])
def test_texts_must_be_non_empty_strings(tiny_models, texts):
    blip = load_blip(tiny_models["blip"], device="cpu")
    tally = Counter()
    with pytest.raises(InvalidOptionError, match="texts must be non-empty strings, got"):
        blip.match(CROPS[:1], texts, tally=tally)
    assert tally == {}


def test_a_string_or_one_image_instead_of_a_list_is_refused(tiny_models):
    # regression: match(crops, "cat") matched the texts "c", "a", "t"; match(crop, texts)
    # matched the crop's rows
    from spotdiff import LayoutError

    blip = load_blip(tiny_models["blip"], device="cpu")
    tally = Counter()
    with pytest.raises(InvalidOptionError) as info:
        blip.match(CROPS[:1], "cat", tally=tally)
    assert str(info.value) == "texts must be a list of strings, got the string 'cat'; pass ['cat']"
    with pytest.raises(
        LayoutError, match=r"images\[0\] must have shape \(H, W, 3\), got \(30, 3\)"
    ):
        blip.match(CROPS[0], ["cat"], tally=tally)
    assert tally == {}


def test_no_texts_or_no_images_run_nothing(tiny_models):
    blip = load_blip(tiny_models["blip"], device="cpu")
    tally = Counter()
    out = blip.match(CROPS, [], tally=tally)
    assert out.shape == (5, 0) and out.dtype == np.float32
    assert blip.match([], ["cat", "dog"], tally=tally).shape == (0, 2)
    assert tally == {}


def test_concurrent_calls_give_the_sequential_results(tiny_models):
    blip = load_blip(tiny_models["blip"], device="cpu", batch_size=2)
    jobs = [["cat"], ["a dog on the table", "sky"], ["boat " * 40, "red car", "tree"]] * 2
    expected = [blip.match(CROPS[:3], texts) for texts in jobs]
    results: list = [None] * len(jobs)
    errors: list = []
    start = threading.Barrier(len(jobs))

    def run(i):
        try:
            start.wait()
            results[i] = blip.match(CROPS[:3], jobs[i])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_blip_is_loaded_once_per_process(tiny_models):
    clear_cache()
    assert (
        load_blip(tiny_models["blip"], device="cpu").model
        is load_blip(tiny_models["blip"], device="cpu").model
    )
    a = load_blip(tiny_models["blip"], device="cpu")
    b = load_blip(tiny_models["blip"], device="cpu", batch_size=1)
    assert isinstance(a, BlipMatcher) and b.batch_size == 1 and a.batch_size == 32
    assert b.tokenizer is a.tokenizer and b.processor is a.processor
    tally = Counter()
    b.match(CROPS[:3], ["cat", "dog"], tally=tally)
    assert tally == {"blip_vision": 3, "blip_text": 3}  # one crop per pass


def test_blip_device_follows_the_one_device_rule(tiny_models):
    assert load_blip(tiny_models["blip"], device="auto").device == (
        "cuda:0" if torch.cuda.is_available() else "cpu"
    )
    with pytest.raises(InvalidOptionError, match="not a torch device"):
        load_blip(tiny_models["blip"], device="tpu")
