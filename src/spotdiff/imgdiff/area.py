"""The eight steps of the ImgDiff difference-area generator, as one pure function.

:func:`difference_areas` takes two decoded images, their captions, the resolved backends
(:class:`Backends`) and the settings (:class:`~.config.AreaConfig`) and returns a
:class:`~spotdiff.result.DiffResult` (boxes ``xyxy`` in image-1 pixels). The steps, in
Data-Juicer's order:

1. similarity gate: similarity of the two images in ``[min_score_1, max_score_1]``, else stop;
2. captions: the nouns unique to each caption (:func:`~.text.compare_text_index`); with a
   matching backend, a side without nouns stops here (no crop could match, as in Data-Juicer);
3. segmentation: candidate boxes of image 1 and of image 2 (image-2 boxes scaled to image 1);
4. crops of every candidate from image 1 and from image 2 resized to image 1's size, kept in
   memory (identical crop windows are cropped once);
5. image-text matching: a candidate is kept when its image-1 crop matches some noun of caption 1
   and its image-2 crop some noun of caption 2 with a probability in ``[min_score,
   max_score]`` (image-2 crops are scored only for candidates whose image-1 crop matched);
   skipped without a matching backend;
6. second similarity gate: the crop pair's similarity in ``[min_score_2, max_score_2]``;
7. IoU suppression at ``iou_thresh`` in candidate order (:func:`~.boxes.nms_indices`);
8. cleanup: nothing is written to disk, so nothing is left behind, whatever raises.

Every model call is batched over the pair's crops (at most ``batch_size`` images per forward
pass); ``metadata["forward_passes"]`` counts them. Across pairs, only step 1 is pooled (one call
for many pairs' images, given here as ``pair_similarity``): the later steps depend on each
pair's own nouns and survivors.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ..result import DiffResult
from .boxes import crop_windows, nms_indices, xyxy_to_cxcywh
from .config import AreaConfig
from .text import compare_text_index

__all__ = ["ROLE_STEPS", "STEPS", "Backends", "difference_areas", "to_dj_boxes"]

#: Step names used in ``metadata["backends"]`` and ``metadata["filtered_at"]``.
STEPS = ("similarity", "captions", "segmentation", "matching", "crop_similarity", "nms")


#: The steps that have a backend role (:data:`spotdiff.backends.ROLES`), in run order.
ROLE_STEPS = ("similarity", "segmentation", "matching")


@dataclass(frozen=True)
class Backends:
    """The backends of one run (protocols in :mod:`spotdiff.backends`).

    Attributes:
        similarity: a :class:`~spotdiff.backends.Similarity` (``.similarity(images1, images2,
            tally=)``).
        segmenter: a :class:`~spotdiff.backends.Segmenter` (``.propose(img1, img2, tally=)``).
        matcher: a :class:`~spotdiff.backends.Matcher` (``.match(images, texts, tally=)``), or
            None to skip step 5.
        names: step -> name of the backend that runs it (``"clip"``, ``"structural"``,
            ``"skipped"``, ...), including ``"crop_similarity"``.
        notes: :meth:`describe`'s line, then one line per backend passed over with its full
            reason (the paths where weights were expected).
        reasons: step -> why its preferred backend did not run, in a few words
            (``"clip weights not found locally"``); absent when the preferred one runs.
    """

    similarity: Any
    segmenter: Any
    matcher: Any | None
    names: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)

    def _name(self, step: str) -> str:
        if step in self.names:
            return self.names[step]
        backend = {"similarity": self.similarity, "segmentation": self.segmenter}.get(
            step, self.matcher
        )
        return "skipped" if backend is None else str(getattr(backend, "name", "?"))

    def describe(self) -> str:
        """One line that says what runs, e.g. ``"similarity: structural (clip weights not found
        locally); segmentation: find (ultralytics not installed); matching: blip"``."""
        parts = []
        for step in ROLE_STEPS:
            reason = self.reasons.get(step)
            parts.append(f"{step}: {self._name(step)}" + (f" ({reason})" if reason else ""))
        return "; ".join(parts)


def _notes(backends: Backends) -> list[str]:
    notes = list(backends.notes)
    line = backends.describe()
    return notes if line in notes else [line, *notes]


