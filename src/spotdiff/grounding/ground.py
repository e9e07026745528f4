"""``spotdiff.ground``: the box of the difference a sentence refers to (Image Difference Grounding).

The work is split so that a list of queries on one pair costs little more than one:

1. :func:`prepare_grounding` (once per pair): decode, candidate regions (``spotdiff.find`` at a
   higher sensitivity than its default, :data:`DEFAULT_SENSITIVITY`, so faint changes are
   candidates; or the proposals given), a working copy of the pair (longer side at most
   :data:`FEATURE_SIDE` px, image 2 aligned with the proposals' transform) and every region's
   features (:mod:`.cues`); model rankers cache their image embeddings on it;
2. :meth:`GroundingPair.ground` (per query): parse (:mod:`.query`), rank (:mod:`.rankers`),
   and return the candidates as a :class:`~spotdiff.result.DiffResult`, the answer first.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from .._errors import InvalidOptionError, MissingDependencyError, WeightsNotFoundError
from .._validate import check_number
from ..result import DiffResult
from .cues import EDIT_KINDS, RegionFeatures, region_features
from .match import CUE_NAMES
from .query import Query, parse_query
from .rankers import RANKERS, Ranker, get_ranker
from .segments import auto_segmenter, with_segments

__all__ = [
    "DEFAULT_SENSITIVITY",
    "FEATURE_SIDE",
    "GroundingPair",
    "ground",
    "prepare_grounding",
    "resolve_ranker",
]

#: ``find``'s sensitivity for the candidates (its default is 0.5).
DEFAULT_SENSITIVITY = 0.6
#: Longer side of the working copy the features are measured on.
FEATURE_SIDE = 768


@dataclass
class GroundingPair:
    """A pair prepared for grounding (:func:`prepare_grounding`).

    Attributes:
        proposals: the candidate regions in image-1 pixels, as proposed.
        img1, img2: uint8 (h, w, 3) RGB working copies, image 2 aligned onto image 1.
        boxes: (N, 4) float32 the candidates' boxes in working-copy pixels.
        features: their :class:`~.cues.RegionFeatures`.
        cache: per-pair work of the rankers (image embeddings).
        timings_ms: time spent preparing, by step.
    """

    proposals: DiffResult
    img1: np.ndarray
    img2: np.ndarray
    boxes: np.ndarray
    features: RegionFeatures
    cache: dict[Any, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def ground(
        self, query: str | Query | Sequence[str | Query], *, backend: Any = "cues",
        top_k: int | None = None,
    ) -> DiffResult | list[DiffResult]:  # fmt: skip
        """Rank the candidates for ``query`` (one, or a list: a list in, a list out).

        ``backend`` is a ranker name or a built :class:`~.rankers.Ranker`; ``top_k`` keeps
        the best ``top_k`` candidates (None: all). See :func:`ground` for the result.
        """
        queries, single = _as_queries(query)
        ranker = backend if isinstance(backend, Ranker) else resolve_ranker(backend)
        if top_k is not None:
            check_number("top_k", top_k, low=1, integer=True)
        t0 = time.perf_counter()
        ranked = ranker.rank(self, queries)
        per_query = (time.perf_counter() - t0) * 1e3 / max(1, len(queries))
        results = [
            self._result(q, logits, cues, ranker.name, top_k, per_query)
            for q, (logits, cues) in zip(queries, ranked, strict=True)
        ]
        return results[0] if single else results

    def _result(
        self,
        query: Query,
        logits: np.ndarray,
        cues: dict[str, np.ndarray],
        ranker: str,
        top_k: int | None,
        ms: float,
    ) -> DiffResult:
        n = len(self.proposals)
        order = np.argsort(-logits, kind="stable")
        probs = np.exp(logits - logits.max()) if n else logits
        probs = probs / probs.sum() if n else probs
        f = self.features
        data = dict(self.proposals.data)
        data["find_score"] = self.proposals.scores.copy()
        data["colour_before"] = np.array(f.colour_names("before"), dtype=str).reshape(n)
        data["colour_after"] = np.array(f.colour_names("after"), dtype=str).reshape(n)
        for j, kind in enumerate(EDIT_KINDS):
            data[f"p_{kind}"] = f.kind_probs[:, j].copy()
        for name in (*CUE_NAMES, "model", "rerank"):
            if name in cues:
                data[f"cue_{name}"] = np.asarray(cues[name], dtype=np.float32)
        data["match_logit"] = logits.astype(np.float32)
        ranked = replace(self.proposals, scores=probs.astype(np.float32), data=data)[order]
        if top_k is not None:
            ranked = ranked[:top_k]
        metadata = {
            "query": query.to_dict(),
            "backend": ranker,
            "candidates": n,
            "timings_ms": {**self.timings_ms, "rank": round(ms, 2)},
        }
        return replace(ranked, metadata=metadata)


def _as_queries(query: Any) -> tuple[list[Query], bool]:
    if isinstance(query, str | Query):
        items, single = [query], True
    elif isinstance(query, Sequence) and not isinstance(query, bytes):
        items, single = list(query), False
        if not items:
            raise InvalidOptionError("query is an empty list; pass a sentence or a list of them")
    else:
        raise InvalidOptionError(
            f"query must be a sentence (str) or a list of sentences, got {type(query).__name__}"
        )
    return [q if isinstance(q, Query) else parse_query(q) for q in items], single


def _local_clip(source: str) -> bool:
    """Whether CLIP ``source`` is on this machine (a directory or a hub-cache snapshot) and
    transformers is installed; checks files only (no import, no network)."""
    from ..backends._spec import CLIP, hub_cache_path, is_hub_id, local_candidates

    if importlib.util.find_spec("transformers") is None:
        return False
    for path in local_candidates(source):
        if path.is_dir() and all((path / f).is_file() for f in CLIP.required):
            return True
    if not is_hub_id(source):
        return False
    snapshots = hub_cache_path(source) / "snapshots"
    return snapshots.is_dir() and any(
        all((s / f).is_file() for f in CLIP.required) for s in snapshots.iterdir()
    )


def resolve_ranker(
    backend: str = "auto",
    *,
    device: Any = None,
    batch_size: int = 32,
    options: Mapping[str, Any] | None = None,
) -> Ranker:
    """The ranker for ``backend``.

    ``"auto"``: ``"clip"`` when CLIP's weights are on this machine (``options["clip"]`` or the
    default hub id in the local caches; nothing is downloaded and nothing heavy imported to find
    out), else ``"cues"``. ``"clip"`` / ``"models"`` must load (a download only where
    :mod:`spotdiff.backends` allows it). Any other registered name is built with ``options``.
    """
    opts = dict(options or {})
    if not isinstance(backend, str):
        raise InvalidOptionError(f"backend must be a name, got {type(backend).__name__}")
    name = backend.strip().lower()
    if name == "auto":
        from ..backends._spec import CLIP

        if not _local_clip(str(opts.get("clip") or CLIP.default)):
            return get_ranker("cues")
        try:
            return get_ranker("clip", device=device, batch_size=batch_size, **opts)
        except (MissingDependencyError, WeightsNotFoundError):
            return get_ranker("cues")
    if RANKERS.resolve(name) == "clip":
        return get_ranker("clip", device=device, batch_size=batch_size, **opts)
    return get_ranker(name, **opts)


def _proposal_masks(result: DiffResult) -> list[tuple[np.ndarray, tuple[int, int]] | None]:
    if result.masks is None:
        return [None] * len(result)
    return [result.masks.crop(i) for i in range(len(result))]


def prepare_grounding(
    img1: Any,
    img2: Any,
    *,
    proposals: DiffResult | None = None,
    sensitivity: float | None = None,
    size_mismatch: str = "resize",
    layout: str = "auto",
    segmenter: Any = None,
) -> GroundingPair:
    """Decode a pair, find its candidate regions and measure them (module docstring).

    Args:
        img1, img2: anything :func:`spotdiff.find` reads.
        proposals: candidate regions (a :class:`~spotdiff.result.DiffResult` of this pair, in
            image-1 pixels, e.g. from :func:`spotdiff.find`); None runs ``find``.
        sensitivity: ``find``'s sensitivity for the candidates (default
            :data:`DEFAULT_SENSITIVITY`).
        size_mismatch, layout: as in :func:`spotdiff.find`.
        segmenter: a :class:`~spotdiff.backends.Segmenter` whose object boxes on a change join
            ``find``'s regions as candidates (:func:`.segments.with_segments`), or None.

    Raises:
        InvalidOptionError: ``proposals`` is not a DiffResult or is for another image size.
    """
    from ..detect import FindConfig, find_prepared, prepare_pair
    from ..regions.rescale import rescale

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sens = DEFAULT_SENSITIVITY if sensitivity is None else sensitivity
    config = FindConfig(sensitivity=sens, diff_map=False, masks=True)
    pair = prepare_pair(img1, img2, config=config, size_mismatch=size_mismatch, layout=layout)
    t1 = time.perf_counter()
    timings["load"] = (t1 - t0) * 1e3
    if proposals is None:
        proposals = find_prepared(pair, config=config)
        if segmenter is not None:
            proposals = with_segments(proposals, pair.img1, pair.img2, segmenter)
    elif not isinstance(proposals, DiffResult):
        raise InvalidOptionError(
            f"proposals must be a DiffResult (e.g. from spotdiff.find), got "
            f"{type(proposals).__name__}"
        )
    elif proposals.image_size is not None and tuple(proposals.image_size) != tuple(pair.size):
        w, h = proposals.image_size
        raise InvalidOptionError(
            f"proposals are for a {w}x{h} image 1 but this pair is {pair.size[0]}x"
            f"{pair.size[1]}; pass the DiffResult of this pair"
        )
    t2 = time.perf_counter()
    timings["proposals"] = (t2 - t1) * 1e3
    h, w = pair.img1.shape[:2]
    s = min(1.0, FEATURE_SIDE / max(w, h))
    size = (max(1, round(w * s)), max(1, round(h * s)))
    a = cv2.resize(pair.img1, size, interpolation=cv2.INTER_AREA) if s < 1 else pair.img1
    b = cv2.resize(pair.img2, size, interpolation=cv2.INTER_AREA) if s < 1 else pair.img2
    small = rescale(replace(proposals, image_size=pair.size), size)
    transform = np.asarray(small.transform, dtype=np.float64)
    if not np.allclose(transform, np.eye(3)):
        b = cv2.warpPerspective(b, transform, size, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    features = region_features(
        a,
        b,
        small.boxes,
        _proposal_masks(small),
        scores=proposals.scores,
        kinds=proposals.data.get("kind"),
    )
    timings["features"] = (time.perf_counter() - t2) * 1e3
    proposals = replace(proposals, diff_map=None, metadata={})
    return GroundingPair(
        proposals=proposals,
        img1=np.ascontiguousarray(a),
        img2=np.ascontiguousarray(b),
        boxes=small.boxes.copy(),
        features=features,
        timings_ms={k: round(v, 2) for k, v in timings.items()},
    )


def ground(
    img1: Any,
    img2: Any,
    query: str | Sequence[str],
    *,
    proposals: DiffResult | None = None,
    backend: str = "auto",
    top_k: int | None = None,
    sensitivity: float | None = None,
    device: Any = None,
    batch_size: int = 32,
    backend_options: Mapping[str, Any] | None = None,
    size_mismatch: str = "resize",
    layout: str = "auto",
    segmenter: Any = "auto",
) -> DiffResult | list[DiffResult]:
    """The candidate regions of a pair ranked by how well each matches ``query``.

    Args:
        img1, img2: the pair, in any form :func:`spotdiff.find` reads.
        query: a sentence about one difference ("the red thing that disappeared"), or a list of
            them for the same pair (the pair is prepared once; each further query costs only
            its parsing and ranking).
        proposals: candidate regions (a DiffResult of this pair); None: ``spotdiff.find`` at
            ``sensitivity`` (default :data:`DEFAULT_SENSITIVITY`).
        backend: ``"auto"`` (CLIP when its weights are on this machine, else the model-free
            cues), ``"cues"``, ``"clip"`` or another registered ranker (:mod:`.rankers`).
        top_k: keep the best ``top_k`` candidates (None: all).
        device, batch_size: for model rankers (:func:`spotdiff._device.resolve_device`).
        backend_options: more ranker options (``{"clip": dir_or_hub_id, "blip": ...}``).
        size_mismatch, layout: as in :func:`spotdiff.find`.
        segmenter: ``"auto"``: with a model ranker, FastSAM's object boxes on a change join the
            candidates when ultralytics and FastSAM's weights are on this machine; None: find's
            regions only; or a :class:`~spotdiff.backends.Segmenter`.

    Returns:
        A :class:`~spotdiff.result.DiffResult` (a list of them for a list of queries): boxes
        (K, 4) float32 xyxy in image-1 pixels, the answer first; ``scores`` (K,) float32 match
        probabilities (a softmax over all candidates, so they sum to 1 before ``top_k``);
        ``data``: find's ``kind`` / ``area``, ``find_score``, ``colour_before`` /
        ``colour_after`` (dominant colour names), ``p_added`` / ``p_removed`` /
        ``p_recoloured`` / ``p_replaced`` (kind probabilities), ``cue_<name>`` in [0, 1] for
        every cue the query used (kind, colour, position, ordinal, size, image, model,
        rerank) and ``match_logit``; masks as proposed; ``metadata["query"]``: the parsed query
        (:meth:`~.query.Query.to_dict`, with what was not understood), ``"backend"``,
        ``"candidates"``, ``"timings_ms"``.

    Raises:
        InvalidOptionError: an empty or non-string query, a bad option or proposals.
        UnknownNameError: an unknown backend.
        WeightsNotFoundError, MissingDependencyError: ``backend="clip"`` and CLIP cannot load.
    """
    queries, single = _as_queries(query)  # parse first: a bad query costs nothing
    if top_k is not None:
        check_number("top_k", top_k, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    ranker = resolve_ranker(backend, device=device, batch_size=batch_size, options=backend_options)
    if isinstance(segmenter, str):
        if segmenter != "auto":
            raise InvalidOptionError(
                f"segmenter must be 'auto', None or a Segmenter backend, got {segmenter!r}"
            )
        segmenter = auto_segmenter(device=device) if ranker.name != "cues" else None
    pair = prepare_grounding(
        img1,
        img2,
        proposals=proposals,
        sensitivity=sensitivity,
        size_mismatch=size_mismatch,
        layout=layout,
        segmenter=segmenter,
    )
    results = pair.ground(queries, backend=ranker, top_k=top_k)
    return results[0] if single else results
