"""Image Difference Grounding: the box of the difference a sentence refers to.

- :mod:`~spotdiff.grounding.query`: the model-free query parser (kind, colours with before /
  after roles, position, ordinal, size, which image; what it did not understand).
- :mod:`~spotdiff.grounding.colours`: the CIELAB nearest-colour table.
- :mod:`~spotdiff.grounding.cues`: region features (colours before / after, position, size,
  kind probabilities).
- :mod:`~spotdiff.grounding.match`: query x features -> cue values and match logits.
- :mod:`~spotdiff.grounding.rankers`: the ranker registry (``"cues"``, ``"clip"``).
- :mod:`~spotdiff.grounding.ground`: :func:`ground` and :func:`prepare_grounding`.

Importing this package loads NumPy and OpenCV, never torch (the CLIP ranker imports it when
built).
"""

from __future__ import annotations

from .colours import COLOUR_NAMES
from .cues import EDIT_KINDS, RegionFeatures, region_features
from .ground import (
    DEFAULT_SENSITIVITY,
    GroundingPair,
    ground,
    prepare_grounding,
    resolve_ranker,
)
from .match import CUE_NAMES, match_cues
from .query import ColourTerm, Query, parse_query
from .rankers import RANKERS, Ranker, get_ranker, list_rankers, register_ranker

__all__ = [
    "COLOUR_NAMES",
    "CUE_NAMES",
    "DEFAULT_SENSITIVITY",
    "EDIT_KINDS",
    "RANKERS",
    "ColourTerm",
    "GroundingPair",
    "Query",
    "Ranker",
    "RegionFeatures",
    "get_ranker",
    "ground",
    "list_rankers",
    "match_cues",
    "parse_query",
    "prepare_grounding",
    "region_features",
    "register_ranker",
    "resolve_ranker",
]
