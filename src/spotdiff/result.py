"""``DiffResult``: the one result type of spotdiff (regions that differ between two images).

A :class:`DiffResult` is a dataclass of parallel per-region arrays (``boxes``, ``scores``,
``masks``, ``data[...]``) plus per-pair fields (``diff_map``, ``transform``, ``aligned``,
``image_size``, ``metadata``). Indexing it with an int, a slice, a boolean mask or an integer array
selects regions and returns a new ``DiffResult``; the per-pair fields are kept. Model: supervision's
``Detections``.

Masks are stored cropped to each region's bounding box (:class:`RegionMasks`): N full-size bool
masks of a 3840x2160 pair would cost N x 8 MB, the crops cost the regions' areas.
``RegionMasks`` reads like a read-only ``(N, H, W)`` bool array: ``result.masks[i]`` is the dense
``(H, W)`` mask of region ``i``, ``np.asarray(result.masks)`` the dense stack and
``result.masks.crop(i)`` the stored crop (see :mod:`spotdiff._masks`).

Two JSON forms: :meth:`DiffResult.to_dict` is lossless (parallel arrays, optional masks and map,
read back by :meth:`DiffResult.from_dict`); :meth:`DiffResult.to_record` is the compact record
people and tools read (one object per region, rounded), written by every JSON output of the CLI.
Both are built in :mod:`spotdiff._result_io`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import InvalidOptionError
from ._masks import RegionMasks, _Index, _selector
from ._result_io import (
    RECORD_SCHEMA_VERSION,
    jsonable,
    result_fields,
    result_record,
    result_to_dict,
)
from ._validate import check_boxes

__all__ = ["KINDS", "RECORD_SCHEMA_VERSION", "DiffResult", "RegionMasks"]

#: Values of ``data["kind"]``: what happened to the region from image 1 to image 2.
#: ``"added"``: something is in image 2 that is not in image 1; ``"removed"``: the reverse;
#: ``"changed"``: present in both but different (colour, shape, texture), or undecided.
KINDS = ("added", "removed", "changed")


@dataclass(eq=False)
class DiffResult:
    """Regions that differ between image 1 and image 2, plus what was computed for the pair.

    Per-region fields (parallel, length N, ordered by decreasing score when built by ``find``):

    Attributes:
        boxes: (N, 4) float32 ``x1, y1, x2, y2`` in image-1 pixel coordinates, ``x2 >= x1``,
            ``y2 >= y1``; pixel ``(x, y)`` covers ``[x, x + 1)``, so a box around columns 10..19
            is ``x1=10, x2=20``.
        scores: (N,) float32, larger = more certainly a difference; ``find`` gives values in
            ``[0, 1]``. None at construction means all ones.
        masks: :class:`RegionMasks` (reads as (N, H, W) bool, H x W = image 1) or None. A dense
            (N, H, W) bool array given at construction is cropped and stored as ``RegionMasks``.
        data: per-region arrays, each of length N, e.g. ``data["kind"]`` (N,) str in
            :data:`KINDS`, ``data["area"]`` (N,) int64 changed pixels in image-1 pixels.

    Per-pair fields (kept when indexing):

    Attributes:
        diff_map: (H, W) float32 >= 0 (larger = more different) on image 1's pixel grid, or None.
            ``find`` documents its scale.
        transform: (3, 3) float64 homogeneous matrix mapping image-2 pixel coordinates to image-1
            coordinates (the warp applied to image 2); identity when not aligned.
        aligned: True when image 2 was warped by a non-identity ``transform``.
        image_size: ``(W, H)`` of image 1, or None when unknown (inferred from masks or diff_map).
        metadata: JSON-able dict of everything else (timings, options, warnings, ...).

    Raises:
        InvalidOptionError: an array has the wrong shape, dtype or length, a box is not finite or
            has ``x2 < x1``, or ``image_size`` disagrees with ``masks`` / ``diff_map``.
    """

    boxes: np.ndarray
    scores: np.ndarray | None = None
    masks: RegionMasks | np.ndarray | None = None
    data: dict[str, np.ndarray] = field(default_factory=dict)
    diff_map: np.ndarray | None = None
    transform: np.ndarray | None = None
    aligned: bool = False
    image_size: tuple[int, int] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        boxes = check_boxes("boxes", self.boxes, dtype=np.float32)
        self.boxes = boxes
        n = len(boxes)

        if self.scores is None:
            self.scores = np.ones(n, dtype=np.float32)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        if self.scores.shape != (n,):
            raise InvalidOptionError(f"scores must have shape ({n},), got {self.scores.shape}")

        if not isinstance(self.data, Mapping):
            raise InvalidOptionError(f"data must be a dict of arrays, got {type(self.data)}")
        data = {}
        for key, value in self.data.items():
            arr = np.asarray(value)
            if arr.ndim == 0 or len(arr) != n:
                raise InvalidOptionError(
                    f"data[{key!r}] must have length {n} (one value per region), got shape "
                    f"{arr.shape}"
                )
            data[str(key)] = arr
        if "kind" in data:
            data["kind"] = data["kind"].astype(str)
            unknown = set(data["kind"].tolist()) - set(KINDS)
            if unknown:
                raise InvalidOptionError(
                    f"data['kind'] values must be in {KINDS}, got {sorted(unknown)}"
                )
        self.data = data

        if self.diff_map is not None:
            self.diff_map = np.asarray(self.diff_map, dtype=np.float32)
            if self.diff_map.ndim != 2:
                raise InvalidOptionError(
                    f"diff_map must have shape (H, W), got {self.diff_map.shape}"
                )

        if self.transform is None:
            self.transform = np.eye(3, dtype=np.float64)
        self.transform = np.asarray(self.transform, dtype=np.float64)
        if self.transform.shape != (3, 3) or not np.isfinite(self.transform).all():
            raise InvalidOptionError(
                f"transform must be a finite (3, 3) matrix, got shape {self.transform.shape}"
            )
        self.aligned = bool(self.aligned)

        if isinstance(self.masks, np.ndarray):
            self.masks = RegionMasks.from_dense(self.masks)
        elif self.masks is not None and not isinstance(self.masks, RegionMasks):
            raise InvalidOptionError(
                f"masks must be None, an (N, H, W) bool array or RegionMasks, got "
                f"{type(self.masks).__name__}"
            )
        if self.masks is not None and len(self.masks) != n:
            raise InvalidOptionError(f"masks must hold {n} masks, got {len(self.masks)}")

        sizes = {}
        if self.image_size is not None:
            size = tuple(int(v) for v in np.asarray(self.image_size).reshape(-1))
            if len(size) != 2 or min(size) <= 0:
                raise InvalidOptionError(
                    f"image_size must be (width, height) > 0, got {self.image_size!r}"
                )
            sizes["image_size"] = size
        if self.masks is not None:
            sizes["masks"] = self.masks.size
        if self.diff_map is not None:
            sizes["diff_map"] = (self.diff_map.shape[1], self.diff_map.shape[0])
        if len(set(sizes.values())) > 1:
            raise InvalidOptionError(
                "image_size, masks and diff_map must describe one (W, H), got "
                + ", ".join(f"{k}={v[0]}x{v[1]}" for k, v in sizes.items())
            )
        self.image_size = next(iter(sizes.values()), None)
        if not isinstance(self.metadata, Mapping):
            raise InvalidOptionError(f"metadata must be a dict, got {type(self.metadata)}")
        self.metadata = dict(self.metadata)

    # ------------------------------------------------------------------ construction
    @classmethod
    def empty(
        cls,
        image_size: tuple[int, int] | None = None,
        *,
        diff_map: np.ndarray | None = None,
        transform: np.ndarray | None = None,
        aligned: bool = False,
        metadata: dict[str, Any] | None = None,
        masks: bool = False,
    ) -> DiffResult:
        """A result with no region (per-pair fields as given; ``masks``: an empty mask stack)."""
        size = image_size
        if size is None and diff_map is not None:
            size = (diff_map.shape[1], diff_map.shape[0])
        stack = None
        if masks:
            if size is None:
                raise InvalidOptionError("masks=True needs image_size or diff_map")
            stack = RegionMasks([], np.zeros((0, 2), dtype=np.int64), size)
        return cls(
            boxes=np.zeros((0, 4), dtype=np.float32),
            scores=np.zeros(0, dtype=np.float32),
            masks=stack,
            data={"kind": np.zeros(0, dtype="<U7"), "area": np.zeros(0, dtype=np.int64)},
            diff_map=diff_map,
            transform=transform,
            aligned=aligned,
            image_size=image_size,
            metadata=metadata or {},
        )

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(self, index: _Index) -> DiffResult:
        """Select regions by int, slice, (N,) bool mask or int array; per-pair fields are kept."""
        if isinstance(index, str):
            raise TypeError(
                f"DiffResult is indexed by region (int, slice, mask); for data use "
                f"result.data[{index!r}]"
            )
        sel = _selector(index, len(self))
        return DiffResult(
            boxes=self.boxes[sel],
            scores=self.scores[sel],
            masks=None if self.masks is None else self.masks[sel],
            data={k: v[sel] for k, v in self.data.items()},
            diff_map=self.diff_map,
            transform=self.transform,
            aligned=self.aligned,
            image_size=self.image_size,
            metadata=self.metadata,
        )

    def __iter__(self) -> Iterator[DiffResult]:
        """One single-region ``DiffResult`` per region, in order."""
        for i in range(len(self)):
            yield self[i]

    @property
    def kind(self) -> np.ndarray | None:
        """(N,) str in :data:`KINDS` (``data["kind"]``), or None when not recorded."""
        return self.data.get("kind")

    @property
    def area(self) -> np.ndarray:
        """(N,) changed pixels per region: ``data["area"]``, else mask areas, else box areas."""
        if "area" in self.data:
            return self.data["area"]
        if self.masks is not None:
            return self.masks.area()
        return (self.boxes[:, 2] - self.boxes[:, 0]) * (self.boxes[:, 3] - self.boxes[:, 1])

    @property
    def box_area(self) -> np.ndarray:
        """(N,) float32 area of each box in pixels."""
        return (self.boxes[:, 2] - self.boxes[:, 0]) * (self.boxes[:, 3] - self.boxes[:, 1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DiffResult):
            return NotImplemented

        def same(a: Any, b: Any) -> bool:
            if a is None or b is None:
                return a is None and b is None
            a, b = np.asarray(a), np.asarray(b)
            floats = a.dtype.kind in "fc" and b.dtype.kind in "fc"  # NaN equals NaN there
            return np.array_equal(a, b, equal_nan=floats)

        return (
            same(self.boxes, other.boxes)
            and same(self.scores, other.scores)
            and (self.masks == other.masks if self.masks is not None else other.masks is None)
            and self.data.keys() == other.data.keys()
            and all(same(v, other.data[k]) for k, v in self.data.items())
            and same(self.diff_map, other.diff_map)
            and same(self.transform, other.transform)
            and self.aligned == other.aligned
            and self.image_size == other.image_size
            and jsonable(self.metadata) == jsonable(other.metadata)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        size = f"{self.image_size[0]}x{self.image_size[1]}" if self.image_size else "?"
        kinds = "" if self.kind is None else f", kind={self.kind.tolist()}"
        return (
            f"DiffResult(n={len(self)}, image_size={size}, aligned={self.aligned}, "
            f"scores={[round(float(v), 3) for v in self.scores]}{kinds})"
        )

    # ------------------------------------------------------------------ serialization
    def to_dict(self, *, include_masks: bool = False, include_map: bool = False) -> dict[str, Any]:
        """JSON-safe dict (Python lists / numbers / str only).

        Args:
            include_masks: add ``"masks"``: per region ``{"origin": [x0, y0], "shape": [h, w],
                "counts": [...]}``, row-major run lengths of the crop starting with a False run.
            include_map: add ``"diff_map"``: ``{"shape": [H, W], "dtype": "float32",
                "base64": ...}`` (little-endian float32 bytes).

        Returns:
            ``{"boxes": [[x1, y1, x2, y2], ...], "scores": [...], "data": {name: [...]},
            "transform": 3x3 list, "aligned": bool, "image_size": [W, H] | None,
            "metadata": {...}}`` plus the optional keys.
        """
        return result_to_dict(self, include_masks=include_masks, include_map=include_map)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DiffResult:
        """Inverse of :meth:`to_dict` (masks and map restored when present).

        Raises:
            InvalidOptionError: ``d`` is not a dict made by :meth:`to_dict`, or has masks without
                ``image_size``.
        """
        return cls(**result_fields(d))

    def to_record(self, *, precision: int | None = 6) -> dict[str, Any]:
        """The compact JSON record of the result, as ``spotdiff find --json`` writes it.

        Args:
            precision: decimal places kept for scores and transform entries; box coordinates
                (pixels) keep ``min(precision, 2)`` (1/100 pixel). None: no rounding.

        Returns:
            ``{"schema_version": RECORD_SCHEMA_VERSION, "size": [W, H] | None, "aligned": bool,
            "transform": 3x3 list (image-2 to image-1 pixels), "regions": [{"box": [x1, y1, x2,
            y2], "score": float, "area": int, "kind": str}, ...]}``, regions in the result's order.
            ``area`` is :attr:`area` (changed pixels) rounded to an int; ``kind`` is
            ``"changed"`` where the result records none; a non-finite score is None. Only
            Python types, so ``json.dumps(record, allow_nan=False)`` works. Masks, the map,
            ``data`` beyond kind/area and ``metadata`` are left out (use :meth:`to_dict`).

        Raises:
            InvalidOptionError: ``precision`` is not None or an int >= 0.
        """
        return result_record(self, precision=precision)

    def to_json(self, *, include_masks: bool = False, include_map: bool = False, **kw: Any) -> str:
        """``json.dumps(self.to_dict(...), **kw)``."""
        return json.dumps(self.to_dict(include_masks=include_masks, include_map=include_map), **kw)

    @classmethod
    def from_json(cls, text: str) -> DiffResult:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))
