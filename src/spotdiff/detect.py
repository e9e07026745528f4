"""``find``: the regions that differ between two images, with no model weights.

The pipeline (each step a pure function of its own module):

1. input (:func:`spotdiff.io.load_pair`): two uint8 RGB images of one size (size policy);
2. working resolution: both reduced (area interpolation) so the longer side is at most
   ``max_side`` (default 1024 px: a 1920x1080 pair runs at 1024x576, where an 8x8 px change of
   the original still spans 4x4 px; measured on the synthetic benchmark at 1280x720, 1024 scores
   the same box F1 as full resolution in two thirds of the time);
3. alignment (:mod:`spotdiff.align`): global registration of image 2 onto image 1, skipped when
   not needed, identity with a warning when it fails; pixels image 2 does not cover are never
   reported; tone curves fitted so a brightness / contrast / gamma change is not a difference,
   and the sharper image blurred to the other's sharpness (:func:`spotdiff.align.match_pair`);
4. difference maps (:mod:`spotdiff.maps`): a colour difference tolerant to 1-px shifts,
   resampling and clipping, and a noise-aware structural (SSIM) difference, divided by their
   thresholds into one evidence map (1 = threshold);
5. regions: hysteresis (seeds at 1, extent down to 0.5), fragments merged, small regions
   dropped, scores, masks and kinds; boxes in image-1 pixels;
6. tight boxes (:func:`spotdiff.regions.refine_boxes`): a small region's box (and mask) shrunk, at full
   resolution, to the pixels whose colour differs: the SSIM window and the working resolution
   widen a small change by several pixels a side (an 8x8 px change at 1920x1080 came out as a
   26 px box, now 8 px).

What a region's ``score`` means: how strong and how large its evidence is,
``1 - exp(-mean evidence x sqrt(area in working pixels) / 100)``, in [0, 1)
(:func:`spotdiff.regions.region_score`). About 0.26 for a 10x10 px region at 3x the threshold,
0.8 for 40x40 px at 4x; faint specks near 0. It orders regions, within a pair and across pairs;
it is not a probability.

What the options mean, in plain words:

- ``sensitivity`` (0-1, default 0.5) scales the *per-pixel* thresholds: higher finds fainter
  changes and reports more noise. It is not a share of changed pixels.
- ``threshold`` (levels, default None = automatic) fixes the per-pixel colour threshold: how far
  (Euclidean RGB distance in 0-255 levels, after alignment, tone matching and the 1-px
  tolerance) a pixel's colour must move to count as changed. The automatic value is
  ``max(24, 4 x noise sigma)``.
- ``min_area`` (image-1 pixels, default ``max(16, 2e-5 x W x H)``, 41 px at 1920x1080) is the
  smallest *region* reported: a size, not a colour tolerance.
- ``max_regions`` (default 50) keeps the highest-scoring regions.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import cv2
import numpy as np

from ._errors import InvalidOptionError
from ._validate import check_choice, check_number
from .align import ALIGN_MODES, match_pair, register, scale_transform, warp_image
from .io import load_pair
from .maps.colour import colour_difference
from .maps.evidence import auto_thresholds, evidence
from .maps.noise import noise_sigma
from .maps.structure import structural_difference
from .regions.extract import extract_regions
from .regions.ignore import ignore_mask
from .regions.refine import refine_boxes
from .result import DiffResult

__all__ = ["FindConfig", "FindSettings", "find"]

_DEFAULT_MAX_SIDE = 1024
_MIN_STRUCTURE_SIDE = 11  # the SSIM window (sigma 1.5) is 11 px wide
_FLAGS = ("photometric", "sharpness", "structure", "masks", "diff_map")


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
    max_side: int
    merge_gap: float
    masks: bool
    diff_map: bool
    image_size: tuple[int, int]
    working_size: tuple[int, int]

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
        max_side: longer side of the working resolution in pixels (>= 64), or 0 for full
            resolution. Default 1024.
        merge_gap: fragments closer than this (image-1 pixels) may merge into one region
            (:mod:`spotdiff.regions.merge`); None: 3% of the shorter side.
        masks: return per-region masks. Default True.
        diff_map: return the evidence map at image-1 size. Default True.
    """

    sensitivity: float | None = None
    threshold: float | None = None
    min_area: float | None = None
    max_regions: int | None = None
    align: str | bool | None = None
    photometric: bool | None = None
    sharpness: bool | None = None
    structure: bool | None = None
    max_side: int | None = None
    merge_gap: float | None = None
    masks: bool | None = None
    diff_map: bool | None = None

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
        ``max_side``, area interpolation), ``align`` True/False/None folded to a mode name.
        """
        check_number("width", width, low=1, integer=True)
        check_number("height", height, low=1, integer=True)
        align = self.align
        if isinstance(align, bool) or align is None:
            align = "auto" if align in (None, True) else "none"
        max_side = _DEFAULT_MAX_SIDE if self.max_side is None else int(self.max_side)
        flags = {n: True if getattr(self, n) is None else bool(getattr(self, n)) for n in _FLAGS}
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
            working_size=_working_size(width, height, max_side),
            **flags,
        )


def _working_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    if max_side <= 0 or max(w, h) <= max_side:
        return w, h
    s = max_side / max(w, h)
    return max(16, round(w * s)), max(16, round(h * s))


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (img.shape[1], img.shape[0]) == size:
        return img
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def find(
    img1: Any,
    img2: Any,
    *,
    sensitivity: float | None = None,
    threshold: float | None = None,
    min_area: float | None = None,
    max_regions: int | None = None,
    ignore: Any = None,
    align: str | bool | None = None,
    size_mismatch: str = "resize",
    layout: str = "auto",
    config: FindConfig | None = None,
    **options: Any,
) -> DiffResult:
    """Regions that differ between two images of the same scene.

    Args:
        img1, img2: images in any form :func:`spotdiff.io.load_pair` reads (paths, PIL images,
            numpy arrays (H, W[, C]) uint8 / float in [0, 1], tensors); grey, colour and alpha
            are accepted (alpha is composited by the input layer).
        sensitivity, threshold, min_area, max_regions, align: see :class:`FindConfig` and the
            module docstring; None uses the default.
        ignore: areas never reported: rectangles ``(x1, y1, x2, y2)`` / a (K, 4) array in
            image-1 pixels, or a mask of image 1's size (non-zero = ignore) as an array, PIL
            image or path.
        size_mismatch: ``"resize"`` (image 2 to image 1's size, with a warning), ``"pad"`` or
            ``"error"`` (see :mod:`spotdiff.io`).
        layout: array layout for :func:`spotdiff.io.load_pair` (``"auto"``, ``"hwc"``, ...).
        config: a :class:`FindConfig`; keyword options given here override its fields.
        **options: further :class:`FindConfig` fields (``photometric``, ``structure``,
            ``max_side``, ``merge_gap``, ``masks``, ``diff_map``).

    Returns:
        :class:`~spotdiff.result.DiffResult`: boxes (N, 4) float32 xyxy in image-1 pixels
        sorted by decreasing score, scores in [0, 1), masks (cropped, image-1 pixels),
        ``data["kind"]`` (added / removed / changed), ``data["area"]`` (changed pixels),
        ``data["evidence"]`` (mean evidence, 1 = threshold); ``diff_map`` (H, W) float32 >= 0,
        the evidence (a pixel >= 1 differs, regions extend down to 0.5); ``transform`` (3, 3)
        image-2 -> image-1 pixel coordinates; ``metadata`` with timings (ms), noise, thresholds,
        the registration and the resolved options.

    Raises:
        InvalidOptionError: an option out of range or unknown (the message names it).
        ImageReadError, LayoutError, SizeMismatchError: from the input layer.
    """
    valid = {f.name for f in fields(FindConfig)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise InvalidOptionError(
            f"find() got unknown option(s) {', '.join(unknown)}; valid options: "
            + ", ".join(sorted(valid))
        )
    given = dict(
        sensitivity=sensitivity,
        threshold=threshold,
        min_area=min_area,
        max_regions=max_regions,
        align=align,
        **options,
    )
    base = config if config is not None else FindConfig()
    if not isinstance(base, FindConfig):
        raise InvalidOptionError(f"config must be a FindConfig, got {type(base).__name__}")
    cfg = replace(base, **{k: v for k, v in given.items() if v is not None})

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    a_full, b_full = load_pair(img1, img2, size_mismatch=size_mismatch, layout=layout)
    h, w = a_full.shape[:2]
    opt = cfg.for_size(w, h)
    skip = ignore_mask(ignore, (w, h))
    ww, wh = opt.working_size
    a, b = _resize(a_full, (ww, wh)), _resize(b_full, (ww, wh))
    t1 = time.perf_counter()
    timings["load"] = (t1 - t0) * 1e3

    reg = register(a, b, align=opt.align)
    quiet = np.zeros((wh, ww), dtype=bool)
    transform = np.eye(3)
    if reg.aligned:
        b, covered = warp_image(b, reg.transform, (ww, wh))
        quiet = ~covered
        transform = scale_transform(reg.transform, (ww, wh), (w, h))
    if skip is not None:
        quiet |= cv2.resize(skip.view(np.uint8), (ww, wh), interpolation=cv2.INTER_AREA) > 0
    t2 = time.perf_counter()
    timings["align"] = (t2 - t1) * 1e3

    pair = match_pair(
        a, b, quiet, warped=reg.aligned, photometric=opt.photometric, sharpness=opt.sharpness
    )
    noise = noise_sigma(pair.gray1, pair.gray2, pair.fit_on)
    thr = auto_thresholds(noise, sensitivity=opt.sensitivity, threshold=opt.threshold)
    t3 = time.perf_counter()
    timings["tone"] = (t3 - t2) * 1e3

    structure = None
    if opt.structure and min(pair.gray1.shape) >= _MIN_STRUCTURE_SIDE:
        structure = structural_difference(
            pair.gray1, pair.gray2, noise=noise, unreliable=pair.unreliable
        )
    z = evidence(colour_difference(pair.img1, pair.lo2, pair.hi2), structure, thr)
    if quiet.any():
        z[quiet] = 0.0
    t4 = time.perf_counter()
    timings["maps"] = (t4 - t3) * 1e3

    regions = extract_regions(
        z,
        image_size=(w, h),
        rgb1=a,
        rgb2=pair.mid2,
        low=thr.low,
        max_gap=opt.merge_gap * ww / w,
        min_area=opt.min_area,
        max_regions=opt.max_regions,
        with_masks=opt.masks,
    )
    regions = refine_boxes(
        regions,
        a_full,
        b_full,
        transform=transform if reg.aligned else None,
        tone=pair.tone,
        blur=pair.blur,
        colour_threshold=thr.low * thr.colour,
        skip=skip,
        scale=w / ww,
    )
    t5 = time.perf_counter()
    timings["regions"] = (t5 - t4) * 1e3

    diff_map = None
    if opt.diff_map:
        diff_map = (
            z if (ww, wh) == (w, h) else cv2.resize(z, (w, h), interpolation=cv2.INTER_LINEAR)
        )
    timings["total"] = (time.perf_counter() - t0) * 1e3
    metadata = {
        "working_size": [ww, wh],
        "noise_sigma": round(noise, 3),
        "sharpness_blur": list(pair.blur),
        "thresholds": asdict(thr),
        "registration": {
            "method": reg.method,
            "ncc_before": round(reg.ncc_before, 4),
            "ncc_after": round(reg.ncc_after, 4),
            "displacement_px": round(reg.displacement * w / ww, 3),
            "failed": reg.failed,
            "message": reg.message,
        },
        "tone": pair.tone.params.round(4).tolist(),
        "options": opt.to_dict(),
        "timings_ms": {k: round(v, 2) for k, v in timings.items()},
    }
    return replace(
        regions,
        diff_map=diff_map,
        transform=transform,
        aligned=reg.aligned,
        image_size=(w, h),
        metadata=metadata,
    )
