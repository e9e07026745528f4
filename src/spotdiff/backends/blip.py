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
from ._hf import batches, load_cached_model, load_image_processor, pixel_values
from ._registry import register_backend
from ._spec import BLIP_ITM

__all__ = ["BlipMatcher", "load_blip"]

# Rust tokenizers refuse concurrent calls that change padding ("Already borrowed").
_TOKEN_LOCK = threading.Lock()


class BlipMatcher:
    """A loaded BLIP ITM model, tokenizer and image processor; see :func:`load_blip`.

    Attributes:
        source: the hub id or directory it was loaded from.
        device: torch device string (``"cpu"``, ``"cuda:0"``).
        batch_size: most crops per vision forward pass (the text pass then holds
            ``batch_size * len(texts)`` pairs).
    """

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
        self.model = model
        self.processor = processor
        self.tokenizer = tokenizer
        self.source = source
        self.device = device
        self.batch_size = int(batch_size)

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
        """Matching probability of every image with every text.

        Args:
            images: N (H, W, 3) uint8 RGB arrays (crops, any sizes).
            texts: K strings (nouns).
            tally: a Counter; ``tally["blip_vision"]`` and ``tally["blip_text"]`` are increased by
                the forward passes run.

        Returns:
            (N, K) float32 in [0, 1]: ``softmax(itm_head(...))[:, 1]`` of image i and text k,
            equal to ``BlipForImageTextRetrieval(**processor(text=texts[k], images=images[i]))``.
        """
        torch = require("torch", purpose="the BLIP backend")
        texts = list(texts)
        if any(not isinstance(t, str) or not t for t in texts):
            raise InvalidOptionError(f"texts must be non-empty strings, got {texts!r}")
        out = np.zeros((len(images), len(texts)), dtype=np.float32)
        if not len(images) or not texts:
            return out
        ids, mask = self._tokens(texts)
        k = len(texts)
        for start, chunk in batches(images, self.batch_size):
            pixels = pixel_values(self.processor, chunk, self.device)
            n = len(chunk)
            with torch.inference_mode():
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
            if tally is not None:
                tally["blip_vision"] += 1
                tally["blip_text"] += 1
            probs = torch.softmax(logits, dim=-1)[:, 1].cpu().numpy()
            out[start : start + n] = probs.reshape(n, k)
        return out

    def __repr__(self) -> str:
        return f"BlipMatcher(source={self.source!r}, device={self.device!r})"


@register_backend("matching", "blip", model=True, spec=BLIP_ITM)
def load_blip(
    source: str = BLIP_ITM.default,
    *,
    device: Any = None,
    rank: int | None = None,
    batch_size: int = 32,
    trust_remote_code: bool = False,
) -> BlipMatcher:
    """Load BLIP ITM once per process (cached) from a directory or hub id; see :mod:`._spec`.

    Args:
        source: hub id (default ``Salesforce/blip-itm-base-coco``) or a directory holding the
            model (``config.json`` + weights), its tokenizer and ``preprocessor_config.json``.
        device: torch device (:func:`spotdiff._device.resolve_device`); None or ``"auto"``
            picks CUDA when available.
        rank: worker index; with the automatic device, worker ``rank`` gets GPU
            ``rank % count``.
        batch_size: most crops per vision forward pass.
        trust_remote_code: passed to ``from_pretrained``.

    Raises:
        MissingDependencyError: transformers is missing (``pip install 'spotdiff[models]'``).
        WeightsNotFoundError: the weights are neither local nor downloadable, or the download
            failed (the message lists the paths expected).
        InvalidOptionError: ``device`` is not a device of this machine.
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
