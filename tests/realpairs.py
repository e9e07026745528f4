"""Where the real-pair development set is: ``$SPOTDIFF_REALPAIRS``, else ``shared/realpairs``
beside the repository (``../shared``, what CI has) or beside the folder of a git worktree.
Tests read it from there (it is never copied into the repository) and are skipped, with this
reason, where it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


def _find() -> Path | None:
    given = os.environ.get("SPOTDIFF_REALPAIRS")
    candidates = [Path(given)] if given else []
    candidates += [root / "shared" / "realpairs" for root in (_REPO.parent, _REPO.parents[1])]
    return next((p for p in candidates if (p / "pairs.json").is_file()), None)


#: the folder of the real pairs (with ``pairs.json``), or None where it is absent
REALPAIRS_DIR = _find()
#: its manifest, or None
REALPAIRS_MANIFEST = None if REALPAIRS_DIR is None else REALPAIRS_DIR / "pairs.json"
#: skip a test where the set is absent, saying so
needs_realpairs = pytest.mark.skipif(
    REALPAIRS_DIR is None,
    reason="the real-pair development set (../shared/realpairs or $SPOTDIFF_REALPAIRS) is absent",
)


def real_pair(name: str):
    """The development set's pair ``name`` (:class:`spotdiff.evaluation.real.RealPair`)."""
    from spotdiff.evaluation.real import load_real_pairs

    return next(p for p in load_real_pairs(REALPAIRS_MANIFEST) if p.photo == name)


def find_counts(name: str):
    """``find``'s boxes on the pair ``name`` matched to its truth at IoU 0.5, in find's order:
    the :class:`~spotdiff.evaluation.metrics.Counts` (``tp``, ``fp``, ``fn``)."""
    from spotdiff.detect import find
    from spotdiff.evaluation.metrics import match_boxes

    p = real_pair(name)
    return match_boxes(find(p.img1, p.img2).boxes, None, p.boxes).counts


def best_iou(name: str, box) -> float:
    """The best IoU of ``find``'s boxes on the pair ``name`` with one truth ``box`` (x0, y0,
    x1, y1), 0.0 when find gives none."""
    import numpy as np

    from spotdiff.detect import find
    from spotdiff.evaluation.metrics import box_iou

    p = real_pair(name)
    iou = box_iou(find(p.img1, p.img2).boxes, np.array([box], np.float32))
    return float(iou.max()) if iou.size else 0.0
