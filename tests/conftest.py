"""Fixtures shared by the test suite: tiny saved models, a synthetic pair with a planted object."""

from __future__ import annotations

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


@pytest.fixture
def pair():
    """Smooth noise and the same with a red block (see spotdiff.backends.tiny.planted_pair)."""
    from spotdiff.backends.tiny import planted_pair

    return planted_pair()
