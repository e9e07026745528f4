"""The model-free query parser: what a sentence says about the difference it refers to.

A small explicit grammar, offline and deterministic (no model). It reads:

- the kind of change: *appeared / added / new / showed up* (``added``), *missing / removed /
  gone / disappeared / vanished* (``removed``), *changed / different / replaced / turned into /
  became* (``changed``; *changed colour / recoloured / turned blue* set ``change="colour"``,
  *replaced / swapped / turned into* set ``change="replaced"``), *moved / shifted* (``moved``);
- colour terms with their role: *before* (*was red*, *from red*, *originally red*, *used to be
  red*), *after* (*turned blue*, *now blue*, *to blue*, *painted blue*) or *any* (*the red
  car*; a plain colour before an *after* colour is its *before*: *the red car that turned blue*);
- position: *left / right / top / bottom / middle* and corners (*top left*), superlatives
  (*leftmost*, *far right*, *at the very top*), ordinals (*the second from the left*);
- size: *small / large* and their superlatives (*smallest*, *biggest*, *tiny*, *huge*);
- which image: *in the first / second picture* (also *image 1*, *original*, *new image*), and
  *only in / not in the first / second picture* as a kind.

Everything else is reported, never silently dropped: :attr:`Query.unknown` holds the words not
understood (object names like *car*, which only the model path can use), and
:attr:`Query.unsupported` the forms recognised as meaningful but not handled (relations to
other objects like *left of the door*, *next to*, *between*; negation; an ordinal without a
direction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._errors import InvalidOptionError
from ._lexicon import (
    _AFTER_FOLLOW,
    _AFTER_TRIGGERS,
    _BEFORE_FOLLOW,
    _BEFORE_TRIGGERS,
    _COLOUR_MODIFIERS,
    _CONTRACTIONS,
    _IMAGE_NUMBERS,
    _IMAGE_ONE,
    _IMAGE_TWO,
    _IMAGE_WORDS,
    _KIND_PHRASES,
    _ORDINALS,
    _RELATIONS,
    _SIDE,
    _SIZE,
    _STOP,
    _SUPERLATIVE_SIDE,
    _TOKEN,
    _W,
)
from .colours import colour_index

__all__ = ["KINDS", "POSITIONS", "ColourTerm", "Query", "parse_query"]

#: Kinds of change a query can ask for.
KINDS = ("added", "removed", "changed", "moved")
#: Position words after normalisation.
POSITIONS = ("left", "right", "top", "bottom", "middle")


@dataclass(frozen=True)
class ColourTerm:
    """A colour the query names: ``name`` (in :data:`~.colours.COLOUR_NAMES`) and ``role``:
    ``"before"`` (image 1), ``"after"`` (image 2) or ``"any"`` (where the thing is)."""

    name: str
    role: str


@dataclass(frozen=True)
class Query:
    """A parsed query (:func:`parse_query`).

    Attributes:
        text: the sentence as given.
        kind: ``"added"``, ``"removed"``, ``"changed"``, ``"moved"`` or None (not said).
        change: for ``changed``: ``"colour"`` (appearance), ``"replaced"`` or None.
        colours: the colours named, with roles.
        position: position words (:data:`POSITIONS`), two for a corner.
        extreme: the position is a superlative (*leftmost*, *far left*).
        ordinal: ``(n, side)`` for *the n-th from the side* (n >= 1), or None.
        size: ``"small"``, ``"large"`` or None; ``size_extreme`` for a superlative.
        image: 1 or 2 when the query names the image the thing is in, else None.
        unknown: words not understood (object names and the rest), in order.
        unsupported: forms recognised but not handled, each a short phrase with the reason.
        understood: ``(phrase, meaning)`` of every part that was understood, in order.
    """

    text: str
    kind: str | None = None
    change: str | None = None
    colours: tuple[ColourTerm, ...] = ()
    position: tuple[str, ...] = ()
    extreme: bool = False
    ordinal: tuple[int, str] | None = None
    size: str | None = None
    size_extreme: bool = False
    image: int | None = None
    unknown: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    understood: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        """True when nothing the cues can use was understood."""
        return not (
            self.kind or self.colours or self.position or self.ordinal or self.size or self.image
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``query`` field of results and of the CLI's JSON)."""
        return {
            "text": self.text,
            "kind": self.kind,
            "change": self.change,
            "colours": [{"name": c.name, "role": c.role} for c in self.colours],
            "position": list(self.position),
            "extreme": self.extreme,
            "ordinal": list(self.ordinal) if self.ordinal else None,
            "size": self.size,
            "size_extreme": self.size_extreme,
            "image": self.image,
            "unknown": list(self.unknown),
            "unsupported": list(self.unsupported),
            "understood": [list(u) for u in self.understood],
        }

    def describe(self) -> str:
        """One line: what was understood and what was not."""
        parts = [f"{phrase!r} -> {meaning}" for phrase, meaning in self.understood]
        text = "; ".join(parts) if parts else "nothing the cues can use"
        if self.unknown:
            text += f"; not understood: {', '.join(self.unknown)}"
        if self.unsupported:
            text += f"; not supported: {'; '.join(self.unsupported)}"
        return text


