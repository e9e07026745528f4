"""The three backend roles of the ImgDiff pipeline, as small protocols.

Every backend of a role has the same method and a ``name``, so the pipeline does not care which
one runs (a model or its model-free stand-in). The protocols are ``runtime_checkable``:
``isinstance(obj, Similarity)`` checks that the attributes exist (not their signatures).

``tally`` is an optional :class:`collections.Counter` each backend increases by the forward
passes it runs (``tally["clip"] += 1``), for the run's ``metadata["forward_passes"]``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["PROTOCOLS", "Matcher", "Segmenter", "Similarity"]


@runtime_checkable
class Similarity(Protocol):
    """Scores how alike two images are (the ImgDiff similarity gates)."""

    name: str

    def similarity(
        self,
        images1: Sequence[np.ndarray],
        images2: Sequence[np.ndarray],
        *,
        tally: Counter | None = None,
    ) -> np.ndarray:
        """(N,) float32 similarity of ``images1[i]`` and ``images2[i]`` (N (H, W, 3) uint8 RGB
        arrays each, any sizes); 1 for identical images, higher is more alike."""
        ...


@runtime_checkable
class Segmenter(Protocol):
    """Proposes candidate boxes of a pair (the ImgDiff segmentation step).

    A segmenter with ``needs_same_size = True`` receives image 2 resized to image 1's size.
    """

    name: str

    def propose(
        self, img1: np.ndarray, img2: np.ndarray, *, tally: Counter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(boxes1, boxes2)``: (M_i, 4) float32 ``x1, y1, x2, y2`` in the pixels of image i
        ((H, W, 3) uint8 RGB arrays)."""
        ...


@runtime_checkable
class Matcher(Protocol):
    """Scores how well texts describe images (the ImgDiff image-text matching step)."""

    name: str

    def match(
        self,
        images: Sequence[np.ndarray],
        texts: Sequence[str],
        *,
        tally: Counter | None = None,
    ) -> np.ndarray:
        """(N, K) float32 in [0, 1]: the probability that ``texts[k]`` describes ``images[i]``
        (N (H, W, 3) uint8 RGB arrays, K non-empty strings)."""
        ...


#: Role name (an ImgDiff step) -> the protocol its backends follow.
PROTOCOLS: dict[str, type] = {
    "similarity": Similarity,
    "segmentation": Segmenter,
    "matching": Matcher,
}
