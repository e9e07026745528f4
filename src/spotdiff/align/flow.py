"""Dense-flow refinement: local residual misalignment (parallax, lens) after global registration.

A handheld pair of a 3-D scene cannot be brought together by one global transform: things at
other depths than the dominant plane, and lens distortion, stay displaced by a few pixels, and
every displaced edge reads as a change. :func:`refine_flow` estimates the residual displacement
and replaces image 2's pixels by their displaced copy where that explains the difference:

1. dense optical flow (OpenCV DIS, ``PRESET_FAST``: 10-20 ms at 512 px) from image 1 to image 2 on grey copies
   reduced to at most :data:`FLOW_SIDE` px (the time bound: the cost does not grow with the
   image), image 2's grey levels matched to image 1's mean and spread first; where the light
   changed (a glare), on the pair in one light (``guide``), since DIS assumes constant
   brightness;
2. the flow is trusted only where it is *plausible*: at most :data:`MAX_SHIFT` of the longer side,
   on textured pixels of image 1, and where image 2 displaced by it matches image 1 well (grey
   residual below :data:`MATCH_LEVELS`); a region that image 2 lacks (a removed or added object)
   has no good match and gets no say;
3. the trusted flow is spread into a *smooth* field by normalized convolution (a Gaussian of
   :data:`SMOOTH` of the longer side, weighted by trust); pixels without trusted flow nearby get
   no displacement. A smooth field follows parallax and lens bending, which vary slowly, but
   cannot follow one object moved against its background: a moved object stays a change;
4. image 2 is resampled along the field, and each pixel takes the displaced copy only where that
   lowers the local colour residual (summed RGB difference, 5x5 mean), so a change that no small
   displacement explains (an object removed, added, recoloured) stays as it was.

Failure is reported, not hidden: when too little of image 1 has trusted flow
(:data:`MIN_SUPPORT`) the refinement is not applied and :attr:`FlowRefinement.message` says why.
Nor is it applied when 99% of the smooth field stays under :data:`MIN_SHIFT` px (a correct
global registration: the synthetic shifts, rotations and zooms), which also keeps its cost there
to the flow estimate alone.

:func:`should_run` decides ``flow="auto"``: run only when global registration found more than a
translation (its tiles disagreed: the camera turned, tilted or moved in depth); aligned or only
shifted pairs (screenshots, puzzles, renders, the 1080p speed benchmark) pay nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from .._gradient import magnitude
from .._validate import check_choice

__all__ = [
    "FLOW_MODES",
    "FLOW_SIDE",
    "MATCH_LEVELS",
    "MAX_SHIFT",
    "MIN_SHIFT",
    "MIN_SIDE",
    "MIN_SUPPORT",
    "SMOOTH",
    "FlowRefinement",
    "flow_step",
    "refine_flow",
    "should_run",
]

#: Accepted ``flow`` values: ``"auto"`` (only after a registration beyond a translation),
#: True (always), False (never).
FLOW_MODES = ("auto", True, False)
#: Longer side (px) at which the flow is estimated; larger working images are reduced for it.
FLOW_SIDE = 512
#: Largest trusted displacement, as a share of the longer side (2% = 20 px at 1024 px).
MAX_SHIFT = 0.02
#: Grey residual (levels, 5x5 mean) below which image 2 displaced by the flow matches image 1.
MATCH_LEVELS = 12.0
#: Gaussian sigma of the smooth field, as a share of the longer side.
SMOOTH = 0.03
#: The refinement applies only when at least 1% of the covered pixels are displaced by this many
#: working px or more: the colour map tolerates 1-px shifts already, and a sub-pixel field is
#: mostly the flow's own bias (or noise at the edge of image 2's coverage).
MIN_SHIFT = 1.0
#: Smallest share of textured image-1 pixels with trusted flow for the refinement to apply.
MIN_SUPPORT = 0.2
_RIGID = ("identity", "translation")  # registrations after which "auto" does not run
_TEXTURE = 4.0  # grey gradient magnitude (levels / px, 3x3 Sobel / 8) that counts as texture
_WINDOW = 5  # px: the window of the residual means
_SCARCE = 0.02  # local share of trusted pixels below which the field fades to zero
#: Shortest side (px) the flow runs on: OpenCV 5.0's DIS crashes the process (a segmentation
#: fault, not an exception) on images under 32 px high, e.g. 20 x 300.
MIN_SIDE = 32


@dataclass(frozen=True)
class FlowRefinement:
    """Result of :func:`refine_flow`.

    Attributes:
        img2: uint8 (H, W, 3) image 2 after the refinement (the input itself when not applied).
        ran: whether the flow was estimated.
        applied: whether image 2 was changed.
        support: share of image 1's textured pixels with trusted flow, in [0, 1].
        explained: share of the pixels that took their displaced copy, in [0, 1].
        median_px, p99_px, max_px: median, 99th percentile and largest length of the smooth
            field over the covered pixels (working pixels).
        ms: time spent, milliseconds.
        message: why it did not run or was not applied ("" when applied).
        mode: the ``flow`` option it ran under (``"auto"``, True or False).
    """

    img2: np.ndarray
    ran: bool = False
    applied: bool = False
    support: float = 0.0
    explained: float = 0.0
    median_px: float = 0.0
    p99_px: float = 0.0
    max_px: float = 0.0
    ms: float = 0.0
    message: str = ""
    mode: str | bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the ``"flow"`` entry of :func:`spotdiff.find`'s metadata)."""
        return {
            "mode": self.mode,
            "ran": self.ran,
            "applied": self.applied,
            "support": round(self.support, 4),
            "explained": round(self.explained, 4),
            "median_px": round(self.median_px, 3),
            "p99_px": round(self.p99_px, 3),
            "max_px": round(self.max_px, 3),
            "ms": round(self.ms, 2),
            "message": self.message,
        }


