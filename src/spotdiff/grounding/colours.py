"""Named colours of pixels: a small CIELAB nearest-prototype table (no model).

Eleven basic colour terms (Berlin and Kay) plus ``cyan``, each with a few sRGB prototypes
(dark, light, muted variants); a pixel takes the name of the nearest prototype in CIELAB (CIE76
distance, OpenCV's D65 Lab). Pixels of low chroma are kept to black / grey / white by the table
itself (their nearest prototypes are achromatic). :data:`ALIASES` maps other words people use
("gray", "violet", "navy", "gold", "silver", ...) onto the names.

What a region's colour means here: the share of its pixels that take each name
(:func:`colour_shares`), so "the red thing" scores a region by how much of it is red, and a
two-coloured object is both.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "ALIASES",
    "COLOUR_NAMES",
    "PROTOTYPES",
    "colour_index",
    "colour_shares",
    "dominant_colour",
    "name_pixels",
]

#: Colour name -> sRGB prototypes (uint8 triples).
PROTOTYPES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "red": ((215, 30, 35), (150, 20, 25), (235, 85, 80), (180, 50, 60)),
    "orange": ((250, 140, 20), (225, 110, 40), (250, 170, 90)),
    "yellow": ((250, 220, 40), (245, 240, 120), (205, 185, 50)),
    "green": ((40, 170, 50), (25, 100, 35), (130, 205, 90), (95, 120, 45), (60, 140, 100)),
    "cyan": ((40, 205, 215), (10, 140, 150), (150, 225, 230)),
    "blue": ((35, 70, 215), (20, 30, 120), (100, 155, 230), (60, 95, 160), (70, 120, 200)),
    "purple": ((130, 45, 170), (80, 30, 110), (175, 120, 210)),
    "pink": ((240, 130, 180), (250, 195, 210), (215, 60, 145)),
    "brown": ((140, 85, 35), (95, 60, 30), (175, 130, 85), (70, 45, 30), (120, 90, 60)),
    "black": ((15, 15, 15), (40, 40, 45)),
    "white": ((248, 248, 248), (225, 225, 218)),
    "grey": ((128, 128, 128), (85, 85, 88), (175, 175, 175), (110, 115, 125)),
}

#: Every colour name, in table order (the index used by :func:`name_pixels`).
COLOUR_NAMES: tuple[str, ...] = tuple(PROTOTYPES)

#: Other colour words -> a name of the table.
ALIASES: dict[str, str] = {
    "gray": "grey",
    "silver": "grey",
    "silvery": "grey",
    "greyish": "grey",
    "grayish": "grey",
    "violet": "purple",
    "lilac": "purple",
    "lavender": "purple",
    "magenta": "pink",
    "navy": "blue",
    "bluish": "blue",
    "teal": "cyan",
    "turquoise": "cyan",
    "aqua": "cyan",
    "gold": "yellow",
    "golden": "yellow",
    "yellowish": "yellow",
    "maroon": "red",
    "crimson": "red",
    "scarlet": "red",
    "reddish": "red",
    "beige": "brown",
    "tan": "brown",
    "brownish": "brown",
    "greenish": "green",
    "olive": "green",
    "lime": "green",
    "orangey": "orange",
    "pinkish": "pink",
    "purplish": "purple",
}


def _lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) float32 CIELAB (L 0-100) of (N, 3) uint8 sRGB."""
    px = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1, 1, 3)
    return cv2.cvtColor(px.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)


_PROTO_RGB = np.array([p for name in COLOUR_NAMES for p in PROTOTYPES[name]], dtype=np.uint8)
_PROTO_LAB = _lab(_PROTO_RGB)
_PROTO_NAME = np.array(
    [i for i, name in enumerate(COLOUR_NAMES) for _ in PROTOTYPES[name]], dtype=np.int64
)


def colour_index(word: str) -> int | None:
    """The index in :data:`COLOUR_NAMES` of a colour word or alias, None if not a colour."""
    word = ALIASES.get(word.lower(), word.lower())
    return COLOUR_NAMES.index(word) if word in COLOUR_NAMES else None


def name_pixels(rgb: np.ndarray) -> np.ndarray:
    """(N,) int64 index in :data:`COLOUR_NAMES` of each pixel of an (N, 3) uint8 RGB array."""
    lab = _lab(rgb)
    if not len(lab):
        return np.zeros(0, dtype=np.int64)
    d = ((lab[:, None, :] - _PROTO_LAB[None, :, :]) ** 2).sum(axis=2)
    return _PROTO_NAME[d.argmin(axis=1)]


def colour_shares(rgb: np.ndarray, *, max_pixels: int = 4096, seed: int = 0) -> np.ndarray:
    """Share of the pixels taking each colour name.

    Args:
        rgb: (N, 3) uint8 RGB pixels (any N; more than ``max_pixels`` are sub-sampled with a
            fixed seed, so the answer is deterministic).

    Returns:
        (len(COLOUR_NAMES),) float32 in [0, 1] summing to 1 (all zeros for no pixel).
    """
    rgb = np.asarray(rgb).reshape(-1, 3)
    if len(rgb) > max_pixels:
        pick = np.random.default_rng(seed).choice(len(rgb), max_pixels, replace=False)
        rgb = rgb[pick]
    out = np.zeros(len(COLOUR_NAMES), dtype=np.float32)
    if len(rgb):
        counts = np.bincount(name_pixels(rgb), minlength=len(COLOUR_NAMES))
        out[:] = counts / counts.sum()
    return out


def dominant_colour(shares: np.ndarray) -> str:
    """The name with the largest share (``""`` for an all-zero histogram)."""
    shares = np.asarray(shares)
    return COLOUR_NAMES[int(shares.argmax())] if shares.sum() > 0 else ""
