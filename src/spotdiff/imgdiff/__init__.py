"""ImgDiff difference-area generator: Data-Juicer's operator, faster and safer, with fallbacks.

Given two similar images and their captions, find the boxes of the object-level differences
(the first stage of the Img-Diff data pipeline). Drop-in for Data-Juicer's
``imgdiff_difference_area_generator_mapper``::

    from spotdiff.imgdiff import DifferenceAreaGenerator

    op = DifferenceAreaGenerator()                     # backend="auto"
    out = op.process_single({"image_path1": "a.jpg", "image_path2": "b.jpg",
                             "caption1": "A plane in the sky.", "caption2": "A boat in the sky."})
    out["__dj__meta__"]["__dj__bbox__"]                # (N, 4) float32 cx, cy, w, h

Modules: :mod:`.text` (captions), :mod:`.boxes` (conventions, IoU suppression), :mod:`.config`
(the three argument dicts), :mod:`.area` (the eight steps), :mod:`.operator` (the Data-Juicer
contract), :mod:`.datajuicer` (the Data-Juicer plug-in). Models: :mod:`spotdiff.backends`.
"""

from __future__ import annotations

from ._resolve import BACKEND_MODES, resolve_backends
from .area import STEPS, Backends, difference_areas, to_dj_boxes
from .boxes import crop_windows, cxcywh_to_xyxy, iou_filter, nms_indices, xyxy_to_cxcywh
from .config import (
    MATCHING_DEFAULTS,
    SEGMENT_DEFAULTS,
    SIMILARITY_DEFAULTS,
    AreaConfig,
    MatchingArgs,
    SegmentArgs,
    SimilarityArgs,
)
from .operator import (
    BBOX_KEY,
    META_KEY,
    Difference_Area_Generator_Mapper,
    DifferenceAreaGenerator,
)
from .text import compare_text_index, is_noun, lemmatize

__all__ = [
    "BACKEND_MODES",
    "BBOX_KEY",
    "MATCHING_DEFAULTS",
    "META_KEY",
    "SEGMENT_DEFAULTS",
    "SIMILARITY_DEFAULTS",
    "STEPS",
    "AreaConfig",
    "Backends",
    "DifferenceAreaGenerator",
    "Difference_Area_Generator_Mapper",
    "MatchingArgs",
    "SegmentArgs",
    "SimilarityArgs",
    "compare_text_index",
    "crop_windows",
    "cxcywh_to_xyxy",
    "difference_areas",
    "iou_filter",
    "is_noun",
    "lemmatize",
    "nms_indices",
    "resolve_backends",
    "to_dj_boxes",
    "xyxy_to_cxcywh",
]