def _in(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return (values >= low) & (values <= high)


def _empty(size: tuple[int, int], metadata: dict[str, Any]) -> DiffResult:
    data = {
        "similarity": np.zeros(0, np.float32),
        "itm1": np.zeros(0, np.float32),
        "itm2": np.zeros(0, np.float32),
        "noun1": np.zeros(0, "<U1"),
        "noun2": np.zeros(0, "<U1"),
        "from_image": np.zeros(0, np.int64),
    }
    return DiffResult(
        np.zeros((0, 4), np.float32),
        np.zeros(0, np.float32),
        data=data,
        image_size=size,
        metadata=metadata,
    )


def _scaled(boxes: np.ndarray, sx: float, sy: float) -> np.ndarray:
    out = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).copy()
    out[:, [0, 2]] *= sx
    out[:, [1, 3]] *= sy
    return out


def _best(probs: np.ndarray, nouns: list[str], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if probs.size == 0:
        return np.full(len(rows), np.nan, np.float32), np.array([""] * len(rows))
    arg = probs.argmax(axis=1)
    return probs[np.arange(len(probs)), arg], np.array([nouns[i] for i in arg])


def difference_areas(
    img1: np.ndarray,
    img2: np.ndarray,
    caption1: str,
    caption2: str,
    *,
    backends: Backends,
    config: AreaConfig | None = None,
    pair_similarity: float | None = None,
) -> DiffResult:
    """Boxes of the object-level differences of a pair (the eight steps, module docstring).

    Args:
        img1, img2: (H, W, 3) uint8 RGB arrays; sizes may differ (image 2 is resized to image
            1's size for the crops, its proposals scaled to image-1 pixels).
        caption1, caption2: the captions of the two images.
        backends: the resolved backends (:class:`Backends`).
        config: settings; None uses Data-Juicer's defaults.
        pair_similarity: step 1's similarity of the two images when it was already computed
            (by one call over many pairs, :meth:`~.operator.DifferenceAreaGenerator.compute_many`);
            None: computed here.

    Returns:
        :class:`~spotdiff.result.DiffResult` with boxes (N, 4) float32 ``xyxy`` in image-1
        pixels in candidate order, ``scores`` = ``1 - crop similarity`` clipped to [0, 1],
        ``data["similarity"]`` (crop-pair similarity), ``data["itm1"]`` / ``data["itm2"]`` (best
        matching probability, NaN when matching was skipped), ``data["noun1"]`` /
        ``data["noun2"]`` (the best-matching nouns), ``data["from_image"]`` (1 or 2: which image
        proposed the box); ``metadata``: ``backends`` (step -> backend), ``filtered_at`` (the
        step that left nothing, or None), ``pair_similarity``, ``nouns``, ``counts``,
        ``forward_passes``, ``notes`` (first :meth:`Backends.describe`'s line) and
        ``timings_ms``.
    """
    config = config or AreaConfig()
    sim_args, itm_args = config.similarity, config.matching
    tally: Counter = Counter()
    timings: dict[str, float] = {}
    h1, w1 = img1.shape[:2]
    h2, w2 = img2.shape[:2]
    meta: dict[str, Any] = {
        "backends": {"captions": "lemminflect", **backends.names},
        "filtered_at": None,
        "pair_similarity": None,
        "nouns": [[], []],
        "counts": {"candidates": 0, "matched": 0, "dissimilar": 0, "kept": 0},
        "forward_passes": {},
        "notes": _notes(backends),
        "timings_ms": timings,
    }

    def done(step: str | None, result: DiffResult | None = None) -> DiffResult:
        meta["filtered_at"] = step
        meta["forward_passes"] = {**dict(sorted(tally.items())), "total": sum(tally.values())}
        timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 3)
        if result is None:
            return _empty((w1, h1), meta)
        result.metadata = meta
        return result

    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round((now - clock) * 1e3, 3)
        clock = now

    # 1. similarity gate on the whole pair
    if pair_similarity is None:
        pair_similarity = backends.similarity.similarity([img1], [img2], tally=tally)[0]
    pair_sim = float(pair_similarity)
    meta["pair_similarity"] = round(pair_sim, 6)
    lap("similarity")
    if not _in(np.array([pair_sim]), sim_args.min_score_1, sim_args.max_score_1)[0]:
        return done("similarity")

    # 2. nouns unique to each caption
    nouns1, nouns2 = compare_text_index(caption1, caption2)
    nouns1, nouns2 = list(dict.fromkeys(nouns1)), list(dict.fromkeys(nouns2))
    meta["nouns"] = [nouns1, nouns2]
    lap("captions")
    if backends.matcher is not None and (not nouns1 or not nouns2):
        return done("captions")

    # 3. candidate boxes (image-2 boxes in image-1 pixels), 4. crop windows
    img2r = img2 if (w2, h2) == (w1, h1) else cv2.resize(img2, (w1, h1))
    # a backend comparing the two images needs them at one size; FastSAM sees each as it is
    same_size = getattr(backends.segmenter, "needs_same_size", False)
    seg_in2 = img2r if same_size else img2
    boxes1, boxes2 = backends.segmenter.propose(img1, seg_in2, tally=tally)
    if seg_in2 is img2:
        boxes2 = _scaled(boxes2, w1 / w2, h1 / h2)
    boxes = np.concatenate([np.asarray(boxes1, np.float32).reshape(-1, 4), boxes2])
    origin = np.array([1] * len(boxes1) + [2] * len(boxes2), dtype=np.int64)
    lap("segmentation")
    windows = crop_windows(boxes, (w1, h1))
    valid = (windows[:, 2] > windows[:, 0]) & (windows[:, 3] > windows[:, 1])
    _, first = np.unique(windows, axis=0, return_index=True)
    unique = np.zeros(len(boxes), dtype=bool)
    unique[first] = True
    cand = np.flatnonzero(valid & unique)
    meta["counts"]["candidates"] = len(cand)
    if len(cand) == 0:
        return done("segmentation")
    crops1 = [img1[y0:y1, x0:x1] for x0, y0, x1, y1 in windows[cand]]
    crops2 = [img2r[y0:y1, x0:x1] for x0, y0, x1, y1 in windows[cand]]
    lap("crops")

    # 5. image-text matching: image-1 crops first, image-2 crops of the survivors only
    itm1 = np.full(len(cand), np.nan, np.float32)
    itm2 = np.full(len(cand), np.nan, np.float32)
    noun1 = np.array([""] * len(cand), dtype=object)
    noun2 = np.array([""] * len(cand), dtype=object)
    keep = np.ones(len(cand), dtype=bool)
    if backends.matcher is not None:
        flip = _flipper(itm_args.horizontal_flip, itm_args.vertical_flip)
        p1 = backends.matcher.match([flip(c) for c in crops1], nouns1, tally=tally)
        keep = _in(p1, itm_args.min_score, itm_args.max_score).any(axis=1)
        itm1[:], noun1[:] = _best(p1, nouns1, cand)
        rows = np.flatnonzero(keep)
        if len(rows):
            p2 = backends.matcher.match([flip(crops2[i]) for i in rows], nouns2, tally=tally)
            keep[rows] = _in(p2, itm_args.min_score, itm_args.max_score).any(axis=1)
            itm2[rows], noun2[rows] = _best(p2, nouns2, rows)
    meta["counts"]["matched"] = int(keep.sum())
    lap("matching")
    if not keep.any():
        return done("matching")

    # 6. second similarity gate on the kept crop pairs
    rows = np.flatnonzero(keep)
    crop_sim = np.full(len(cand), np.nan, np.float32)
    crop_sim[rows] = backends.similarity.similarity(
        [crops1[i] for i in rows], [crops2[i] for i in rows], tally=tally
    )
    keep[rows] = _in(crop_sim[rows], sim_args.min_score_2, sim_args.max_score_2)
    meta["counts"]["dissimilar"] = int(keep.sum())
    lap("crop_similarity")
    if not keep.any():
        return done("crop_similarity")

    # 7. IoU suppression in candidate order
    rows = np.flatnonzero(keep)
    kept = rows[nms_indices(xyxy_to_cxcywh(boxes[cand[rows]]), config.iou_thresh)]
    meta["counts"]["kept"] = len(kept)
    lap("nms")
    result = DiffResult(
        boxes=boxes[cand[kept]],
        scores=np.clip(1.0 - crop_sim[kept], 0.0, 1.0),
        data={
            "similarity": crop_sim[kept],
            "itm1": itm1[kept],
            "itm2": itm2[kept],
            "noun1": noun1[kept].astype(str),
            "noun2": noun2[kept].astype(str),
            "from_image": origin[cand[kept]],
        },
        image_size=(w1, h1),
    )
    return done(None, result)


def _flipper(horizontal: bool, vertical: bool):
    def flip(crop: np.ndarray) -> np.ndarray:
        if horizontal:
            crop = crop[:, ::-1]
        if vertical:
            crop = crop[::-1]
        return crop

    return flip


def to_dj_boxes(result: DiffResult) -> np.ndarray:
    """Data-Juicer's ``__dj__bbox__``: (N, 4) float32 ``cx, cy, w, h``; ``zeros((1, 4))`` if empty."""
    if len(result) == 0:
        return np.zeros((1, 4), dtype=np.float32)
    return xyxy_to_cxcywh(result.boxes)
