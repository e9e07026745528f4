"""Evidence map -> regions: components, merging, area filter, masks, scores, kinds."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from ..result import DiffResult, RegionMasks
from .components import Components, find_components
from .group import ObjectMap, frame_artefacts, group_components
from .kind import classify_kind
from .split import split_components
from .spread import relative_to_spread
from .tiny import apart, tiny_strong

__all__ = ["FRAME_BAND", "MIN_SCORE", "SCORE_SCALE", "extract_regions", "region_score"]


#: Evidence scale of :func:`region_score`: ``mean_evidence * sqrt(area)`` at which a region
#: scores ``1 - 1/e`` (0.63). On the synthetic benchmark (1280x720, working resolution 1024x576)
#: true regions span 24-720 (median 165: score 0.81), false ones 3-8 (score 0.03-0.08).
SCORE_SCALE = 100.0

#: :func:`spotdiff.find`'s ``min_score``: regions scoring below it are specks of noise, not
#: changes: ``mean evidence x sqrt(area)`` of 10.5 (a 4x4 working-pixel speck at 2.6x the threshold). On the synthetic benchmark true
#: regions score 0.21 and more, false ones 0.03-0.08; on real pairs (puzzles, screenshots,
#: photos) the specks left by resampling, JPEG and parallax fall below it. A change of a few
#: pixels whose colour stands far above the difference around it on a clean pair is kept under
#: it, with its own score (:mod:`.tiny`).
MIN_SCORE = 0.1

#: Thin (< 3 px) support further than this (working px) from a seed does not grow a region
#: (:func:`~.components.find_components`).
THIN_REACH = 3

#: Border band (share of the map's shorter side, at least 2 px) inside which a component running
#: along the edge is a frame artefact (:func:`~.group.frame_artefacts`): dropped, joins nothing.
FRAME_BAND = 0.015


def region_score(mean_evidence: float, area: float) -> float:
    """Confidence in [0, 1) of a region: ``1 - exp(-mean_evidence * sqrt(area) / SCORE_SCALE)``.

    In plain words: how strong (``mean_evidence``, the mean of the evidence map over the region,
    1 = seed threshold) times how large (``sqrt(area)``, the side of a square of the region's
    pixel count at the working resolution) the evidence is, squashed into [0, 1). A 10x10 px
    region at 3x the threshold scores 0.26, 20x20 at 3x 0.45, 40x40 at 4x 0.80; a region needs
    ``mean_evidence * sqrt(area)`` of 300 (e.g. 60x60 px at 5x) to pass 0.95. Monotone in both,
    so it orders regions within and across pairs.
    """
    return float(1.0 - math.exp(-mean_evidence * math.sqrt(max(area, 0.0)) / SCORE_SCALE))


def _full_crop(
    crop: np.ndarray, box: tuple[int, int, int, int], scale: tuple[float, float], size
) -> tuple[np.ndarray, tuple[int, int]]:
    """Upsample a working-resolution bool crop at ``box`` to image-1 pixels."""
    sx, sy = scale
    w, h = size
    x0, y0, x1, y1 = box
    fx0, fy0 = max(0, math.floor(x0 / sx)), max(0, math.floor(y0 / sy))
    fx1, fy1 = min(w, math.ceil(x1 / sx)), min(h, math.ceil(y1 / sy))
    if sx == 1.0 and sy == 1.0:
        return crop, (fx0, fy0)
    up = cv2.resize(
        crop.view(np.uint8) * np.uint8(255), (fx1 - fx0, fy1 - fy0), interpolation=cv2.INTER_LINEAR
    )
    full = up >= 128
    if not full.any():
        full = np.ones_like(full)
    return full, (fx0, fy0)


def _grouped(
    z: np.ndarray,
    *,
    low: float,
    max_gap: float,
    rel_gap: float,
    objects: np.ndarray | ObjectMap | None = None,
    halo: np.ndarray | None = None,
    components: Components | None = None,
    rgb: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, Components, np.ndarray, np.ndarray]:
    """Hysteresis components of ``z`` (``components`` when given and no ``halo``), with the
    images (``rgb``) those holding two changes cut in parts (:func:`~.split.split_components`),
    their frame-artefact flags and group ids; with a ``halo``, ``z`` without it (returned
    first) and its components linked as the whole map's grouping linked them."""
    zh, zw = z.shape
    band = max(2.0, FRAME_BAND * min(zw, zh))

    def grouped(c: Components, **rule: Any) -> np.ndarray:
        frame = frame_artefacts(c.boxes, (zw, zh), band=band)
        return group_components(
            c.labels, c.boxes, c.areas, max_gap=max_gap, rel_gap=rel_gap, exclude=frame, **rule
        )

    linked = None
    if halo is not None and halo.any():  # grouped as before, split where siblings lie
        whole = find_components(z, low=low, reach=THIN_REACH)
        before = grouped(whole)
        z = np.where(halo, np.float32(0.0), z)
        comps = find_components(z, low=low, reach=THIN_REACH)
        comps, separate = _split(z, comps, rgb, low=low, reach=max_gap)
        linked = np.zeros(len(comps), np.int64)
        on = comps.labels > 0
        linked[comps.labels[on] - 1] = np.append(-1, before)[whole.labels[on]] + 1
    else:
        comps = find_components(z, low=low, reach=THIN_REACH) if components is None else components
        comps, separate = _split(z, comps, rgb, low=low, reach=max_gap)
    if len(comps) == 0:
        return z, comps, np.zeros(0, bool), np.zeros(0, np.int64)
    frame = frame_artefacts(comps.boxes, (zw, zh), band=band)
    groups = grouped(comps, objects=objects, linked=linked, separate=separate)
    return z, comps, frame, groups


