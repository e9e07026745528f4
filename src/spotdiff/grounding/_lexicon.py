"""The words the query parser knows (:mod:`.query`): kind phrases, colour-role triggers,
positions, sizes, ordinals, image phrases, relations it reports as unsupported, stop words."""

from __future__ import annotations

import re

_W = tuple[str, ...]


def _phrases(*items: str) -> tuple[_W, ...]:
    return tuple(tuple(item.split()) for item in items)


# (phrase, kind, change); longest phrases are tried first
_KIND_PHRASES: list[tuple[_W, str, str | None]] = [
    *(
        (p, "added", None)
        for p in _phrases(
            "showed up",
            "shows up",
            "show up",
            "turned up",
            "popped up",
            "was not there",
            "were not there",
            "did not exist",
            "appeared",
            "appears",
            "appear",
            "appearing",
            "added",
            "add",
            "new",
            "newly",
            "arrived",
            "inserted",
            "extra",
            "emerged",
        )
    ),
    *(
        (p, "removed", None)
        for p in _phrases(
            "taken away",
            "went missing",
            "no longer there",
            "no longer",
            "missing",
            "removed",
            "remove",
            "gone",
            "disappeared",
            "disappears",
            "disappear",
            "disappearing",
            "vanished",
            "vanishes",
            "vanish",
            "deleted",
            "erased",
            "absent",
            "lost",
        )
    ),
    *((p, "moved", None) for p in _phrases("moved", "moves", "shifted", "relocated", "displaced")),
    *(
        (p, "changed", "colour")
        for p in _phrases(
            "changed its colour",
            "changed its color",
            "changed colour",
            "changed color",
            "changes colour",
            "changes color",
            "change colour",
            "change color",
            "different colour",
            "different color",
            "another colour",
            "another color",
            "recoloured",
            "recolored",
            "repainted",
            "painted",
        )
    ),
    *(
        (p, "changed", "replaced")
        for p in _phrases(
            "turned into",
            "turns into",
            "changed into",
            "was replaced",
            "replaced",
            "swapped",
            "substituted",
            "exchanged",
            "became a",
            "become a",
            "becomes a",
            "became an",
            "is now a",
            "now a",
            "something else",
            "another object",
            "another thing",
        )
    ),
    *(
        (p, "changed", None)
        for p in _phrases(
            "looks different",
            "not the same",
            "changed",
            "changes",
            "different",
            "differs",
            "altered",
            "modified",
            "transformed",
            "turned",
            "became",
            "becomes",
            "become",
        )
    ),
]
_KIND_PHRASES.sort(key=lambda item: -len(item[0]))

_AFTER_TRIGGERS = {
    "turned", "turns", "turning", "became", "becomes", "become", "now", "to", "into",
    "painted", "repainted", "recoloured", "recolored",
}  # fmt: skip
_BEFORE_TRIGGERS = {"was", "were", "from", "formerly", "originally", "previously", "initially"}
_AFTER_FOLLOW = {"now", "afterwards", "after"}
_BEFORE_FOLLOW = {"before", "originally", "earlier", "initially", "previously"}
_COLOUR_MODIFIERS = {"light", "dark", "bright", "pale", "deep", "vivid", "pastel", "darker"}

_SIDE = {
    "left": "left", "right": "right", "top": "top", "upper": "top", "bottom": "bottom",
    "lower": "bottom", "middle": "middle", "center": "middle", "centre": "middle",
    "central": "middle",
}  # fmt: skip
_SUPERLATIVE_SIDE = {
    "leftmost": "left", "rightmost": "right", "topmost": "top", "uppermost": "top",
    "highest": "top", "bottommost": "bottom", "lowermost": "bottom", "lowest": "bottom",
}  # fmt: skip
_SIZE = {
    "small": ("small", False), "smaller": ("small", False), "little": ("small", False),
    "minor": ("small", False), "tiny": ("small", True), "smallest": ("small", True),
    "large": ("large", False), "larger": ("large", False), "big": ("large", False),
    "bigger": ("large", False), "major": ("large", False), "huge": ("large", True),
    "giant": ("large", True), "largest": ("large", True), "biggest": ("large", True),
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5,
}  # fmt: skip
_IMAGE_WORDS = {"image", "picture", "photo", "frame", "shot", "version", "view", "pic", "img"}
_IMAGE_ONE = {"first", "1st", "original", "earlier", "before", "old", "older", "reference"}
_IMAGE_TWO = {"second", "2nd", "new", "newer", "later", "after", "edited", "modified", "current"}
_IMAGE_NUMBERS = {"1": 1, "one": 1, "2": 2, "two": 2}
_RELATIONS = _phrases(
    "to the left of",
    "to the right of",
    "left of",
    "right of",
    "in front of",
    "on top of",
    "next to",
    "close to",
    "near",
    "beside",
    "between",
    "behind",
    "above",
    "below",
    "under",
    "beneath",
    "over",
    "inside",
    "around",
)
_STOP = {
    "the", "a", "an", "that", "which", "who", "whose", "is", "are", "was", "were", "be", "been",
    "has", "have", "had", "it", "its", "of", "in", "on", "at", "to", "from", "this", "these",
    "there", "here", "what", "where", "thing", "things", "object", "objects", "item", "items",
    "one", "ones", "something", "stuff", "part", "region", "area", "spot", "difference",
    "differences", "change", "changes", "side", "half", "corner", "with", "and", "got", "get",
    "gets", "did", "does", "do", "now", "just", "very", "far", "most", "by", "for", "find",
    "show", "me", "where's", "whats", "please", "box", "located", "edge", "i", "you", "can",
    "see", "colour", "color", "coloured", "colored", "before", "after", "earlier", "later",
    "originally", "two", "images", "pictures", "photos", "between", "both", "some", "any",
    "as", "compared", "when", "then", "while", "section", "portion", "out", "up", "same",
    "so", "all", "them", "they", "used", "would", "will", "being", "also", "only", "not",
}  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9]+")
_CONTRACTIONS = (
    ("n't", " not"), ("'s", ""), ("'re", " are"), ("'ve", " have"), ("\u2019", "'"),
)  # fmt: skip
