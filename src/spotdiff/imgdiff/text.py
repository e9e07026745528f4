"""Caption comparison of the ImgDiff difference-area generator (its step 2), offline.

Data-Juicer compares two captions with :class:`difflib.Differ` over their lower-cased,
punctuation-stripped words, lemmatizes each changed word with NLTK's WordNet lemmatizer (as a
noun) and keeps the words unique to one side that NLTK's tagger calls a noun. NLTK's tagger and
WordNet need data downloads that machines without internet cannot make, so this module does the
same with `lemminflect <https://github.com/bjascob/LemmInflect>`_, which ships its dictionaries
inside its wheel (extra ``models``):

- **lemmatize**: the shortest noun lemma lemminflect's dictionary gives (``"dogs" -> "dog"``,
  ``"mice" -> "mouse"``, ``"glasses" -> "glass"``); a word the dictionary does not know as a
  noun is kept as written (WordNet does the same), except a plural-looking unknown word, which
  lemminflect's out-of-vocabulary rules reduce (``"frisbees" -> "frisbee"``).
- **is_noun**: NLTK tags a lone word with its most frequent tag; lemminflect has no tagger and
  no frequencies, so the rule reads its dictionary instead:

  1. not a lower-case alphabetic word, or a closed-class word (article, pronoun, preposition,
     conjunction, auxiliary, number word, a few adverbs: :data:`FUNCTION_WORDS`): not a noun;
  2. a colour word (:data:`COLOUR_WORDS`, NLTK tags them ``JJ``): not a noun;
  3. in the dictionary: a noun when one of its readings is a noun, except an ``-ing`` / ``-ed``
     form whose verb lemma differs (``"flying"``, ``"parked"``: NLTK tags them ``VBG`` / ``VBN``);
  4. unknown to the dictionary: a noun (NLTK's tagger also calls unknown words ``NN``).

Limits: a word that is both a common noun and a common verb or adjective is a noun here
(``"walks"``, ``"plane"``, ``"light"``), where NLTK may pick the other reading; a gerund used as a
noun (``"painting"``) is a verb here, as for NLTK on a lone word. The results of the examples in
Data-Juicer's documentation are identical; the tests pin them.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable

from .._errors import InvalidOptionError
from .._optional import require

__all__ = [
    "COLOUR_WORDS",
    "FUNCTION_WORDS",
    "caption_words",
    "compare_text_index",
    "is_noun",
    "lemmatize",
]

#: Closed-class words: never nouns, whatever lemminflect's dictionary says ("it", "one", "while").
_FUNCTION_TEXT = """
    a an the this that these those some any each every either neither no none all both few many
    much more most less least other another such what which who whom whose whatever whichever
    i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
    it its itself we us our ours ourselves they them their theirs themselves one ones someone
    something anyone anything everyone everything nobody nothing somebody anybody everybody
    in on at by for with without within of off to from into onto upon over under above below
    across along among around behind beside besides between beyond down up near through
    throughout toward towards past via than like unlike despite during except inside outside
    underneath and or but nor so yet if then because while whereas although though unless until
    since as when where whether how why there here not very too also just only even still again
    is are was were be been being am do does did done doing have has had having will would shall
    should can could may might must ought
    zero two three four five six seven eight nine ten eleven twelve twenty hundred thousand
    first second third
"""
FUNCTION_WORDS: frozenset[str] = frozenset(_FUNCTION_TEXT.split())

#: Colour words: nouns and adjectives in the dictionary, adjectives (``JJ``) for NLTK's tagger.
_COLOUR_TEXT = """
    red orange yellow green blue purple violet pink brown black white gray grey silver gold golden
    beige tan maroon navy teal cyan magenta turquoise