def should_run(mode: str | bool, *, motion: str) -> bool:
    """Whether :func:`refine_flow` runs: ``mode`` True / False as given; ``"auto"`` only when the
    global registration found more than a translation (``motion``, the
    :attr:`~spotdiff.align.Registration.method`: ``"similarity"``, ``"affine"``,
    ``"homography"``). Its tiles then disagreed, which is the cheap test for residual
    misalignment; after ``"identity"`` or ``"translation"`` they agreed within 0.3 px (aligned
    pairs, a shifted screenshot or photo: no cost)."""
    mode = check_choice("flow", mode, FLOW_MODES)
    return motion not in _RIGID if mode == "auto" else bool(mode)


def flow_step(
    img1: np.ndarray,
    img2: np.ndarray,
    quiet: np.ndarray,
    *,
    mode: str | bool,
    motion: str,
    guide: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None = None,
) -> FlowRefinement:
    """:func:`refine_flow` when :func:`should_run` says so; otherwise image 2 as it is, with the
    reason in the message. Arguments as in those two functions; ``guide`` is called (only when
    the flow runs) for :func:`refine_flow`'s ``guide``."""
    if not should_run(mode, motion=motion):
        why = "flow=False" if mode is False else f"registration found {motion} only"
        return FlowRefinement(img2, mode=mode, message=f"not run: {why}")
    return replace(refine_flow(img1, img2, quiet, guide=guide() if guide else None), mode=mode)


def _grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


