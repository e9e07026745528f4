"""``find``: the regions that differ between two images, with no model weights.

The pipeline (each step a pure function of its own module):

1. input (:func:`spotdiff.io.load_pair`): two uint8 RGB images of one size (size policy);
2. working resolution: both reduced (area interpolation) so the longer side is at most
   ``max_side`` (default 1024 px), by a whole factor where that keeps 90% of it (a 1920x1080
   pair runs at 960x540, where an 8x8 px change of the original still spans 4x4 px;
   :func:`spotdiff.find_config.working_size`; measured on the synthetic benchmark at
   1280x720, 1024 scores the same box F1 as full resolution in two thirds of the time);
3. alignment (:mod:`spotdiff.align`): global registration of image 2 onto image 1, skipped when
   not needed, identity with a warning when it fails; pixels image 2 does not cover are never
   reported; a translation by whole original pixels (a crop) is a copy, not a resampling
   (:mod:`spotdiff.find_place`); tone curves fitted so a brightness / contrast / gamma change is not a difference,
   and the sharper image blurred to the other's sharpness (:func:`spotdiff.align.match_pair`);
   after a registration beyond a translation, local residual misalignment (parallax, lens) is
   followed by a smooth dense flow where that explains the difference
   (:func:`spotdiff.align.flow.refine_flow`, option ``flow``, metadata ``"flow"``);
4. difference maps (:mod:`spotdiff.maps`): a colour difference tolerant to 1-px shifts,
   resampling and clipping (on a clean render, a character reshaped in small text, whose ink
   no 1-px shift explains, counts in full: :mod:`spotdiff.maps.glyph`), and a noise-aware
   structural (SSIM) difference, divided by their
   thresholds into one evidence map (1 = threshold); on photographs, what a smooth local light
   field explains (a glare, a relighting: :mod:`spotdiff.maps.light`, metadata ``"light"``) is
   taken out of both maps, never added (and where it washed one image out to white, nothing
   is compared), and the pair's level (:func:`global_level`) is taken before that, per shared
   texture and never above the whole picture's (a cloth's misregistration residue does not
   raise the level of the flat board on it: :func:`spotdiff.maps.noise.level_by_texture`;
   metadata ``"global_level"``, the lowest); the dense flow of step 3 is estimated on the pair in one light; on a noisy pair
   whose noise is white (pixel noise >= 5% of the tonal range: a dim, grainy photo) the evidence
   is taken at the change's scale instead, against the pair's own noise there
   (:mod:`spotdiff.maps.scale`); a *replaced* picture (most pixels differ: a blank, inverted or
   other image; :func:`spotdiff.maps.evidence.replaced`, metadata ``"replaced"``) is judged at a
   noise-free pair's thresholds, its difference being neither noise nor a re-rendering;
5. regions: hysteresis (seeds at 1, extent down to 0.5), fragments merged, small regions
   dropped, scores, masks and kinds; boxes in image-1 pixels; on renders (image 1 mostly
   exactly flat) the structural halo over flat background is dropped and fragments on one of
   the image's own objects join (:mod:`spotdiff.regions.group`, read along the text's
   direction: :mod:`spotdiff.regions.orient`); elsewhere pieces of one
   changed object cut by an unchanged occluder join (:mod:`spotdiff.regions.occlusion`), and
   the evidence only a transient speck made (a glint or a vehicle the colour bands saw at
   different places: :mod:`spotdiff.regions.transient`) is dropped; a weak region that is only
   strokes traced again a pixel or two over, more when enlarged (:mod:`spotdiff.regions.retrace`)
   is dropped too (not on noisy pairs judged at the change's scale), and so is a region that is
   only fine detail the blurrier image lost (:mod:`spotdiff.regions.lowpass`) or that only the
   tone curves made (:mod:`spotdiff.regions.toned`);
6. tight boxes (:func:`spotdiff.regions.refine_boxes`): a small region's box (and mask) shrunk, at full
   resolution, to the pixels whose colour differs: the SSIM window and the working resolution
   widen a small change by several pixels a side (an 8x8 px change at 1920x1080 came out as a
   26 px box, now 8 px); a change under 3 px across, which the colour cue cannot see, is
   shrunk to its one-way thin difference (:mod:`spotdiff.maps.thin`), and grown along faint ends
   (:mod:`spotdiff.regions.extent`); then, on photographs,
   regions that are parallel bars of one object (a window's two crossbars) join
   (:mod:`spotdiff.regions.bars`).

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
  ``max(24, 4 x noise sigma)``, lowered (never raised) where the pair's own noise at a pixel's
  shared texture is lower: on a handheld photo a fine texture's residue (a cloth) inflates the
  sigma, and a change where the two images share no fine texture is judged against the noise
  there (:func:`spotdiff.maps.noise.local_colour_gain`; metadata ``"colour_gain"``, the most it
  was lowered by: 1 = not); on a relit photo whose light change made most of the difference,
  the sigma is what a smooth local gain and offset leave of it
  (:func:`spotdiff.maps.noise.relit_noise`).
- ``min_area`` (image-1 pixels, default ``max(16, 2e-5 x W x H)``, 41 px at 1920x1080) is the
  smallest *region* reported: a size, not a colour tolerance.
- ``max_regions`` (default 50) keeps the highest-scoring regions.

Large images: files whose longer side exceeds ``4 x max_side`` (4096 px by default) are decoded
reduced, to a longer side between ``4 x max_side`` and twice that (JPEG at 1/2, 1/4 or 1/8 inside
the decoder; other formats averaged by an integer factor after loading;
:func:`spotdiff.io.decode_pair_reduced`), and the result is scaled back to original pixels
(:func:`spotdiff.regions.rescale.rescale`): boxes are then as precise as one pixel of
the reduced copy (2-8 original pixels), which the working resolution limits anyway. A 10000 x
10000 pair (100 Mpx, above Pillow's 89 Mpx warning) stays under 1 GB of peak memory
(``benchmarks/bench_large.py``). Inputs above Pillow's decompression-bomb error limit
(``2 x PIL.Image.MAX_IMAGE_PIXELS``, about 179 Mpx) are refused with one error that says how to
raise the limit. Arrays and tensors are used at their own size. ``max_side=0`` decodes in full.
"""

