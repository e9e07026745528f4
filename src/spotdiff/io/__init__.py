"""The input layer: every image that enters spotdiff comes through here.

Two canonical forms leave it: NumPy uint8 (H, W, 3) RGB for OpenCV work (:func:`to_rgb8`,
:func:`load_pair`) and torch float32 (N, C, H, W) in [0, 1] for maps and models (:func:`to_tensor`,
:func:`load_tensor_pair`). See :mod:`._decode` for the file-format decisions, :mod:`._layout` for
layout detection and :mod:`._size` for the size policy.

Large files can be decoded reduced (``max_side``): :func:`read_image_reduced` and
:func:`decode_pair_reduced` return the reduced images with their original sizes, so that boxes can
be scaled back to original pixels.
"""

from ._convert import is_path, is_tensor, to_rgb8, to_rgb8_batch, to_tensor
from ._decode import (
    DEFAULT_MAX_PIXELS,
    IMAGE_SUFFIXES,
    ReducedImage,
    pil_to_array,
    read_image,
    read_image_reduced,
)
from ._layout import LAYOUTS, Layout, resolve_layout
from ._pairs import (
    DirectoryPairs,
    DirectoryRow,
    ReducedPair,
    decode_pair,
    decode_pair_reduced,
    directory_rows,
    is_directory_pair,
    list_images,
    load_pair,
    load_tensor_pair,
    pair_directories,
)
from ._size import SIZE_POLICIES, SizeMismatch, match_sizes, match_sizes_tensor

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "LAYOUTS",
    "SIZE_POLICIES",
    "DirectoryPairs",
    "DirectoryRow",
    "Layout",
    "ReducedImage",
    "ReducedPair",
    "SizeMismatch",
    "decode_pair",
    "decode_pair_reduced",
    "directory_rows",
    "is_directory_pair",
    "is_path",
    "is_tensor",
    "list_images",
    "load_pair",
    "load_tensor_pair",
    "match_sizes",
    "match_sizes_tensor",
    "pair_directories",
    "pil_to_array",
    "read_image",
    "read_image_reduced",
    "resolve_layout",
    "to_rgb8",
    "to_rgb8_batch",
    "to_tensor",
]