def _matched_grey(g1: np.ndarray, g2: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """g2 with its mean and spread over ``valid`` set to g1's (DIS assumes constant brightness)."""
    m1, s1 = cv2.meanStdDev(g1, mask=valid.view(np.uint8))
    m2, s2 = cv2.meanStdDev(g2, mask=valid.view(np.uint8))
    gain = float(s1[0, 0]) / max(float(s2[0, 0]), 1.0)
    out = (g2.astype(np.float32) - float(m2[0, 0])) * gain + float(m1[0, 0])
    return np.clip(out, 0, 255).astype(np.uint8)


def _maps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cv2.remap`` maps (fixed point) sampling at ``(x, y) + flow[y, x]``."""
    h, w = flow.shape[:2]
    mx = flow[..., 0] + np.arange(w, dtype=np.float32)[None, :]
    my = flow[..., 1] + np.arange(h, dtype=np.float32)[:, None]
    return cv2.convertMaps(mx, my, cv2.CV_16SC2)


def _remap(img: np.ndarray, flow: np.ndarray, **kw: Any) -> np.ndarray:
    return cv2.remap(img, *_maps(flow), cv2.INTER_LINEAR, **kw)


def _mean(x: np.ndarray) -> np.ndarray:
    return cv2.blur(x, (_WINDOW, _WINDOW))


def _spread(
    flow: np.ndarray, trust: np.ndarray, sigma: float, *, coarse: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Normalized convolution of ``flow`` (h, w, 2) weighted by ``trust`` (h, w) bool with a
    Gaussian of ``sigma`` px, computed on a grid ``coarse`` times coarser (the field is smooth
    at that scale). Returns the field (h, w, 2) and its confidence (h, w) in [0, 1], which
    falls to 0 where trusted flow is scarce (local share below ``_SCARCE``)."""
    h, w = trust.shape
    small = (max(1, round(w / coarse)), max(1, round(h / coarse)))
    wt = trust.astype(np.float32)
    weight = cv2.resize(wt, small, interpolation=cv2.INTER_AREA)
    num = cv2.resize(flow * wt[..., None], small, interpolation=cv2.INTER_AREA)
    s = sigma / coarse
    weight = cv2.GaussianBlur(weight, (0, 0), s, borderType=cv2.BORDER_REPLICATE)
    num = cv2.GaussianBlur(num, (0, 0), s, borderType=cv2.BORDER_REPLICATE)
    field_ = num / np.maximum(weight, np.float32(1e-6))[..., None]
    confidence = np.clip(weight * np.float32(1 / _SCARCE), 0, 1)
    field_ = cv2.resize(field_, (w, h), interpolation=cv2.INTER_LINEAR)
    confidence = cv2.resize(confidence, (w, h), interpolation=cv2.INTER_LINEAR)
    return field_, confidence


def _residual(img1: np.ndarray, img2: np.ndarray) -> np.ndarray:
    """float32 (H, W): summed absolute RGB difference, mean over a 5x5 window."""
    d = cv2.absdiff(img1, img2).astype(np.float32)
    return _mean(cv2.transform(d, np.ones((1, 3), np.float32)))


def _smooth_field(g1: np.ndarray, g2: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, float]:
    """Smooth displacement field (h, w, 2) float32 at the grey images' size (image 1 -> image
    2), and the support: the share of image 1's textured pixels with trusted flow."""
    h, w = g1.shape
    side = max(h, w)
    g2 = _matched_grey(g1, g2, valid)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    flow = dis.calc(g1, g2, None)
    warped = _remap(g2, flow, borderMode=cv2.BORDER_REPLICATE)
    residual = _mean(cv2.absdiff(g1, warped).astype(np.float32))
    gx = cv2.Sobel(g1, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(g1, cv2.CV_32F, 0, 1)
    textured = (magnitude(gx, gy) * np.float32(1 / 8) >= _TEXTURE) & valid
    length = magnitude(flow[..., 0], flow[..., 1])
    trust = textured & (residual < MATCH_LEVELS) & (length <= MAX_SHIFT * side)
    support = float(trust.sum()) / max(int(textured.sum()), 1)
    field_, confidence = _spread(flow, trust, SMOOTH * side)
    return field_ * confidence[..., None], support


def refine_flow(
    img1: np.ndarray,
    img2: np.ndarray,
    quiet: np.ndarray,
    *,
    guide: tuple[np.ndarray, np.ndarray] | None = None,
) -> FlowRefinement:
    """Resample image 2 along a smooth residual flow where that explains the difference.

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 already globally aligned onto image 1.
        quiet: (H, W) bool, pixels never reported (outside image 2's coverage, ignored areas).
        guide: the same pair in one light (uint8 (H, W, 3) each; a glare or relighting
            explained, :func:`spotdiff.maps.light.pair_in_one_light`), or None: the flow is
            estimated, trusted and judged (steps 1, 2 and 4) on it, since DIS assumes constant
            brightness and a glare moves every level; image 2 itself is what is resampled.

    Returns:
        :class:`FlowRefinement` (module docstring for the steps and the failure rule).
    """
    t0 = time.perf_counter()
    h, w = img1.shape[:2]
    e1, e2 = guide if guide is not None else (img1, img2)
    g1, g2 = _grey(e1), _grey(e2)
    valid = ~quiet
    # at most FLOW_SIDE px long, but the short side kept at MIN_SIDE where there is one
    s = min(1.0, max(FLOW_SIDE / max(h, w), MIN_SIDE / min(h, w)))
    if s < 1.0:
        size = (max(16, round(w * s)), max(16, round(h * s)))
        g1s = cv2.resize(g1, size, interpolation=cv2.INTER_AREA)
        g2s = cv2.resize(g2, size, interpolation=cv2.INTER_AREA)
        valid_s = cv2.resize(valid.view(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    else:
        g1s, g2s, valid_s = g1, g2, valid
    if min(g1s.shape) < MIN_SIDE:
        return FlowRefinement(
            img2, message=f"not run: images under {MIN_SIDE} px a side are too small for the flow"
        )
    if valid_s.sum() < 64:
        return FlowRefinement(img2, message="not run: too few pixels covered by image 2")
    small, support = _smooth_field(g1s, g2s, valid_s)
    if support < MIN_SUPPORT:
        return FlowRefinement(
            img2,
            ran=True,
            support=support,
            ms=(time.perf_counter() - t0) * 1e3,
            message=(
                f"not applied: only {support:.0%} of image 1's textured pixels have a "
                f"plausible displacement (needs {MIN_SUPPORT:.0%})"
            ),
        )
    length = magnitude(small[..., 0], small[..., 1]) * np.float32(1 / s)
    median_px, p99_px = (float(v) for v in np.percentile(length[valid_s], (50, 99)))
    max_px = float(length.max())
    if p99_px < MIN_SHIFT:
        return FlowRefinement(
            img2,
            ran=True,
            support=support,
            median_px=median_px,
            p99_px=p99_px,
            max_px=max_px,
            ms=(time.perf_counter() - t0) * 1e3,
            message=(
                f"not applied: the residual displacement is under {MIN_SHIFT:g} px almost "
                "everywhere (99%; the maps' 1-px tolerance covers it)"
            ),
        )
    flow = small
    if s < 1.0:
        flow = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(1 / s)
    maps = _maps(flow)
    warped = cv2.remap(img2, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    judged = warped
    if guide is not None:
        judged = cv2.remap(e2, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    take = _residual(e1, judged) < _residual(e1, e2)
    if quiet.any():  # a displaced copy from outside image 2's coverage is not taken
        off = cv2.remap(quiet.view(np.uint8), *maps, cv2.INTER_NEAREST, borderValue=1)
        take &= off == 0
    out = np.where(take[..., None], warped, img2)
    return FlowRefinement(
        np.ascontiguousarray(out),
        ran=True,
        applied=True,
        support=support,
        explained=float(take.mean()),
        median_px=median_px,
        p99_px=p99_px,
        max_px=max_px,
        ms=(time.perf_counter() - t0) * 1e3,
    )
