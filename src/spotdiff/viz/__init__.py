"""Pictures people can look at: colour-mapped difference maps, overlays, annotated pairs, paper
comparison figures (:func:`comparison_figure`) and the HTML report of a batch (:func:`build_report`).

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
from .figure import ComparisonFigure, comparison_figure
from .report import build_report

__all__ = [
    "COLORMAPS",
    "IMAGE_FORMATS",
    "KIND_COLOURS",
    "ComparisonFigure",
    "annotate_pair",
    "build_report",
    "check_image_path",
    "colorize",
    "comparison_figure",
    "heatmap_overlay",
    "mask_image",
    "save_image",
    "save_images",
    "save_map",
]