def _split(z, comps: Components, rgb, **rule: float) -> tuple[Components, np.ndarray | None]:
    """:func:`~.split.split_components` when the images are given (else no cut, no pairs)."""
    if rgb is None or len(comps) == 0:
        return comps, None
    return split_components(z, comps, *rgb, **rule)


def _empty(image_size: tuple[int, int], masks: bool) -> DiffResult:
    empty = DiffResult.empty(image_size, masks=masks)
    empty.data["evidence"] = np.zeros(0, np.float32)
    return empty


def extract_regions(
    z: np.ndarray,
    *,
    image_size: tuple[int, int],
    rgb1: np.ndarray | None = None,
    rgb2: np.ndarray | None = None,
    low: float = 0.5,
    max_gap: float = 16.0,
    rel_gap: float = 0.25,
    min_area: float = 0.0,
    max_regions: int | None = None,
    min_score: float = 0.0,
    masks: bool = True,
    objects: np.ndarray | ObjectMap | None = None,
    halo: np.ndarray | None = None,
    components: Components | None = None,
    noise: float | None = None,
    colour_threshold: float | None = None,
) -> DiffResult:
    """Regions of an evidence map, in image-1 pixels.

    Args:
        z: float32 (h, w) evidence at the working resolution (1 = seed threshold), 0 where
            nothing may be reported (uncovered borders, ignore areas). Inside a change spread
            over a large area the evidence is judged against that change's own level
            (:func:`~.spread.relative_to_spread`).
        image_size: ``(W, H)`` of image 1; boxes and masks are scaled from ``z``'s grid to it.
        rgb1, rgb2: uint8 (h, w, 3) working images (image 2 aligned and tone-matched) for
            :func:`~.kind.classify_kind` (None: no ``kind``).
        low: hysteresis ratio (:func:`~.components.find_components`).
        max_gap, rel_gap: merging rule at the working resolution (:mod:`.merge`).
        min_area: smallest region kept, in changed image-1 pixels.
        max_regions: keep at most this many regions (highest scores); None keeps all.
        min_score: drop regions scoring below this (:data:`MIN_SCORE` is what
            :func:`spotdiff.find` uses).
        masks: build the per-region masks (cropped, image-1 pixels).
        objects: int32 (h, w) labels of the image's own objects (:func:`~.group.image_objects`),
            an :class:`~.group.ObjectMap` of changed pieces
            (:func:`~.occlusion.occluded_objects`), or None: components on one object join
            (:func:`~.group.group_components`).
        halo: bool (h, w), evidence that is only the structural window's spread over flat
            background (:func:`~.components.flat_halo`), or None: regions are grown without it;
            components it connected still join unless they lie on sibling objects.
        components: ``find_components(z, low=low, reach=THIN_REACH)`` when the caller has it
            (ignored with a ``halo``), or None: computed here.
        noise, colour_threshold: the pair's noise sigma and colour threshold (levels): a region
            scoring under ``min_score`` is kept when it is a tiny strong change on a clean pair
            (:func:`~.tiny.tiny_strong`; needs the images). None: never.

    Returns:
        :class:`~spotdiff.result.DiffResult` sorted by decreasing score, with ``data["kind"]``
        (when the images are given), ``data["area"]`` (changed image-1 pixels) and
        ``data["evidence"]`` (mean evidence); per-pair fields left to the caller.
    """
    w, h = image_size
    zh, zw = z.shape
    scale = (zw / w, zh / h)
    rgb = None if rgb1 is None or rgb2 is None else (rgb1, rgb2)
    grouping = dict(low=low, max_gap=max_gap, rel_gap=rel_gap, objects=objects, rgb=rgb)
    z, comps, frame, groups = _grouped(z, halo=halo, components=components, **grouping)
    relative = relative_to_spread(z, comps, groups) if len(comps) else None
    if relative is not None:  # a change spread over a large area: judged against its own level
        z, comps, frame, groups = _grouped(relative, **grouping)
    if len(comps) == 0:
        return _empty(image_size, masks)
    px_area = 1.0 / (scale[0] * scale[1])
    out_boxes, scores, crops, origins, kinds, areas, strengths = [], [], [], [], [], [], []
    strong = []  # kept under min_score: a tiny strong change (:func:`~.tiny.tiny_strong`)
    rescue = rgb is not None and noise is not None and colour_threshold is not None
    for g in range(int(groups.max()) + 1):
        members = np.flatnonzero(groups == g)
        if frame[members].all():  # a frame artefact (:func:`~.group.frame_artefacts`)
            continue
        b = comps.boxes[members]
        x0, y0 = int(b[:, 0].min()), int(b[:, 1].min())
        x1, y1 = int(b[:, 2].max()), int(b[:, 3].max())
        lab = comps.labels[y0:y1, x0:x1]
        crop = np.isin(lab, members + 1)
        area_w = float(crop.sum())
        if area_w * px_area < min_area:
            continue
        mean_z = float(z[y0:y1, x0:x1][crop].mean())
        full, (fx, fy) = _full_crop(crop, (x0, y0, x1, y1), scale, image_size)
        ys = np.flatnonzero(full.any(axis=1))
        xs = np.flatnonzero(full.any(axis=0))
        tight = full[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
        ox, oy = fx + int(xs[0]), fy + int(ys[0])
        out_boxes.append((ox, oy, ox + tight.shape[1], oy + tight.shape[0]))
        crops.append(tight)
        origins.append((ox, oy))
        areas.append(int(tight.sum()))
        strengths.append(mean_z)
        scores.append(region_score(mean_z, area_w))
        strong.append(
            rescue
            and scores[-1] < min_score
            and tiny_strong(rgb1, rgb2, crop, (x0, y0), threshold=colour_threshold, noise=noise)
        )
        if rgb1 is not None and rgb2 is not None:
            kinds.append(classify_kind(rgb1, rgb2, crop, (x0, y0)))
    if not out_boxes:
        return _empty(image_size, masks)
    order = np.argsort(-np.asarray(scores), kind="stable")
    passed = np.asarray(scores) >= min_score
    # a tiny strong region by a reported one is a fragment of that change, already reported
    kept = passed | (np.asarray(strong, bool) & apart(out_boxes, passed, max_gap / scale[0]))
    order = order[kept[order]]
    if len(order) == 0:
        return _empty(image_size, masks)
    if max_regions is not None:
        order = order[:max_regions]
    data = {
        "area": np.asarray(areas, np.int64)[order],
        "evidence": np.asarray(strengths, np.float32)[order],
    }
    if kinds:
        data["kind"] = np.asarray(kinds)[order]
    region_masks = None
    if masks:
        region_masks = RegionMasks(
            [crops[i] for i in order], np.asarray(origins, np.int64)[order], image_size
        )
    return DiffResult(
        boxes=np.asarray(out_boxes, np.float32)[order],
        scores=np.asarray(scores, np.float32)[order],
        masks=region_masks,
        data=data,
        image_size=image_size,
    )
