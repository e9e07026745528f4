"""The three argument dicts: Data-Juicer's defaults, missing keys, validation, no mutation."""

from __future__ import annotations

import copy

import pytest

from spotdiff import InvalidOptionError
from spotdiff.imgdiff import (
    MATCHING_DEFAULTS,
    SEGMENT_DEFAULTS,
    SIMILARITY_DEFAULTS,
    Difference_Area_Generator_Mapper,
    DifferenceAreaGenerator,
)


def test_defaults_are_data_juicers():
    assert SIMILARITY_DEFAULTS == {
        "min_score_1": 0.1, "max_score_1": 1.0, "min_score_2": 0.1, "max_score_2": 1.0,
        "hf_clip": "openai/clip-vit-base-patch32", "num_proc": 1,
    }  # fmt: skip
    assert SEGMENT_DEFAULTS == {
        "imgsz": 1024,
        "conf": 0.05,
        "iou": 0.5,
        "model_path": "FastSAM-x.pt",
    }
    assert MATCHING_DEFAULTS == {
        "min_score": 0.1, "max_score": 1.0, "hf_blip": "Salesforce/blip-itm-base-coco",
        "num_proc": 1,
    }  # fmt: skip
    op = DifferenceAreaGenerator()
    sim = op.image_pair_similarity_filter_args
    assert (sim["min_score_1"], sim["max_score_1"], sim["min_score_2"], sim["max_score_2"]) == (
        0.1, 1.0, 0.1, 1.0,
    )  # fmt: skip
    assert sim["hf_clip"] == "openai/clip-vit-base-patch32"
    seg = op.image_segment_mapper_args
    assert seg == {"imgsz": 1024, "conf": 0.05, "iou": 0.5, "model_path": "FastSAM-x.pt"}
    assert op.image_text_matching_filter_args["hf_blip"] == "Salesforce/blip-itm-base-coco"
    assert Difference_Area_Generator_Mapper is DifferenceAreaGenerator


def test_missing_keys_take_defaults_and_dicts_are_not_mutated():
    sim = {"min_score_1": 0.5, "num_proc": 4, "accelerator": "cuda"}
    seg = {"imgsz": 640}
    itm = {"max_score": 0.9, "reduce_mode": "avg"}
    before = copy.deepcopy((sim, seg, itm))
    op = DifferenceAreaGenerator(sim, seg, itm, backend="classical")
    assert (sim, seg, itm) == before
    assert op.config.similarity.min_score_1 == 0.5
    assert op.config.similarity.max_score_2 == 1.0
    assert op.config.segment.imgsz == 640
    assert op.config.segment.conf == 0.05
    assert op.config.matching.max_score == 0.9
    assert op.config.matching.min_score == 0.1
    # the returned dicts are copies
    op.image_pair_similarity_filter_args["min_score_1"] = 0.0
    assert op.config.similarity.min_score_1 == 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"image_pair_similarity_filter_args": {"min_score": 0.2}}, "unknown key.*'min_score'"),
        ({"image_pair_similarity_filter_args": {"min_score_1": 0.9, "max_score_1": 0.5}},
         "min_score_1=0.9 is above max_score_1=0.5"),
        ({"image_pair_similarity_filter_args": {"max_score_2": "high"}}, "max_score_2 must be"),
        ({"image_segment_mapper_args": {"imgsz": 8}}, "imgsz must be >= 32"),
        ({"image_segment_mapper_args": {"conf": 2}}, "conf must be <= 1"),
        ({"image_text_matching_filter_args": {"min_score": 0.8, "max_score": 0.2}},
         "min_score=0.8 is above"),
        ({"image_text_matching_filter_args": ["min_score"]}, "must be a dict"),
        ({"backend": "gpu"}, "backend must be one of"),
        ({"backend": {"captions": "models"}}, "unknown step"),
        ({"backend": {"matching": "fast"}}, "backend\\['matching'\\]"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"accelerator": "tpu"}, "accelerator must be one of"),
        ({"colour": 1}, "unknown keyword"),
    ],
)  # fmt: skip
def test_bad_options_raise(kwargs, match):
    with pytest.raises(InvalidOptionError, match=match):
        DifferenceAreaGenerator(**kwargs)


def test_data_juicer_base_keywords_are_accepted():
    op = DifferenceAreaGenerator(
        num_proc=2, text_key="text", accelerator="cpu", backend="classical"
    )
    assert op.device == "cpu"
