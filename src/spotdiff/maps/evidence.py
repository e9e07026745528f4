"""Thresholds: from the noise level and ``sensitivity`` to the evidence map.

The two difference maps are divided by their thresholds and combined into one *evidence* map
``z = max(colour / t_colour, structure / t_structure)``: ``z >= 1`` marks a pixel that differs
(a seed), ``z >= low`` (default 0.5) a pixel that belongs to a region grown from a seed
(hysteresis). Thresholds are per pixel: they say how different one pixel must be, never what
share of the image must change (that is ``min_area``).

Defaults, chosen on the synthetic benchmark (JPEG q60-95, gaussian noise sigma 2-6, brightness /
contrast / gamma changes, shifts, rotations and zooms; the tolerant maps stay below them there):

- colour: ``max(COLOUR_FLOOR, COLOUR_PER_NOISE * noise)`` levels of RGB Euclidean distance
  (24 levels: about 14 levels on each channel, or 24 on one);
- structure: ``STRUCTURE_FLOOR`` of ``1 - cs`` (with the noise-aware SSIM constant);

both multiplied by ``2 ** (1 - 2 * sensitivity)``: sensitivity 0.5 (default) x1, 1.0 x0.5 (finds
fainter changes), 0.0 x2.

Relative evidence (:func:`global_level`): when the whole picture changed a little (every pixel
re-rendered: a generative edit, a mild blur / colour drift / JPEG over the frame, a small local
warp) the evidence of the *typical* pixel is itself high, and regions grown down to ``low`` chain
the object that changed most to its re-rendered surroundings. The pair's own change level is the
median evidence over the compared pixels; above :data:`GLOBAL_MEDIAN` the map is divided by
``median / GLOBAL_MEDIAN``, which raises every per-pixel threshold by that factor (1 on aligned
pairs: the median pixel of a pair with local edits has not changed). :func:`spotdiff.find`
then takes it per shared texture (:func:`spotdiff.maps.noise.level_by_texture`): the residue of
a fine texture that did not land exactly on itself (a cloth under a handheld photo) raises the
median without the flat areas having changed, and those keep a lower level (never a higher one).

A *replaced* picture (:func:`replaced`: a blank, inverted or different image) is not a re-rendered
one: most pixels differ in colour beyond a noise-free pair's threshold. Its difference then
inflates the noise estimate (made for pairs whose edits are a minority), and the relative level
would hide the change altogether; such a pair is judged at the noise-free thresholds, level 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "COLOUR_FLOOR",
    "COLOUR_PER_NOISE",
    "GLOBAL_MAX_MEDIAN",
    "GLOBAL_MEDIAN",
    "REPLACED_SHARE",
    "STRUCTURE_FLOOR",
    "Thresholds",
    "auto_thresholds",
    "evidence",
    "global_level",
    "replaced",
]

COLOUR_FLOOR = 24.0
COLOUR_PER_NOISE = 4.0
STRUCTURE_FLOOR = 0.35

#: Median evidence above which the pair counts as globally changed (:func:`global_level`). On the
#: real pairs of ``../shared/realpairs`` (puzzles, screenshots, handheld photos, aerial) the
#: median is 0-0.16 (factor 1 on all but three, at most 1.6 on a handheld photo pair, where it
#: removed a box over 27% of the frame); on re-rendered pairs (2-px smooth warp, colour drift,
#: blur, JPEG) 0.3-0.4, where the edited object then comes first with a tight box.
GLOBAL_MEDIAN = 0.1
#: Median evidence at or above which the relative rule stops (:func:`global_level` gives 1): the
#: typical pixel is itself a seed, so the picture did not change "a little" but throughout (a
#: drawing against a blank page), and that is what is reported.
GLOBAL_MAX_MEDIAN = 1.0
#: Share of the compared pixels beyond which a pair counts as *replaced* (:func:`replaced`).
REPLACED_SHARE = 0.5


@dataclass(frozen=True)
class Thresholds:
    """Seed thresholds of the two maps and the hysteresis ratio.

    Attributes:
        colour: levels (0-255 per channel, Euclidean over RGB) of the colour difference.
        structure: value of ``1 - cs`` (0-2).
        low: a region extends over pixels with evidence >= ``low`` (0 < low <= 1).
    """

    colour: float
    structure: float
    low: float = 0.5


def sensitivity_factor(sensitivity: float) -> float:
    """Threshold multiplier of a sensitivity in [0, 1]: ``2 ** (1 - 2 * sensitivity)``."""
    return float(2.0 ** (1.0 - 2.0 * sensitivity))


def auto_thresholds(
    noise: float, *, sensitivity: float = 0.5, threshold: float | None = None
) -> Thresholds:
    """Thresholds for a pair with noise ``noise`` (levels).

    Args:
        noise: robust noise sigma of the pair in levels (:func:`~.noise.noise_sigma`).
        sensitivity: in [0, 1]; higher finds fainter changes (see the module docstring).
        threshold: a fixed colour threshold in levels instead of the noise-adaptive one (the
            structural threshold scales with it); ``sensitivity`` still applies.
    """
    f = sensitivity_factor(sensitivity)
    if threshold is None:
        colour = max(COLOUR_FLOOR, COLOUR_PER_NOISE * noise)
        structure = STRUCTURE_FLOOR
    else:
        colour = float(threshold)
        structure = STRUCTURE_FLOOR * colour / COLOUR_FLOOR
    return Thresholds(colour=colour * f, structure=min(structure * f, 2.0))


def evidence(colour: np.ndarray, structure: np.ndarray | None, t: Thresholds) -> np.ndarray:
    """``max(colour / t.colour, structure / t.structure)``: float32 (H, W) >= 0 (1 = seed)."""
    z = np.multiply(colour, np.float32(1.0 / t.colour), dtype=np.float32)
    if structure is not None:
        np.maximum(z, np.multiply(structure, np.float32(1.0 / t.structure)), out=z)
    return z


def global_level(z: np.ndarray, valid: np.ndarray | None = None, *, step: int = 2) -> float:
    """The factor (>= 1) by which a globally changed pair's evidence is divided.

    Args:
        z: float32 (H, W) evidence (1 = seed threshold).
        valid: (H, W) bool, the compared pixels (None: all).
        step: sampling stride in both directions.

    Returns:
        ``max(1, median(z[valid]) / GLOBAL_MEDIAN)``: 1 when the typical pixel has not changed,
        larger when the whole picture changed a little (see the module docstring); 1 again from
        a median of :data:`GLOBAL_MAX_MEDIAN` (the picture changed throughout).
    """
    sample = z[::step, ::step]
    if valid is not None:
        sample = sample[valid[::step, ::step]]
    if sample.size == 0:
        return 1.0
    med = float(np.partition(sample.ravel(), sample.size // 2)[sample.size // 2])
    return 1.0 if med >= GLOBAL_MAX_MEDIAN else max(1.0, med / GLOBAL_MEDIAN)


def replaced(colour: np.ndarray, valid: np.ndarray | None = None, *, step: int = 2) -> bool:
    """True when the picture was replaced: a blank, inverted or different image.

    Args:
        colour: float32 (H, W) colour difference in levels (:func:`~.colour.colour_difference`).
        valid: (H, W) bool, the compared pixels (None: all).
        step: sampling stride in both directions.

    Returns:
        Whether more than :data:`REPLACED_SHARE` of the compared pixels differ by more than
        :data:`COLOUR_FLOOR` levels, the colour threshold of a noise-free pair. On the real pairs of
        ``../shared/realpairs`` the median colour difference is 0-2 levels (a handheld photo pair
        whose cloth texture leaves residue included); a photo against a blank, inverted or other
        photo gives 97-230 levels.
    """
    sample = colour[::step, ::step]
    if valid is not None:
        sample = sample[valid[::step, ::step]]
    if sample.size == 0:
        return False
    return bool(np.count_nonzero(sample > COLOUR_FLOOR) > REPLACED_SHARE * sample.size)
