"""``DifferenceAreaGenerator``: Data-Juicer's ``imgdiff_difference_area_generator_mapper``, drop-in.

Same constructor arguments (three dicts, missing keys take Data-Juicer's defaults), same
``process_single(sample, rank=None)`` and the same output: the boxes go to
``sample["__dj__meta__"]["__dj__bbox__"]`` as an (N, 4) float32 array of ultralytics ``xywh``
(centre-x, centre-y, width, height, image-1 pixels), ``np.zeros((1, 4), float32)`` when the pair
is filtered out or no difference survives. What changes (see :mod:`.area`): batched model calls,
no files, deterministic, a model-free fallback per step, and a returned copy of the sample
(Data-Juicer mutates the sample it gets and, when a pair is filtered out, returns a dict holding
only ``__dj__meta__``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import InvalidOptionError
from .._validate import check_choice, check_number
from ..io import to_rgb8
from ..result import DiffResult
from ._resolve import check_backend, resolve_backends
from .area import Backends, difference_areas, to_dj_boxes
from .config import AreaConfig, MatchingArgs, SegmentArgs, SimilarityArgs

__all__ = [
    "BBOX_KEY",
    "FIELDS",
    "META_KEY",
    "DifferenceAreaGenerator",
    "Difference_Area_Generator_Mapper",
]

#: Data-Juicer's ``Fields.meta`` and ``MetaKeys.bbox_tag``.
META_KEY = "__dj__meta__"
BBOX_KEY = "__dj__bbox__"
#: The sample fields the operator reads.
FIELDS = ("image_path1", "image_path2", "caption1", "caption2")

# Data-Juicer base-operator keywords accepted (and ignored) for drop-in construction.
_DJ_KWARGS = frozenset(
    {
        "num_proc", "batch_size", "text_key", "image_key", "audio_key", "video_key",
        "image_bytes_key", "work_dir", "skip_op_error", "num_cpus", "num_gpus", "memory",
        "mem_required", "cpu_required", "gpu_required", "auto_op_parallelism", "index_key",
    }
)  # fmt: skip


class DifferenceAreaGenerator:
    """Boxes of the object-level differences of an image pair with captions (Img-Diff stage 1).

    Args:
        image_pair_similarity_filter_args: dict with ``min_score_1`` (0.1), ``max_score_1``
            (1.0), ``min_score_2`` (0.1), ``max_score_2`` (1.0), ``hf_clip``
            (``"openai/clip-vit-base-patch32"``), ``num_proc`` (1, ignored); missing keys take
            these defaults. ``hf_clip`` may be a local directory.
        image_segment_mapper_args: dict with ``imgsz`` (1024), ``conf`` (0.05), ``iou`` (0.5),
            ``model_path`` (``"FastSAM-x.pt"``).
        image_text_matching_filter_args: dict with ``min_score`` (0.1), ``max_score`` (1.0),
            ``hf_blip`` (``"Salesforce/blip-itm-base-coco"``), ``num_proc`` (1, ignored),
            ``horizontal_flip`` / ``vertical_flip`` (False).
        backend: ``"auto"`` (models where available, else fallbacks), ``"models"`` (models
            required) or ``"classical"`` (never loads a model), or a dict step -> mode (or a
            registered backend name, :func:`spotdiff.backends.list_backends`) for the steps
            ``similarity``, ``segmentation``, ``matching``; see :mod:`._resolve`.
        device: torch device of the models (:func:`spotdiff._device.resolve_device`); None:
            ``cuda:<rank>`` when CUDA is available, else cpu.
        batch_size: most crops per forward pass.
        meta_key: key of the per-pair summary written next to ``__dj__bbox__`` (backends per
            step, where the pair was filtered, nouns, forward passes); None writes none.
        find_options: options of :func:`spotdiff.find` for the model-free segmentation.
        accelerator: Data-Juicer's ``"cuda"`` / ``"cpu"``; ``"cpu"`` forces ``device="cpu"``.
        **kwargs: Data-Juicer base-operator keywords (``num_proc``, ``text_key``, ...), ignored.

    The caller's dicts are copied, never modified. Backends are resolved on first use (or by
    :meth:`prepare`) and reused; models are cached once per process. Instances pickle without
    their models (a worker process loads its own).
    """

    def __init__(
        self,
        image_pair_similarity_filter_args: Mapping[str, Any] | None = None,
        image_segment_mapper_args: Mapping[str, Any] | None = None,
        image_text_matching_filter_args: Mapping[str, Any] | None = None,
        *,
        backend: str | Mapping[str, str] = "auto",
        device: Any = None,
        batch_size: int = 32,
        meta_key: str | None = "spotdiff_imgdiff",
        find_options: Mapping[str, Any] | None = None,
        accelerator: str | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - _DJ_KWARGS)
        if unknown:
            raise InvalidOptionError(
                f"DifferenceAreaGenerator got unknown keyword(s) {', '.join(unknown)}; valid: "
                "the three *_args dicts, backend, device, batch_size, meta_key, find_options, "
                "accelerator"
            )
        if find_options is not None and not isinstance(find_options, Mapping):
            raise InvalidOptionError(
                f"find_options must be a dict of spotdiff.find options, got "
                f"{type(find_options).__name__}"
            )
        self._modes = check_backend(backend)  # before any use of backend: one typed error
        self.config = AreaConfig(
            similarity=SimilarityArgs.from_dict(image_pair_similarity_filter_args),
            segment=SegmentArgs.from_dict(image_segment_mapper_args),
            matching=MatchingArgs.from_dict(image_text_matching_filter_args),
            find_options=dict(find_options or {}),
        )
        self.backend = backend if isinstance(backend, str) else dict(backend)
        if accelerator is not None:
            accelerator = check_choice("accelerator", accelerator, ("cuda", "cpu"))
            if accelerator == "cpu" and device is None:
                device = "cpu"
        self.device = device
        self.batch_size = check_number("batch_size", batch_size, low=1, integer=True)
        if meta_key is not None and not isinstance(meta_key, str):
            raise InvalidOptionError(f"meta_key must be a str or None, got {meta_key!r}")
        self.meta_key = meta_key
        self._backends: Backends | None = None
        self._lock = threading.Lock()

    # Data-Juicer attribute names (copies: changing them changes nothing)
    @property
    def image_pair_similarity_filter_args(self) -> dict[str, Any]:
        return self.config.to_dict()["image_pair_similarity_filter_args"]

    @property
    def image_segment_mapper_args(self) -> dict[str, Any]:
        return self.config.to_dict()["image_segment_mapper_args"]

    @property
    def image_text_matching_filter_args(self) -> dict[str, Any]:
        return self.config.to_dict()["image_text_matching_filter_args"]

    def prepare(self, rank: int | None = None) -> Backends:
        """Resolve the backends now (once; later calls return the same ones).

        ``prepare().describe()`` is the one line that says what runs (``"similarity:
        structural (clip weights not found locally); segmentation: find (ultralytics not
        installed); matching: skipped (blip weights not found locally)"``).

        Args:
            rank: worker index; with ``device=None``, worker ``rank`` gets GPU
                ``rank % count``.

        Raises:
            MissingDependencyError, WeightsNotFoundError: ``backend="models"`` (or a named
                backend) and a model cannot be loaded.
            InvalidOptionError: ``device`` is not a device of this machine.
        """
        if self._backends is None:
            with self._lock:
                if self._backends is None:
                    self._backends = resolve_backends(
                        self.config,
                        mode=self._modes,
                        device=self.device,
                        rank=rank,
                        batch_size=self.batch_size,
                    )
        return self._backends

    def compute(
        self, img1: Any, img2: Any, caption1: str, caption2: str, *, rank: int | None = None
    ) -> DiffResult:
        """The differences of one pair as a :class:`~spotdiff.result.DiffResult` (xyxy boxes).

        Args:
            img1, img2: anything :func:`spotdiff.io.to_rgb8` reads (path, PIL image, array).
            caption1, caption2: their captions.
        """
        a, b = to_rgb8(img1), to_rgb8(img2)
        return difference_areas(
            a, b, caption1, caption2, backends=self.prepare(rank), config=self.config
        )

    def compute_many(
        self, pairs: Sequence[tuple[Any, Any, str, str]], *, rank: int | None = None
    ) -> list[DiffResult]:
        """:meth:`compute` over several pairs, with step 1 (the similarity of each whole pair)
        of all of them in one call: ``ceil(2K / batch_size)`` forward passes for K pairs
        instead of K calls (2K passes at ``batch_size=1``). The later steps run pair by pair
        (they depend on each pair's nouns and survivors). Every pair is decoded first, so K
        pairs are in memory at once.

        Args:
            pairs: ``(img1, img2, caption1, caption2)`` tuples, images as in :meth:`compute`.

        Returns:
            One result per pair, in order, equal to :meth:`compute`'s; each
            ``metadata["forward_passes"]`` counts the pair's own passes and
            ``metadata["pooled_passes"]`` the pooled step-1 passes and how many pairs shared
            them (``{"clip": 1, "pairs": 8}``).
        """
        backends = self.prepare(rank)
        decoded = [(to_rgb8(a), to_rgb8(b), c1, c2) for a, b, c1, c2 in pairs]
        if not decoded:
            return []
        tally: Counter = Counter()
        sims = backends.similarity.similarity(
            [d[0] for d in decoded], [d[1] for d in decoded], tally=tally
        )
        pooled = {**dict(sorted(tally.items())), "pairs": len(decoded)}
        results = []
        for (a, b, c1, c2), sim in zip(decoded, sims, strict=True):
            result = difference_areas(
                a, b, c1, c2, backends=backends, config=self.config, pair_similarity=float(sim)
            )
            result.metadata["pooled_passes"] = dict(pooled)
            results.append(result)
        return results

    def process_single(self, sample: Mapping[str, Any], rank: int | None = None) -> dict:
        """Data-Juicer's per-sample call: a copy of ``sample`` with the boxes in its meta.

        Args:
            sample: dict with ``image_path1``, ``image_path2`` (paths, or images),
                ``caption1``, ``caption2``; other fields are passed through.
            rank: Data-Juicer's worker rank (picks the CUDA device).

        Returns:
            A new dict: ``sample``'s fields plus ``__dj__meta__`` (a copy of the sample's, if
            any) holding ``__dj__bbox__``, (N, 4) float32 ``cx, cy, w, h`` or ``zeros((1, 4))``,
            and, unless ``meta_key`` is None, ``meta_key``: the JSON-safe run summary.

        Raises:
            InvalidOptionError: a field is missing or a caption is not a string.
            ImageReadError: an image file is missing or unreadable (the message names it).
        """
        if not isinstance(sample, Mapping):
            raise InvalidOptionError(f"sample must be a dict, got {type(sample).__name__}")
        missing = [f for f in FIELDS if f not in sample]
        if missing:
            raise InvalidOptionError(
                f"sample is missing field(s) {', '.join(missing)}; ImgDiff rows need "
                f"{', '.join(FIELDS)} (it has: {', '.join(map(str, sample)) or 'nothing'})"
            )
        for name in ("caption1", "caption2"):
            if not isinstance(sample[name], str):
                raise InvalidOptionError(
                    f"sample field {name} must be a string, got {type(sample[name]).__name__}"
                )
        result = self.compute(
            sample["image_path1"],
            sample["image_path2"],
            sample["caption1"],
            sample["caption2"],
            rank=rank,
        )
        out = dict(sample)
        old_meta = sample.get(META_KEY)
        meta = dict(old_meta) if isinstance(old_meta, Mapping) else {}
        meta[BBOX_KEY] = to_dj_boxes(result)
        if self.meta_key is not None:
            meta[self.meta_key] = summary(result)
        out[META_KEY] = meta
        return out

    __call__ = process_single

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_backends"] = None
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DifferenceAreaGenerator(backend={self.backend!r}, config={self.config!r})"


#: Data-Juicer's class name.
Difference_Area_Generator_Mapper = DifferenceAreaGenerator


def summary(result: DiffResult) -> dict[str, Any]:
    """The deterministic, JSON-safe part of a result's metadata (no timings)."""
    meta = result.metadata
    return {
        "backends": dict(meta.get("backends", {})),
        "filtered_at": meta.get("filtered_at"),
        "pair_similarity": meta.get("pair_similarity"),
        "nouns": [list(n) for n in meta.get("nouns", [[], []])],
        "counts": dict(meta.get("counts", {})),
        "forward_passes": dict(meta.get("forward_passes", {})),
    }
