"""CLIP image embeddings for the ImgDiff similarity gates (transformers, extra ``models``).

Data-Juicer's ``image_pair_similarity_filter`` embeds each image with
``CLIPModel.get_image_features`` (one forward pass per image) and gates on the cosine
similarity of the two embeddings. :class:`ClipEmbedder` computes the same embeddings
(``visual_projection(vision_model(pixels).pooler_output)``) for a whole list of images in
batched forward passes of ``batch_size`` images.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._optional import require
from ._hf import HFBackend, load_cached_model, load_image_processor
from ._registry import register_backend
from ._spec import CLIP
from .similarity import check_pair_lists

__all__ = ["ClipEmbedder", "load_clip"]


class ClipEmbedder(HFBackend):
    """A loaded CLIP model and its image processor (:class:`._hf.HFBackend`); see
    :func:`load_clip`."""

    name = "clip"

    def embed(self, images: Sequence[np.ndarray], *, tally: Counter | None = None) -> np.ndarray:
        """L2-normalized image embeddings.

        Args:
            images: N (H, W, 3) uint8 RGB arrays (any sizes).
            tally: a Counter; ``tally["clip"]`` is increased by the forward passes run.

        Returns:
            (N, D) float32, unit rows (D = the model's projection size).
        """
        torch = require("torch", purpose="the CLIP backend")

        def forward(pixels: Any) -> np.ndarray:
            pooled = self.model.vision_model(pixel_values=pixels).pooler_output
            feats = self.model.visual_projection(pooled).float()
            return torch.nn.functional.normalize(feats, dim=-1).cpu().numpy()

        out = [e for _, e in self.vision_batches(images, forward, tally=tally, passes=("clip",))]
        if not out:
            return np.zeros((0, int(self.model.config.projection_dim)), dtype=np.float32)
        return np.concatenate(out).astype(np.float32)

    def similarity(
        self,
        images1: Sequence[np.ndarray],
        images2: Sequence[np.ndarray],
        *,
        tally: Counter | None = None,
    ) -> np.ndarray:
        """:meth:`._protocols.Similarity.similarity`: the cosine of the CLIP embeddings, [-1, 1].

        Both lists go through the model together: ``ceil(2N / batch_size)`` forward passes.
        """
        check_pair_lists(images1, images2)
        emb = self.embed([*images1, *images2], tally=tally)
        n = len(images1)
        return np.clip((emb[:n] * emb[n:]).sum(axis=1), -1.0, 1.0).astype(np.float32)


@register_backend("similarity", "clip", model=True, spec=CLIP)
def load_clip(
    source: str = CLIP.default,
    *,
    device: Any = None,
    rank: int | None = None,
    batch_size: int = 32,
    trust_remote_code: bool = False,
) -> ClipEmbedder:
    """Load CLIP once per process (cached) from a directory or hub id (default
    ``openai/clip-vit-base-patch32``; a directory holds ``config.json``, the weights and
    ``preprocessor_config.json``).

    Options and errors: :func:`._hf.load_cached_model`; weights: :mod:`._spec`.
    """

    def build(transformers: Any, path: str, kwargs: dict, dev: str) -> ClipEmbedder:
        model = transformers.CLIPModel.from_pretrained(
            path, trust_remote_code=trust_remote_code, **kwargs
        )
        processor = load_image_processor(path, kwargs)
        return ClipEmbedder(model.to(dev).eval(), processor, source=source, device=dev)

    return load_cached_model(
        CLIP,
        source,
        build,
        device=device,
        rank=rank,
        batch_size=batch_size,
        trust_remote_code=trust_remote_code,
        purpose="the CLIP backend",
    )
