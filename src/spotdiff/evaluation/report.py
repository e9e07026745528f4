"""The benchmark report: per-pair outcomes, per-group scores, Markdown and JSON output.

:func:`~spotdiff.evaluation.bench.evaluate` fills a :class:`BenchmarkReport` with one
:class:`PairRecord` per pair (the truth and every detector's :class:`Outcome` on it); the report
scores any detector on any group of pairs (:class:`GroupScore`).

Scores (see :mod:`spotdiff.evaluation.metrics`): boxes are matched one to one, greedily by score,
at IoU >= ``iou`` (0.5); precision, recall and F1 sum TP / FP / FN over the pairs of a group;
AP is the all-point interpolated area under the precision-recall curve of the group's
predictions ranked by score; mask F1 sums pixel TP / FP / FN of the detector's change mask
against the true change mask over the group's pairs that have one (None when no pair of the
group has a true mask or the detector gives no mask); the Markdown lists it per masked pair and
per group, the detectors side by side (:meth:`BenchmarkReport.mask_table`).

Groups: ``overall`` (every pair); ``edit:<kind>`` (the pairs that contain an edit of that kind,
with all their boxes and predictions: false positives cannot be attributed to an edit, so a
group is a set of pairs; the default generator plants one kind per pair, so these are exactly
the pairs of that kind); ``nuisance:<name>`` (the pairs under that nuisance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import InvalidOptionError
from ._edits import EDIT_KINDS
from ._nuisances import NUISANCE_NAMES
from .metrics import Counts, average_precision

__all__ = ["BenchmarkReport", "GroupScore", "Outcome", "PairRecord"]


@dataclass(frozen=True)
class Outcome:
    """One detector on one pair: boxes (N, 4) float32, scores (N,), matched (N,) bool,
    found (K,) bool (truth boxes matched), seconds, pixel counts of the mask (or None)."""

    boxes: np.ndarray
    scores: np.ndarray
    matched: np.ndarray
    found: np.ndarray
    seconds: float
    pixels: Counts | None

    @property
    def counts(self) -> Counts:
        tp = int(self.matched.sum())
        return Counts(tp=tp, fp=len(self.matched) - tp, fn=len(self.found) - tp)


@dataclass(frozen=True)
class PairRecord:
    """Truth of one pair and every detector's :class:`Outcome` on it."""

    index: int
    photo: str
    nuisance: str
    boxes: np.ndarray
    kinds: tuple[str, ...]
    outcomes: dict[str, Outcome]

    def to_dict(self, *, predictions: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "photo": self.photo,
            "nuisance": self.nuisance,
            "boxes": self.boxes.tolist(),
            "kinds": list(self.kinds),
            "detectors": {},
        }
        for name, o in self.outcomes.items():
            d: dict[str, Any] = {**o.counts.to_dict(), "seconds": o.seconds}
            d["found"] = o.found.tolist()
            d["mask_f1"] = None if o.pixels is None else o.pixels.f1
            if predictions:
                d["pred_boxes"] = o.boxes.tolist()
                d["pred_scores"] = o.scores.tolist()
                d["pred_matched"] = o.matched.tolist()
            out["detectors"][name] = d
        return out


@dataclass(frozen=True)
class GroupScore:
    """Scores of one detector on one group of pairs.

    Attributes:
        counts: summed TP / FP / FN over the group's pairs.
        ap: all-point interpolated AP of the group's predictions.
        mask: pixel counts summed over the pairs with a true mask (and a detector mask), or
            None when there is none.
        n_pairs, n_truth: pairs and truth boxes in the group.
        seconds: mean seconds per pair.
    """

    counts: Counts
    ap: float
    mask: Counts | None
    n_pairs: int
    n_truth: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.counts.precision

    @property
    def recall(self) -> float:
        return self.counts.recall

    @property
    def f1(self) -> float:
        return self.counts.f1

    @property
    def mask_f1(self) -> float | None:
        return None if self.mask is None else self.mask.f1

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts.to_dict(),
            "ap": self.ap,
            "mask_f1": self.mask_f1,
            "n_pairs": self.n_pairs,
            "n_truth": self.n_truth,
            "seconds_per_pair": self.seconds,
        }


