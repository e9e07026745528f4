"""Two changes that touch: a component of the evidence map cut where its parts changed otherwise.

Hysteresis grows each seed over weaker evidence (:func:`~.components.find_components`), so
two changes that touch, or lie a few px apart with the structural window's spread between
them, come out as one component: a dress recoloured and the arm beside it moved, a hat
recoloured and a shirt added under it. No distance rule parts them.

Such a component has *cores*: the parts of it that stand above an evidence level, where the
evidence dips between them (a saddle). The cores are the connected sets of ``z >= level``
inside the component at the lowest of the levels ``high * STEP ** n`` (up to the component's
peak) that holds two or more of at least :data:`~.signature.MIN_PIXELS` px. The parts grow
from them down the same levels (at each, a pixel joins the nearest part in its connected set of
that level, :func:`_grow`), then over the rest of the component: a part takes the evidence
that rises to its core, not what lies past a saddle. Two changes that touch with strong
evidence on both sides leave no saddle: when the cores do not part the component, its pixels
are cut in two sets by how they changed (two means of their colours in both images: a hat
red -> blue, a shirt wall -> grey), each set's connected pieces of at least
:data:`~.signature.MIN_PIXELS` px a part (:func:`_colour_parts`).

The parts are judged by what changed in them (:func:`~.signature.changed_otherwise`: a
recolour beside something added or moved). When some pair of parts changed otherwise, the
component is replaced by its parts and those pairs never join
(:func:`~.group.group_components`'s ``separate``); the other parts join by the usual rules
(they touch). When no pair did (the pieces of one object changed alike: the shirt and the
trousers of a man added, the bars of a logo recoloured), the component stays whole.

A component whose seeds (the connected sets of ``z >= high``, however small: at least
:data:`MIN_SEED` px) only the weaker spread joins is cut between them when one seed was added and
another, beside it, removed (:func:`~.kind.held_apart`: the stroke of one in image 2 only, of
the other in image 1 only): a figure added beside a mark removed 7 px away (puzzle_temple),
whose mark is too small for a signature. The pieces of one object added are all ``added``.

Components a few px apart that an unchanged line of the drawing divides (a gear added inside
each of two wheels: :func:`~.divided.divided_pairs`) never join either.
"""

from __future__ import annotations

import cv2
import numpy as np

from .components import Components
from .divided import divided_pairs
from .kind import classify_kind, held_apart
from .signature import MIN_PIXELS, changed_otherwise, signatures, with_colours

__all__ = ["MIN_SEED", "STEP", "split_components"]

#: Ratio between the evidence levels at which a component's cores are looked for.
STEP = 1.5
_LEVELS = 8  # levels tried at most (high * STEP ** 7: 17x the seed level)
_MEANS_ROUNDS = 10  # rounds of the two means
#: Fewest pixels of a seed (``z >= high``) that grows a part of its own when the seeds of a
#: component are judged by which image holds them (:func:`_held_apart`).
MIN_SEED = 9


def _cores(
    z: np.ndarray, inside: np.ndarray, high: float, min_pixels: int, levels: int = _LEVELS
) -> tuple[np.ndarray, float] | None:
    """``(cores, level)``: int32 labels ``1..P`` (P >= 2) of the cores of one component
    (``inside``, bool, its window of ``z``): the connected sets of ``z >= level`` of at least
    ``min_pixels`` px at the lowest level ``high * STEP ** n`` (``n < levels``) that holds two
    (module docstring); None when it has one core."""
    peak = float(z[inside].max())
    level = high
    for _ in range(levels):
        if level > peak:
            return None
        _, cores, stats, _ = cv2.connectedComponentsWithStats(
            (inside & (z >= level)).view(np.uint8), connectivity=8, ltype=cv2.CV_32S
        )
        big = np.flatnonzero(stats[1:, 4] >= min_pixels) + 1
        if len(big) >= 2:
            lut = np.zeros(len(stats), np.int32)
            lut[big] = np.arange(1, len(big) + 1)
            return lut[cores], level
        if len(big) == 0:
            return None
        level *= STEP
    return None


def _parts(z: np.ndarray, inside: np.ndarray, high: float) -> np.ndarray | None:
    """int32 labels ``1..P`` (P >= 2) of the parts of one component (``inside``, bool, its
    window of ``z``), grown from its cores (module docstring); None when it has one core."""
    found = _cores(z, inside, high, MIN_PIXELS)
    return None if found is None else _grow(found[0], z, inside, found[1], high)


