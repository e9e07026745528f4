"""Options of :func:`spotdiff.find`: :class:`FindConfig` (what the user asked for, None =
default) and :class:`FindSettings` (every option resolved for one image size, by
:meth:`FindConfig.for_size`, the one place where defaults are decided).

What the options mean is documented in :mod:`spotdiff.detect`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ._errors import InvalidOptionError
from ._validate import check_choice, check_number
from .align import ALIGN_MODES
from .align.flow import FLOW_MODES

__all__ = [
    "DEFAULT_MAX_SIDE",
    "WHOLE_FACTOR_KEEP",
    "FindConfig",
    "FindSettings",
    "working_size",
]

DEFAULT_MAX_SIDE = 1024
_FLAGS = ("photometric", "sharpness", "structure", "antialias", "masks", "diff_map")
_DEFAULT_FLAGS: dict[str, bool] = {}  # every flag defaults to True


@dataclass(frozen=True)
class FindSettings:
    """Every option of :func:`find` resolved for one image size (:meth:`FindConfig.for_size`).

    ``threshold`` stays None for "automatic" (it depends on the pair's noise); every other field
    is concrete: ``min_area`` and ``merge_gap`` in image-1 pixels, ``working_size`` ``(w, h)``.
    """

    sensitivity: float
    threshold: float | None
    min_area: float
    max_regions: int
    align: str
    photometric: bool
    sharpness: bool
    structure: bool
    antialias: bool
    max_side: int
    merge_gap: float
    masks: bool
    diff_map: bool
    image_size: tuple[int, int]
    working_size: tuple[int, int]
    flow: str | bool = "auto"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (sizes as lists)."""
        out = asdict(self)
        out["image_size"] = list(self.image_size)
        out["working_size"] = list(self.working_size)
        out["merge_gap"] = round(self.merge_gap, 3)
        return out


@dataclass(frozen=True)
class FindConfig:
    """Options of :func:`find`; None means "use the default" (see the module docstring).

    Attributes:
        sensitivity: in [0, 1]; per-pixel threshold multiplier ``2 ** (1 - 2 s)``. Default 0.5.
        threshold: fixed per-pixel colour threshold in levels (> 0), or None (automatic).
        min_area: smallest region in changed image-1 pixels (>= 0), or None
            (``max(16, 2e-5 * W * H)``).
        max_regions: most regions returned (>= 1), or None (50).
        align: registration, one of ``"auto"``, ``"translation"``, ``"similarity"``,
            ``"affine"``, ``"none"`` (True = ``"auto"``, False = ``"none"``). Default ``"auto"``.
        photometric: fit tone curves so global brightness / contrast / gamma do not count.
            Default True.
        sharpness: blur the sharper image to the other's sharpness first, so detail lost to
            resampling or re-encoding does not count (:mod:`spotdiff.align.sharpness`).
            Default True.
        structure: add the structural (SSIM) map to the colour map. Default True.
        antialias: anti-aliasing tolerance: the structural map does not count around edges that
            both images show with the same direction and whose colours the other image's
            neighbourhood explains (edges drawn with / without anti-aliasing or with another
            font hinting; :mod:`spotdiff.maps.antialias`), except at pixels that changed and
            are a ramp step in neither image (a thin line drawn or erased); applied when image 1
            looks rendered (mostly exactly flat: screenshots, UI, drawings; never
            photographs). Default True; False (CLI ``--no-antialias``) turns it off.
        max_side: the most pixels the working resolution's longer side may have (>= 64), or 0
            for full resolution. Default 1024. A larger image is reduced by a whole factor
            when that keeps at least 90% of ``max_side`` (1920x1080 -> 960x540), else to
            exactly ``max_side`` (1280x720 -> 1024x576): :func:`working_size`.
        merge_gap: fragments closer than this (image-1 pixels) may merge into one region
            (:mod:`spotdiff.regions.merge`); None: 3% of the shorter side.
        masks: return per-region masks. Default True.
        diff_map: return the evidence map at image-1 size. Default True.
        flow: dense-flow refinement of local residual misalignment (parallax, lens) after the
            global registration (:mod:`spotdiff.align.flow`): ``"auto"`` runs it only when
            registration found more than a translation (the camera turned or tilted), True
            always, False never; the
            ``"flow"`` metadata entry says whether it ran, was applied and why not. A smooth
            field of at most 2% of the side: a removed, added, recoloured or moved object stays
            a change. Default ``"auto"``.
    """

    sensitivity: float | None = None
    threshold: float | None = None
    min_area: float | None = None
    max_regions: int | None = None
    align: str | bool | None = None
    photometric: bool | None = None
    sharpness: bool | None = None
    structure: bool | None = None
    antialias: bool | None = None
    max_side: int | None = None
    merge_gap: float | None = None
    masks: bool | None = None
    diff_map: bool | None = None
    flow: str | bool | None = None

    def __post_init__(self) -> None:
        if self.sensitivity is not None:
            check_number("sensitivity", self.sensitivity, low=0.0, high=1.0)
        if self.threshold is not None:
            check_number("threshold", self.threshold, low=0.0, low_inclusive=False)
        if self.min_area is not None:
            check_number("min_area", self.min_area, low=0.0)
        if self.max_regions is not None:
            check_number("max_regions", self.max_regions, low=1, integer=True)
        if self.align is not None and not isinstance(self.align, bool):
            object.__setattr__(self, "align", check_choice("align", self.align, ALIGN_MODES))
        for name in _FLAGS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool | np.bool_):
                raise InvalidOptionError(f"{name} must be True or False; got {value!r}")
        if self.flow is not None:
            object.__setattr__(self, "flow", check_choice("flow", self.flow, FLOW_MODES))
        if self.max_side is not None:
            check_number("max_side", self.max_side, low=0, integer=True)
            if 0 < self.max_side < 64:
                raise InvalidOptionError(
                    f"max_side must be 0 (full resolution) or >= 64; got {self.max_side}"
                )
        if self.merge_gap is not None:
            check_number("merge_gap", self.merge_gap, low=0.0)

    def for_size(self, width: int, height: int) -> FindSettings:
        """Every option with its default filled in for an image 1 of ``width`` x ``height`` px.

        The one place where defaults are decided: ``min_area`` ``max(16, 2e-5 * W * H)``,
        ``merge_gap`` 3% of the shorter side, the working size (longer side at most
        ``max_side``, by a whole factor where one fits: :func:`working_size`), ``align``
        True/False/None folded to a mode name.
        """
        check_number("width", width, low=1, integer=True)
        check_number("height", height, low=1, integer=True)
        align = self.align
        if isinstance(align, bool) or align is None:
            align = "auto" if align in (None, True) else "none"
        max_side = DEFAULT_MAX_SIDE if self.max_side is None else int(self.max_side)
        flags = {
            n: _DEFAULT_FLAGS.get(n, True) if getattr(self, n) is None else bool(getattr(self, n))
            for n in _FLAGS
        }
        return FindSettings(
            sensitivity=0.5 if self.sensitivity is None else float(self.sensitivity),
            threshold=None if self.threshold is None else float(self.threshold),
            min_area=(
                max(16.0, 2e-5 * width * height) if self.min_area is None else float(self.min_area)
            ),
            max_regions=50 if self.max_regions is None else int(self.max_regions),
            align=align,
            max_side=max_side,
            merge_gap=0.03 * min(width, height)
            if self.merge_gap is None
            else float(self.merge_gap),
            image_size=(width, height),
            working_size=working_size(width, height, max_side),
            flow="auto" if self.flow is None else self.flow,
            **flags,
        )


#: A whole reduction factor is used when it keeps the longer side at least this share of
#: ``max_side`` (:func:`working_size`).
WHOLE_FACTOR_KEEP = 0.9


def working_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    """``(w, h)`` reduced so the longer side is at most ``max_side`` (0: unchanged), >= 16 px.

    The reduction is by a whole factor ``k = ceil(longer side / max_side)`` when that keeps the
    longer side at least :data:`WHOLE_FACTOR_KEEP` of ``max_side`` (1920x1080 -> 960x540 at
    1024, 3840x2160 -> 960x540, 2048 -> 1024): every later step then works on up to 19% fewer
    pixels, and a side that ``k`` divides is reduced by plain ``k x k`` block means (OpenCV's
    fast area path). Otherwise (1280x720 -> 1024x576, 1600 -> 1024) the longer side becomes
    exactly ``max_side``. A longer side up to ``max_side`` is kept as it is.
    """
    long = max(w, h)
    if max_side <= 0 or long <= max_side:
        return w, h
    k = math.ceil(long / max_side)
    s = 1.0 / k if long / k >= WHOLE_FACTOR_KEEP * max_side else max_side / long
    return max(16, round(w * s)), max(16, round(h * s))
