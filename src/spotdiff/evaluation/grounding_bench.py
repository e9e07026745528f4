"""A DiffGround-style synthetic grounding benchmark: pairs with several edits, template queries.

Each pair is a photograph (the synthetic benchmark's photos, :mod:`.synthetic`) with 2-4
planted edits of DiffGround's kinds -- ``recoloured`` (appearance change), ``replaced`` (an object
swapped for one from another photo, at its place), ``removed`` -- plus ``added``, drawn with
replacement so a kind may repeat; image 2 gets one nuisance (:data:`NUISANCES`). Every edit
is a distractor for the others: a query is written for an edit only when its attributes pick it
out among the pair's edits, and never names the object's category. The attributes come from
the planted pixels: kind; dominant colour of the object before / after (the CIELAB table of
:mod:`spotdiff.grounding.colours`, only when one name holds >= 40 % of the object and no other
candidate edit has >= 15 % of it); position (extreme along an axis by >= 8 % of the frame, on
that half for a plain *on the left*); size (>= 1.8x the others in area); order from the left (3+
candidates, gaps >= 6 %). Several phrasings per intent (:data:`TEMPLATES`).

Query types (the report's rows): the attributes a query states, e.g. ``kind``,
``colour+kind``, ``position``, ``position+kind``, ``size``, ``ordinal``.

Reference rankers on the same proposals (those :func:`spotdiff.grounding.prepare_grounding`
makes): ``random`` (the expected accuracy of a uniform pick), ``find_top`` (the proposal with
the highest difference score) and ``oracle`` (the proposal with the best IoU: the ceiling of
any ranker of these proposals).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from .._validate import check_number
from ._canvas import EditCanvas, Part, expand
from ._edits import _PAD, _edge_padded
from ._nuisances import NUISANCE_NAMES, NUISANCES, margin_for
from ._photos import PHOTOS, cover, load_photo
from ._shapes import blend, feather
from .grounding import THRESHOLDS
from .metrics import box_iou
from .synthetic import parse_size

__all__ = [
    "GROUND_KINDS",
    "NUISANCES_DEFAULT",
    "REFERENCE_RANKERS",
    "TEMPLATES",
    "GroundEdit",
    "GroundPair",
    "GroundQuery",
    "GroundingBenchReport",
    "generate_ground_pairs",
    "run_grounding_benchmark",
]

#: Edit kinds planted (DiffGround's three and addition).
GROUND_KINDS = ("recoloured", "replaced", "removed", "added")
#: Nuisances applied to image 2 by default (one per pair, in turn).
NUISANCES_DEFAULT = ("none", "jpeg", "noise", "brightness", "translate")
#: The reference rankers scored beside spotdiff.
REFERENCE_RANKERS = ("random", "find_top", "oracle")

_VERB = {
    "added": ("appeared", "was added", "showed up", "is new"),
    "removed": ("disappeared", "was removed", "is missing now", "vanished"),
    "recoloured": ("changed colour", "was recoloured", "has a different colour now"),
    "replaced": ("was replaced", "turned into something else", "was swapped for another object"),
}
#: Intent -> phrasings; ``{verb}`` a kind phrase, ``{c}`` / ``{b}`` / ``{a}`` colours,
#: ``{side}`` a side, ``{sup}`` its superlative, ``{n}`` an ordinal word.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "kind": ("the thing that {verb}", "the object that {verb}", "what {verb}"),
    "colour+kind": ("the {c} thing that {verb}", "the {c} object that {verb}"),
    "colour_change": ("the thing that turned {a}", "what was {b} is now {a}",
                      "the {b} object that turned {a}", "the object that became {a}"),
    "position": ("the difference on the {side}", "the {sup} change", "the change at the {side}"),
    "position+kind": ("the thing on the {side} that {verb}", "the {sup} object that {verb}"),
    "size": ("the {size} difference", "the {size} change"),
    "size+kind": ("the {size} thing that {verb}",),
    "ordinal": ("the {n} difference from the left", "the {n} change from the left"),
}  # fmt: skip
_SUP = {"left": "leftmost", "right": "rightmost", "top": "topmost", "bottom": "lowest"}
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth"}


@dataclass(frozen=True)
class GroundEdit:
    """One planted edit: ``box`` (xyxy, image-1 pixels), ``kind``, ``before`` / ``after``
    colour shares of the object (``len(COLOUR_NAMES)``), ``centre`` (fractions of the frame),
    ``area`` (fraction of the frame)."""

    box: np.ndarray
    kind: str
    before: np.ndarray
    after: np.ndarray
    centre: tuple[float, float]
    area: float


@dataclass(frozen=True)
class GroundQuery:
    """A query: its ``text``, the ``edit`` it refers to, its ``type`` (report row)."""

    text: str
    edit: int
    type: str


@dataclass(frozen=True)
class GroundPair:
    """A benchmark pair: uint8 (H, W, 3) ``img1`` / ``img2``, its ``edits``, ``queries``,
    ``nuisance`` and ``index``."""

    img1: np.ndarray
    img2: np.ndarray
    edits: tuple[GroundEdit, ...]
    queries: tuple[GroundQuery, ...]
    nuisance: str
    index: int


@dataclass
class _Object:
    """A scene object pasted into image 1: its window, the pixels under it before, its mask."""

    win: tuple[int, int, int, int]
    background: np.ndarray
    core: np.ndarray


def _paste(canvas: EditCanvas) -> tuple[list[Part], _Object] | None:
    """A donor object pasted at a free place (an ``added`` edit), with what it covered."""
    content, core = canvas.donor_object(exclude="")
    h, w = core.shape
    sigma = canvas.rng.uniform(0.7, 1.5)
    box = canvas.place(h, w, _PAD)
    if box is None:
        return None
    win = expand(box, _PAD)
    core_p = np.pad(core, _PAD)
    under = canvas.window(win)
    pixels = blend(under, _edge_padded(content, _PAD), feather(core_p, sigma))
    return [Part(win, pixels, core_p)], _Object(win, under, core_p)


def _edit_object(canvas: EditCanvas, obj: _Object, kind: str) -> list[Part] | None:
    """``removed`` (the background it covered comes back), ``replaced`` (another donor object
    over that background, at its place) or ``recoloured`` (hue rotated, saturation raised)."""
    now = canvas.window(obj.win)
    if kind == "removed":
        return [Part(obj.win, obj.background.copy(), obj.core)]
    if kind == "replaced":
        content, mask = canvas.donor_object(exclude="")
        ys, xs = np.nonzero(obj.core)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        content = cv2.resize(content, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask.astype(np.float32), (x1 - x0, y1 - y0)) >= 0.5
        full = np.zeros_like(obj.core)
        full[y0:y1, x0:x1] = mask
        front = np.zeros_like(now)
        front[y0:y1, x0:x1] = content
        front = np.where(full[..., None], front, now)
        pixels = blend(obj.background, front, feather(full, canvas.rng.uniform(0.7, 1.5)))
        return [Part(obj.win, pixels, obj.core | full)]
    hsv = cv2.cvtColor(now, cv2.COLOR_RGB2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] + int(canvas.rng.integers(30, 151))) % 180
    hsv[..., 1] = np.maximum(hsv[..., 1], int(canvas.rng.integers(90, 201)))
    front = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
    return [Part(obj.win, blend(now, front, feather(obj.core, 1.0)), obj.core)]


def _shares(pixels: np.ndarray) -> np.ndarray:
    from ..grounding.colours import colour_shares

    return colour_shares(pixels)


def _plant(index: int, size: tuple[int, int], seed: int, nuisance: str) -> GroundPair | None:
    """Image 1: a photo with 3-6 objects (from other photos) pasted in; image 2: 2-4 edits of
    :data:`GROUND_KINDS` (objects removed, replaced or recoloured, new ones added)."""
    w, h = size
    rng = np.random.default_rng([int(seed), int(index), 7])
    m = margin_for((w, h))
    photo = PHOTOS[int(rng.integers(0, len(PHOTOS)))]
    canvas0 = cover(load_photo(photo), (w + 2 * m, h + 2 * m), rng)
    options = dict(
        area=(2 * m, 2 * m, w, h),
        rng=rng,
        min_side=max(16, round(0.06 * min(w, h))),
        max_side=round(0.3 * min(w, h)),
        gap=max(8, round(0.05 * min(w, h))),
        donors=PHOTOS,
    )
    scene = EditCanvas(canvas0, **options)
    objects: list[_Object] = []
    for _ in range(int(rng.integers(3, 7))):
        for _ in range(20):
            made = _paste(scene)
            if made is not None and scene.commit(made[0], "added"):
                objects.append(made[1])
                break
    canvas1 = scene.after
    canvas = EditCanvas(canvas1, **options)
    canvas.occupied = list(scene.occupied)
    free = list(range(len(objects)))
    edits = []
    for _ in range(int(rng.integers(2, 5))):
        kind = GROUND_KINDS[int(rng.integers(0, len(GROUND_KINDS)))]
        if kind != "added" and not free:
            kind = "added"
        for _ in range(40):
            before = canvas.changed.copy()
            if kind == "added":
                made = _paste(canvas)
                parts = None if made is None else made[0]
            else:
                pick = free[int(rng.integers(0, len(free)))]
                parts = _edit_object(canvas, objects[pick], kind)
            if parts is not None and canvas.commit(parts, kind):
                if kind != "added":
                    free.remove(pick)
                mask = canvas.changed & ~before
                box = np.array(canvas.truth[-1][0], dtype=np.float32) - m
                ys, xs = np.nonzero(mask)
                edits.append(
                    GroundEdit(
                        box=box,
                        kind=kind,
                        before=_shares(canvas1[ys, xs]),
                        after=_shares(canvas.after[ys, xs]),
                        centre=(((box[0] + box[2]) / 2) / w, ((box[1] + box[3]) / 2) / h),
                        area=float(mask.sum()) / (w * h),
                    )
                )
                break
    if len(edits) < 2:
        return None
    img1 = np.ascontiguousarray(canvas1[m:-m, m:-m])
    nrng = np.random.default_rng([int(seed), int(index), NUISANCE_NAMES.index(nuisance) + 11])
    img2, _ = NUISANCES.factory(nuisance)(canvas.after, m, nrng)
    queries = _write_queries(edits, rng)
    return GroundPair(img1, img2, tuple(edits), tuple(queries), nuisance, index)


def _colour_of(edit: GroundEdit, role: str) -> tuple[int, float]:
    shares = edit.before if role == "before" else edit.after
    return int(shares.argmax()), float(shares.max())


def _unique_colour(target: GroundEdit, others: list[GroundEdit], role: str) -> str | None:
    from ..grounding.colours import COLOUR_NAMES

    c, share = _colour_of(target, role)
    if share < 0.4:
        return None
    for o in others:
        where = o.after if o.kind == "added" else o.before if o.kind == "removed" else None
        values = [where[c]] if where is not None else [o.before[c], o.after[c]]
        if role != "any":
            values = [(o.before if role == "before" else o.after)[c], *values]
        if max(values) >= 0.15:
            return None
    return COLOUR_NAMES[c]


def _extreme(target: GroundEdit, others: list[GroundEdit], side: str) -> bool:
    axis = 0 if side in ("left", "right") else 1
    sign = 1 if side in ("left", "top") else -1
    v = sign * target.centre[axis]
    return all(sign * o.centre[axis] - v >= 0.08 for o in others)


def _write_queries(edits: list[GroundEdit], rng: np.random.Generator) -> list[GroundQuery]:
    out: list[GroundQuery] = []

    def add(intent: str, i: int, qtype: str, **fill: str) -> None:
        options = TEMPLATES[intent]
        text = options[int(rng.integers(0, len(options)))]
        verb = _VERB[edits[i].kind]
        fill.setdefault("verb", verb[int(rng.integers(0, len(verb)))])
        out.append(GroundQuery(text.format(**fill), i, qtype))

    for i, e in enumerate(edits):
        others = [o for j, o in enumerate(edits) if j != i]
        same = [o for o in others if o.kind == e.kind]
        if not same:
            add("kind", i, "kind")
        role = {"added": "after", "removed": "before"}.get(e.kind)
        if role is not None and same:
            c = _unique_colour(e, same, role)
            if c:
                add("colour+kind", i, "colour+kind", c=c)
        if e.kind == "recoloured":
            a = _unique_colour(e, others, "after")
            b = _unique_colour(e, [o for o in others if o.kind == "recoloured"], "before")
            if a and b and a != b:
                add("colour_change", i, "colour_change", a=a, b=b)
        for side in ("left", "right", "top", "bottom"):
            axis, low = (0, side == "left") if side in ("left", "right") else (1, side == "top")
            half = e.centre[axis] < 0.5 if low else e.centre[axis] > 0.5
            if others and _extreme(e, others, side) and half:
                add("position", i, "position", side=side, sup=_SUP[side])
                break
            if same and _extreme(e, same, side) and half:
                add("position+kind", i, "position+kind", side=side, sup=_SUP[side])
                break
        areas = [o.area for o in others]
        if others and (e.area >= 1.8 * max(areas) or e.area * 1.8 <= min(areas)):
            word = "biggest" if e.area >= 1.8 * max(areas) else "smallest"
            add("size", i, "size", size=word)
        elif same and (e.area >= 1.8 * max(o.area for o in same)):
            add("size+kind", i, "size+kind", size="big")
        xs = sorted(o.centre[0] for o in edits)
        if len(edits) >= 3 and min(np.diff(xs)) >= 0.06:
            n = xs.index(e.centre[0]) + 1
            if n in _NTH and n > 1:
                add("ordinal", i, "ordinal", n=_NTH[n])
    return out


def generate_ground_pairs(
    n: int,
    *,
    size: tuple[int, int] | str = (1280, 720),
    seed: int = 0,
    nuisances: Sequence[str] = NUISANCES_DEFAULT,
) -> list[GroundPair]:
    """``n`` benchmark pairs (deterministic in ``seed``); pair ``i`` gets nuisance
    ``nuisances[i % len(nuisances)]``. A scene where fewer than 2 edits could be planted is
    drawn again under the next index (so indices may skip)."""
    n = check_number("n", n, low=0, integer=True)
    size = parse_size(size)
    names = tuple(NUISANCES.resolve(x) for x in nuisances)
    pairs: list[GroundPair] = []
    index = 0
    while len(pairs) < n and index < 10 * n + 10:
        pair = _plant(index, size, seed, names[len(pairs) % len(names)])
        index += 1
        if pair is not None and pair.queries:
            pairs.append(pair)
    return pairs


@dataclass
class GroundingBenchReport:
    """Scores of a run: ``rows[type][ranker] = list of IoUs`` of each query's top box."""

    ious: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def add(self, qtype: str, ranker: str, iou: float) -> None:
        for key in (qtype, "overall"):
            self.ious.setdefault(key, {}).setdefault(ranker, []).append(float(iou))

    def accuracy(self, qtype: str, ranker: str, t: float = 0.5) -> float:
        values = np.asarray(self.ious.get(qtype, {}).get(ranker, []))
        return float((values >= t).mean()) if len(values) else math.nan

    def to_dict(self) -> dict[str, Any]:
        rows = {}
        for qtype, per in self.ious.items():
            rows[qtype] = {"n": len(next(iter(per.values())))}
            for ranker, values in per.items():
                v = np.asarray(values)
                rows[qtype][ranker] = {f"acc@{t:g}": float((v >= t).mean()) for t in THRESHOLDS}
                rows[qtype][ranker]["mean_iou"] = float(v.mean())
        return {"settings": self.settings, "rows": rows}

    def to_markdown(self) -> str:
        rankers = ["spotdiff", *REFERENCE_RANKERS]
        order = ["overall", *sorted(k for k in self.ious if k != "overall")]
        lines = [
            "| query type | queries | spotdiff Acc@0.5 | random | find top score | oracle |"
            " spotdiff / oracle |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for qtype in order:
            acc = [self.accuracy(qtype, r) for r in rankers]
            ratio = acc[0] / acc[3] if acc[3] else math.nan
            n = len(self.ious[qtype]["spotdiff"])
            cells = " | ".join(f"{a:.3f}" for a in acc)
            name = f"**{qtype}**" if qtype == "overall" else qtype
            lines.append(f"| {name} | {n} | {cells} | {ratio:.2f} |")
        v = np.asarray(self.ious["overall"]["spotdiff"]) if self.ious else np.zeros(0)
        if len(v):
            acc = ", ".join(f"Acc@{t:g} {(v >= t).mean():.3f}" for t in THRESHOLDS)
            lines.append("")
            lines.append(f"spotdiff overall: {acc}, mean IoU {v.mean():.3f}.")
        return "\n".join(lines) + "\n"


def run_grounding_benchmark(
    n_pairs: int = 60,
    *,
    size: tuple[int, int] | str = (1280, 720),
    seed: int = 0,
    nuisances: Sequence[str] = NUISANCES_DEFAULT,
    backend: Any = "cues",
    progress: Callable[[int], None] | None = None,
) -> GroundingBenchReport:
    """Score ``spotdiff.ground`` (``backend``) and the reference rankers on ``n_pairs`` pairs.

    Returns:
        :class:`GroundingBenchReport` (Acc@0.3/0.5/0.7 and mean IoU per query type and ranker).
    """
    from ..grounding import prepare_grounding, resolve_ranker

    ranker = resolve_ranker(backend) if isinstance(backend, str) else backend
    report = GroundingBenchReport(
        settings={"pairs": n_pairs, "size": list(parse_size(size)), "seed": seed,
                  "nuisances": list(nuisances), "backend": ranker.name},
    )  # fmt: skip
    t0 = time.perf_counter()
    pairs = generate_ground_pairs(n_pairs, size=size, seed=seed, nuisances=nuisances)
    for done, pair in enumerate(pairs, start=1):
        gp = prepare_grounding(pair.img1, pair.img2)
        results = gp.ground([q.text for q in pair.queries], backend=ranker)
        props = gp.proposals.boxes
        for q, res in zip(pair.queries, results, strict=True):
            truth = pair.edits[q.edit].box[None]
            ious = box_iou(props, truth)[:, 0] if len(props) else np.zeros(0)
            top = box_iou(res.boxes[:1], truth)[0, 0] if len(res) else 0.0
            report.add(q.type, "spotdiff", top)
            report.add(q.type, "find_top", ious[0] if len(ious) else 0.0)
            report.add(q.type, "oracle", ious.max() if len(ious) else 0.0)
            pick = np.random.default_rng(
                [seed, pair.index, len(report.ious["overall"]["spotdiff"])]
            )
            report.add(q.type, "random", ious[int(pick.integers(len(ious)))] if len(ious) else 0.0)
        if progress is not None:
            progress(done)
    report.settings["seconds"] = round(time.perf_counter() - t0, 1)
    report.settings["queries"] = len(report.ious.get("overall", {}).get("spotdiff", []))
    return report
