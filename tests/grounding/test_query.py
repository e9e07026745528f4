"""spotdiff.grounding.query: the model-free parser, as a table of sentences and what they mean."""

from __future__ import annotations

import pytest

from spotdiff import InvalidOptionError
from spotdiff.grounding.query import ColourTerm, parse_query

CASES = [
    # sentence, expected fields
    ("the thing that disappeared from the table", {"kind": "removed", "unknown": ("table",)}),
    ("what was added", {"kind": "added"}),
    ("the new object", {"kind": "added"}),
    ("something that showed up", {"kind": "added"}),
    ("the item that is no longer there", {"kind": "removed"}),
    ("the vanished cup", {"kind": "removed", "unknown": ("cup",)}),
    ("the thing that was replaced", {"kind": "changed", "change": "replaced"}),
    ("the lamp that turned into a vase", {"kind": "changed", "change": "replaced"}),
    ("the object that changed colour", {"kind": "changed", "change": "colour"}),
    ("the thing that moved", {"kind": "moved"}),
    ("the car that turned blue", {
        "kind": "changed", "change": "colour", "colours": (ColourTerm("blue", "after"),),
        "unknown": ("car",)}),
    ("what was red is now green", {
        "kind": "changed",
        "colours": (ColourTerm("red", "before"), ColourTerm("green", "after"))}),
    ("the red car that turned blue", {
        "colours": (ColourTerm("red", "before"), ColourTerm("blue", "after"))}),
    ("changed from red to dark green", {
        "colours": (ColourTerm("red", "before"), ColourTerm("green", "after"))}),
    ("it used to be yellow", {"colours": (ColourTerm("yellow", "before"),), "kind": "changed"}),
    ("the gray thing that appeared", {"colours": (ColourTerm("grey", "any"),), "kind": "added"}),
    ("the leftmost difference", {"position": ("left",), "extreme": True}),
    ("the thing on the right", {"position": ("right",), "extreme": False}),
    ("the small thing in the top-left corner", {"position": ("left", "top"), "size": "small"}),
    ("the thing at the very bottom", {"position": ("bottom",), "extreme": True}),
    ("the change in the middle", {"position": ("middle",)}),
    ("the second from the left", {"ordinal": (2, "left")}),
    ("the third difference from the top", {"ordinal": (3, "top")}),
    ("the biggest change", {"size": "large", "size_extreme": True, "kind": None}),
    ("a tiny spot", {"size": "small", "size_extreme": True}),
    ("the red object in the second picture", {"image": 2, "position": ()}),
    ("something in image 1", {"image": 1}),
    ("the thing in the left image", {"image": 1, "position": ()}),
    ("what is only in the first picture", {"kind": "removed", "image": None}),
    ("what is not in the first photo", {"kind": "added"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse(text, expected):
    query = parse_query(text)
    for name, value in expected.items():
        assert getattr(query, name) == value, name


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("the cup left of the plate", "relations to other objects"),
        ("the thing next to the door", "relations to other objects"),
        ("not the red one", "negation"),
        ("the second difference", "without a direction"),
    ],
)
def test_unsupported_forms_are_reported_not_dropped(text, fragment):
    query = parse_query(text)
    assert any(fragment in note for note in query.unsupported)
    assert "not supported" in query.describe()
    if "left of" in text:
        assert query.position == ()  # "left of the plate" is not "on the left"


def test_unknown_words_are_reported_in_order():
    query = parse_query("the striped umbrella that appeared near nothing")
    assert query.unknown[:2] == ("striped", "umbrella")
    assert query.to_dict()["unknown"] == list(query.unknown)
    assert "not understood: striped, umbrella" in query.describe()


def test_to_dict_is_json_ready():
    import json

    d = parse_query("what was red is now green on the left").to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["colours"] == [{"name": "red", "role": "before"}, {"name": "green", "role": "after"}]
    assert d["position"] == ["left"]


def test_empty_query_is_flagged():
    assert parse_query("the thing").is_empty
    assert not parse_query("the thing on the left").is_empty


@pytest.mark.parametrize("bad", ["", "   ", "?!", None, 3, ["a"]])
def test_bad_queries_raise(bad):
    with pytest.raises(InvalidOptionError):
        parse_query(bad)
