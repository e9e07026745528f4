"""spotdiff.evaluation.grounding_bench: the DiffGround-style synthetic benchmark (small sizes)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage", reason="the benchmark's photographs need scikit-image ('eval')")

from spotdiff.evaluation.grounding_bench import (
    GROUND_KINDS,
    generate_ground_pairs,
    run_grounding_benchmark,
)


@pytest.fixture(scope="module")
def pairs():
    return generate_ground_pairs(4, size="320x180", seed=3)


def test_pairs_are_deterministic(pairs):
    again = generate_ground_pairs(4, size="320x180", seed=3)
    for a, b in zip(pairs, again, strict=True):
        assert np.array_equal(a.img2, b.img2)
        assert [q.text for q in a.queries] == [q.text for q in b.queries]


def test_pairs_have_distractors_and_queries(pairs):
    for pair in pairs:
        assert 2 <= len(pair.edits) <= 4
        assert {e.kind for e in pair.edits} <= set(GROUND_KINDS)
        assert pair.img1.shape == pair.img2.shape == (180, 320, 3)
        for q in pair.queries:
            assert 0 <= q.edit < len(pair.edits)
            # kind phrases apply only when no other edit has that kind
            if q.type == "kind":
                kinds = [e.kind for e in pair.edits]
                assert kinds.count(kinds[q.edit]) == 1


def test_queries_never_name_a_category(pairs):
    words = {"tree", "car", "cup", "person", "dog", "cat", "bird", "coin", "rocket", "astronaut"}
    for pair in pairs:
        for q in pair.queries:
            assert not set(q.text.split()) & words, q.text


def test_benchmark_report():
    report = run_grounding_benchmark(3, size="320x180", seed=0)
    d = report.to_dict()
    overall = d["rows"]["overall"]
    assert set(overall) == {"n", "spotdiff", "random", "find_top", "oracle"}
    assert overall["oracle"]["acc@0.5"] >= overall["spotdiff"]["acc@0.5"]
    assert overall["spotdiff"]["acc@0.5"] > overall["random"]["acc@0.5"]
    table = report.to_markdown()
    assert "| **overall** |" in table and "spotdiff / oracle" in table


def test_cli_flag(capsys):
    from spotdiff.cli import main

    assert main(["bench", "--grounding", "--pairs", "2", "--size", "320x180"]) == 0
    out = capsys.readouterr().out
    assert "| **overall** |" in out and "find top score" in out
