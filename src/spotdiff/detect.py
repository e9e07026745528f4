"""``find``: the regions that differ between two images, with no model weights.

The pipeline (each step a pure function of its own module):

1. input (:func:`spotdiff.io.load_pair`): two uint8 RGB images of one size (size policy);
2. working resolution: both reduced (area interpolation) so the longer side is at most
   ``max_side`` (default 1024 px: a 1920x1080 pair runs at 1024x576, where an 8x8 px change of
   the original still spans 4x4 px; measured on the synthetic benchmark at 1280x720, 1024 scores
   the same box F1 as full resolution in two thirds of the time);
3. alignment (:mod:`spotdiff.align`): global registration of image 2 onto image 1, skipped when
   not needed, identity with a warning when it fails; pixels image 2 does not cover are never
   reported; tone curves fitted so a brightness / contrast / gamma change is not a difference;
4. difference maps (:mod:`spotdiff.regions`): a colour difference tolerant to 1-px shifts,
   resampling and clipping, and a noise-aware structural (SSIM) difference, divided by their
   thresholds into one evidence map (1 = threshold);
5. regions: hysteresis (seeds at 1, extent down to 0.5), fragments merged, small regions
   dropped, scores, masks and kinds; boxes in image-1 pixels;
6. tight boxes (:mod:`spotdiff.regions.refine`): a small region's box (and mask) shrunk, at full
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
from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np

from ._errors import InvalidOptionError
from ._validate import check_choice, check_number
from .align import MOTIONS, ToneMap, fit_tone, register, scale_transform, warp_image
from .align.sharpness import match_sharpness
from .io import load_pair
from .maps.colour import colour_difference
from .maps.evidence import Thresholds, auto_thresholds, evidence
from .maps.noise import noise_sigma
from .maps.ssim_cv import gaussian_radius
from .maps.structure import structural_difference
from .regions.extract import extract_regions
from .regions.ignore import ignore_mask
from .regions.refine import tight_box
from .result import DiffResult, RegionMasks

__all__ = ["FindConfig", "find"]

_DEFAULT_MAX_SIDE = 1024
_MIN_STRUCTURE_SIDE = 11  # the SSIM window (sigma 1.5) is 11 px wide
_WARP_BLUR = 0.5  # gaussian sigma (px) matching the softening of a bilinear sub-pixel warp
#: Boxes are refined (:mod:`spotdiff.regions.refine`) only when their longer side is at most this
#: many times the SSIM window's reach: there the halo is a large share of the box. On larger
#: objects the evidence already ends inside the edited pixels (the soft edges of a pasted object
#: read as unchanged) and shrinking further cost 2% box F1 on the synthetic benchmark.
_SMALL = 3.0


@dataclass(frozen=True)
class FindConfig:
    """Options of :func:`find`; None means "use the default" (see the module docstring).

    Attributes:
        sensitivity: in [0, 1]; per-pixel threshold multiplier ``2 ** (1 - 2 s)``. Default 0.5.
        threshold: fixed per-pixel colour threshold in levels (> 0), or None (automatic).
        min_area: smallest region in changed image-1 pixels (>= 0), or None
            (``max(16, 2e-5 * W * H)``).
        max_regions: most regions returned (>= 1), or None (50).
        align: registration motion, one of ``"auto"``, ``"translation"``, ``"similarity"``,
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
            object.__setattr__(self, "align", check_choice("align", self.align, MOTIONS))
        for name in ("photometric", "sharpness", "structure", "masks", "diff_map"):
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

    def resolved(self) -> dict[str, Any]:
        """Every option with its default filled in (image-size dependent ones stay None)."""
        align = self.align
        if isinstance(align, bool) or align is None:
            align = "auto" if align in (None, True) else "none"
        return {
            "sensitivity": 0.5 if self.sensitivity is None else float(self.sensitivity),
            "threshold": self.threshold,
            "min_area": self.min_area,
            "max_regions": 50 if self.max_regions is None else int(self.max_regions),
            "align": align,
            "photometric": True if self.photometric is None else bool(self.photometric),
            "sharpness": True if self.sharpness is None else bool(self.sharpness),
            "structure": True if self.structure is None else bool(self.structure),
            "max_side": _DEFAULT_MAX_SIDE if self.max_side is None else int(self.max_side),
            "merge_gap": self.merge_gap,
            "masks": True if self.masks is None else bool(self.masks),
            "diff_map": True if self.diff_map is None else bool(self.diff_map),
        }


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (img.shape[1], img.shape[0]) == size:
        return img
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _working_size(w: int, h: int, max_side: int) -> tuple[int, int]:
    if max_side <= 0 or max(w, h) <= max_side:
        return w, h
    s = max_side / max(w, h)
    return max(16, round(w * s)), max(16, round(h * s))


