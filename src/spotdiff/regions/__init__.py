"""Difference maps -> regions, without model weights (the engine behind :func:`spotdiff.find`).

One concept per module, each a pure function:

- :mod:`.colour`: colour difference tolerant to 1-px shifts, resampling and clipped levels;
- :mod:`.structure`: noise-aware structural (SSIM contrast-structure) difference;
- :mod:`.sharpness`: blur the sharper image of a pair to the other's sharpness;
- :mod:`.noise`: the pair's noise level;
- :mod:`.threshold`: thresholds from noise and sensitivity, the combined evidence map;
- :mod:`.components`: hysteresis components of the evidence map;
- :mod:`.merge`: fragments of one object merged, separate changes kept apart;
- :mod:`.kind`: ``added`` / ``removed`` / ``changed``;
- :mod:`.refine`: small regions' boxes shrunk to the pixels that differ at full resolution;
- :mod:`.ignore`: ignore rectangles and masks;
- :mod:`.extract`: all of it into a :class:`~spotdiff.result.DiffResult`.

Importing this package loads NumPy and OpenCV only.
"""

from .colour import colour_difference
from .components import Components, find_components
from .extract import extract_regions, region_score
from .ignore import ignore_mask
from .kind import classify_kind
from .merge import box_gaps, group_boxes
from .noise import noise_sigma
from .refine import tight_box
from .sharpness import match_sharpness
from .structure import structural_difference
from .threshold import Thresholds, auto_thresholds, evidence

__all__ = [
    "Components",
    "Thresholds",
    "auto_thresholds",
    "box_gaps",
    "classify_kind",
    "colour_difference",
    "evidence",
    "extract_regions",
    "find_components",
    "group_boxes",
    "ignore_mask",
    "match_sharpness",
    "noise_sigma",
    "region_score",
    "structural_difference",
    "tight_box",
]
