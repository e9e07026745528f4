"""The quality benchmark: every detector on the same labelled pairs, scored side by side.

:func:`evaluate` scores detectors on any labelled pairs (synthetic or real) and returns a
:class:`~spotdiff.evaluation.report.BenchmarkReport` (how pairs are scored and grouped is
described there; image 2 may differ in size from image 1, see :func:`evaluate`);
:func:`run_benchmark` generates the synthetic pairs
(:func:`~spotdiff.evaluation.synthetic.generate_pairs`) and evaluates spotdiff and the two naive
baselines on them in one run.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from .._errors import InvalidOptionError, SpotdiffWarning
from .._validate import check_number
from .detectors import Detector, as_detection, get_detector
from .metrics import mask_counts, match_boxes
from .report import BenchmarkReport, Outcome, PairRecord
from .synthetic import EDIT_KINDS, NUISANCE_NAMES, generate_pairs, parse_size

__all__ = ["DEFAULT_DETECTORS", "LabelledPair", "evaluate", "run_benchmark"]

#: Detectors of ``run_benchmark`` when none are given: spotdiff, then the two baselines.
DEFAULT_DETECTORS: tuple[str, ...] = ("spotdiff", "absdiff", "ssim")


class LabelledPair(Protocol):
    """What :func:`evaluate` reads from a pair (a :class:`SyntheticPair` has all of it).

    ``img1``: uint8 (H, W, 3) RGB; ``img2``: uint8 (H2, W2, 3) RGB, usually (H, W) (real pairs
    keep image 2 at its own size); ``boxes``: (K, 4) xyxy truth in image-1 pixels;
    ``kinds``: (K,) str; ``nuisance``: str. Optional: ``mask`` (H, W) bool true change mask,
    ``index`` int, ``photo`` str.
    """

    img1: np.ndarray
    img2: np.ndarray
    boxes: np.ndarray
    kinds: Sequence[str]
    nuisance: str


def _resolve(detectors: Mapping[str, Any] | Sequence[str] | None) -> dict[str, Detector]:
    if detectors is None:
        detectors = DEFAULT_DETECTORS
    if isinstance(detectors, str):
        detectors = [detectors]
    if isinstance(detectors, Mapping):
        items = list(detectors.items())
    else:
        items = [(name, name) for name in detectors]
    out: dict[str, Detector] = {}
    for name, det in items:
        det = get_detector(det) if isinstance(det, str) else det
        if not callable(det):
            raise InvalidOptionError(
                f"detector {name!r} must be a callable (img1, img2) -> (boxes, scores[, mask]) "
                f"or a registered name, got {type(det).__name__}"
            )
        out[str(name)] = det
    if not out:
        raise InvalidOptionError("give at least one detector")
    return out


def detector_input(det: Detector, img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
    """Image 2 as ``det`` takes it: its own size for a detector marked ``any_size`` (spotdiff
    registers differently sized halves itself), else resized to image 1 (the baselines' recipe:
    ``cv2.resize(img2, img1's size)``, area when shrinking, bilinear when enlarging), silently:
    the bench decides this, not the user."""
    if img1.shape[:2] == img2.shape[:2] or getattr(det, "any_size", False):
        return img2
    from ..io import match_sizes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpotdiffWarning)
        return match_sizes(img1, img2, "resize")[1]


def evaluate(
    detectors: Mapping[str, Any] | Sequence[str] | None,
    pairs: Iterable[LabelledPair],
    *,
    iou: float = 0.5,
    progress: Callable[[int], None] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> BenchmarkReport:
    """Run every detector on every pair and score them at IoU >= ``iou``.

    When a pair's images differ in size, detectors marked ``any_size`` (spotdiff) get them as
    they are, the others image 2 resized to image 1 (:func:`detector_input`); boxes are always
    scored in image-1 pixels.

    Args:
        detectors: ``{name: detector}`` (callables or registered names), a list of registered
            names, or None for :data:`DEFAULT_DETECTORS`.
        pairs: labelled pairs (:class:`LabelledPair`), e.g. from ``generate_pairs``.
        iou: IoU threshold of a match, in (0, 1].
        progress: called with the number of pairs done after each pair.
        settings: recorded in the report.

    Returns:
        The :class:`BenchmarkReport`.
    """
    iou = float(check_number("iou", iou, low=0, high=1, low_inclusive=False))
    dets = _resolve(detectors)
    records: list[PairRecord] = []
    for i, pair in enumerate(pairs):
        truth = np.asarray(pair.boxes, dtype=np.float32).reshape(-1, 4)
        true_mask = getattr(pair, "mask", None)
        outcomes = {}
        for name, det in dets.items():
            t0 = time.perf_counter()
            out = det(pair.img1, detector_input(det, pair.img1, pair.img2))
            seconds = time.perf_counter() - t0
            found = as_detection(out)
            match = match_boxes(found.boxes, found.scores, truth, iou=iou)
            pixels = None
            if found.mask is not None and true_mask is not None:
                pixels = mask_counts(found.mask, true_mask)
            outcomes[name] = Outcome(
                boxes=found.boxes,
                scores=found.scores,
                matched=match.matched,
                found=match.truth_to_pred >= 0,
                seconds=seconds,
                pixels=pixels,
            )
        records.append(
            PairRecord(
                index=int(getattr(pair, "index", i)),
                photo=str(getattr(pair, "photo", "")),
                nuisance=str(pair.nuisance),
                boxes=truth,
                kinds=tuple(str(k) for k in pair.kinds),
                outcomes=outcomes,
            )
        )
        if progress is not None:
            progress(i + 1)
    return BenchmarkReport(list(dets), records, {**(settings or {}), "iou": iou})


def run_benchmark(
    detectors: Mapping[str, Any] | Sequence[str] | None = None,
    *,
    n_pairs: int = 90,
    size: tuple[int, int] | str = (1280, 720),
    seed: int = 0,
    edits: Sequence[str] | None = None,
    nuisances: Sequence[str] | None = None,
    max_edits: int = 3,
    iou: float = 0.5,
    progress: Callable[[int], None] | None = None,
) -> BenchmarkReport:
    """Generate ``n_pairs`` synthetic pairs and evaluate ``detectors`` on them.

    Args:
        detectors: as in :func:`evaluate`; None runs spotdiff, absdiff and ssim.
        n_pairs: number of pairs; 90 = 2 scenes per edit kind x 9 nuisances.
        size: ``(W, H)`` or ``"WxH"``.
        seed: random seed of the pairs.
        edits, nuisances: subsets of the edit kinds / nuisances (default all).
        max_edits: most edits per pair.
        iou: IoU threshold of a match.
        progress: called with the number of pairs done.

    Returns:
        The :class:`BenchmarkReport` (``to_markdown()``, ``to_dict()``).
    """
    w, h = parse_size(size)
    pairs = generate_pairs(
        n_pairs,
        size=(w, h),
        seed=seed,
        edits=edits,
        nuisances=nuisances,
        max_edits=max_edits,
    )
    settings = {
        "n_pairs": n_pairs,
        "size": f"{w}x{h}",
        "seed": seed,
        "edits": list(edits) if edits else list(EDIT_KINDS),
        "nuisances": list(nuisances) if nuisances else list(NUISANCE_NAMES),
        "max_edits": max_edits,
    }
    return evaluate(detectors, pairs, iou=iou, progress=progress, settings=settings)