def _grow(parts: np.ndarray, z: np.ndarray, inside: np.ndarray, level: float, high: float):
    """``parts`` grown down the evidence levels ``level / STEP ** n`` (at least ``high``),
    then over the whole component: at each, a pixel joins the nearest part among those in its
    connected set of that level, so a part takes the evidence that rises to it, not what lies
    past a saddle."""
    levels = []
    while level / STEP >= high:
        level /= STEP
        levels.append(level)
    p = int(parts.max())
    for lev in [*levels, None]:
        region = inside if lev is None else inside & (z >= lev)
        _, sets = cv2.connectedComponents(region.view(np.uint8), connectivity=8)
        near = np.full(parts.shape, np.inf, np.float32)
        grown = parts.copy()
        for i in range(1, p + 1):
            own = parts == i
            reach = np.isin(sets, np.unique(sets[own]))
            d = cv2.distanceTransform((~own).view(np.uint8), cv2.DIST_L2, 5)
            closer = reach & region & (parts == 0) & (d < near)
            near[closer] = d[closer]
            grown[closer] = i
        parts = grown
    return parts


def split_components(
    z: np.ndarray,
    comps: Components,
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    *,
    high: float = 1.0,
    low: float = 0.5,
    reach: float = 0.0,
) -> tuple[Components, np.ndarray]:
    """The components with those holding two changes cut into their parts (module docstring).

    Args:
        z: float32 (H, W) evidence the components were found on (1 = seed).
        comps: :func:`~.components.find_components` of ``z``.
        rgb1, rgb2: uint8 (H, W, 3) RGB working images (image 2 aligned, tone-matched).
        high: the seed level of ``comps``.
        low, reach: hysteresis level and the distance rule's cap (px): components within
            ``reach`` of each other with an unchanged line between them never join
            (:func:`~.divided.divided_pairs`); 0 judges none.

    Returns:
        ``(components, separate)``: the components, each cut one replaced by its parts (numbered
        in place of it, the others in their order), and bool (K, K), symmetric: the parts that
        changed otherwise and the components an unchanged line divides, which never join.
    """
    comps, separate = _cut(z, comps, rgb1, rgb2, high)
    if reach > 0:
        separate |= divided_pairs(z, comps, rgb1, rgb2, low=low, reach=reach)
    return comps, separate


def _cut(z, comps: Components, rgb1, rgb2, high: float) -> tuple[Components, np.ndarray]:
    """:func:`split_components` without the divided pairs."""
    cut: dict[int, tuple[tuple[int, int], np.ndarray, np.ndarray]] = {}
    for c in np.flatnonzero(comps.areas >= 2 * MIN_PIXELS):
        x0, y0, x1, y1 = (int(v) for v in comps.boxes[c])
        win = (slice(y0, y1), slice(x0, x1))
        inside = comps.labels[win] == c + 1
        crops = (rgb1[win], rgb2[win])
        lab = tuple(cv2.cvtColor(x, cv2.COLOR_RGB2LAB) for x in crops)
        for parts, judge in _candidates(z[win], inside, lab, high, (rgb1, rgb2), (x0, y0)):
            apart = judge(parts, crops, lab)
            if apart.any():
                cut[int(c)] = ((x0, y0), parts, apart)
                break
    k = len(comps)
    if not cut:
        return comps, np.zeros((k, k), bool)
    sizes = [len(cut[c][2]) if c in cut else 1 for c in range(k)]
    start = np.concatenate([[0], np.cumsum(sizes)])
    n = int(start[-1])
    lut = np.zeros(k + 1, np.int32)
    lut[1:] = start[:-1] + 1
    labels = lut[comps.labels]
    boxes = np.zeros((n, 4), np.int64)
    areas = np.zeros(n, np.int64)
    keep = np.array([c not in cut for c in range(k)])
    boxes[start[:-1][keep]] = comps.boxes[keep]
    areas[start[:-1][keep]] = comps.areas[keep]
    separate = np.zeros((n, n), bool)
    for c, ((x0, y0), parts, apart) in cut.items():
        s, p = int(start[c]), len(apart)
        win = labels[y0 : y0 + parts.shape[0], x0 : x0 + parts.shape[1]]
        win[parts > 0] = parts[parts > 0] + s
        pb = _boxes(parts)
        boxes[s : s + p] = pb + np.array([x0, y0, x0, y0])
        areas[s : s + p] = np.bincount(parts.ravel(), minlength=p + 1)[1:]
        separate[s : s + p, s : s + p] = apart
    return Components(labels, boxes, areas), separate


