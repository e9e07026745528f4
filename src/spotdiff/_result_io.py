"""How a :class:`~spotdiff.result.DiffResult` becomes JSON and back.

Two forms: the lossless dict (:func:`result_to_dict` / :func:`result_fields`: parallel arrays,
optional masks as run lengths and the map as base64 float32) and the compact record
(:func:`result_record`: one object per region, rounded; ``spotdiff find --json`` and
summary.jsonl). :class:`~spotdiff.result.DiffResult` documents both in its ``to_dict`` and
``to_record`` methods, which call these.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InvalidOptionError
from ._masks import RegionMasks

if TYPE_CHECKING:
    from .result import DiffResult

__all__ = [
    "RECORD_SCHEMA_VERSION",
    "decode_map",
    "encode_map",
    "jsonable",
    "result_fields",
    "result_record",
    "result_to_dict",
]

#: Version of the :meth:`DiffResult.to_record` layout (``spotdiff find --json``, summary.jsonl).
RECORD_SCHEMA_VERSION = 1


def jsonable(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays, tuples and paths into JSON-safe Python values
    (non-finite floats become None)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def encode_map(m: np.ndarray) -> dict[str, Any]:
    """``{"shape": [H, W], "dtype": "float32", "base64": ...}`` of a float map (little-endian
    float32 bytes)."""
    data = np.ascontiguousarray(m, dtype="<f4").tobytes()
    return {"shape": list(m.shape), "dtype": "float32", "base64": base64.b64encode(data).decode()}


def decode_map(d: Mapping[str, Any]) -> np.ndarray:
    """Inverse of :func:`encode_map`: a float32 array of ``d["shape"]``."""
    raw = base64.b64decode(d["base64"])
    return np.frombuffer(raw, dtype="<f4").reshape(d["shape"]).astype(np.float32)


def result_to_dict(
    result: DiffResult, *, include_masks: bool = False, include_map: bool = False
) -> dict[str, Any]:
    """:meth:`DiffResult.to_dict <spotdiff.result.DiffResult.to_dict>` (documented there)."""
    out: dict[str, Any] = {
        "boxes": result.boxes.tolist(),
        "scores": result.scores.tolist(),
        "data": {k: jsonable(v) for k, v in result.data.items()},
        "transform": result.transform.tolist(),
        "aligned": result.aligned,
        "image_size": list(result.image_size) if result.image_size else None,
        "metadata": jsonable(result.metadata),
    }
    if include_masks and result.masks is not None:
        out["masks"] = result.masks.to_list()
    if include_map and result.diff_map is not None:
        out["diff_map"] = encode_map(result.diff_map)
    return out


def result_fields(d: Mapping[str, Any]) -> dict[str, Any]:
    """The ``DiffResult(**fields)`` of a dict made by :func:`result_to_dict` (masks and map
    restored when present).

    Raises:
        InvalidOptionError: ``d`` is not such a dict, or has masks without ``image_size``.
    """
    if not isinstance(d, Mapping) or "boxes" not in d:
        raise InvalidOptionError(
            "DiffResult.from_dict needs a dict made by DiffResult.to_dict (with 'boxes'), "
            f"got {type(d).__name__}"
        )
    size = tuple(d["image_size"]) if d.get("image_size") else None
    masks = None
    if d.get("masks") is not None:
        if size is None:
            raise InvalidOptionError("masks in the dict need 'image_size'")
        masks = RegionMasks.from_list(d["masks"], size)
    return {
        "boxes": np.asarray(d["boxes"], dtype=np.float32),
        "scores": np.asarray(d.get("scores", np.ones(len(d["boxes"]))), dtype=np.float32),
        "masks": masks,
        "data": {k: np.asarray(v) for k, v in d.get("data", {}).items()},
        "diff_map": decode_map(d["diff_map"]) if d.get("diff_map") else None,
        "transform": np.asarray(d.get("transform", np.eye(3)), dtype=np.float64),
        "aligned": bool(d.get("aligned", False)),
        "image_size": size,
        "metadata": dict(d.get("metadata", {})),
    }


def _rounded(value: Any, digits: int | None) -> float | None:
    value = float(value)
    if not np.isfinite(value):
        return None
    return value if digits is None else round(value, digits)


def result_record(result: DiffResult, *, precision: int | None = 6) -> dict[str, Any]:
    """:meth:`DiffResult.to_record <spotdiff.result.DiffResult.to_record>` (documented there).

    Raises:
        InvalidOptionError: ``precision`` is not None or an int >= 0.
    """
    if precision is not None:
        from ._validate import check_number

        check_number("precision", precision, low=0, integer=True)
    box_digits = None if precision is None else min(precision, 2)
    kinds = result.kind
    areas = result.area
    size = result.image_size
    regions = [
        {
            "box": [_rounded(v, box_digits) for v in box],
            "score": _rounded(result.scores[i], precision),
            "area": round(float(areas[i])),
            "kind": "changed" if kinds is None else str(kinds[i]),
        }
        for i, box in enumerate(result.boxes)
    ]
    return {
        "schema_version": RECORD_SCHEMA_VERSION,
        "size": [int(size[0]), int(size[1])] if size else None,
        "aligned": bool(result.aligned),
        "transform": [[_rounded(v, precision) for v in row] for row in result.transform],
        "regions": regions,
    }
