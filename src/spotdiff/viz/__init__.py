"""Pictures people can look at: colour-mapped difference maps, overlays, annotated pairs."""

from .annotate import (
    KIND_COLOURS,
    annotate_pair,
    heatmap_overlay,
    mask_image,
    save_image,
)
from .colormap import COLORMAPS, colorize, save_map

__all__ = [
    "COLORMAPS",
    "KIND_COLOURS",
    "annotate_pair",
    "colorize",
    "heatmap_overlay",
    "mask_image",
    "save_image",
    "save_map",
]