"""
COLOUR_WORDS: frozenset[str] = frozenset(_COLOUR_TEXT.split())

_PUNCT = re.compile(r"[^\w\s]")


def _lemminflect():
    return require("lemminflect", extra="models", purpose="caption comparison (ImgDiff step 2)")


@functools.lru_cache(maxsize=65536)
def _readings(word: str) -> dict[str, tuple[str, ...]]:
    return dict(_lemminflect().getAllLemmas(word))


def lemmatize(word: str) -> str:
    """The noun lemma of ``word`` (WordNet-lemmatizer style, see the module docstring).

    Args:
        word: one lower-case word.

    Returns:
        The shortest noun lemma in lemminflect's dictionary (``"dogs" -> "dog"``), the word
        itself when it is known but not as a noun (``"alone"``, ``"flying"``), or lemminflect's
        out-of-vocabulary noun lemma for an unknown word ending in ``s``.
    """
    if not isinstance(word, str):
        raise InvalidOptionError(f"lemmatize needs a str, got {type(word).__name__}")
    return _lemmatize(word)


@functools.lru_cache(maxsize=65536)
def _lemmatize(word: str) -> str:
    readings = _readings(word)
    nouns = readings.get("NOUN")
    if nouns:
        return min(nouns, key=len)
    if not readings and word.isalpha() and word.endswith("s") and len(word) > 3:
        oov = _lemminflect().getAllLemmasOOV(word, "NOUN").get("NOUN")
        if oov:
            return oov[0]
    return word


def is_noun(word: str) -> bool:
    """Whether a lone ``word`` is a noun (Data-Juicer's ``is_noun``, offline; module docstring).

    Args:
        word: one word; case is ignored.

    Returns:
        True for ``"plane"``, ``"sky"``, ``"dog"``, ``"frisbee"``; False for ``"flying"``,
        ``"alone"``, ``"in"``, ``"red"``, ``"2"``, ``""``.
    """
    if not isinstance(word, str):
        raise InvalidOptionError(f"is_noun needs a str, got {type(word).__name__}")
    return _is_noun(word.lower())


@functools.lru_cache(maxsize=65536)
def _is_noun(word: str) -> bool:
    if not word.isalpha() or not word.isascii() or word in FUNCTION_WORDS or word in COLOUR_WORDS:
        return False
    readings = _readings(word)
    if not readings:
        return True
    if "NOUN" not in readings:
        return False
    verbs = readings.get("VERB", ())
    return not (word.endswith(("ing", "ed")) and any(v != word for v in verbs))


def caption_words(text: str) -> list[str]:
    """Lower-cased words of a caption with punctuation removed (``re.sub(r"[^\\w\\s]", "")``).

    Words are split on any whitespace (Data-Juicer splits on single spaces and so produces empty
    words for double spaces; they are dropped here).
    """
    if not isinstance(text, str):
        raise InvalidOptionError(
            f"a caption must be a str, got {type(text).__name__}; pass the caption text"
        )
    return _PUNCT.sub("", text.lower()).split()


def _unique_nouns(words: Iterable[str], other: list[str]) -> list[str]:
    return [w for w in words if w not in other and is_noun(w)]


def compare_text_index(text1: str, text2: str) -> tuple[list[str], list[str]]:
    """The nouns that one caption has and the other lacks (ImgDiff step 2).

    The captions' words (:func:`caption_words`) are compared with :class:`difflib.Differ`;
    each removed word (``"- "`` lines) and added word (``"+ "`` lines) is lemmatized
    (:func:`lemmatize`); a lemma is kept when the other side's changed lemmas do not contain it
    and it is a noun (:func:`is_noun`). Order and repeats follow the captions, as in
    Data-Juicer's function of the same name.

    Args:
        text1, text2: the two captions.

    Returns:
        ``(nouns1, nouns2)``: e.g. ``("A plane in the sky flying alone.",
        "A boat in the ocean sailing alone.")`` gives ``(["plane", "sky"], ["boat", "ocean"])``.
    """
    changed1: list[str] = []
    changed2: list[str] = []
    for line in difflib.Differ().compare(caption_words(text1), caption_words(text2)):
        if line.startswith("+ "):
            changed2.append(lemmatize(line[2:]))
        elif line.startswith("- "):
            changed1.append(lemmatize(line[2:]))
    return _unique_nouns(changed1, changed2), _unique_nouns(changed2, changed1)
