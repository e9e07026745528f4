"""Pictures people can look at: colour-mapped difference maps, overlays, annotated pairs.

Every picture is written atomically (:func:`save_image`, :func:`save_images`, :func:`save_map`).
"""

from ._save import IMAGE_FORMATS, check_image_path, save_image, save_images
from .annotate import (
    KIND_COLOURS,
    annotate_pair,
    heatmap_overlay,
    mask_image,
)
from .colormap import COLORMAPS, colorize, save_map

__all__ = [
    "COLORMAPS",
    "IMAGE_FORMATS",
    "KIND_COLOURS",
    "annotate_pair",
    "check_image_path",
    "colorize",
    "heatmap_overlay",
    "mask_image",
    "save_image",
    "save_images",
    "save_map",
]
