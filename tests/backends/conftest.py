"""Fixtures of the ImgDiff tests: tiny saved models, a synthetic pair with a planted object."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Directories of a tiny random CLIP, a tiny BLIP-ITM and a BLIP-ITM with a fixed score."""
    pytest.importorskip(
        "transformers", reason="the model backends need transformers (extra 'models')"
    )
    from spotdiff.backends.tiny import build_tiny_blip, build_tiny_clip

    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "clip": str(build_tiny_clip(root / "clip")),
        "blip": str(build_tiny_blip(root / "blip")),
        # every (crop, noun) pair scores sigmoid(2) = 0.881
        "blip_high": str(build_tiny_blip(root / "blip_high", itm_bias=(0.0, 2.0))),
    }


def planted_pair(seed: int = 0, size: tuple[int, int] = (96, 72)) -> tuple[np.ndarray, np.ndarray]:
    """Image 1: smooth noise; image 2: the same with a 24x20 red block at x 40..64, y 20..40."""
    rng = np.random.default_rng(seed)
    w, h = size
    low = rng.integers(60, 200, size=(h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8)
    img1 = np.kron(low, np.ones((8, 8, 1), dtype=np.uint8))[:h, :w].copy()
    img2 = img1.copy()
    img2[20:40, 40:64] = (230, 20, 20)
    return img1, img2


@pytest.fixture
def pair():
    return planted_pair()
