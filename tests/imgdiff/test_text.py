"""Caption comparison (step 2): Data-Juicer's examples, the noun rule and the lemmatizer, offline."""

from __future__ import annotations

import pytest

pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect (extra 'models')")

from spotdiff import InvalidOptionError
from spotdiff.imgdiff import compare_text_index, is_noun, lemmatize
from spotdiff.imgdiff.text import caption_words


@pytest.mark.parametrize(
    ("text1", "text2", "expected"),
    [
        (
            "A plane in the sky flying alone.",
            "A boat in the ocean sailing alone.",
            (["plane", "sky"], ["boat", "ocean"]),
        ),
        ("A dog on the grass.", "Two dogs on the grass.", ([], [])),  # dogs -> dog: not unique
        ("A cat sits on the table next to a cup.", "A cat sits on the table next to a laptop.",
         (["cup"], ["laptop"])),
        ("A man holding a red frisbee", "A woman holding a blue frisbees", (["man"], ["woman"])),
        ("Same words here.", "same words HERE", ([], [])),
        ("", "A bus.", ([], ["bus"])),
        ("Two cats and a dog", "Two mice and a dog", (["cat"], ["mouse"])),
        ("a cup a cup", "a bowl", (["cup", "cup"], ["bowl"])),  # repeats kept, as Data-Juicer
    ],
)  # fmt: skip
def test_compare_text_index(text1, text2, expected):
    assert compare_text_index(text1, text2) == expected


@pytest.mark.parametrize(
    ("word", "noun"),
    [
        ("plane", True), ("sky", True), ("boat", True), ("ocean", True), ("dog", True),
        ("frisbee", True),  # unknown to the dictionary: NN, as NLTK's tagger
        ("giraffe", True), ("people", True), ("Dog", True),
        ("flying", False), ("sailing", False), ("parked", False),  # VBG / VBN
        ("alone", False), ("big", False), ("sits", False), ("is", False),
        ("in", False), ("the", False), ("it", False), ("one", False), ("two", False),
        ("while", False), ("red", False), ("blue", False),
        ("2", False), ("", False), ("t-shirt", False), ("café", False),
    ],
)  # fmt: skip
def test_is_noun(word, noun):
    assert is_noun(word) is noun


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("dogs", "dog"), ("mice", "mouse"), ("children", "child"), ("buses", "bus"),
        ("glasses", "glass"), ("frisbees", "frisbee"), ("dog", "dog"),
        ("flying", "flying"), ("alone", "alone"), ("sits", "sits"), ("xyz", "xyz"),
    ],
)  # fmt: skip
def test_lemmatize(word, lemma):
    assert lemmatize(word) == lemma


def test_caption_words_strip_punctuation_and_case():
    assert caption_words("A  plane, in the SKY!\tflying.") == [
        "a",
        "plane",
        "in",
        "the",
        "sky",
        "flying",
    ]


@pytest.mark.parametrize("bad", [None, 3, ["a"]])
def test_non_string_inputs_raise(bad):
    with pytest.raises(InvalidOptionError, match="str"):
        compare_text_index(bad, "a dog")
    with pytest.raises(InvalidOptionError):
        is_noun(bad)
