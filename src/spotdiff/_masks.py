"""Per-region boolean masks stored as crops (:class:`RegionMasks`), and region indexing.

N full-size bool masks of a 3840x2160 pair would cost N x 8 MB; crops to each region's bounding
box cost the regions' areas. ``RegionMasks`` reads like a read-only ``(N, H, W)`` bool array.
Re-exported from :mod:`spotdiff.result`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ._errors import InvalidOptionError

__all__ = ["RegionMasks"]

_Index = int | slice | np.ndarray | list


def _selector(index: Any, n: int) -> np.ndarray | slice:
    """Normalize a region index to a slice or an int64 index array (never a bare int)."""
    if isinstance(index, slice):
        return index
    if isinstance(index, int | np.integer) and not isinstance(index, bool):
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"region index {i} is out of range for {n} regions")
        return np.array([i % n], dtype=np.int64)
    arr = np.asarray(index)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise IndexError(f"boolean region index must have shape ({n},), got {arr.shape}")
        return np.flatnonzero(arr)
    if arr.ndim == 1 and (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        arr = arr.astype(np.int64)
        if arr.size and (arr.max() >= n or arr.min() < -n):
            raise IndexError(f"region indices {arr.tolist()} out of range for {n} regions")
        return arr % max(n, 1)
    raise IndexError(
        f"regions are indexed by int, slice, (N,) bool mask or 1-D int array, got {index!r}"
    )


class RegionMasks:
    """Per-region boolean masks stored as crops: reads like a read-only (N, H, W) bool array.

    Args:
        crops: N bool arrays; crop ``i`` has shape ``(h_i, w_i)`` and covers image pixels
            ``[y0_i, y0_i + h_i) x [x0_i, x0_i + w_i)``.
        origins: (N, 2) int, the ``(x0, y0)`` of each crop in image pixels (inside the image).
        size: ``(W, H)`` of the image the masks belong to.
    """

    __slots__ = ("_crops", "_origins", "_size")

    def __init__(self, crops: list[np.ndarray], origins: np.ndarray, size: tuple[int, int]):
        w, h = (int(v) for v in size)
        origins = np.asarray(origins, dtype=np.int64).reshape(-1, 2)
        if len(crops) != len(origins):
            raise InvalidOptionError(
                f"RegionMasks needs one origin per crop, got {len(crops)} crops and "
                f"{len(origins)} origins"
            )
        checked = []
        for i, (crop, (x0, y0)) in enumerate(zip(crops, origins, strict=True)):
            crop = np.asarray(crop)
            if crop.ndim != 2 or crop.dtype != bool:
                raise InvalidOptionError(
                    f"mask crop {i} must be a 2-D bool array, got shape {crop.shape} dtype "
                    f"{crop.dtype}; pass crop.astype(bool)"
                )
            if x0 < 0 or y0 < 0 or x0 + crop.shape[1] > w or y0 + crop.shape[0] > h:
                raise InvalidOptionError(
                    f"mask crop {i} of shape {crop.shape} at (x0={x0}, y0={y0}) does not fit in "
                    f"a {w}x{h} image"
                )
            checked.append(crop)
        self._crops = checked
        self._origins = origins
        self._size = (w, h)

    @classmethod
    def from_dense(cls, masks: np.ndarray) -> RegionMasks:
        """Crop a dense (N, H, W) bool stack to each mask's bounding box (empty mask: 0x0 crop)."""
        masks = np.asarray(masks)
        if masks.ndim != 3:
            raise InvalidOptionError(f"masks must have shape (N, H, W), got {masks.shape}")
        masks = masks.astype(bool, copy=False)
        crops, origins = [], []
        for m in masks:
            ys = np.flatnonzero(m.any(axis=1))
            xs = np.flatnonzero(m.any(axis=0))
            if ys.size == 0:
                crops.append(np.zeros((0, 0), dtype=bool))
                origins.append((0, 0))
                continue
            crops.append(m[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1].copy())
            origins.append((xs[0], ys[0]))
        return cls(crops, np.array(origins, dtype=np.int64), (masks.shape[2], masks.shape[1]))

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(N, H, W)``."""
        return (len(self._crops), self._size[1], self._size[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(W, H)`` of the image."""
        return self._size

    dtype = np.dtype(bool)
    ndim = 3

    @property
    def origins(self) -> np.ndarray:
        """(N, 2) int64 ``(x0, y0)`` of each crop."""
        return self._origins.copy()

    @property
    def nbytes(self) -> int:
        """Bytes held by the crops."""
        return int(sum(c.nbytes for c in self._crops))

    def __len__(self) -> int:
        return len(self._crops)

    def crop(self, i: int) -> tuple[np.ndarray, tuple[int, int]]:
        """The stored ``(h_i, w_i)`` bool crop of region ``i`` and its ``(x0, y0)``."""
        x0, y0 = self._origins[i]
        return self._crops[i], (int(x0), int(y0))

    def dense(self, i: int) -> np.ndarray:
        """(H, W) bool mask of region ``i``."""
        out = np.zeros((self._size[1], self._size[0]), dtype=bool)
        crop, (x0, y0) = self.crop(i)
        out[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        return out

    def to_dense(self) -> np.ndarray:
        """(N, H, W) bool stack (allocates N * H * W bytes)."""
        out = np.zeros(self.shape, dtype=bool)
        for i, (crop, (x0, y0)) in enumerate(zip(self._crops, self._origins, strict=True)):
            out[i, y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        return out

    def union(self) -> np.ndarray:
        """(H, W) bool, True where any mask is (without building the (N, H, W) stack)."""
        out = np.zeros((self._size[1], self._size[0]), dtype=bool)
        for crop, (x0, y0) in zip(self._crops, self._origins, strict=True):
            out[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] |= crop
        return out

    def area(self) -> np.ndarray:
        """(N,) int64 number of True pixels per mask."""
        return np.array([int(c.sum()) for c in self._crops], dtype=np.int64)

    def __getitem__(self, index: _Index) -> np.ndarray | RegionMasks:
        """Int: the dense (H, W) mask. Slice / bool / int array: a ``RegionMasks`` subset."""
        if isinstance(index, int | np.integer) and not isinstance(index, bool):
            n = len(self)
            if not -n <= int(index) < n:
                raise IndexError(f"mask index {int(index)} is out of range for {n} masks")
            return self.dense(int(index) % n)
        sel = _selector(index, len(self))
        ids = range(len(self))[sel] if isinstance(sel, slice) else sel.tolist()
        return RegionMasks([self._crops[i] for i in ids], self._origins[list(ids)], self._size)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.dense(i)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.to_dense()
        return out if dtype is None else out.astype(dtype)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RegionMasks):
            return NotImplemented
        return self.shape == other.shape and np.array_equal(self.to_dense(), other.to_dense())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RegionMasks(shape={self.shape}, stored_bytes={self.nbytes})"

    # ---- JSON: row-major run lengths of each crop, starting with a run of False ----
    def to_list(self) -> list[dict[str, Any]]:
        """JSON-safe ``[{"origin": [x0, y0], "shape": [h, w], "counts": [...]}, ...]``."""
        out = []
        for crop, (x0, y0) in zip(self._crops, self._origins, strict=True):
            flat = crop.ravel()
            change = np.flatnonzero(np.diff(flat.view(np.uint8))) + 1
            bounds = np.concatenate(([0], change, [flat.size]))
            counts = np.diff(bounds).tolist()
            if flat.size and flat[0]:
                counts = [0, *counts]
            out.append({"origin": [int(x0), int(y0)], "shape": list(crop.shape), "counts": counts})
        return out

    @classmethod
    def from_list(cls, items: list[Mapping[str, Any]], size: tuple[int, int]) -> RegionMasks:
        """Inverse of :meth:`to_list`."""
        crops, origins = [], []
        for item in items:
            h, w = (int(v) for v in item["shape"])
            counts = np.asarray(item["counts"], dtype=np.int64)
            values = (np.arange(counts.size) % 2).astype(bool)
            crops.append(np.repeat(values, counts).reshape(h, w))
            origins.append(item["origin"])
        return cls(crops, np.array(origins, dtype=np.int64).reshape(-1, 2), size)
