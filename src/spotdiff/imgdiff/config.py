"""Settings of the ImgDiff generator: Data-Juicer's three argument dicts as frozen dataclasses.

Data-Juicer's operator takes three dicts whose missing keys take fixed defaults
(:data:`SIMILARITY_DEFAULTS`, :data:`SEGMENT_DEFAULTS`, :data:`MATCHING_DEFAULTS`). They are
read here into frozen dataclasses; the caller's dicts are never modified (Data-Juicer writes its
defaults and ``accelerator`` into them). Keys Data-Juicer's sub-operators accept but that change
nothing for one pair (``num_proc``, ``accelerator``, ``any_or_all``, ``reduce_mode``, ...) are
accepted and ignored; any other key raises :class:`~spotdiff._errors.InvalidOptionError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Self

from .._errors import InvalidOptionError
from .._validate import check_number
from ..backends._spec import BLIP_ITM, CLIP, FASTSAM

__all__ = [
    "MATCHING_DEFAULTS",
    "SEGMENT_DEFAULTS",
    "SIMILARITY_DEFAULTS",
    "AreaConfig",
    "MatchingArgs",
    "SegmentArgs",
    "SimilarityArgs",
]

SIMILARITY_DEFAULTS: dict[str, Any] = {
    "min_score_1": 0.1,
    "max_score_1": 1.0,
    "min_score_2": 0.1,
    "max_score_2": 1.0,
    "hf_clip": CLIP.default,
    "num_proc": 1,
}
SEGMENT_DEFAULTS: dict[str, Any] = {
    "imgsz": 1024,
    "conf": 0.05,
    "iou": 0.5,
    "model_path": FASTSAM.default,
}
MATCHING_DEFAULTS: dict[str, Any] = {
    "min_score": 0.1,
    "max_score": 1.0,
    "hf_blip": BLIP_ITM.default,
    "num_proc": 1,
}

# Options of Data-Juicer's sub-operators (and of its base operator) with no effect on one pair.
_IGNORED = frozenset(
    {
        "num_proc",
        "accelerator",
        "any_or_all",
        "reduce_mode",
        "batch_size",
        "num_cpus",
        "num_gpus",
        "memory",
        "mem_required",
        "cpu_required",
        "gpu_required",
        "skip_op_error",
        "image_key",
        "text_key",
    }
)


def _check_range(group: str, low_name: str, low: Any, high_name: str, high: Any) -> None:
    check_number(f"{group}.{low_name}", low)
    check_number(f"{group}.{high_name}", high)
    if low > high:
        raise InvalidOptionError(
            f"{group}: {low_name}={low} is above {high_name}={high}, so every pair would be "
            f"filtered out; pass {low_name} <= {high_name}"
        )


def _check_text(group: str, name: str, value: Any, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidOptionError(f"{group}.{name} must be {what}")


def _read(cls: type, group: str, given: Mapping[str, Any] | None) -> Any:
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise InvalidOptionError(
            f"{group} must be a dict (or None for the defaults), got {type(given).__name__}"
        )
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(given) - names - _IGNORED)
    if unknown:
        raise InvalidOptionError(
            f"{group} got unknown key(s) {', '.join(map(repr, unknown))}; valid keys: "
            + ", ".join(sorted(names))
        )
    return cls(**{k: v for k, v in given.items() if k in names})


class _Group:
    """Mixin of the three argument groups: ``_GROUP`` names the Data-Juicer dict."""

    _GROUP: ClassVar[str]

    @classmethod
    def from_dict(cls, given: Mapping[str, Any] | None) -> Self:
        return _read(cls, cls._GROUP, given)


@dataclass(frozen=True)
class SimilarityArgs(_Group):
    """``image_pair_similarity_filter_args``: the two similarity gates (steps 1 and 6).

    Scores are CLIP cosine similarities (or the model-free similarity, same scale); a pair
    passes when ``min_score <= s <= max_score``.
    """

    _GROUP: ClassVar[str] = "image_pair_similarity_filter_args"
    min_score_1: float = SIMILARITY_DEFAULTS["min_score_1"]
    max_score_1: float = SIMILARITY_DEFAULTS["max_score_1"]
    min_score_2: float = SIMILARITY_DEFAULTS["min_score_2"]
    max_score_2: float = SIMILARITY_DEFAULTS["max_score_2"]
    hf_clip: str = SIMILARITY_DEFAULTS["hf_clip"]
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        group = self._GROUP
        _check_range(group, "min_score_1", self.min_score_1, "max_score_1", self.max_score_1)
        _check_range(group, "min_score_2", self.min_score_2, "max_score_2", self.max_score_2)
        _check_text(group, "hf_clip", self.hf_clip, "a hub id or a directory")


@dataclass(frozen=True)
class SegmentArgs(_Group):
    """``image_segment_mapper_args``: FastSAM's settings (step 3)."""

    _GROUP: ClassVar[str] = "image_segment_mapper_args"
    imgsz: int = SEGMENT_DEFAULTS["imgsz"]
    conf: float = SEGMENT_DEFAULTS["conf"]
    iou: float = SEGMENT_DEFAULTS["iou"]
    model_path: str = SEGMENT_DEFAULTS["model_path"]

    def __post_init__(self) -> None:
        group = self._GROUP
        check_number(f"{group}.imgsz", self.imgsz, low=32, integer=True)
        check_number(f"{group}.conf", self.conf, low=0.0, high=1.0)
        check_number(f"{group}.iou", self.iou, low=0.0, high=1.0)
        _check_text(group, "model_path", self.model_path, "a file name or path")


@dataclass(frozen=True)
class MatchingArgs(_Group):
    """``image_text_matching_filter_args``: BLIP image-text matching of the crops (step 5)."""

    _GROUP: ClassVar[str] = "image_text_matching_filter_args"
    min_score: float = MATCHING_DEFAULTS["min_score"]
    max_score: float = MATCHING_DEFAULTS["max_score"]
    hf_blip: str = MATCHING_DEFAULTS["hf_blip"]
    horizontal_flip: bool = False
    vertical_flip: bool = False
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        group = self._GROUP
        _check_range(group, "min_score", self.min_score, "max_score", self.max_score)
        _check_text(group, "hf_blip", self.hf_blip, "a hub id or a directory")


@dataclass(frozen=True)
class AreaConfig:
    """Everything :func:`~spotdiff.imgdiff.area.difference_areas` needs besides the backends.

    Attributes:
        similarity, segment, matching: the three argument groups.
        iou_thresh: IoU of the final suppression (step 7; Data-Juicer fixes 0.5).
        find_options: options of :func:`spotdiff.find` for the model-free segmentation.
    """

    similarity: SimilarityArgs = field(default_factory=SimilarityArgs)
    segment: SegmentArgs = field(default_factory=SegmentArgs)
    matching: MatchingArgs = field(default_factory=MatchingArgs)
    iou_thresh: float = 0.5
    find_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_number("iou_thresh", self.iou_thresh, low=0.0, high=1.0)
        object.__setattr__(self, "find_options", dict(self.find_options))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"image_pair_similarity_filter_args": {...}, ...}``."""
        return {
            "image_pair_similarity_filter_args": asdict(self.similarity),
            "image_segment_mapper_args": asdict(self.segment),
            "image_text_matching_filter_args": asdict(self.matching),
            "iou_thresh": self.iou_thresh,
            "find_options": dict(self.find_options),
        }
