"""New changes planted into real pairs: a larger measure that keeps the real pairs' nuisances.

The real pairs (:mod:`~spotdiff.evaluation.real`) are few and have been tuned on. Planting new
edits into image 1 of each keeps everything real about the pair (image 2's misregistration, JPEG,
re-rendering, relighting, drawing style) and adds changes nobody tuned for. The truth stays in
image 1's coordinates: the pair's own boxes plus one box per planted edit.

:func:`plant_edits` plants 1-4 edits (:mod:`~spotdiff.evaluation._plant_edits`: ``added``,
``removed``, ``recoloured``, ``moved``) into image 1, each in a square window of side 10 px to
1/6 of the picture's shorter side, away from the pair's truth boxes, from the picture's edge and
from each other by a margin (:func:`margin_for`). Drawings and UI pictures (most pixels in flat
areas, :func:`is_drawn`) get hard-edged pastes; photos get feathered ones or
``cv2.seamlessClone``. A planted box is the box of the pixels that changed (largest channel
change above :data:`LEVEL`), measured, not intended; an edit whose change is faint
(:data:`MEAN_DIFF`) or too small is dropped and another tried. Where the free room runs out
(dense puzzles, aerial pairs) a pair gets fewer edits than drawn.

Deterministic: the same pair, seed and variant give the same edits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .._errors import InvalidOptionError
from ._canvas import Box, expand, intersects, mask_box
from ._plant_edits import PLANT_EDITS, PLANT_KINDS
from .real import RealPair

__all__ = [
    "LEVEL",
    "MEAN_DIFF",
    "PLANT_KINDS",
    "SIZE_BUCKETS",
    "PlantedEdit",
    "PlantedPair",
    "is_drawn",
    "margin_for",
    "plant_edits",
    "planted_pairs",
    "size_bucket",
]

#: A pixel changed when its largest channel moved by more than LEVEL levels.
LEVEL = 12
#: An edit is kept when its changed pixels moved by MEAN_DIFF levels or more on average and
#: there are MIN_PIXELS of them or more, and their box is MIN_THICKNESS pixels wide and tall.
MEAN_DIFF, MIN_PIXELS, MIN_THICKNESS = 24.0, 20, 4
#: Smallest window side (pixels); the largest is 1/6 of the picture's shorter side.
MIN_SIDE = 10
#: Size buckets of a planted box's longer side (pixels): name -> upper bound (exclusive).
SIZE_BUCKETS: dict[str, float] = {"<16": 16, "16-31": 32, "32-63": 64, ">=64": math.inf}
_TRIES, _PER_KIND = 400, 40


@dataclass(frozen=True)
class PlantedEdit:
    """One planted edit: ``kind`` (one of :data:`PLANT_KINDS`), ``box`` (x0, y0, x1, y1) of the
    pixels that changed in image 1 (exclusive ends), ``window`` the square it was planted in,
    ``hard`` whether it was pasted with hard edges."""

    kind: str
    box: Box
    window: Box
    hard: bool


@dataclass(frozen=True)
class PlantedPair:
    """A real pair with edits planted into image 1 (reads like a
    :class:`~spotdiff.evaluation.real.RealPair`).

    Attributes:
        img1: uint8 (H, W, 3) RGB, image 1 with the edits; img2: the pair's image 2, unchanged.
        boxes: (K + E, 4) float32 xyxy truth in image-1 pixels: the pair's K boxes, then the E
            planted ones. kinds: (K + E,) str.
        origin: (K + E,) ``"truth"`` (the pair's own box) or ``"planted"``.
        edits: the E planted edits, in the order of their boxes.
        nuisance: the pair's condition; photo: its name; index: its manifest position;
        variant: which planting of the pair (0, 1, ...); seed: the seed it was planted with.
        mask: (H, W) bool, the pair's change mask with the planted pixels added, or None when
            the pair has no mask.
    """

    img1: np.ndarray
    img2: np.ndarray
    boxes: np.ndarray
    kinds: tuple[str, ...]
    origin: tuple[str, ...]
    edits: tuple[PlantedEdit, ...]
    nuisance: str
    photo: str
    index: int
    variant: int
    seed: int
    mask: np.ndarray | None = None


def size_bucket(box: Sequence[float]) -> str:
    """The :data:`SIZE_BUCKETS` name of a box's longer side."""
    side = max(box[2] - box[0], box[3] - box[1])
    return next(name for name, top in SIZE_BUCKETS.items() if side < top)


def margin_for(img: np.ndarray) -> int:
    """The margin (pixels) kept between a planted edit and any truth box, other edit or the
    picture's edge: 4 % of the shorter side, at least 8: beyond the gap within which
    :func:`spotdiff.find` may join fragments into one region (3 %), so that two changes found
    as one box are a grouping failure, not a close call."""
    return max(8, round(0.04 * min(img.shape[:2])))


def is_drawn(img: np.ndarray) -> bool:
    """True for a drawing, a render or a UI screenshot: 30 % or more of its pixels lie in flat
    areas (grey range <= 2 levels over their 3 x 3 neighbourhood)."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    k = np.ones((3, 3), np.uint8)
    spread = cv2.dilate(grey, k).astype(np.int16) - cv2.erode(grey, k)
    return bool(np.mean(spread <= 2) >= 0.3)


def _window(rng: np.random.Generator, shape: tuple[int, ...], margin: int) -> Box | None:
    """A random square window of side MIN_SIDE .. shorter side / 6 (log-uniform), inside the
    picture inset by ``margin``; None when the picture is too small."""
    h, w = shape[:2]
    top = min(h, w) / 6
    if top < MIN_SIDE or min(h, w) - 2 * margin < MIN_SIDE:
        return None
    side = round(math.exp(rng.uniform(math.log(MIN_SIDE), math.log(top))))
    side = min(side, min(h, w) - 2 * margin)
    x = int(rng.integers(margin, w - margin - side + 1))
    y = int(rng.integers(margin, h - margin - side + 1))
    return (x, y, x + side, y + side)


def _changed(before: np.ndarray, after: np.ndarray) -> tuple[Box | None, np.ndarray]:
    """The box of the pixels whose largest channel moved by more than LEVEL, and that mask."""
    diff = np.abs(after.astype(np.int16) - before).max(axis=2)
    mask = diff > LEVEL
    if mask.sum() < MIN_PIXELS or diff[mask].mean() < MEAN_DIFF:
        return None, mask
    box = mask_box(mask)
    if min(box[2] - box[0], box[3] - box[1]) < MIN_THICKNESS:
        return None, mask
    return box, mask


def plant_edits(
    pair: RealPair,
    *,
    seed: int = 0,
    variant: int = 0,
    n_edits: int | None = None,
    kinds: Sequence[str] | None = None,
) -> PlantedPair:
    """Plant edits into image 1 of ``pair`` (see the module docstring).

    Args:
        pair: a real pair (:func:`~spotdiff.evaluation.real.load_real_pairs`).
        seed, variant: together with the pair's index, they fix every random choice.
        n_edits: how many edits to try to plant (None: 1-4 drawn at random; 0: none, the pair
            comes back as it is). Fewer are planted when the free room runs out.
        kinds: the edit kinds to draw from (default :data:`PLANT_KINDS`).

    Raises:
        InvalidOptionError: ``n_edits`` is negative or a kind is unknown.
    """
    kinds = tuple(kinds) if kinds is not None else PLANT_KINDS
    unknown = [k for k in kinds if k not in PLANT_KINDS]
    if unknown or not kinds:
        raise InvalidOptionError(
            f"unknown plant kind(s) {unknown}; expected some of {', '.join(PLANT_KINDS)}"
        )
    if n_edits is not None and n_edits < 0:
        raise InvalidOptionError(f"n_edits must be >= 0, got {n_edits}")
    rng = np.random.default_rng([seed, pair.index, variant])
    target = int(rng.integers(1, 5)) if n_edits is None else n_edits
    img, hard = pair.img1.copy(), is_drawn(pair.img1)
    margin = margin_for(img)
    taken: list[Box] = [tuple(round(v) for v in b) for b in pair.boxes]  # type: ignore[misc]
    changed = np.zeros(img.shape[:2], dtype=bool)
    edits: list[PlantedEdit] = []
    order = [kinds[i] for i in rng.permutation(len(kinds))]
    misses = 0  # windows in which the current kind found nothing to edit
    for _ in range(_TRIES if target else 0):
        if len(edits) == target:
            break
        win = _window(rng, img.shape, margin)
        if win is None:
            break
        if any(intersects(expand(win, margin), b) for b in taken):
            continue
        # a kind that finds nothing in _PER_KIND windows gives its turn to the next
        kind = order[(len(edits) + misses // _PER_KIND) % len(order)]
        after = PLANT_EDITS.factory(kind)(img, win, rng, hard)
        if after is None:
            misses += 1
            continue
        box, mask = _changed(img, after)
        if box is None or any(intersects(expand(box, margin), b) for b in taken):
            continue
        img = after
        changed |= mask
        taken.append(box)
        edits.append(PlantedEdit(kind, box, win, hard))
    planted = np.array([e.box for e in edits], dtype=np.float32).reshape(-1, 4)
    truth_mask = None if pair.mask is None else pair.mask | changed
    return PlantedPair(
        img1=img,
        img2=pair.img2,
        boxes=np.concatenate([np.asarray(pair.boxes, np.float32).reshape(-1, 4), planted]),
        kinds=(*pair.kinds, *(e.kind for e in edits)),
        origin=("truth",) * len(pair.boxes) + ("planted",) * len(edits),
        edits=tuple(edits),
        nuisance=pair.nuisance,
        photo=pair.photo,
        index=pair.index,
        variant=variant,
        seed=seed,
        mask=truth_mask,
    )


def planted_pairs(
    pairs: Sequence[RealPair], *, variants: int = 3, seed: int = 0
) -> list[PlantedPair]:
    """``variants`` plantings of every pair (variant 0, 1, ...), pair by pair."""
    if variants < 1:
        raise InvalidOptionError(f"variants must be >= 1, got {variants}")
    return [plant_edits(p, seed=seed, variant=v) for p in pairs for v in range(variants)]
