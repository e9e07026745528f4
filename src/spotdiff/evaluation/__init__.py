"""Quality evaluation of difference detectors: metrics, a synthetic benchmark, baselines.

- :mod:`~spotdiff.evaluation.metrics`: box IoU, one-to-one matching, P/R/F1, AP, mask F1.
- :mod:`~spotdiff.evaluation.synthetic`: real photographs (bundled with scikit-image) with
  planted edits and exact ground truth, under nuisances, deterministic by seed.
- :mod:`~spotdiff.evaluation.baselines`: the absolute-difference and SSIM + Otsu recipes.
- :mod:`~spotdiff.evaluation.detectors`: the detector interface and registry.
- :mod:`~spotdiff.evaluation.bench`: every detector on the same pairs, side by side.
- :mod:`~spotdiff.evaluation.report`: the scores of a run, per group, as Markdown or JSON.
- :mod:`~spotdiff.evaluation.real`: real labelled pairs from a JSON manifest.

Importing this package loads NumPy and OpenCV; scikit-image is imported when pairs are generated
or the SSIM baseline runs (``pip install 'spotdiff[eval]'``).
"""

from __future__ import annotations

from .baselines import absdiff_otsu, ssim_otsu
from .bench import DEFAULT_DETECTORS, LabelledPair, evaluate, run_benchmark
from .detectors import (
    DETECTORS,
    Detection,
    Detector,
    SpotdiffDetector,
    as_detection,
    get_detector,
    list_detectors,
)
from .metrics import (
    Counts,
    Match,
    average_precision,
    box_iou,
    detection_counts,
    mask_counts,
    mask_f1,
    match_boxes,
    precision_recall_curve,
)
from .real import RealPair, load_real_pairs, real_pair
from .report import BenchmarkReport, GroupScore, PairRecord
from .synthetic import (
    EDIT_KINDS,
    NUISANCE_NAMES,
    PHOTOS,
    Scene,
    SyntheticPair,
    generate_pairs,
    make_scene,
)

__all__ = [
    "DEFAULT_DETECTORS",
    "DETECTORS",
    "EDIT_KINDS",
    "NUISANCE_NAMES",
    "PHOTOS",
    "BenchmarkReport",
    "Counts",
    "Detection",
    "Detector",
    "GroupScore",
    "LabelledPair",
    "Match",
    "PairRecord",
    "RealPair",
    "Scene",
    "SpotdiffDetector",
    "SyntheticPair",
    "absdiff_otsu",
    "as_detection",
    "average_precision",
    "box_iou",
    "detection_counts",
    "evaluate",
    "generate_pairs",
    "get_detector",
    "list_detectors",
    "load_real_pairs",
    "make_scene",
    "mask_counts",
    "mask_f1",
    "match_boxes",
    "precision_recall_curve",
    "real_pair",
    "run_benchmark",
    "ssim_otsu",
]
