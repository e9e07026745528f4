"""The evidence map of a matched pair, judged: thresholds, maps, and every rule that explains
a difference away or says what it is measured against.

:func:`judge_pair` is step 4 of :func:`spotdiff.detect.find` (see its module docstring): the pair's
noise sets the thresholds; the structural and colour maps are made; a *replaced* picture is judged
at a noise-free pair's thresholds (:func:`~.evidence.replaced`); elsewhere each pixel's colour is
judged against the noise at its texture (:func:`~.noise.local_colour_gain`); on renders and
resampled pairs, edges a fraction of a pixel apart are not change (:mod:`.antialias`); the pair's
own level is taken (:func:`~.evidence.global_level`, per shared texture:
:func:`~.noise.level_by_texture`); on photographs a glare or relighting is explained away
(:mod:`.light`); on renders not resampled, noisy or re-encoded too, a word whose ink changed counts in full
and the re-encoding residue around the words that did not is taken out (:mod:`.words`); on a
noisy pair with white noise the evidence is taken at the change's scale
(:mod:`.scale`). Pixels image 2 does not cover (``quiet``) hold no evidence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._errors import SpotdiffWarning
from .._threads import map_threads
from ..align.greys import PairGreys
from ..align.match import MatchedPair
from ._lightfit import grid_fits
from .antialias import antialias_zone, looks_rendered
from .colour import colour_difference
from .evidence import Thresholds, auto_thresholds, evidence, global_level, replaced
from .glyph import CLEAN_NOISE, reshaped_glyphs
from .light import LightField, explain_light, relit_pair
from .noise import (
    level_by_texture,
    lit_noise_sigma,
    local_colour_gain,
    noise_sigma,
    relative_noise,
    relit_noise,
    shared_texture,
)
from .scale import ScaleEvidence, scale_evidence
from .structure import structural_difference, texture_noise
from .words import changed_words, looks_like_page

__all__ = ["Judged", "judge_pair"]

_MIN_STRUCTURE_SIDE = 11  # the SSIM window (sigma 1.5) is 11 px wide


@dataclass(frozen=True)
class Judged:
    """The judged evidence of a pair.

    Attributes:
        z: float32 (H, W) evidence, 1 = seed (already divided by the pair's level).
        colour: float32 (H, W) colour difference in levels, times the per-pixel gain.
        thresholds: the seed thresholds.
        noise: the pair's noise sigma (levels).
        level: the lowest level the evidence was divided by (1: none).
        gain: the most the colour threshold was lowered by somewhere (1: not).
        replaced: the picture was replaced (a blank, inverted or other image).
        rendered: image 1 looks rendered (:func:`~.antialias.looks_rendered`).
        light: the light field explained away, None when not tried.
        scaled: the scale evidence (applied or not).
        glyphs: float32 (H, W) the reshaped glyphs' and changed words' plain difference
            (levels) taken into ``colour`` (:mod:`.glyph`, :mod:`.words`), None when neither
            rule was applied (not a render, noisy or not).
    """

    z: np.ndarray
    colour: np.ndarray
    thresholds: Thresholds
    noise: float
    level: float
    gain: float
    replaced: bool
    rendered: bool
    light: LightField | None
    scaled: ScaleEvidence
    glyphs: np.ndarray | None = None


def judge_pair(
    img1: np.ndarray,
    img2: np.ndarray,
    matched: MatchedPair,
    quiet: np.ndarray,
    *,
    resampled: bool,
    sensitivity: float,
    threshold: float | None,
    structure: bool,
    antialias: bool,
    photometric: bool,
) -> Judged:
    """Judge a matched pair (see the module docstring).

    Args:
        img1, img2: uint8 (H, W, 3) RGB images at the working size, image 2 aligned (before tone
            matching and sharpness: their pixel noise is measured as it came).
        matched: the pair tone- and sharpness-matched (:func:`spotdiff.align.match_pair`).
        quiet: (H, W) bool, pixels not compared (image 2 does not cover them, ignored areas).
        resampled: the registration resampled image 2.
        sensitivity, threshold, structure, antialias, photometric: :func:`spotdiff.find`'s.
    """
    noise = noise_sigma(matched.gray1, matched.gray2, matched.fit_on)
    rendered = looks_rendered(matched.gray1)
    before_fits = None  # the light fits of the pair before the tone curves, made once (.light)
    lit_sigma = False  # the noise sigma is what the light leaves (:func:`~.noise.relit_noise`)
    if photometric and not rendered:  # a relighting explained (.light) is not noise (.noise)
        lit = relit_noise(noise, lit_noise_sigma(matched.gray1, matched.gray2, matched.fit_on))
        if lit < noise:
            before_fits = grid_fits(img1, img2, matched.fit_on)
            lit_sigma = relit_pair(img1, img2, fits=before_fits)
            noise = lit if lit_sigma else noise
    thr = auto_thresholds(noise, sensitivity=sensitivity, threshold=threshold)
    struct = None
    if structure and min(matched.gray1.shape) >= _MIN_STRUCTURE_SIDE:
        struct = structural_difference(
            matched.gray1,
            matched.gray2,
            noise=noise,
            unreliable=matched.unreliable,
            local_noise=texture_noise(matched.gray1, matched.gray2, noise, matched.fit_on),
        )
    colour = colour_difference(matched.img1, matched.lo2, matched.hi2)
    compared = ~quiet if quiet.any() else None
    # a blank, inverted or other picture: its difference is not noise, nor a re-rendering
    swapped = replaced(colour, compared)
    if swapped:
        thr = auto_thresholds(0.0, sensitivity=sensitivity, threshold=threshold)
        warnings.warn(
            "most of the picture differs: image 2 is blank, inverted or another picture "
            "(check the file names); the whole changed area is reported",
            SpotdiffWarning,
            stacklevel=3,
        )
    gain = None  # each pixel against the noise around it (:func:`local_colour_gain`)
    if threshold is None and not swapped:
        gain = local_colour_gain(matched.gray1, matched.gray2, noise, matched.fit_on)
    if gain is not None:
        colour *= gain
    glyphs = None  # a character changed in small text: ink no 1-px shift explains (.glyph)
    if rendered and not resampled and noise <= CLEAN_NOISE and not swapped:
        glyphs = reshaped_glyphs(matched.img1, matched.mid2, threshold=thr.colour)
    # re-encoded too (.words); not where the registration resampled image 2 (a page turned or
    # moved by a fraction of a pixel: words of long lines drift by more than it searches)
    if not swapped and not resampled and looks_like_page(matched.gray1, rendered=rendered):
        words, calm = changed_words(matched.img1, matched.mid2, threshold=thr.colour)
        colour[calm] = 0.0  # re-encoding residue on words that did not change
        if struct is not None:
            struct[calm] = 0.0
        glyphs = words if glyphs is None else np.maximum(glyphs, words, out=glyphs)
    if glyphs is not None:
        np.maximum(colour, glyphs, out=colour)
    # renders, and pairs whose image 2 the registration resampled: edges a fraction of a pixel
    # apart are not change (:mod:`spotdiff.maps.antialias`)
    if struct is not None and antialias and (rendered or resampled):
        calm = colour < np.float32(thr.colour)  # structure alone would make these regions
        where = calm & (struct >= np.float32(thr.low * thr.structure))
        if where.any():
            zone = antialias_zone(
                matched.gray1, matched.gray2, colour * np.float32(1.0 / thr.colour), where=where
            )
            struct[zone] = 0.0
    z = evidence(colour, struct, thr)
    level, levels = (1.0, None) if swapped else _level(z, matched, compared)  # light included
    light = None
    if photometric and not rendered and not swapped:  # glare, relighting: :mod:`.light`
        raw = colour if gain is None else colour / gain  # the light is fitted in levels
        raw, struct, light = explain_light(
            matched, raw, struct, noise=noise, before=(img1, img2), before_fits=before_fits
        )
        colour = raw if gain is None else np.multiply(raw, gain, out=raw)
        if light.active:  # evidence only removed; judged against the level above
            z = evidence(colour, struct, thr)
            if lit_sigma and levels is not None:  # the noise is what the light leaves: so
                level, levels = _level(z, matched, compared, top=levels.max())  # is the level
    # a noisy pair whose noise is white: judged at the change's scale (:mod:`.scale`)
    greys = matched.greys  # the greys as they came and their noise, made once (align.greys)
    greys = PairGreys(img1, img2) if greys is None else greys.for_pair(img1, img2)

    def pixel(i: int) -> float:
        g = greys.grey(i)
        return relative_noise(g, matched.fit_on, level=greys.noise(g))

    pixel_noise = max(map_threads(pixel, [0, 1]))  # both images at once (filter2D: one core)
    scaled = scale_evidence(matched.img1, matched.mid2, matched.fit_on, relative_noise=pixel_noise)
    if scaled.z is not None:
        z = scaled.z
    if scaled.applied:  # already relative to the pair's own noise at each scale
        level, levels = 1.0, None
    if quiet.any():
        z[quiet] = 0.0
    if levels is not None:  # the whole picture changed a little: judge against its own level
        z /= levels
    top_gain = 1.0 if gain is None else float(gain.max())
    return Judged(z, colour, thr, noise, level, top_gain, swapped, rendered, light, scaled, glyphs)


def _level(
    z: np.ndarray, matched: MatchedPair, compared: np.ndarray | None, *, top: float | None = None
) -> tuple[float, np.ndarray | None]:
    """The pair's level (:func:`~.evidence.global_level` of ``z``, or ``top``: the level each
    texture's is capped at) and, above 1, its level per shared texture
    (:func:`~.noise.level_by_texture`, None: not taken): the lowest of them first."""
    level = global_level(z, compared) if top is None else top
    if level <= 1.0:
        return level, None
    texture = shared_texture(matched.gray1, matched.gray2)  # (a misregistered cloth's residue)
    levels = level_by_texture(z, texture, level, compared)  # None: no pixel compared
    return (level, None) if levels is None else (float(levels.min()), levels)