from __future__ import annotations

import time
from dataclasses import asdict, fields, replace
from functools import partial
from typing import Any

import cv2
import numpy as np

from ._errors import InvalidOptionError
from ._threads import map_threads
from .align import match_pair, register
from .align.flow import flow_step
from .align.greys import PairGreys
from .find_config import FindConfig, FindSettings, working_size
from .find_input import DECODE_FACTOR, PreparedPair, prepare_pair
from .find_place import place_image2, to_working_size
from .maps.judge import judge_pair
from .maps.light import pair_in_one_light
from .regions.bars import join_parallel_bars
from .regions.components import find_components, flat_halo
from .regions.extract import MIN_SCORE, THIN_REACH, extract_regions
from .regions.ignore import ignore_mask
from .regions.lowpass import drop_lost_detail
from .regions.occlusion import occluded_objects
from .regions.orient import oriented_objects
from .regions.refine import refine_boxes
from .regions.rescale import rescale
from .regions.retrace import drop_retraced
from .regions.toned import drop_tone_made
from .regions.transient import drop_transients, transient_specks
from .result import DiffResult

__all__ = [
    "DECODE_FACTOR",
    "FindConfig",
    "FindSettings",
    "PreparedPair",
    "find",
    "find_prepared",
    "prepare_pair",
]

#: ``min_score`` when the dense flow was applied (:mod:`spotdiff.align.flow`: a scene with depth,
#: photographed again from elsewhere). What is not on the fitted plane and not followed exactly by
#: the smooth flow (a hinge, a socket, dust on the glass) leaves thin strips and specks scoring
#: just above :data:`MIN_SCORE`: on the real development pairs so refined (2 handheld photos,
#: 1 puzzle) the false regions below 0.2 scored 0.17-0.18 and no true one scored below 0.33.
#: Not applied after a rigid warp alone: synthetic rotations and zooms keep true regions at 0.135.
_FLOW_MIN_SCORE = 0.2


