"""Synthetic benchmark pairs: real photographs with planted edits and exact ground truth.

Each pair starts from a photograph bundled with scikit-image (``_photos.PHOTOS``; nothing is
downloaded), resized and cropped to ``size``. Image 1 is the photo; 1-3 edits of one kind are
planted into a copy (:data:`EDIT_KINDS`: added, removed, recoloured, moved, resized; objects are
photo segments, ellipses, blobs, polygons or a silhouette, 24 px to 0.45 x the shorter side),
then one nuisance (:data:`NUISANCE_NAMES`: none, jpeg, noise, brightness, contrast, gamma, translate,
rotate, scale) turns the edited copy into image 2.

Every edit is visible: its object pixels change by at least 20 levels on average (largest
channel change) and half of them by at least 12 levels, or the edit is drawn again elsewhere.
Edits keep ``0.05 x`` the shorter image side apart and stay ``margin`` pixels inside the frame
(so they stay in view under the geometric nuisances).

Ground truth, in image-1 pixel coordinates:

- ``mask``: (H, W) bool, the pixels where the edited image 1 differs from image 1 (before any
  nuisance), exactly;
- ``boxes``: (K, 4) float32 xyxy (exclusive ends), the tight box of each edit's changed pixels
  (a moved object gives two boxes, old and new place, merged into one when they overlap).

Design: pairs come scene by scene; a *scene* (photo + edits) is shown under every nuisance in
turn, so the per-nuisance scores compare the same edits, and scene ``s`` has edit kind
``edits[s % len(edits)]``. Pair ``i`` is scene ``i // len(nuisances)`` under nuisance
``nuisances[i % len(nuisances)]``; ``n = len(edits) * len(nuisances) * k`` pairs give a balanced
grid. Everything is drawn from ``numpy.random.default_rng([seed, scene])`` (and
``[seed, scene, nuisance index]`` for the nuisance), so a pair does not depend on ``n``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import InvalidOptionError
from .._validate import check_number
from ._canvas import EditCanvas
from ._edits import EDIT_KINDS, EDITS
from ._nuisances import NUISANCE_NAMES, NUISANCES, margin_for
from ._photos import PHOTOS, cover, load_photo

__all__ = [
    "EDIT_KINDS",
    "NUISANCE_NAMES",
    "PHOTOS",
    "Scene",
    "SyntheticPair",
    "generate_pairs",
    "make_scene",
    "parse_size",
]


@dataclass(frozen=True)
class Scene:
    """A photo with planted edits, before any nuisance.

    Attributes:
        index: scene number.
        photo: name of the source photo.
        canvas1, canvas2: uint8 (H + 2m, W + 2m, 3) RGB, the scene before / after the edits with
            an ``margin``-pixel border of real photo content.
        margin: ``m``, pixels.
        boxes: (K, 4) float32 xyxy ground truth in image-1 pixels.
        kinds: (K,) edit kind of each box.
        edit_ids: (K,) int64, which edit each box belongs to (moved: two boxes, one edit).
        mask: (H, W) bool, pixels changed by the edits, image-1 pixels.
    """

    index: int
    photo: str
    canvas1: np.ndarray
    canvas2: np.ndarray
    margin: int
    boxes: np.ndarray
    kinds: tuple[str, ...]
    edit_ids: np.ndarray
    mask: np.ndarray

    def _crop(self, canvas: np.ndarray) -> np.ndarray:
        m = self.margin
        return np.ascontiguousarray(canvas[m:-m, m:-m])

    @property
    def img1(self) -> np.ndarray:
        """uint8 (H, W, 3) RGB image 1."""
        return self._crop(self.canvas1)

    @property
    def edited(self) -> np.ndarray:
        """uint8 (H, W, 3) RGB image 1 with the edits, before any nuisance."""
        return self._crop(self.canvas2)


@dataclass(frozen=True)
class SyntheticPair:
    """One benchmark pair with its ground truth (all coordinates in image-1 pixels).

    Attributes:
        img1, img2: uint8 (H, W, 3) RGB.
        boxes: (K, 4) float32 xyxy ground-truth boxes (exclusive ends).
        kinds: (K,) str, the edit kind of each box (:data:`EDIT_KINDS`).
        nuisance: name of the nuisance applied to image 2 (:data:`NUISANCE_NAMES`).
        mask: (H, W) bool, pixels changed by the edits (before the nuisance).
        edited: uint8 (H, W, 3), image 1 with the edits and without the nuisance.
        index, scene: pair and scene numbers; photo: source photo name.
        edit_ids: (K,) int64, the edit each box belongs to.
        params: what the nuisance drew (``"quality"``, ``"sigma"``, ``"transform"``: (3, 3)
            image-1 -> image-2 pixel coordinates, ...).
    """

    img1: np.ndarray
    img2: np.ndarray
    boxes: np.ndarray
    kinds: tuple[str, ...]
    nuisance: str
    mask: np.ndarray
    edited: np.ndarray
    index: int = 0
    scene: int = 0
    photo: str = ""
    edit_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        """``(W, H)``."""
        return (self.img1.shape[1], self.img1.shape[0])


#: A size at which every edit kind plants (on smaller ones a scene may fail to plant).
_GOOD_SIZE = "160x90"
#: Photos (crops) drawn for a scene before giving up: some crops have no object for an edit.
_PHOTO_TRIES = 5


def parse_size(size: Any) -> tuple[int, int]:
    """``(W, H)`` from a ``(W, H)`` pair or a ``"WxH"`` string; both at least 64 x 48."""
    if isinstance(size, str):
        parts = size.lower().replace("×", "x").split("x")
        try:
            size = tuple(int(p) for p in parts)
        except ValueError:
            size = ()
    if not isinstance(size, tuple | list) or len(size) != 2:
        raise InvalidOptionError(
            f"size must be (width, height) or 'WxH' like '1280x720'; got {size!r}"
        )
    w = check_number("width", int(size[0]), low=64, integer=True)
    h = check_number("height", int(size[1]), low=48, integer=True)
    return w, h


def _names(what: str, names: Sequence[str] | None, registry: Any, default: tuple[str, ...]):
    if names is None:
        return default
    if isinstance(names, str):
        names = [names]
    out = tuple(registry.resolve(n) for n in names)
    if not out:
        raise InvalidOptionError(f"{what} must name at least one of {', '.join(default)}")
    return out


def _photo_names(photos: Sequence[str] | None) -> tuple[str, ...]:
    if photos is None:
        return PHOTOS
    photos = (photos,) if isinstance(photos, str) else tuple(photos)
    unknown = sorted(set(photos) - set(PHOTOS))
    if unknown or not photos:
        raise InvalidOptionError(
            f"photos must be a non-empty subset of {', '.join(PHOTOS)}; got unknown {unknown}"
        )
    return photos


def _check_sides(size: tuple[int, int], min_side: int) -> int:
    """The default ``max_side`` of ``size`` (0.45 x the shorter side), checked > ``min_side``."""
    w, h = size
    max_side = round(0.45 * min(w, h))
    if max_side <= min_side:
        raise InvalidOptionError(
            f"size {w}x{h} leaves objects at most {max_side} px (0.45 x the shorter side), "
            f"not more than min_side={min_side}: use a larger size (at least {_GOOD_SIZE}) "
            "or pass a smaller min_side and max_side"
        )
    return max_side


def make_scene(
    scene: int,
    *,
    size: tuple[int, int] = (1280, 720),
    seed: int = 0,
    kind: str = "added",
    max_edits: int = 3,
    photos: Sequence[str] = PHOTOS,
    min_side: int = 24,
    max_side: int | None = None,
) -> Scene:
    """Plant 1..``max_edits`` edits of ``kind`` into a photo; see the module docstring.

    Args:
        scene: scene number (selects the random stream with ``seed``).
        size: ``(W, H)`` of the images.
        kind: edit kind (:data:`EDIT_KINDS`).
        max_edits: most edits per scene (the number is drawn uniformly in 1..max_edits).
        photos: source photo names (a subset of :data:`PHOTOS`).
        min_side, max_side: range of an object's longer side in pixels (log-uniform);
            ``max_side`` None means 0.45 x the shorter image side.

    Raises:
        InvalidOptionError: a bad option, or no visible edit of ``kind`` could be planted
            (images too small for the objects; a scene whose photo crop has no suitable object
            is drawn again from another photo, up to 5 times).
    """
    w, h = parse_size(size)
    kind = EDITS.resolve(kind)
    edit = EDITS.factory(kind)
    max_edits = check_number("max_edits", max_edits, low=1, integer=True)
    photos = _photo_names(photos)
    if max_side is None:
        max_side = _check_sides((w, h), min_side)
    if not 4 <= min_side < max_side:
        raise InvalidOptionError(
            f"min_side must be >= 4 and < max_side, got min_side={min_side}, max_side={max_side}"
        )
    rng = np.random.default_rng([int(seed), int(scene)])
    m = margin_for((w, h))
    tried = []
    for _ in range(_PHOTO_TRIES):
        photo = photos[int(rng.integers(0, len(photos)))]
        tried.append(photo)
        canvas1 = cover(load_photo(photo), (w + 2 * m, h + 2 * m), rng)
        canvas1.flags.writeable = False
        canvas = EditCanvas(
            canvas1,
            area=(2 * m, 2 * m, w, h),
            rng=rng,
            min_side=min_side,
            max_side=max_side,
            gap=max(8, round(0.05 * min(w, h))),
            donors=tuple(photos) if len(photos) > 1 else PHOTOS,
        )
        n_edits = int(rng.integers(1, max_edits + 1))
        for e in range(n_edits):
            for _ in range(200 if e == 0 else 40):
                parts = edit(canvas)
                if parts is not None and canvas.commit(parts, kind):
                    break
        if canvas.truth:
            break
    else:  # e.g. a flat crop of "moon" has no object whose resizing is visible
        raise InvalidOptionError(
            f"could not plant a visible {kind!r} edit in scene {scene} at {w}x{h} with objects "
            f"of {min_side}-{max_side} px (tried crops of {', '.join(sorted(set(tried)))}): "
            f"use a larger size (at least {_GOOD_SIZE}), smaller objects (min_side, max_side), "
            "other photos or another seed"
        )
    boxes = np.array([b for b, _, _ in canvas.truth], dtype=np.float32).reshape(-1, 4) - m
    return Scene(
        index=scene,
        photo=photo,
        canvas1=canvas1,
        canvas2=canvas.after,
        margin=m,
        boxes=boxes,
        kinds=tuple(k for _, k, _ in canvas.truth),
        edit_ids=np.array([i for _, _, i in canvas.truth], dtype=np.int64),
        mask=np.ascontiguousarray(canvas.changed[m:-m, m:-m]),
    )


def generate_pairs(
    n: int,
    *,
    size: tuple[int, int] | str = (1280, 720),
    seed: int = 0,
    edits: Sequence[str] | None = None,
    nuisances: Sequence[str] | None = None,
    max_edits: int = 3,
    photos: Sequence[str] | None = None,
    min_side: int = 24,
    max_side: int | None = None,
) -> Iterator[SyntheticPair]:
    """Yield ``n`` benchmark pairs, deterministic in ``seed``; see the module docstring.

    Args:
        n: number of pairs (``len(edits) * len(nuisances) * k`` gives a balanced grid).
        size: ``(W, H)`` or ``"WxH"``.
        seed: random seed; the same seed gives identical pairs.
        edits: edit kinds to plant (default all of :data:`EDIT_KINDS`).
        nuisances: nuisances to apply (default all of :data:`NUISANCE_NAMES`).
        max_edits: most edits per pair (1..max_edits, uniformly).
        photos: source photos (default :data:`PHOTOS`).
        min_side, max_side: object size range (pixels, longer side).

    Yields:
        :class:`SyntheticPair`, scene-major (each scene under every nuisance in turn).
    """
    n = check_number("n", n, low=0, integer=True)
    max_edits = check_number("max_edits", max_edits, low=1, integer=True)
    size = parse_size(size)
    edits = _names("edits", edits, EDITS, EDIT_KINDS)
    nuisances = _names("nuisances", nuisances, NUISANCES, NUISANCE_NAMES)
    photos = _photo_names(photos)
    if max_side is None:  # the size check of make_scene, before anything is generated
        _check_sides(size, min_side)
    return _pairs(n, size, seed, edits, nuisances, max_edits, photos, min_side, max_side)


def _pairs(
    n: int,
    size: tuple[int, int],
    seed: int,
    edits: tuple[str, ...],
    nuisances: tuple[str, ...],
    max_edits: int,
    photos: tuple[str, ...],
    min_side: int,
    max_side: int | None,
) -> Iterator[SyntheticPair]:
    scene: Scene | None = None
    for i in range(n):
        s, k = divmod(i, len(nuisances))
        if scene is None or scene.index != s:
            scene = make_scene(
                s,
                size=size,
                seed=seed,
                kind=edits[s % len(edits)],
                max_edits=max_edits,
                photos=photos,
                min_side=min_side,
                max_side=max_side,
            )
        name = nuisances[k]
        rng = np.random.default_rng([int(seed), s, NUISANCE_NAMES.index(name) + 1])
        img2, params = NUISANCES.factory(name)(scene.canvas2, scene.margin, rng)
        yield SyntheticPair(
            img1=scene.img1,
            img2=img2,
            boxes=scene.boxes.copy(),
            kinds=scene.kinds,
            nuisance=name,
            mask=scene.mask,
            edited=scene.edited,
            index=i,
            scene=s,
            photo=scene.photo,
            edit_ids=scene.edit_ids.copy(),
            params=params,
        )
