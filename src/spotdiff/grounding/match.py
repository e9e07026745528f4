"""How well each candidate region matches a parsed query, cue by cue (model-free).

Every cue gives each region a value in [0, 1] (1 = fits the query); the match logit is
``W_PRIOR * log(EPS + difference score) + sum over the query's cues of w * log(EPS + cue)``
(a product of soft likelihoods), and the ranking is its softmax.

- ``kind``: the region's probability of the asked kind (:mod:`.cues`; ``changed`` is
  ``recoloured + replaced``; ``moved`` any kind but ``recoloured``; the image named by *in the
  first / second picture* counts as a weak kind: what is in image 1 was not added).
- ``colour``: per colour term, the region's share of that colour where the term points: image 1
  for *before*, image 2 for *after* (a change of colour also asks that the other image has
  little of it), and for *any* the image where the thing is (image 2 for added, image 1 for
  removed, the larger for changes; the region's kind probabilities mix them when the query
  names no kind). A share of :data:`FULL_SHARE` or more counts fully.
- ``position``, ``ordinal``, ``size``: relations among the *relevant* regions (those the other
  cues already favour, weighted by ``exp(logit - best logit)``, ignored below :data:`_MIN_RELEVANCE`), as ReCLIP does with spatial
  words: *left* is "left of the other relevant regions" (with a weak preference for the left half
  when not a superlative), *the second from the left* the region with one relevant region to its
  left, *the biggest* larger than the others.
"""

from __future__ import annotations

import numpy as np

from .colours import COLOUR_NAMES
from .cues import EDIT_KINDS, RegionFeatures
from .query import Query

__all__ = ["CUE_NAMES", "EPS", "FULL_SHARE", "WEIGHTS", "W_PRIOR", "match_cues"]