def _score(records: list[PairRecord], name: str) -> GroupScore:
    outcomes = [r.outcomes[name] for r in records]
    counts = sum((o.counts for o in outcomes), Counts())
    n_truth = sum(len(r.boxes) for r in records)
    scores = np.concatenate([o.scores for o in outcomes]) if outcomes else np.zeros(0)
    matched = np.concatenate([o.matched for o in outcomes]) if outcomes else np.zeros(0, bool)
    pixels = [o.pixels for o in outcomes if o.pixels is not None]
    mask = sum(pixels, Counts()) if pixels else None
    seconds = float(np.mean([o.seconds for o in outcomes])) if outcomes else 0.0
    return GroupScore(
        counts=counts,
        ap=average_precision(scores, matched, n_truth),
        mask=mask,
        n_pairs=len(records),
        n_truth=n_truth,
        seconds=seconds,
    )


@dataclass
class BenchmarkReport:
    """Scores of several detectors on the same pairs.

    Attributes:
        detectors: detector names, in column order.
        records: one :class:`PairRecord` per pair.
        settings: how the pairs were made and scored (size, seed, iou, ...).
    """

    detectors: list[str]
    records: list[PairRecord]
    settings: dict[str, Any] = field(default_factory=dict)

    def group_names(self) -> list[str]:
        """``overall``, then ``edit:<kind>`` and ``nuisance:<name>`` present, in report order."""
        kinds = {k for r in self.records for k in r.kinds}
        nuisances = {r.nuisance for r in self.records}
        order_k = [k for k in EDIT_KINDS if k in kinds] + sorted(kinds - set(EDIT_KINDS))
        order_n = [n for n in NUISANCE_NAMES if n in nuisances] + sorted(
            nuisances - set(NUISANCE_NAMES)
        )
        return ["overall", *(f"edit:{k}" for k in order_k), *(f"nuisance:{n}" for n in order_n)]

    def pairs_of(self, group: str) -> list[PairRecord]:
        """The records of a group (see the module docstring)."""
        if group == "overall":
            return list(self.records)
        what, _, value = group.partition(":")
        if what == "edit":
            return [r for r in self.records if value in r.kinds]
        if what == "nuisance":
            return [r for r in self.records if r.nuisance == value]
        raise InvalidOptionError(
            f"group must be 'overall', 'edit:<kind>' or 'nuisance:<name>', got {group!r}"
        )

    def score(self, detector: str, group: str = "overall") -> GroupScore:
        """:class:`GroupScore` of ``detector`` on ``group``."""
        self._check_detector(detector)
        return _score(self.pairs_of(group), detector)

    def _check_detector(self, detector: str) -> None:
        if detector not in self.detectors:
            raise InvalidOptionError(
                f"unknown detector {detector!r}; this report has {', '.join(self.detectors)}"
            )

    def scores(self) -> dict[str, dict[str, GroupScore]]:
        """``{group: {detector: GroupScore}}`` for every group."""
        return {
            g: {d: _score(self.pairs_of(g), d) for d in self.detectors} for g in self.group_names()
        }

    def matrix(self, detector: str) -> dict[str, dict[str, float]]:
        """F1 of ``detector`` per edit kind (rows) and nuisance (columns); a cell is absent
        when no pair has that edit kind under that nuisance."""
        self._check_detector(detector)
        out: dict[str, dict[str, float]] = {}
        for g in self.group_names():
            if g.startswith("edit:"):
                kind = g[5:]
                row = {}
                for n in self.group_names():
                    if n.startswith("nuisance:"):
                        recs = [r for r in self.pairs_of(g) if r.nuisance == n[9:]]
                        if recs:
                            row[n[9:]] = _score(recs, detector).f1
                out[kind] = row
        return out

    def mask_table(self, *, pairs: bool = True) -> list[str]:
        """Markdown lines of pixel mask F1 (detectors side by side) for every pair with a true
        mask (``pairs``), then every group holding such pairs (over those pairs only); no
        lines when no pair has a true mask."""
        masked = [r for r in self.records if any(o.pixels is not None for o in r.outcomes.values())]
        if not masked:
            return []
        head = ["mask F1", "pixels", *self.detectors]
        lines = ["", _row(head), _row(["---"] * len(head))]

        def truth_px(records: list[PairRecord]) -> int:
            for d in self.detectors:
                counts = [r.outcomes[d].pixels for r in records]
                if all(c is not None for c in counts):
                    return sum(c.tp + c.fn for c in counts if c is not None)
            return 0

        for r in masked if pairs else []:
            cells = [r.photo or str(r.index), str(truth_px([r]))]
            cells += [_mask_cell(r.outcomes[d].pixels) for d in self.detectors]
            lines.append(_row(cells))
        ids = {id(r) for r in masked}
        for g in self.group_names():
            recs = [r for r in self.pairs_of(g) if id(r) in ids]
            if recs:
                cells = [g, str(truth_px(recs))]
                cells += [_mask_cell(_score(recs, d).mask) for d in self.detectors]
                lines.append(_row(cells))
        return lines

    # ---------------------------------------------------------------- output
    def to_dict(self, *, predictions: bool = False) -> dict[str, Any]:
        """JSON-safe dict: settings, detectors, per-group scores, per-pair records."""
        return {
            "settings": dict(self.settings),
            "detectors": list(self.detectors),
            "groups": {
                g: {d: s.to_dict() for d, s in per.items()} for g, per in self.scores().items()
            },
            "pairs": [r.to_dict(predictions=predictions) for r in self.records],
        }

    def to_markdown(self, *, matrix: bool = True, mask_pairs: bool | None = None) -> str:
        """Markdown tables: F1 per group with the detectors side by side, the overall
        precision / recall / F1 / AP / mask F1 / seconds per pair, mask F1 per group (and per
        pair with ``mask_pairs``, default ``not matrix``: the few masked pairs of a real
        manifest, not the hundred of a synthetic run) when pairs have true masks, and
        (``matrix``) the first detector's F1 per edit kind x nuisance."""
        scores = self.scores()
        s = self.settings
        lines = []
        if s:
            lines.append(
                f"{len(self.records)} pairs, {s.get('size', '?')}, seed {s.get('seed', '?')}, "
                f"boxes matched at IoU >= {s.get('iou', 0.5)}"
            )
            lines.append("")
        head = ["group", "pairs", "boxes", *(f"{d} F1" for d in self.detectors)]
        lines += [_row(head), _row(["---"] * len(head))]
        for g, per in scores.items():
            first = per[self.detectors[0]]
            cells = [g, str(first.n_pairs), str(first.n_truth)]
            cells += [f"{per[d].f1:.3f}" for d in self.detectors]
            lines.append(_row(cells))
        lines.append("")
        head = ["detector", "precision", "recall", "F1", "AP", "mask F1", "TP", "FP", "FN"]
        head.append("s/pair")
        lines += [_row(head), _row(["---"] * len(head))]
        for d in self.detectors:
            o = scores["overall"][d]
            mf1 = "-" if o.mask_f1 is None else f"{o.mask_f1:.3f}"
            c = o.counts
            cells = [d, f"{o.precision:.3f}", f"{o.recall:.3f}", f"{o.f1:.3f}", f"{o.ap:.3f}"]
            cells += [mf1, str(c.tp), str(c.fp), str(c.fn), f"{o.seconds:.3f}"]
            lines.append(_row(cells))
        lines += self.mask_table(pairs=not matrix if mask_pairs is None else mask_pairs)
        if matrix and self.records:
            m = self.matrix(self.detectors[0])
            present = {n for row in m.values() for n in row}
            nuisances = [g[9:] for g in self.group_names() if g.startswith("nuisance:")]
            cols = [n for n in nuisances if n in present]
            if cols:
                lines.append("")
                head = [f"{self.detectors[0]} F1", *cols]
                lines += [_row(head), _row(["---"] * len(head))]
                for kind, row in m.items():
                    cells = [kind, *(f"{row[c]:.2f}" if c in row else "-" for c in cols)]
                    lines.append(_row(cells))
        return "\n".join(lines) + "\n"


def _mask_cell(counts: Counts | None) -> str:
    return "-" if counts is None else f"{counts.f1:.3f}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
