"""Fixtures shared by the test suite: tiny saved models, a synthetic pair with a planted object,
a sample DiffResult, a rendered page layout, a spot-the-difference drawing."""

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


@pytest.fixture
def make_result():
    """``make_result(**fields)``: a DiffResult of a 60x50 pair with three regions (65, 6 and 1
    changed pixels; added, removed, changed) with masks, a map, a transform and metadata;
    ``fields`` replace those defaults (tests/test_result.py, tests/test_result_io.py)."""
    import numpy as np

    from spotdiff.result import DiffResult

    w, h = 60, 50
    masks = np.zeros((3, h, w), bool)
    masks[0, 5:10, 7:20] = True  # 5 x 13 = 65 px
    masks[1, 0:3, 0:2] = True  # 6 px, touches the corner
    masks[2, 49, 59] = True  # 1 px, opposite corner

    def make(**kw):
        fields = dict(
            boxes=[[7, 5, 20, 10], [0, 0, 2, 3], [59, 49, 60, 50]],
            scores=[0.9, 0.5, 0.1],
            masks=masks.copy(),
            data={"kind": ["added", "removed", "changed"], "area": [65, 6, 1]},
            diff_map=np.linspace(0, 2, w * h, dtype=np.float32).reshape(h, w),
            transform=[[1, 0, 2.5], [0, 1, -1], [0, 0, 1]],
            aligned=True,
            metadata={"noise": np.float32(1.5), "sizes": (1, 2)},
        )
        fields.update(kw)
        return DiffResult(**fields)

    return make


@pytest.fixture
def no_network(monkeypatch):
    """A machine without network and without an offline variable set: every connectivity probe
    answers "unreachable" at once (no real probe is made). Returns the list of probed hosts."""
    from spotdiff.backends import _network

    for var in _network.OFFLINE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    probed: list[str] = []
    monkeypatch.setattr(_network, "reachable", lambda host: probed.append(host) or False)
    return probed


@pytest.fixture
def empty_model_caches(tmp_path, monkeypatch):
    """Hugging Face, Data-Juicer and spotdiff caches pointed at empty folders; cwd in tmp_path."""
    from spotdiff.backends import clear_cache

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("DATA_JUICER_MODELS_CACHE", str(tmp_path / "djm"))
    monkeypatch.delenv("DATA_JUICER_EXTERNAL_MODELS_HOME", raising=False)
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path / "spotdiff"))
    monkeypatch.chdir(tmp_path)
    clear_cache()
    yield tmp_path
    clear_cache()


@pytest.fixture
def layout_page():
    """``layout_page(seed)``: a rendered page, uint8 (480, 640, 3) RGB: 14 flat panels and 12
    lines of anti-aliased text on white (tests of screenshots and re-rendered layouts)."""
    import cv2
    import numpy as np

    def make(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        img = np.full((480, 640, 3), 250, np.uint8)
        for _ in range(14):
            x, y = int(rng.integers(0, 560)), int(rng.integers(0, 420))
            w, h = int(rng.integers(30, 200)), int(rng.integers(15, 60))
            colour = [int(c) for c in rng.integers(0, 255, 3)]
            cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
        for i in range(12):
            org = (int(rng.integers(0, 450)), int(rng.integers(20, 470)))
            font = cv2.FONT_HERSHEY_SIMPLEX
            cv2.putText(img, f"Lorem ipsum {i}", org, font, 0.6, (20, 20, 20), 1, cv2.LINE_AA)
        return img

    return make


@pytest.fixture
def puzzle_drawing():
    """``puzzle_drawing(seed)``: a spot-the-difference pair, two uint8 (410, 560, 3) RGB: 60
    flat-coloured ellipses with anti-aliased dark outlines on grey, and in image 2 ten small
    outlined discs (radius 6-15 px) added where image 1 has none (tests of scale robustness)."""
    import cv2
    import numpy as np

    from .drawings import outlined_ellipses

    def make(seed: int) -> tuple[np.ndarray, np.ndarray]:
        img1 = outlined_ellipses(np.random.default_rng(seed), (560, 410), 60, 50)
        img2 = img1.copy()
        rng = np.random.default_rng(seed + 100)
        for _ in range(10):
            centre = int(rng.integers(20, 520)), int(rng.integers(20, 370))
            colour = tuple(int(c) for c in rng.integers(0, 255, 3))
            radius = int(rng.integers(6, 16))
            cv2.circle(img2, centre, radius, colour, -1, cv2.LINE_AA)
            cv2.circle(img2, centre, radius, (20, 20, 20), 2, cv2.LINE_AA)
        return img1, img2

    return make
