"""Tiny, randomly initialised CLIP and BLIP-ITM models saved like real ones (tests, benchmarks).

They have the real architectures with tiny sizes (32x32 images, 8x8 patches, one 32-wide
layer), a real tokenizer built from a word list (no download) and the real processor configs,
and they are written with ``save_pretrained``: :func:`~.clip.load_clip` and
:func:`~.blip.load_blip` load them through the same code path as real weights. Their scores
are meaningless; tests force them through the thresholds (and ``itm_bias`` fixes BLIP's
matching probability at ``sigmoid(b1 - b0)`` when given). :func:`planted_pair` makes a small
synthetic pair with one planted object for the same tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._optional import require

__all__ = ["TINY_WORDS", "build_tiny_blip", "build_tiny_clip"]

#: Word pieces of the tiny BERT vocabulary (after the special tokens).
TINY_WORDS: tuple[str, ...] = (
    "a", "the", "in", "on", "plane", "sky", "boat", "ocean", "dog", "cat", "car", "tree",
    "man", "woman", "cup", "table", "red", "blue", "##s",
)  # fmt: skip

_LAYER = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
}


def build_tiny_clip(path: str | Path, *, seed: int = 0, image_size: int = 32) -> Path:
    """Write a tiny random ``CLIPModel`` and its image processor to ``path``; return it."""
    torch = require("torch", purpose="tiny test models")
    transformers = require("transformers", purpose="tiny test models")
    path = Path(path)
    config = transformers.CLIPConfig(
        text_config={
            **_LAYER,
            "vocab_size": 64,
            "max_position_embeddings": 16,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        vision_config={**_LAYER, "image_size": image_size, "patch_size": 8},
        projection_dim=16,
    )
    torch.manual_seed(seed)
    transformers.CLIPModel(config).eval().save_pretrained(path)
    processor = _pil_processor(transformers, "CLIP")(
        size={"shortest_edge": image_size},
        crop_size={"height": image_size, "width": image_size},
    )
    processor.save_pretrained(path)
    return path


def build_tiny_blip(
    path: str | Path,
    *,
    seed: int = 0,
    image_size: int = 32,
    words: Sequence[str] = TINY_WORDS,
    itm_bias: tuple[float, float] | None = None,
) -> Path:
    """Write a tiny random ``BlipForImageTextRetrieval``, BERT tokenizer and processor to ``path``.

    Args:
        path: output directory.
        seed: torch seed of the random weights.
        image_size: input side of the vision encoder.
        words: vocabulary (after ``[PAD] [UNK] [CLS] [SEP] [MASK]``).
        itm_bias: when given, the matching head's weights are zeroed and its bias set to this,
            so every (image, text) pair has probability ``sigmoid(b1 - b0)``.
    """
    torch = require("torch", purpose="tiny test models")
    transformers = require("transformers", purpose="tiny test models")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer.from_pretrained(str(path))
    config = transformers.BlipConfig(
        text_config={
            **_LAYER,
            "vocab_size": len(vocab),
            "max_position_embeddings": 32,
            "encoder_hidden_size": _LAYER["hidden_size"],
            "pad_token_id": 0,
            "bos_token_id": 2,
            "sep_token_id": 3,
        },
        vision_config={**_LAYER, "image_size": image_size, "patch_size": 8},
        projection_dim=16,
        image_text_hidden_size=16,
    )
    torch.manual_seed(seed)
    model = transformers.BlipForImageTextRetrieval(config).eval()
    if itm_bias is not None:
        with torch.no_grad():
            model.itm_head.weight.zero_()
            model.itm_head.bias.copy_(torch.tensor(itm_bias, dtype=torch.float32))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    processor = _pil_processor(transformers, "Blip")(
        size={"height": image_size, "width": image_size}
    )
    processor.save_pretrained(path)
    return path


def _pil_processor(transformers, family: str):
    """The PIL image-processor class (``CLIPImageProcessorPil`` in transformers 5, else slow)."""
    name = f"{family}ImageProcessorPil"
    if name not in getattr(transformers, "__all__", ()) and not hasattr(transformers, name):
        name = f"{family}ImageProcessor"
    return getattr(transformers, name)


def planted_pair(seed: int = 0, size: tuple[int, int] = (96, 72)) -> tuple[np.ndarray, np.ndarray]:
    """Image 1: smooth noise; image 2: the same with a 24x20 red block at x 40..64, y 20..40."""
    rng = np.random.default_rng(seed)
    w, h = size
    low = rng.integers(60, 200, size=(h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8)
    img1 = np.kron(low, np.ones((8, 8, 1), dtype=np.uint8))[:h, :w].copy()
    img2 = img1.copy()
    img2[20:40, 40:64] = (230, 20, 20)
    return img1, img2