def _min_score(flow_applied: bool, scale_applied: bool) -> float:
    """``min_score`` of :func:`extract_regions`: 0 for scale evidence (each change was judged
    against the noise at its own scale; the score's area term would drop a true 5 px change),
    :data:`_FLOW_MIN_SCORE` after the dense flow, else :data:`MIN_SCORE`."""
    if scale_applied:
        return 0.0
    return _FLOW_MIN_SCORE if flow_applied else MIN_SCORE


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
            ``antialias``, ``max_side``, ``merge_gap``, ``masks``, ``diff_map``).

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
    t0 = time.perf_counter()
    pair = prepare_pair(img1, img2, config=cfg, size_mismatch=size_mismatch, layout=layout)
    return find_prepared(pair, config=cfg, ignore=ignore, _started=t0)


def find_prepared(
    pair: PreparedPair,
    *,
    config: FindConfig | None = None,
    ignore: Any = None,
    _started: float | None = None,
) -> DiffResult:
    """:func:`find` on a pair already decoded by :func:`prepare_pair` (the CLI decodes once and
    draws its pictures from the same arrays). ``config`` and ``ignore`` as in :func:`find`."""
    cfg = config if config is not None else FindConfig()
    if not isinstance(cfg, FindConfig):
        raise InvalidOptionError(f"config must be a FindConfig, got {type(cfg).__name__}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter() if _started is None else _started
    a_full, b_full, original = pair.img1, pair.img2, pair.size
    h, w = a_full.shape[:2]
    settings = cfg.for_size(*original)  # options are given in original image-1 pixels
    opt = settings
    skip = ignore_mask(ignore, original)
    if (w, h) != original:  # decoded reduced: the same options in decoded pixels
        sx, sy = original[0] / w, original[1] / h
        opt = replace(
            settings,
            min_area=settings.min_area / (sx * sy),
            merge_gap=settings.merge_gap / sx,
            image_size=(w, h),
            working_size=working_size(w, h, settings.max_side),
        )
        if skip is not None:
            skip = cv2.resize(skip.view(np.uint8), (w, h), interpolation=cv2.INTER_AREA) > 0
    ww, wh = opt.working_size
    a, b = map_threads(partial(to_working_size, size=(ww, wh)), [a_full, b_full])
    t1 = time.perf_counter()
    timings["load"] = (t1 - t0) * 1e3

    greys = PairGreys(a, b)  # the working greys and their noise, made once (align.greys)
    reg = register(*map_threads(greys.grey, [0, 1]), align=opt.align)
    # image 2 on image 1's grid; a crop by whole pixels is not resampled (:mod:`.find_place`)
    placed = place_image2(reg, b, b_full, pair.cover2)
    b, quiet, transform = placed.img2, placed.quiet, placed.transform
    if skip is not None:
        quiet |= cv2.resize(skip.view(np.uint8), (ww, wh), interpolation=cv2.INTER_AREA) > 0
    # local residual misalignment (parallax, lens): :mod:`spotdiff.align.flow`
    guide = partial(pair_in_one_light, a, b, quiet) if opt.photometric else None
    flow = flow_step(a, b, quiet, mode=opt.flow, motion=reg.method, guide=guide)
    b = flow.img2
    greys = greys.for_pair(a, b)  # image 2 moved: its grey anew
    t2 = time.perf_counter()
    timings["align"] = (t2 - t1) * 1e3

    matched = match_pair(
        a,
        b,
        quiet,
        warped=placed.resampled,
        photometric=opt.photometric,
        sharpness=opt.sharpness,
        greys=greys,
    )
    t3 = time.perf_counter()
    timings["tone"] = (t3 - t2) * 1e3

    judged = judge_pair(
        a,
        b,
        matched,
        quiet,
        resampled=placed.resampled,
        sensitivity=opt.sensitivity,
        threshold=opt.threshold,
        structure=opt.structure,
        antialias=opt.antialias,
        photometric=opt.photometric,
    )
    z, thr, level, rendered = judged.z, judged.thresholds, judged.level, judged.rendered
    objects = halo = pieces = None
    max_gap = opt.merge_gap * ww / w  # the merge cap, working pixels
    if rendered:  # object-level grouping (:mod:`spotdiff.regions.group`)
        ratio = np.float32(1.0 / (thr.colour * max(level, 1.0)))
        halo = flat_halo(matched.gray1, matched.gray2, judged.colour * ratio, low=thr.low)
        objects = oriented_objects(matched.gray1, matched.gray2)  # rows along the text
    else:  # pieces of one object seen through an occluder (:mod:`spotdiff.regions.occlusion`)
        pieces = find_components(z, low=thr.low, reach=THIN_REACH)  # also the regions' pieces
        # a glint or vehicle the colour bands saw apart (:mod:`spotdiff.regions.transient`)
        specks = transient_specks(matched.img1, matched.mid2, threshold=thr.colour)
        z, pieces = drop_transients(z, specks, pieces, low=thr.low)
        objects = occluded_objects(
            a, matched.mid2, z, low=thr.low, max_gap=max_gap, components=pieces
        )
    t4 = time.perf_counter()
    timings["maps"] = (t4 - t3) * 1e3

    min_score = _min_score(flow.applied, judged.scaled.applied)
    regions = extract_regions(
        z,
        image_size=(w, h),
        rgb1=a,
        rgb2=matched.mid2,
        low=thr.low,
        max_gap=max_gap,
        min_area=opt.min_area,
        max_regions=opt.max_regions,
        min_score=min_score,
        masks=opt.masks,
        objects=objects,
        halo=halo,
        components=pieces,
        # tiny strong changes on clean pairs not resampled (:mod:`.regions.tiny`)
        noise=None if placed.resampled else judged.noise,
        colour_threshold=thr.colour,
    )
    if not judged.scaled.applied:  # strokes traced again (regions.retrace)
        regions = drop_retraced(
            regions, a, matched.mid2, threshold=thr.colour * level, spared=judged.glyphs
        )
    regions = drop_lost_detail(  # fine detail the blurrier image lost (regions.lowpass)
        regions,
        a,
        matched.mid2,
        threshold=thr.colour * level,
        blur=matched.blur,
        spared=judged.glyphs,
        raw2=b,
    )
    # what only the tone curves made (image 2 as it is equals image 1: :mod:`.regions.toned`)
    regions = drop_tone_made(regions, a, b, matched.mid2, threshold=thr.colour * level)
    regions = refine_boxes(
        regions,
        a_full,
        b_full,
        transform=transform if reg.aligned else None,
        tone=matched.tone,
        blur=matched.blur,
        colour_threshold=thr.low * thr.colour * level,
        skip=skip,
        scale=w / ww,
        keep=regions.scores < min_score,  # tiny strong changes (:mod:`.regions.tiny`) stay
        glyphs=judged.glyphs,  # reshaped glyphs count (:mod:`.maps.glyph`)
    )
    if not rendered:  # renders join by the image's own objects, siblings apart (regions.group)
        regions = join_parallel_bars(regions, max_gap=opt.merge_gap)  # :mod:`.regions.bars`
    t5 = time.perf_counter()
    timings["regions"] = (t5 - t4) * 1e3

    diff_map = None
    if opt.diff_map:
        if (ww, wh) == (w, h):
            diff_map = z
        else:  # into a NumPy buffer: a fresh OpenCV output costs more at this size
            out = np.empty((h, w), z.dtype)
            diff_map = cv2.resize(z, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
    timings["total"] = (time.perf_counter() - t0) * 1e3
    metadata = {
        "working_size": [ww, wh],
        "noise_sigma": round(judged.noise, 3),
        "sharpness_blur": list(matched.blur),
        "thresholds": asdict(thr),
        "colour_gain": round(judged.gain, 3),
        "global_level": round(level, 3),
        "replaced": judged.replaced,
        "scale_evidence": judged.scaled.to_dict(),
        "registration": {
            "method": reg.method,
            "ncc_before": round(reg.ncc_before, 4),
            "ncc_after": round(reg.ncc_after, 4),
            "displacement_px": round(reg.displacement * w / ww, 3),
            "failed": reg.failed,
            "message": reg.message,
        },
        "flow": flow.to_dict(),
        "light": None if judged.light is None else judged.light.to_dict(),
        "tone": matched.tone.params.round(4).tolist(),
        "decoded_size": [w, h],
        "options": settings.to_dict(),
        "timings_ms": {k: round(v, 2) for k, v in timings.items()},
    }
    result = replace(
        regions,
        diff_map=diff_map,
        transform=transform,
        aligned=reg.aligned,
        image_size=(w, h),
        metadata=metadata,
    )
    return rescale(result, original)