def _tokens(text: str) -> list[str]:
    low = text.lower().replace("\u2019", "'")
    for old, new in _CONTRACTIONS:
        low = low.replace(old, new)
    low = low.replace("can not", "cannot").replace("cannot", "can not")
    return _TOKEN.findall(low)


def _match(tokens: list[str], i: int, phrase: _W) -> bool:
    return tuple(tokens[i : i + len(phrase)]) == phrase


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.t = _tokens(text)
        self.used = [False] * len(self.t)
        self.understood: list[tuple[str, str]] = []
        self.unsupported: list[str] = []
        self.kind: str | None = None
        self.change: str | None = None
        self.colours: list[tuple[int, str, str]] = []  # (token index, name, role)
        self.position: list[str] = []
        self.extreme = False
        self.ordinal: tuple[int, str] | None = None
        self.size: str | None = None
        self.size_extreme = False
        self.image: int | None = None

    def take(self, i: int, n: int, meaning: str) -> None:
        for j in range(i, i + n):
            self.used[j] = True
        self.understood.append((" ".join(self.t[i : i + n]), meaning))

    def free(self, i: int, n: int = 1) -> bool:
        return i + n <= len(self.t) and not any(self.used[i : i + n])

    def set_kind(self, kind: str, change: str | None) -> None:
        if self.kind is None or (self.kind == "changed" and kind == "changed"):
            self.kind = kind
            self.change = self.change or change
        elif self.kind != kind:
            self.unsupported.append(f"two kinds of change ({self.kind}, {kind}): kept {self.kind}")

    # ------------------------------------------------------------------- passes
    def relations(self) -> None:
        for i in range(len(self.t)):
            for phrase in _RELATIONS:
                if self.free(i, len(phrase)) and _match(self.t, i, phrase):
                    end = i + len(phrase)
                    tail = [w for w in self.t[end : end + 3] if w not in ("the", "a", "an")]
                    what = " ".join(self.t[i:end] + tail[:1])
                    self.unsupported.append(f"{what!r} (relations to other objects)")
                    for j in range(i, min(len(self.t), end + len(tail[:1]) + 2)):
                        if j < end or self.t[j] in ("the", "a", "an") or j == end + 2:
                            self.used[j] = True
                    # the related object's name stays unknown (for the model path)
                    break

    def images(self) -> None:
        t = self.t
        for i, word in enumerate(t):
            if not self.free(i):
                continue
            which = None
            span = (i, 1)
            if word in _IMAGE_WORDS and i + 1 < len(t) and t[i + 1] in _IMAGE_NUMBERS:
                which, span = _IMAGE_NUMBERS[t[i + 1]], (i, 2)
            elif word in _IMAGE_WORDS and i > 0 and self.free(i - 1):
                prev = t[i - 1]
                if prev in _IMAGE_ONE or prev == "left":
                    which, span = 1, (i - 1, 2)
                elif prev in _IMAGE_TWO or prev == "right":
                    which, span = 2, (i - 1, 2)
            if which is None:
                continue
            start, n = span
            before = t[max(0, start - 3) : start]
            meaning = f"image {which}"
            if "only" in before or "not" in before:
                negated = "not" in before
                kind = "removed" if (which == 1) != negated else "added"
                self.set_kind(kind, None)
                meaning = f"{kind} ({'not ' if negated else 'only '}in image {which})"
                for j in range(max(0, start - 3), start):
                    if t[j] in ("only", "not", "in", "the", "from", "on"):
                        self.used[j] = True
            else:
                self.image = which
            self.take(start, n, meaning)

    def kinds(self) -> None:
        for i in range(len(self.t)):
            for phrase, kind, change in _KIND_PHRASES:
                if self.free(i, len(phrase)) and _match(self.t, i, phrase):
                    # "turned"/"became"/"painted" + a colour: a colour change, handled there
                    nxt = self.t[i + len(phrase) : i + len(phrase) + 2]
                    if any(colour_index(w) is not None for w in nxt) and change is None:
                        change = "colour"
                    self.set_kind(kind, change)
                    label = kind + (f" ({change})" if change else "")
                    self.take(i, len(phrase), label)
                    break

    def colour_terms(self) -> None:
        t = self.t
        for i, word in enumerate(t):
            if not self.free(i):
                continue
            idx = colour_index(word)
            if idx is None:
                continue
            name = _colour_name(word)
            role = "any"
            back = [w for w in t[max(0, i - 4) : i] if w not in _COLOUR_MODIFIERS]
            back = [w for w in back if w not in ("a", "an", "the", "is", "are")][-2:]
            if len(t[:i]) >= 3 and t[i - 3 : i] == ["used", "to", "be"]:
                role = "before"
            elif back and back[-1] in _AFTER_TRIGGERS:
                role = "after"
            elif (back and back[-1] in _BEFORE_TRIGGERS) or (
                i + 1 < len(t) and t[i + 1] in _BEFORE_FOLLOW
            ):
                role = "before"
            elif i + 1 < len(t) and t[i + 1] in _AFTER_FOLLOW:
                role = "after"
            self.colours.append((i, name, role))
            self.used[i] = True
            if i > 0 and t[i - 1] in _COLOUR_MODIFIERS:
                self.used[i - 1] = True
        # a plain colour before an "after" colour is what it was before
        afters = [i for i, _, role in self.colours if role == "after"]
        if afters:
            self.colours = [
                (i, n, "before" if role == "any" and i < afters[0] else role)
                for i, n, role in self.colours
            ]
        for i, name, role in self.colours:
            self.understood.append((t[i], f"colour {name} ({role})"))
        if self.colours and self.kind is None and any(r != "any" for _, _, r in self.colours):
            self.kind, self.change = "changed", "colour"
            self.understood.append(("colour before/after", "changed (colour)"))
        elif (
            self.kind == "changed"
            and self.change is None
            and any(r == "after" for _, _, r in self.colours)
        ):
            self.change = "colour"

    def ordinals(self) -> None:
        t = self.t
        for i, word in enumerate(t):
            if not self.free(i) or (word not in _ORDINALS and word != "last"):
                continue
            for j in range(i + 1, min(len(t), i + 5)):
                if t[j] == "from":
                    k = j + 1 + (j + 1 < len(t) and t[j + 1] == "the")
                    side = _SIDE.get(t[k]) if k < len(t) else None
                    if side and side != "middle":
                        n = _ORDINALS.get(word, -1)
                        self.ordinal = (n, side)
                        for m in range(i, k + 1):
                            self.used[m] = True
                        self.understood.append(
                            (" ".join(t[i : k + 1]), f"ordinal {n} from the {side}")
                        )
                    break
            if self.free(i) and word != "last":
                self.used[i] = True
                self.unsupported.append(
                    f"{word!r} without a direction (say 'the {word} from the left')"
                )

    def positions(self) -> None:
        t = self.t
        for i, word in enumerate(t):
            if not self.free(i):
                continue
            if word in _SUPERLATIVE_SIDE:
                self._add_side(_SUPERLATIVE_SIDE[word], extreme=True)
                self.take(i, 1, f"position {_SUPERLATIVE_SIDE[word]} (extreme)")
            elif word in _SIDE:
                extreme = i > 0 and t[i - 1] in ("far", "very", "most", "furthest", "extreme")
                self._add_side(_SIDE[word], extreme=extreme)
                start = i - 1 if extreme else i
                self.take(start, i - start + 1, f"position {_SIDE[word]}" + " (extreme)" * extreme)

    def _add_side(self, side: str, *, extreme: bool) -> None:
        if side not in self.position:
            self.position.append(side)
        self.extreme = self.extreme or extreme

    def sizes(self) -> None:
        for i, word in enumerate(self.t):
            if self.free(i) and word in _SIZE:
                size, extreme = _SIZE[word]
                if self.size is not None and self.size != size:
                    self.unsupported.append(f"both small and large: kept {self.size}")
                    continue
                self.size = size
                self.size_extreme = self.size_extreme or extreme
                self.take(i, 1, f"size {size}" + " (extreme)" * extreme)

    def finish(self) -> Query:
        unknown = []
        for i, word in enumerate(self.t):
            if self.used[i] or word in _STOP:
                if not self.used[i] and word == "not":
                    self.unsupported.append("'not' (negation)")
                continue
            unknown.append(word)
        order = {w: k for k, w in enumerate(POSITIONS)}
        self.understood.sort(key=lambda u: self.text.lower().find(u[0].split()[0]))
        return Query(
            text=self.text,
            kind=self.kind,
            change=self.change if self.kind == "changed" else None,
            colours=tuple(ColourTerm(n, r) for _, n, r in sorted(self.colours)),
            position=tuple(sorted(self.position, key=order.get)),
            extreme=self.extreme,
            ordinal=self.ordinal,
            size=self.size,
            size_extreme=self.size_extreme,
            image=self.image,
            unknown=tuple(unknown),
            unsupported=tuple(self.unsupported),
            understood=tuple(self.understood),
        )


def _colour_name(word: str) -> str:
    from .colours import COLOUR_NAMES

    return COLOUR_NAMES[colour_index(word)]  # type: ignore[index]


def parse_query(text: str) -> Query:
    """Parse a query sentence (see the module docstring for the grammar).

    Raises:
        InvalidOptionError: ``text`` is not a string or has no word.
    """
    if not isinstance(text, str):
        raise InvalidOptionError(
            f"a query must be a string (a sentence about one difference), got {type(text).__name__}"
        )
    parser = _Parser(text.strip())
    if not parser.t:
        raise InvalidOptionError(
            f"the query {text!r} has no word; describe the difference, e.g. 'the red thing "
            "that disappeared'"
        )
    parser.relations()
    parser.images()
    parser.kinds()
    parser.colour_terms()
    parser.ordinals()
    parser.positions()
    parser.sizes()
    return parser.finish()
