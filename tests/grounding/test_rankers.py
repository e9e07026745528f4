"""spotdiff.grounding.rankers: the registry, the cues ranker, and the CLIP ranker with tiny
random models (tests/conftest.py; weights are never downloaded)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from spotdiff import InvalidOptionError, UnknownNameError
from spotdiff.grounding import RANKERS, get_ranker, list_rankers, prepare_grounding, register_ranker
from spotdiff.grounding.ground import resolve_ranker
from spotdiff.grounding.query import parse_query
from spotdiff.grounding.rankers import ClipRanker, CuesRanker, Ranker, model_text


@pytest.fixture(scope="module")
def prepared(scene_pair):
    return prepare_grounding(*scene_pair)


def test_registry_lists_and_resolves():
    assert {"cues", "clip"} <= set(list_rankers())
    assert isinstance(get_ranker("classical"), CuesRanker)
    assert isinstance(get_ranker("cues"), Ranker)
    with pytest.raises(UnknownNameError, match="cues"):
        get_ranker("cuse")
    with pytest.raises(InvalidOptionError, match="unknown option"):
        get_ranker("cues", temperature=2)
    with pytest.raises(InvalidOptionError, match="already registered"):
        register_ranker("cues")(lambda: None)


def test_a_learned_ranker_plugs_in(prepared):
    class Constant:
        name = "constant"

        def rank(self, pair, queries):
            n = len(pair.boxes)
            return [(-np.arange(n, dtype=float), {"model": np.ones(n)}) for _ in queries]

    register_ranker("test_constant")(lambda: Constant())
    try:
        result = prepared.ground("anything", backend="test_constant")
        assert np.array_equal(result.boxes, prepared.proposals.boxes)
        assert result.metadata["backend"] == "constant"
        assert "cue_model" in result.data
    finally:  # keep the registry as it was for other tests
        RANKERS._factories.pop("test_constant")


def test_model_text():
    assert (
        model_text(parse_query("the red car that turned blue"), "before") == "a photo of a red car"
    )
    assert (
        model_text(parse_query("the red car that turned blue"), "after") == "a photo of a blue car"
    )
    assert model_text(parse_query("the leftmost new thing"), "after") is None


def test_auto_without_local_weights_is_cues(empty_model_caches, no_network):
    ranker = resolve_ranker("auto")
    assert ranker.name == "cues"
    assert no_network == []  # auto never probes the network


@pytest.fixture(scope="module")
def clip_dir(tiny_models, tmp_path_factory):
    """The tiny CLIP with a tokenizer saved beside it (the tiny BLIP's word-piece vocabulary)."""
    transformers = pytest.importorskip("transformers")
    path = tmp_path_factory.mktemp("clip") / "clip"
    shutil.copytree(tiny_models["clip"], path)
    tok = transformers.BertTokenizer(f"{tiny_models['blip']}/vocab.txt")
    tok.save_pretrained(path)
    return str(path)


def test_clip_ranker_batches_and_caches(clip_dir, tiny_models, prepared):
    ranker = resolve_ranker("clip", device="cpu", batch_size=64,
                            options={"clip": clip_dir, "blip": tiny_models["blip"]})  # fmt: skip
    assert isinstance(ranker, ClipRanker)
    n = len(prepared.boxes)
    queries = ["the red car that appeared", "the blue cup that turned red", "the leftmost thing"]
    results = prepared.ground(queries, backend=ranker)
    # one vision pass for all 4N isolations, one text pass for every text of every query
    assert ranker.tally["clip"] == 1 and ranker.tally["clip_text"] == 1
    assert "cue_model" in results[0].data and "cue_rerank" in results[0].data
    assert "cue_model" not in results[2].data  # no word for the model: cues alone
    assert all(len(r) == n for r in results)
    again = prepared.ground("the red cup that appeared", backend=ranker)
    assert ranker.tally["clip"] == 1  # image embeddings cached on the pair
    assert again.metadata["backend"] == "clip"
    assert np.isclose(again.scores.sum(), 1.0)


def test_clip_without_tokenizer_says_so(tiny_models, prepared):
    from spotdiff import WeightsNotFoundError

    with pytest.raises(WeightsNotFoundError, match="tokenizer"):
        resolve_ranker("clip", device="cpu", options={"clip": tiny_models["clip"]})


def test_missing_clip_weights(empty_model_caches, no_network):
    from spotdiff import WeightsNotFoundError

    with pytest.raises(WeightsNotFoundError):
        resolve_ranker("clip", device="cpu", options={"clip": str(empty_model_caches / "none")})