def _colour_parts(inside: np.ndarray, lab: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    """int32 labels ``1..P`` (P >= 2) of the parts of a component with one core (``inside``,
    bool; ``lab`` its window of the images in 8-bit CIELAB, uint8 (h, w, 3) each): its pixels
    in two sets by how they changed (two means of their CIELAB colours in both images), the
    connected pieces of each set of :data:`~.signature.MIN_PIXELS` px or more a part, the rest
    with the nearest part; None when fewer than two pieces are that large."""
    x = np.concatenate([lab[0][inside], lab[1][inside]], axis=1).astype(np.float32)
    xt = np.ascontiguousarray(x.T)  # (6, N): each channel contiguous for _squared_distance
    far = x[np.argmax(_squared_distance(xt, x.mean(0)))]
    centres = np.stack([x[np.argmax(_squared_distance(xt, far))], far])
    second = np.zeros(len(x), bool)
    for _ in range(_MEANS_ROUNDS):
        before = second
        second = _squared_distance(xt, centres[1]) < _squared_distance(xt, centres[0])
        if second.all() or not second.any():
            return None
        if np.array_equal(second, before):
            break
        centres = _centres(x, second)
    sets = np.zeros(inside.shape, np.uint8)
    sets[inside] = second.astype(np.uint8) + 1
    parts = np.zeros(inside.shape, np.int32)
    p = 0
    for v in (1, 2):
        _, pieces, stats, _ = cv2.connectedComponentsWithStats(
            (sets == v).view(np.uint8), connectivity=8, ltype=cv2.CV_32S
        )
        for i in np.flatnonzero(stats[1:, 4] >= MIN_PIXELS) + 1:
            p += 1
            parts[pieces == i] = p
    if p < 2:
        return None
    return _grow(parts, np.zeros(inside.shape, np.float32), inside, 0.0, 1.0)


def _squared_distance(xt: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """float32 (N,): squared distance of the points ``xt`` (float32 (C, N), one row a channel)
    to ``centre`` (float32 (C,)), summed channel after channel: bit for bit
    ``((xt.T - centre) ** 2).sum(1)`` (NumPy adds a short last axis in order), without its
    slow reduction over a short axis."""
    out = (xt[0] - centre[0]) ** 2
    for c in range(1, len(xt)):
        out += (xt[c] - centre[c]) ** 2
    return out


def _centres(x: np.ndarray, second: np.ndarray) -> np.ndarray:
    """float32 (2, C): the means of ``x[~second]`` and ``x[second]`` (``x`` float32 (N, C) of
    8-bit levels, ``second`` bool (N,), both sets non-empty), bit for bit NumPy's ``mean(0)``:
    while ``255 N < 2 ** 24`` every partial sum is an integer float32 holds exactly, so a
    product with the selection gives the sums NumPy adds row by row, at a fraction of the
    cost; then the same float32 division."""
    if 255 * len(x) >= 2**24:
        return np.stack([x[~second].mean(0), x[second].mean(0)])
    n2 = np.count_nonzero(second)
    sums = np.stack([~second, second]).astype(np.float32) @ x
    return sums / np.array([[len(x) - n2], [n2]], np.float32)


def _candidates(z, inside, lab, high: float, rgb, origin):
    """The ways to cut one component, in order, each int32 labels ``1..P`` with the function
    that judges its parts (``(parts, crops, lab) -> bool (P, P)``): at an evidence saddle
    (:func:`_parts`), then by how its pixels changed (:func:`_colour_parts`), both judged by
    their signatures (:func:`_apart`); then between its seeds of :data:`MIN_SEED` px or more
    (however small: only the weaker spread joins them), judged by which image holds each
    (:func:`_held_apart`)."""
    parts = _parts(z, inside, high)
    if parts is not None:
        yield parts, _apart
    parts = _colour_parts(inside, lab)
    if parts is not None:
        yield parts, _apart
    found = _cores(z, inside, high, MIN_SEED, levels=1)  # the seeds themselves apart
    if found is not None:
        seeds = found[0]
        yield _grow(seeds, z, inside, high, high), lambda *args: _held_apart(seeds, rgb, origin)


def _held_apart(seeds: np.ndarray, rgb, origin: tuple[int, int]) -> np.ndarray:
    """bool (P, P): the pairs of ``seeds`` (labels ``1..P`` of a window at ``origin`` of the
    images ``rgb``) added beside removed (:func:`~.kind.held_apart`)."""
    boxes = _boxes(seeds)
    return held_apart(
        [classify_kind(*rgb, seeds == i + 1, origin) for i in range(len(boxes))], boxes
    )


def _apart(parts: np.ndarray, crops, lab) -> np.ndarray:
    """bool (P, P): the pairs of ``parts`` (labels ``1..P`` of a window; ``crops`` that window
    of the RGB images, ``lab`` of their CIELAB) that changed otherwise."""
    boxes = _boxes(parts)
    p = len(boxes)
    apart = np.zeros((p, p), bool)
    grey = tuple(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in crops)
    first = signatures(*crops, parts, boxes, colours=False, grey=grey)
    if first.structure.max() < 1 or first.structure.min() > -1:
        return apart  # no part kept (without its colours checked) beside one new
    # at distance 0 only the structure parts pieces, and the colours only demote ``kept``
    sig = with_colours(first, *crops, parts, boxes, lab=lab, pieces=first.structure > 0)
    for i in range(p):
        for j in range(i + 1, p):
            apart[i, j] = apart[j, i] = changed_otherwise(sig, i, j, distance=0.0)
    return apart


def _boxes(parts: np.ndarray) -> np.ndarray:
    """(P, 4) int64 xyxy (exclusive ends) of the labels ``1..P`` of ``parts``."""
    p = int(parts.max())
    out = np.zeros((p, 4), np.int64)
    for i in range(p):
        ys, xs = np.nonzero(parts == i + 1)
        out[i] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    return out
