"""Pictures people can look at: colour-mapped difference maps, overlays, annotated pairs."""

from .colormap import COLORMAPS, colorize, save_map

__all__ = ["COLORMAPS", "colorize", "save_map"]
