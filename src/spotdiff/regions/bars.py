"""Parallel bars: two changed strokes of one object, side by side, are one region.

A window whose two crossbars were redrawn, a ladder whose rungs changed, a sign whose two lines
of lettering changed: the change shows as two (or more) thin bars, parallel, of one length,
facing each other across a gap of unchanged pixels (the glass between the crossbars). The
distance rule of :mod:`.group` allows a gap of about a quarter of a component's side, so the two
crossbars of ``puzzle_townhall``'s window (17 x 6 px, 7 px apart) stayed two regions, each
half of the truth box (IoU 0.33 and 0.32): one false box and one miss.

The bars are judged on the tight boxes of :func:`~.refine.refine_boxes` (on the evidence map the
structural window's halo makes a 17 x 6 px bar a 21 x 10 px blob). Two regions join here when
both are bars (:data:`BAR_ASPECT` times longer than thick), lie the
same way, face each other over at least :data:`BAR_OVERLAP` of the shorter one's length, are of
about one length (ratio at most :data:`BAR_LENGTH_RATIO`) and the gap across is at most
:data:`BAR_GAP` of that length (and within the merge cap). Bars end to end, bars of different
lengths, and a bar beside a blob stay apart: two separate changes rarely line up so.
:func:`spotdiff.find` applies it to photographs only: on renders the image's own objects decide
(:func:`~.group.image_objects`: the crossbars of one drawn window lie on one object, two
stacked buttons are siblings and stay two).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..result import DiffResult, RegionMasks
from .extract import SCORE_SCALE, region_score
from .merge import union_roots

__all__ = ["BAR_ASPECT", "BAR_GAP", "BAR_LENGTH_RATIO", "BAR_OVERLAP", "join_parallel_bars"]

#: A bar is at least this many times longer than thick (its box).
BAR_ASPECT = 2.0
#: Two bars face each other over at least this share of the shorter one's length.
BAR_OVERLAP = 0.8
#: Largest ratio of the two bars' lengths.
BAR_LENGTH_RATIO = 1.5
#: Largest gap across between two bars, as a share of the shorter one's length.
BAR_GAP = 0.5


def _facing(boxes: np.ndarray, axis: int, *, max_gap: float) -> np.ndarray:
    """(N, N) bool: pairs of bars lying along ``axis`` (0: horizontal bars) that face each
    other (see the module docstring)."""
    lo, hi = boxes[:, axis], boxes[:, axis + 2]
    a_lo, a_hi = boxes[:, 1 - axis], boxes[:, 3 - axis]
    length, thick = hi - lo, a_hi - a_lo
    bar = length >= BAR_ASPECT * thick
    shorter = np.minimum(length[:, None], length[None, :])
    longer = np.maximum(length[:, None], length[None, :])
    overlap = np.minimum(hi[:, None], hi[None, :]) - np.maximum(lo[:, None], lo[None, :])
    gap = np.maximum(a_lo[:, None], a_lo[None, :]) - np.minimum(a_hi[:, None], a_hi[None, :])
    return (
        bar[:, None]
        & bar[None, :]
        & (overlap >= BAR_OVERLAP * shorter)
        & (longer <= BAR_LENGTH_RATIO * shorter)
        & (gap >= 0)
        & (gap <= np.minimum(BAR_GAP * shorter, max_gap))
    )


def _working_area(score: float, evidence: float) -> float:
    """The working-resolution pixel count behind a region's score (:func:`region_score`)."""
    if evidence <= 0 or score <= 0:
        return 0.0
    return (-math.log1p(-min(score, 1 - 1e-7)) * SCORE_SCALE / evidence) ** 2


def join_parallel_bars(regions: DiffResult, *, max_gap: float) -> DiffResult:
    """``regions`` with the regions that are parallel bars of one object joined.

    Args:
        regions: refined regions (:func:`~.refine.refine_boxes`), boxes in image-1 pixels,
            with ``data["area"]`` and ``data["evidence"]``.
        max_gap: the merge cap (image-1 pixels): bars further apart across stay apart.

    Returns:
        ``regions`` unchanged when no two are parallel bars; else a :class:`DiffResult` where
        each joined set is one region: the union of the boxes and masks, ``area`` summed,
        ``evidence`` the area-weighted mean, ``kind`` kept when the parts agree (else
        ``"changed"``), ``score`` that of the joined evidence (:func:`region_score`); sorted by
        decreasing score.
    """
    n = len(regions)
    if n < 2:
        return regions
    boxes = regions.boxes.astype(np.float64)
    near = _facing(boxes, 0, max_gap=max_gap) | _facing(boxes, 1, max_gap=max_gap)
    np.fill_diagonal(near, False)
    if not near.any():
        return regions
    root = union_roots(near)
    evidence = regions.data["evidence"].astype(np.float64)
    work = np.array([_working_area(s, e) for s, e in zip(regions.scores, evidence, strict=True)])
    kinds = regions.data.get("kind")
    out_boxes, scores, areas, strengths, out_kinds, crops, origins = [], [], [], [], [], [], []
    roots = np.unique(root)  # the smallest member of each set
    for r in roots:
        members = np.flatnonzero(root == r)
        b = boxes[members]
        box = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
        out_boxes.append(box)
        areas.append(int(regions.data["area"][members].sum()))
        w = work[members]
        mean = float((evidence[members] * w).sum() / max(w.sum(), 1e-9))
        strengths.append(mean)
        scores.append(region_score(mean, float(w.sum())) if len(members) > 1 else regions.scores[r])
        if kinds is not None:
            same = len(set(kinds[members].tolist())) == 1
            out_kinds.append(kinds[members[0]] if same else "changed")
        if regions.masks is not None:
            x0, y0, x1, y1 = (int(v) for v in box)
            crop = np.zeros((y1 - y0, x1 - x0), bool)
            for i in members:
                c, (cx, cy) = regions.masks.crop(int(i))
                crop[cy - y0 : cy - y0 + c.shape[0], cx - x0 : cx - x0 + c.shape[1]] |= c
            crops.append(crop)
            origins.append((x0, y0))
    order = np.argsort(-np.asarray(scores), kind="stable")
    data = {
        **{k: v[roots][order] for k, v in regions.data.items()},
        "area": np.asarray(areas, np.int64)[order],
        "evidence": np.asarray(strengths, np.float32)[order],
    }
    if kinds is not None:
        data["kind"] = np.asarray(out_kinds)[order]
    masks = None
    if regions.masks is not None:
        masks = RegionMasks(
            [crops[i] for i in order], np.asarray(origins, np.int64)[order], regions.image_size
        )
    return replace(
        regions,
        boxes=np.asarray(out_boxes, np.float32)[order],
        scores=np.asarray(scores, np.float32)[order],
        masks=masks,
        data=data,
    )
