"""The tiny CLIP / BLIP-ITM builders and the planted pair (backends/tiny.py): the saved folders
hold what real ones hold and load through the real loaders (locate -> from_pretrained)."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from spotdiff.backends import BLIP_ITM, CLIP, load_blip, load_clip
from spotdiff.backends._hf import locate
from spotdiff.backends.tiny import (
    TINY_WORDS,
    _pil_processor,
    build_tiny_blip,
    build_tiny_clip,
    planted_pair,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture
def transformers():
    return pytest.importorskip(
        "transformers", reason="the model backends need transformers (extra 'models')"
    )


def _weights(path):
    from safetensors.torch import load_file  # installed with transformers

    return load_file(str(path / "model.safetensors"))


def test_tiny_clip_folder_is_complete_and_loads_through_load_clip(tiny_models, transformers):
    path = Path(tiny_models["clip"])
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
    ]
    assert locate(CLIP, str(path)) == ("dir", str(path), [])  # every required file is there
    config = transformers.CLIPConfig.from_pretrained(path)
    vision, text = config.vision_config, config.text_config
    assert (vision.image_size, vision.patch_size, vision.hidden_size) == (32, 8, 32)
    assert (vision.num_hidden_layers, vision.num_attention_heads, vision.intermediate_size) == (
        1,
        2,
        64,
    )
    assert (text.vocab_size, text.max_position_embeddings, config.projection_dim) == (64, 16, 16)
    clip = load_clip(str(path), device="cpu")
    assert type(clip.model).__name__ == "CLIPModel" and not clip.model.training
    assert type(clip.processor).__name__ in ("CLIPImageProcessorPil", "CLIPImageProcessor")
    crop = clip.processor.crop_size
    assert (crop["height"], crop["width"], clip.processor.size["shortest_edge"]) == (32, 32, 32)
    emb = clip.embed([np.zeros((50, 70, 3), np.uint8)])
    assert emb.shape == (1, 16)


def test_seed_fixes_the_weights_and_image_size_the_input(tmp_path, tiny_models):
    same = build_tiny_clip(tmp_path / "seed0")
    other = build_tiny_clip(tmp_path / "seed1", seed=1)
    assert same == tmp_path / "seed0"
    ref, again, changed = _weights(Path(tiny_models["clip"])), _weights(same), _weights(other)
    assert ref.keys() == again.keys() == changed.keys()
    assert all(np.array_equal(ref[k].numpy(), again[k].numpy()) for k in ref)
    assert not np.array_equal(
        ref["visual_projection.weight"].numpy(), changed["visual_projection.weight"].numpy()
    )
    big = load_clip(str(build_tiny_clip(tmp_path / "big", image_size=48)), device="cpu")
    assert big.model.config.vision_config.image_size == 48
    pixels = big.processor(images=[np.zeros((10, 20, 3), np.uint8)], return_tensors="pt")
    assert tuple(pixels["pixel_values"].shape) == (1, 3, 48, 48)
    assert big.embed([np.zeros((10, 20, 3), np.uint8)]).shape == (1, 16)


def test_tiny_blip_folder_holds_model_tokenizer_and_processor(tiny_models, transformers):
    path = Path(tiny_models["blip"])
    names = {p.name for p in path.iterdir()}
    assert {"config.json", "model.safetensors", "preprocessor_config.json", "vocab.txt"} <= names
    assert "tokenizer_config.json" in names
    assert locate(BLIP_ITM, str(path)) == ("dir", str(path), [])
    vocab = (path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab == [*SPECIALS, *TINY_WORDS] and len(vocab) == 24
    config = transformers.BlipConfig.from_pretrained(path)
    assert config.text_config.vocab_size == 24 and config.vision_config.image_size == 32
    blip = load_blip(str(path), device="cpu")
    assert type(blip.model).__name__ == "BlipForImageTextRetrieval"
    ids = blip.tokenizer("red cups zebra")["input_ids"]
    assert blip.tokenizer.convert_ids_to_tokens(ids) == [
        "[CLS]", "red", "cup", "##s", "[UNK]", "[SEP]"
    ]  # fmt: skip
    size = blip.processor.size
    assert (size["height"], size["width"]) == (32, 32)


def test_blip_words_and_itm_bias(tmp_path, transformers):
    path = build_tiny_blip(tmp_path / "b", words=("fox", "##es"), itm_bias=(1.0, -0.5))
    vocab = (path / "vocab.txt").read_text(encoding="utf-8")
    assert vocab == "\n".join([*SPECIALS, "fox", "##es"]) + "\n"
    blip = load_blip(str(path), device="cpu")
    weight, bias = blip.model.itm_head.weight.detach(), blip.model.itm_head.bias.detach()
    assert float(weight.abs().max()) == 0.0 and bias.tolist() == [1.0, -0.5]
    rng = np.random.default_rng(3)
    crops = [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in [(9, 4), (40, 33)]]
    probs = blip.match(crops, ["foxes", "a fox", "zebra"])
    # every pair: softmax((1.0, -0.5))[1] = sigmoid(-1.5)
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(1.5)), atol=1e-6)
    without = build_tiny_blip(tmp_path / "free", words=("fox",))
    free_head = load_blip(str(without), device="cpu").model.itm_head
    assert float(free_head.weight.detach().abs().max()) > 0


def test_pil_processor_prefers_the_pil_class_and_falls_back_to_the_slow_one():
    pil, slow = object(), object()
    new = types.SimpleNamespace(__all__=("CLIPImageProcessorPil",), CLIPImageProcessorPil=pil)
    old = types.SimpleNamespace(__all__=("CLIPImageProcessor",), CLIPImageProcessor=slow)
    assert _pil_processor(new, "CLIP") is pil
    assert _pil_processor(old, "CLIP") is slow


def test_planted_pair_differs_exactly_in_the_red_block():
    img1, img2 = planted_pair()
    assert img1.shape == img2.shape == (72, 96, 3) and img1.dtype == img2.dtype == np.uint8
    changed = (img1 != img2).any(axis=2)
    ys, xs = np.nonzero(changed)
    assert (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1) == (20, 40, 40, 64)
    assert (img2[20:40, 40:64] == (230, 20, 20)).all()
    outside = np.ones((72, 96), bool)
    outside[20:40, 40:64] = False
    assert (img1[outside] == img2[outside]).all()
    # image 1 is smooth: constant 8x8 cells with values in [60, 200)
    cells = img1.reshape(9, 8, 12, 8, 3)
    assert (cells == cells[:, :1, :, :1]).all()
    assert img1.min() >= 60 and img1.max() < 200
    # seeded, sized
    np.testing.assert_array_equal(planted_pair()[0], img1)
    assert not np.array_equal(planted_pair(seed=1)[0], img1)
    small1, small2 = planted_pair(size=(70, 45))
    assert small1.shape == (45, 70, 3) and (small1 != small2).any(axis=2).sum() == 20 * 24
