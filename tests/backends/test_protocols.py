"""The three backend roles as runtime-checkable protocols (backends/_protocols.py): every real
backend and the tiny saved models satisfy their own role's protocol and no other; an object that
lacks the method, the name, or opts out with ``None`` does not."""

from __future__ import annotations

import numpy as np
import pytest

from spotdiff.backends import (
    PROTOCOLS,
    ROLES,
    BlipMatcher,
    ClipEmbedder,
    FastSamSegmenter,
    FindProposals,
    Matcher,
    Segmenter,
    Similarity,
    StructuralSimilarity,
    get_backend,
)


def test_one_protocol_per_role_of_the_registry():
    assert {"similarity": Similarity, "segmentation": Segmenter, "matching": Matcher} == PROTOCOLS
    assert tuple(PROTOCOLS) == ROLES


def _model_free():
    return {
        "structural": get_backend("similarity", "structural"),
        "find": get_backend("segmentation", "find"),
        # the model classes, holding no model: the protocol checks attributes, not weights
        "clip": ClipEmbedder(None, None, source="x", device="cpu"),
        "blip": BlipMatcher(None, None, None, source="x", device="cpu"),
        "fastsam": FastSamSegmenter(None, source="x", device="cpu", imgsz=64, conf=0.1, iou=0.5),
    }


ROLE_OF = {
    "structural": "similarity",
    "clip": "similarity",
    "find": "segmentation",
    "fastsam": "segmentation",
    "blip": "matching",
}


@pytest.mark.parametrize("name", sorted(ROLE_OF))
def test_every_backend_class_satisfies_exactly_its_own_role(name):
    backend = _model_free()[name]
    assert backend.name == name
    satisfied = [role for role, proto in PROTOCOLS.items() if isinstance(backend, proto)]
    assert satisfied == [ROLE_OF[name]]


def test_the_backend_types_are_the_documented_ones():
    backends = _model_free()
    assert isinstance(backends["structural"], StructuralSimilarity)
    assert isinstance(backends["find"], FindProposals)


def test_the_tiny_saved_models_satisfy_their_protocols(tiny_models):
    clip = get_backend("similarity", "clip", source=tiny_models["clip"], device="cpu")
    blip = get_backend("matching", "blip", source=tiny_models["blip"], device="cpu")
    assert isinstance(clip, Similarity) and not isinstance(clip, Matcher)
    assert isinstance(blip, Matcher) and not isinstance(blip, Similarity)
    # and they answer in the protocol's shapes and dtypes
    img = np.full((32, 32, 3), 128, np.uint8)
    assert clip.similarity([img], [img]).shape == (1,)
    probs = blip.match([img, img[:8]], ["cat", "dog"])
    assert probs.shape == (2, 2) and probs.dtype == np.float32


class _Full:
    name = "full"

    def similarity(self, images1, images2, *, tally=None):
        return np.ones(len(images1), np.float32)

    def propose(self, img1, img2, *, tally=None):
        return np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)

    def match(self, images, texts, *, tally=None):
        return np.zeros((len(images), len(texts)), np.float32)


class _NoName:
    def similarity(self, images1, images2, *, tally=None): ...

    def propose(self, img1, img2, *, tally=None): ...

    def match(self, images, texts, *, tally=None): ...


class _OptedOut(_Full):
    similarity = None  # PEP 544: a method set to None is not provided
    propose = None
    match = None


class _OnlyName:
    name = "bare"


@pytest.mark.parametrize(
    ("obj", "expected"),
    [(_Full(), True), (_NoName(), False), (_OptedOut(), False), (_OnlyName(), False),
     (object(), False), ("similarity", False)],
    ids=["method-and-name", "no-name", "methods-none", "name-only", "object", "a-string"],
)  # fmt: skip
def test_isinstance_checks_the_method_and_the_name(obj, expected):
    for proto in (Similarity, Segmenter, Matcher):
        assert isinstance(obj, proto) is expected, proto.__name__


def test_signatures_are_not_checked_and_issubclass_is_refused():
    class WrongSignature:
        name = "w"

        def similarity(self):  # takes no images: still passes isinstance (attributes only)
            return None

    assert isinstance(WrongSignature(), Similarity)
    # ``name`` is a data member: Python refuses issubclass() on such protocols
    with pytest.raises(TypeError, match="non-method members"):
        issubclass(_Full, Similarity)