#: A level of image 2 standing for more than this many levels of image 1 (clipped, or squeezed by
#: a tone change) carries no texture to compare.
_UNRELIABLE_WIDTH = 6


def _unreliable(b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of image 2 whose level in some channel is a wide interval of image 1."""
    width = (hi.astype(np.int16) - lo.astype(np.int16)) > _UNRELIABLE_WIDTH
    if not width.any():
        return np.zeros(b.shape[:2], dtype=bool)
    out = np.zeros(b.shape[:2], dtype=bool)
    for c in range(b.shape[2]):
        if width[c].any():
            out |= cv2.LUT(b[..., c], width[c].astype(np.uint8)) > 0
    return out


@dataclass(frozen=True)
class _Matched:
    """A pair brought to comparable form: tone-matched, equally sharp, noise measured."""

    a: np.ndarray  # uint8 (h, w, 3) image 1 (blurred when it was the sharper)
    b_lo: np.ndarray  # uint8 (h, w, 3): lowest image-1 level each pixel of image 2 stands for
    b_hi: np.ndarray  # uint8 (h, w, 3): highest one
    b_mid: np.ndarray  # uint8 (h, w, 3): image 2 through the tone curves
    g1: np.ndarray  # uint8 (h, w) grey of ``a``
    g2: np.ndarray  # uint8 (h, w) grey of ``b_mid``
    unreliable: np.ndarray  # (h, w) bool: clipped / squeezed levels of image 2
    tone: ToneMap
    blur: tuple[float, float]
    noise: float
    thresholds: Thresholds

    def colour(self) -> np.ndarray:
        return colour_difference(self.a, self.b_lo, self.b_hi)

    def structure(self, enabled: bool) -> np.ndarray | None:
        if not enabled or min(self.g1.shape) < _MIN_STRUCTURE_SIDE:
            return None
        return structural_difference(self.g1, self.g2, noise=self.noise, unreliable=self.unreliable)


def _match(
    a: np.ndarray, b: np.ndarray, quiet: np.ndarray, warped: bool, opt: dict[str, Any]
) -> _Matched:
    """Tone matching, quiet areas filled, sharpness matching, noise and thresholds."""
    fit_on = ~quiet if quiet.any() else None
    tone = fit_tone(a, b, fit_on) if opt["photometric"] else ToneMap.identity()
    lo_lut, hi_lut = tone.interval_luts()
    b_lo, b_hi, b_mid = tone.apply(b, lo_lut), tone.apply(b, hi_lut), tone.apply(b)
    if fit_on is not None:  # nothing differs where image 2 is missing or ignored
        quiet8 = quiet.view(np.uint8)
        for img in (b_lo, b_hi, b_mid):
            cv2.copyTo(a, quiet8, dst=img)
    g1 = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
    g2 = cv2.cvtColor(b_mid, cv2.COLOR_RGB2GRAY)
    unreliable = _unreliable(b, lo_lut, hi_lut)
    blur1 = blur2 = 0.0
    if opt["sharpness"]:
        compare_on = ~(unreliable | quiet) if (unreliable.any() or quiet.any()) else None
        blur1, blur2 = match_sharpness(g1, g2, compare_on)
        if warped and not blur2:
            blur1 = max(blur1, _WARP_BLUR)  # the bilinear warp softened image 2 this much
    if blur1:
        a = cv2.GaussianBlur(a, (0, 0), blur1)
        g1 = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
    if blur2:
        b_lo, b_hi, b_mid = (cv2.GaussianBlur(x, (0, 0), blur2) for x in (b_lo, b_hi, b_mid))
        g2 = cv2.cvtColor(b_mid, cv2.COLOR_RGB2GRAY)
    noise = noise_sigma(g1, g2, fit_on)
    thr = auto_thresholds(noise, sensitivity=opt["sensitivity"], threshold=opt["threshold"])
    return _Matched(a, b_lo, b_hi, b_mid, g1, g2, unreliable, tone, (blur1, blur2), noise, thr)


def _window_of_b(
    b_full: np.ndarray, transform: np.ndarray | None, window: tuple[int, int, int, int]
) -> np.ndarray:
    """uint8 (h, w, 3): image 2 aligned onto image 1 (``transform``: image 2 -> image 1, full
    resolution; None: identity) over ``window`` ``(x0, y0, x1, y1)`` of image 1."""
    x0, y0, x1, y1 = window
    if transform is None:
        return b_full[y0:y1, x0:x1]
    m = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]]) @ transform
    return cv2.warpAffine(
        b_full, m[:2], (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _refine_boxes(
    regions: DiffResult,
    a_full: np.ndarray,
    b_full: np.ndarray,
    transform: np.ndarray | None,
    pair: _Matched,
    skip: np.ndarray | None,
    scale: float,
) -> DiffResult:
    """Small regions' boxes shrunk to the pixels whose colour differs at full resolution
    (:mod:`spotdiff.regions.refine`); their masks (and ``data["area"]``) cut to the new boxes.

    ``scale``: image-1 pixels per working pixel (>= 1).
    """
    if len(regions) == 0:
        return regions
    h, w = a_full.shape[:2]
    lo_lut, hi_lut = pair.tone.interval_luts()
    blur1, blur2 = (s * scale for s in pair.blur)
    # the SSIM window's reach plus the upsampling's rounding, in image-1 pixels
    reach = (gaussian_radius(1.5) + 1) * scale + 1
    margin = int(np.ceil(scale)) + 2
    boxes = regions.boxes.copy()
    areas = regions.data["area"].copy()
    masks = regions.masks
    crops, origins = [], []
    for i, box in enumerate(regions.boxes.astype(np.int64)):
        bx = tuple(int(v) for v in box)
        if max(bx[2] - bx[0], bx[3] - bx[1]) > _SMALL * reach:
            if masks is not None:
                crop, origin = masks.crop(i)
                crops.append(crop)
                origins.append(origin)
            continue
        win = (
            max(0, bx[0] - margin),
            max(0, bx[1] - margin),
            min(w, bx[2] + margin),
            min(h, bx[3] + margin),
        )
        a = a_full[win[1] : win[3], win[0] : win[2]]
        b = _window_of_b(b_full, transform, win)
        if blur1:
            a = cv2.GaussianBlur(a, (0, 0), blur1)
        b_lo, b_hi = pair.tone.apply(b, lo_lut), pair.tone.apply(b, hi_lut)
        if blur2:
            b_lo, b_hi = (cv2.GaussianBlur(x, (0, 0), blur2) for x in (b_lo, b_hi))
        tight = colour_difference(a, b_lo, b_hi) >= pair.thresholds.low * pair.thresholds.colour
        # the 1-px shift tolerance of the colour difference loses a pixel along each edge
        tight = cv2.dilate(tight.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
        if skip is not None:
            tight &= ~skip[win[1] : win[3], win[0] : win[2]]
        if masks is not None:  # stray pixels outside the region's own support do not count
            crop, (mx, my) = masks.crop(i)
            support = np.zeros_like(tight)
            support[
                my - win[1] : my - win[1] + crop.shape[0], mx - win[0] : mx - win[0] + crop.shape[1]
            ] = crop
            tight &= cv2.dilate(support.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
        nb = tight_box(tight, bx, (win[0], win[1]), max_shrink=reach)
        boxes[i] = nb
        if masks is not None:
            crop, (mx, my) = masks.crop(i)
            cut = crop[nb[1] - my : nb[3] - my, nb[0] - mx : nb[2] - mx]
            if not cut.any():
                cut = np.ones_like(cut)
            crops.append(np.ascontiguousarray(cut))
            origins.append((nb[0], nb[1]))
            areas[i] = int(cut.sum())
    new_masks = None if masks is None else RegionMasks(crops, np.asarray(origins), (w, h))
    return replace(regions, boxes=boxes, masks=new_masks, data={**regions.data, "area": areas})


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
    unknown = sorted(set(options) - {f for f in FindConfig.__dataclass_fields__})
    if unknown:
        raise InvalidOptionError(
            f"find() got unknown option(s) {', '.join(unknown)}; valid options: "
            + ", ".join(sorted(FindConfig.__dataclass_fields__))
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
    opt = cfg.resolved()

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    a_full, b_full = load_pair(img1, img2, size_mismatch=size_mismatch, layout=layout)
    h, w = a_full.shape[:2]
    skip = ignore_mask(ignore, (w, h))
    ww, wh = _working_size(w, h, opt["max_side"])
    a, b = _resize(a_full, (ww, wh)), _resize(b_full, (ww, wh))
    t1 = time.perf_counter()
    timings["load"] = (t1 - t0) * 1e3

    reg = register(a, b, motion=opt["align"])
    quiet = np.zeros((wh, ww), dtype=bool)
    transform = np.eye(3)
    if reg.aligned:
        b, valid = warp_image(b, reg.transform, (ww, wh))
        quiet = ~valid
        transform = scale_transform(reg.transform, (ww, wh), (w, h))
    if skip is not None:
        quiet |= cv2.resize(skip.view(np.uint8), (ww, wh), interpolation=cv2.INTER_AREA) > 0
    t2 = time.perf_counter()
    timings["align"] = (t2 - t1) * 1e3

    pair = _match(a, b, quiet, reg.aligned, opt)
    t3 = time.perf_counter()
    timings["tone"] = (t3 - t2) * 1e3

    z = evidence(pair.colour(), pair.structure(opt["structure"]), pair.thresholds)
    if quiet.any():
        z[quiet] = 0.0
    t4 = time.perf_counter()
    timings["maps"] = (t4 - t3) * 1e3

    min_area_px = opt["min_area"]
    if min_area_px is None:
        min_area_px = max(16.0, 2e-5 * w * h)
    merge_gap = opt["merge_gap"]
    if merge_gap is None:
        merge_gap = 0.03 * min(w, h)
    regions = extract_regions(
        z,
        image_size=(w, h),
        rgb1=a,
        rgb2=pair.b_mid,
        low=pair.thresholds.low,
        max_gap=merge_gap * ww / w,
        min_area=min_area_px,
        max_regions=opt["max_regions"],
        with_masks=opt["masks"],
    )
    regions = _refine_boxes(
        regions,
        a_full,
        b_full,
        transform if reg.aligned else None,
        pair,
        skip,
        w / ww,
    )
    t5 = time.perf_counter()
    timings["regions"] = (t5 - t4) * 1e3

    diff_map = None
    if opt["diff_map"]:
        diff_map = (
            z if (ww, wh) == (w, h) else cv2.resize(z, (w, h), interpolation=cv2.INTER_LINEAR)
        )
    timings["total"] = (time.perf_counter() - t0) * 1e3
    metadata = {
        "working_size": [ww, wh],
        "noise_sigma": round(pair.noise, 3),
        "sharpness_blur": list(pair.blur),
        "thresholds": asdict(pair.thresholds),
        "registration": {
            "method": reg.method,
            "ncc_before": round(reg.ncc_before, 4),
            "ncc_after": round(reg.ncc_after, 4),
            "displacement_px": round(reg.displacement * w / ww, 3),
            "failed": reg.failed,
            "message": reg.message,
        },
        "tone": pair.tone.params.round(4).tolist(),
        "options": {**opt, "min_area": min_area_px, "merge_gap": round(merge_gap, 3)},
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