#: Cue names, in the order of the ``cue_*`` fields of the results.
CUE_NAMES = ("kind", "colour", "position", "ordinal", "size", "image")
#: Floor inside the logs: a cue never vetoes a region outright.
EPS = 0.03
#: Weight of the region's difference score (the prior that it is a real change at all).
W_PRIOR = 0.6
#: Weights of the cues.
WEIGHTS = {
    "kind": 1.0,
    "colour": 1.2,
    "position": 1.5,
    "ordinal": 2.0,
    "size": 1.2,
    "image": 0.5,
}
#: A colour share at or above this counts as fully that colour.
FULL_SHARE = 0.35
_MIN_RELEVANCE = 0.2  # relevance below which a region is no partner of a relation
_SLOPE = 0.04  # fraction of the frame: how sharp "left of" is
_KIND_INDEX = {k: i for i, k in enumerate(EDIT_KINDS)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def _kind_cue(probs: np.ndarray, kind: str, change: str | None) -> np.ndarray:
    p = {k: probs[:, i] for k, i in _KIND_INDEX.items()}
    if kind == "added":
        return p["added"]
    if kind == "removed":
        return p["removed"]
    if kind == "moved":
        return 1.0 - p["recoloured"]
    if change == "colour":
        return p["recoloured"]
    if change == "replaced":
        return p["replaced"]
    return p["recoloured"] + p["replaced"]


def _colour_cue(features: RegionFeatures, query: Query) -> np.ndarray:
    n = len(features)
    out = np.ones(n)
    probs = features.kind_probs
    for term in query.colours:
        c = COLOUR_NAMES.index(term.name)
        before = np.minimum(1.0, features.before[:, c] / FULL_SHARE)
        after = np.minimum(1.0, features.after[:, c] / FULL_SHARE)
        role = term.role
        if role == "any" and query.image is not None:
            role = "before" if query.image == 1 else "after"
        if role == "before":
            value = before if query.kind == "removed" else before * (1.0 - 0.7 * after)
        elif role == "after":
            value = after if query.kind == "added" else after * (1.0 - 0.7 * before)
        elif query.kind == "added":
            value = after
        elif query.kind == "removed":
            value = before
        elif query.kind in ("changed", "moved"):
            value = np.maximum(before, after)
        else:
            p_add = probs[:, _KIND_INDEX["added"]]
            p_rem = probs[:, _KIND_INDEX["removed"]]
            value = p_add * after + p_rem * before + (1 - p_add - p_rem) * np.maximum(before, after)
        out = out * value
    return out


def _relation(values: np.ndarray, weights: np.ndarray, slope: float) -> np.ndarray:
    """Per region: the weighted share of the *other* relevant regions whose value is larger
    (soft, ``slope`` wide); 1 when there is no other region."""
    n = len(values)
    if n < 2:
        return np.ones(n)
    ahead = _sigmoid((values[None, :] - values[:, None]) / slope)  # [i, j]: j larger than i
    w = np.broadcast_to(weights[None, :], (n, n)).copy()
    np.fill_diagonal(w, 0.0)
    total = w.sum(axis=1)
    return np.where(total > 1e-9, (ahead * w).sum(axis=1) / np.maximum(total, 1e-9), 1.0)


def _axis(features: RegionFeatures, side: str) -> tuple[np.ndarray, float]:
    """Values that are *smaller* on ``side`` and the slope (fraction of the frame)."""
    x, y = features.centre[:, 0].astype(np.float64), features.centre[:, 1].astype(np.float64)
    if side == "left":
        return x, _SLOPE
    if side == "right":
        return 1.0 - x, _SLOPE
    if side == "top":
        return y, _SLOPE
    if side == "bottom":
        return 1.0 - y, _SLOPE
    return np.hypot(x - 0.5, y - 0.5), _SLOPE  # middle: distance to the centre


def _position_cue(features: RegionFeatures, query: Query, weights: np.ndarray) -> np.ndarray:
    out = np.ones(len(features))
    for side in query.position:
        values, slope = _axis(features, side)
        relative = _relation(values, weights, slope)  # share of relevant regions "further"
        if query.extreme or side == "middle":
            out = out * relative
        else:
            absolute = _sigmoid((0.55 - values) / 0.12)
            out = out * relative * (0.5 + 0.5 * absolute)
    return out


def _ordinal_cue(features: RegionFeatures, query: Query, weights: np.ndarray) -> np.ndarray:
    n_th, side = query.ordinal  # type: ignore[misc]
    values, slope = _axis(features, side)
    n = len(values)
    if n_th < 0:  # "last from the left": the most on the other side
        return _relation(-values, weights, slope)
    before = _sigmoid((values[:, None] - values[None, :]) / slope)  # [i, j]: j before i
    w = np.broadcast_to(weights[None, :], (n, n)).copy()
    np.fill_diagonal(w, 0.0)
    rank = (before * w).sum(axis=1)  # relevant regions before i
    return np.exp(-((rank - (n_th - 1)) ** 2) / (2 * 0.35**2))


def _size_cue(features: RegionFeatures, query: Query, weights: np.ndarray) -> np.ndarray:
    log_area = np.log(np.maximum(features.area.astype(np.float64), 1e-9))
    values = -log_area if query.size == "large" else log_area
    return _relation(values, weights, 0.25)


def _image_cue(features: RegionFeatures, query: Query) -> np.ndarray:
    probs = features.kind_probs
    absent = probs[:, _KIND_INDEX["added" if query.image == 1 else "removed"]]
    return 1.0 - absent


def match_cues(features: RegionFeatures, query: Query) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Match logits of every region and the cue values behind them.

    Args:
        features: the pair's :class:`~.cues.RegionFeatures` (N regions).
        query: a parsed :class:`~.query.Query`.

    Returns:
        ``(logits, cues)``: (N,) float64 logits (higher = better match; softmax for a
        distribution) and ``{cue name: (N,) float64 in [0, 1]}`` for the cues the query uses
        (:data:`CUE_NAMES`), plus ``"prior"`` (the difference score).
    """
    n = len(features)
    prior = features.score.astype(np.float64)
    logits = W_PRIOR * np.log(EPS + np.clip(prior, 0.0, 1.0))
    cues: dict[str, np.ndarray] = {"prior": prior}
    if n == 0:
        return logits, cues
    if query.kind is not None:
        cues["kind"] = _kind_cue(features.kind_probs.astype(np.float64), query.kind, query.change)
    elif query.image is not None:
        cues["image"] = _image_cue(features, query)
    if query.colours:
        cues["colour"] = _colour_cue(features, query)
    for name in ("kind", "image", "colour"):
        if name in cues:
            logits = logits + WEIGHTS[name] * np.log(EPS + cues[name])
    relevant = np.exp(logits - logits.max())
    relevant[relevant < _MIN_RELEVANCE] = 0.0
    relational = {}
    if query.position:
        relational["position"] = _position_cue(features, query, relevant)
    if query.ordinal is not None:
        relational["ordinal"] = _ordinal_cue(features, query, relevant)
    if query.size is not None:
        relational["size"] = _size_cue(features, query, relevant)
    for name, value in relational.items():
        cues[name] = value
        logits = logits + WEIGHTS[name] * np.log(EPS + value)
    return logits, cues
