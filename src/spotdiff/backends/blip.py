"""BLIP image-text matching for the ImgDiff crop filter (transformers, extra ``models``).

Data-Juicer's ``image_text_matching_filter`` runs ``BlipForImageTextRetrieval`` once per
(crop, noun) pair and keeps ``softmax(itm_score)[:, 1]``, the probability that the text
describes the image. :class:`BlipMatcher` computes the same probabilities for every crop and
every noun with two kinds of batched forward passes: the vision encoder once per crop (batches
of ``batch_size`` crops), then the text encoder with cross-attention on the crops' embeddings
for every (crop, noun) pair of that batch at once (``model.itm_head`` on the ``[CLS]`` state,
exactly ``BlipForImageTextRetrieval.forward`` with ``use_itm_head=True``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import InvalidOptionError
from .._optional import require
from ._hf import HFBackend, load_cached_model, load_image_processor
from ._registry import register_backend
from ._spec import BLIP_ITM

__all__ = ["BlipMatcher", "load_blip"]

# Rust tokenizers refuse concurrent calls that change padding ("Already borrowed").
_TOKEN_LOCK = threading.Lock()


class BlipMatcher(HFBackend):
    """A loaded BLIP ITM model, tokenizer and image processor (:class:`._hf.HFBackend`); see
    :func:`load_blip`. ``batch_size`` is the most crops per vision forward pass (the text pass
    then holds ``batch_size * len(texts)`` pairs)."""

    name = "blip"

    def __init__(
        self,
        model: Any,
        processor: Any,
        tokenizer: Any,
        *,
        source: str,
        device: str,
        batch_size: int = 32,
    ) -> None:
        super().__init__(model, processor, source=source, device=device, batch_size=batch_size)
        self.tokenizer = tokenizer

    def _tokens(self, texts: Sequence[str]) -> tuple[Any, Any]:
        max_len = int(self.model.config.text_config.max_position_embeddings)
        with _TOKEN_LOCK:
            enc = self.tokenizer(
                list(texts), padding=True, truncation=True, max_length=max_len, return_tensors="pt"
            )
        return enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)

    def match(
        self,
        images: Sequence[np.ndarray],
        texts: Sequence[str],
        *,
        tally: Counter | None = None,
    ) -> np.ndarray:
        """:meth:`._protocols.Matcher.match` with BLIP's image-text matching head.

        Returns:
            (N, K) float32 ``softmax(itm_head(...))[:, 1]`` of image i and text k, equal to
            ``BlipForImageTextRetrieval(**processor(text=texts[k], images=images[i]))``;
            ``tally["blip_vision"]`` and ``tally["blip_text"]`` count the forward passes run.
        """
        torch = require("torch", purpose="the BLIP backend")
        if isinstance(texts, str):  # list("cat") would match "c", "a", "t"
            raise InvalidOptionError(
                f"texts must be a list of strings, got the string {texts!r}; pass [{texts!r}]"
            )
        texts = list(texts)
        if any(not isinstance(t, str) or not t for t in texts):
            raise InvalidOptionError(f"texts must be non-empty strings, got {texts!r}")
        out = np.zeros((len(images), len(texts)), dtype=np.float32)
        if not len(images) or not texts:
            return out
        ids, mask = self._tokens(texts)
        k = len(texts)

        def forward(pixels: Any) -> np.ndarray:  # (n, K) probabilities
            n = pixels.shape[0]
            embeds = self.model.vision_model(pixel_values=pixels).last_hidden_state
            pair_embeds = embeds.repeat_interleave(k, dim=0)
            atts = torch.ones(pair_embeds.shape[:-1], dtype=torch.long, device=self.device)
            hidden = self.model.text_encoder(
                input_ids=ids.repeat(n, 1),
                attention_mask=mask.repeat(n, 1),
                encoder_hidden_states=pair_embeds,
                encoder_attention_mask=atts,
            ).last_hidden_state
            logits = self.model.itm_head(hidden[:, 0, :]).float()
            return torch.softmax(logits, dim=-1)[:, 1].cpu().numpy().reshape(n, k)

        passes = ("blip_vision", "blip_text")
        for start, probs in self.vision_batches(images, forward, tally=tally, passes=passes):
            out[start : start + len(probs)] = probs
        return out


@register_backend("matching", "blip", model=True, spec=BLIP_ITM)
def load_blip(
    source: str = BLIP_ITM.default,
    *,
    device: Any = None,
    rank: int | None = None,
    batch_size: int = 32,
    trust_remote_code: bool = False,
) -> BlipMatcher:
    """Load BLIP ITM once per process (cached) from a directory or hub id (default
    ``Salesforce/blip-itm-base-coco``; a directory holds the model (``config.json`` + weights),
    its tokenizer and ``preprocessor_config.json``); ``batch_size`` counts crops.

    Options and errors: :func:`._hf.load_cached_model`; weights: :mod:`._spec`.
    """

    def build(transformers: Any, path: str, kwargs: dict, dev: str) -> BlipMatcher:
        model = transformers.BlipForImageTextRetrieval.from_pretrained(
            path, trust_remote_code=trust_remote_code, **kwargs
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(path, **kwargs)
        processor = load_image_processor(path, kwargs)
        return BlipMatcher(model.to(dev).eval(), processor, tokenizer, source=source, device=dev)

    return load_cached_model(
        BLIP_ITM,
        source,
        build,
        device=device,
        rank=rank,
        batch_size=batch_size,
        trust_remote_code=trust_remote_code,
        purpose="the BLIP backend",
    )
