"""Converting any supported input to one of the two canonical forms.

- NumPy uint8 (H, W, 3) RGB, for OpenCV work (:func:`to_rgb8`, :func:`to_rgb8_batch`).
- torch float32 (N, C, H, W) in [0, 1], for maps and models (:func:`to_tensor`).

Supported inputs: file paths (str / PathLike), encoded bytes, PIL images, NumPy arrays and torch
tensors in any layout of :mod:`spotdiff.io._layout`, and lists / tuples of these (a batch).
Pixel values: uint8 in [0, 255], uint16 in [0, 65535], bool, or floats in [0, 1] (values outside
[0, 1] by more than 1e-3 are a :class:`~spotdiff._errors.LayoutError`, not silently clipped: divide
by 255, or map [-1, 1] with (x + 1) / 2; values outside by at most 1e-3 are clipped silently).
NaN and infinite float values are a :class:`~spotdiff._errors.LayoutError` that counts them
(replace them first, e.g. with ``np.nan_to_num`` / ``torch.nan_to_num``). Two-channel
(gray + alpha) and four-channel (RGBA) inputs are composited over white, like files; one-channel
inputs are gray.

Every array / tensor returned here is recorded with its layout (:func:`._layout.mark_layout`), so
passing it back in never guesses the layout again.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .._errors import LayoutError
from ._decode import decode_bytes, pil_to_array, read_image
from ._layout import known_layout, mark_layout, resolve_layout

if TYPE_CHECKING:
    import torch

__all__ = ["is_path", "is_tensor", "to_rgb8", "to_rgb8_batch", "to_tensor"]

_TOLERANCE = 1e-3


def is_tensor(obj: Any) -> bool:
    """True for a torch.Tensor, without importing torch."""
    torch_module = sys.modules.get("torch")
    return torch_module is not None and isinstance(obj, torch_module.Tensor)


def is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _describe(obj: Any) -> str:
    return type(obj).__module__ + "." + type(obj).__qualname__


def _layout_of(obj: Any, layout: str, *, channels_last: bool) -> str:
    """``layout`` resolved for ``obj``; an array spotdiff.io produced keeps its known layout."""
    if layout == "auto":
        known = known_layout(obj)
        if known is not None:
            return known
    return resolve_layout(tuple(obj.shape), layout, channels_last=channels_last)


def _non_finite_error(count: int, total: int, dtype: Any) -> LayoutError:
    return LayoutError(
        f"float images must hold finite values in [0, 1]; got {dtype} with {count:,} non-finite "
        f"values (NaN or inf) of {total:,}: replace them first, e.g. "
        "np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0) (torch.nan_to_num for tensors)"
    )


# ---------------------------------------------------------------------------------------------
# NumPy uint8 RGB


def to_rgb8(image: Any, *, layout: str = "auto") -> np.ndarray:
    """One image -> (H, W, 3) uint8 RGB. A batch of more than one image is an error.

    Raises:
        LayoutError: unreadable shape / dtype / range, NaN or inf values, or a batch.
        ImageReadError: a file or bytes cannot be decoded.
    """
    batch = to_rgb8_batch(image, layout=layout)
    if len(batch) != 1:
        raise LayoutError(f"expected one image, got a batch of {len(batch)}; pass one at a time")
    return batch[0]


def to_rgb8_batch(images: Any, *, layout: str = "auto") -> list[np.ndarray]:
    """Any supported input -> list of (H, W, 3) uint8 RGB arrays (C-contiguous)."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise LayoutError("got an empty list of images")
        return [arr for item in images for arr in to_rgb8_batch(item, layout=layout)]
    if is_path(images):
        return [read_image(images, dtype="uint8")]
    if isinstance(images, (bytes, bytearray, memoryview)):
        return [decode_bytes(bytes(images), dtype="uint8").image]
    if isinstance(images, Image.Image):
        return [pil_to_array(images, dtype="uint8")]
    if is_tensor(images):
        found = _layout_of(images, layout, channels_last=False)
        tensor = images.detach().cpu()
        array = tensor.float().numpy() if tensor.dtype.is_floating_point else tensor.numpy()
        return _numeric_to_rgb8(array, found)
    if isinstance(images, np.ndarray):
        return _numeric_to_rgb8(images, _layout_of(images, layout, channels_last=True))
    raise LayoutError(
        f"cannot read an image from {_describe(images)}; pass a file path, bytes, a PIL image, "
        "a NumPy array or a torch tensor"
    )


def _numeric_to_rgb8(array: np.ndarray, found: str) -> list[np.ndarray]:
    nhwc = _to_nhwc(array, found)
    unit = _to_unit_range(nhwc)
    if unit.dtype != np.uint8:
        unit = np.clip(np.rint(unit * 255.0), 0, 255).astype(np.uint8)
    return [mark_layout(_rgb_from_channels(frame), "HWC") for frame in unit]


def _to_nhwc(array: np.ndarray, layout: str) -> np.ndarray:
    axes = {"HW": None, "CHW": (1, 2, 0), "HWC": None, "NCHW": (0, 2, 3, 1), "NHWC": None}
    if layout == "HW":
        return array[None, :, :, None]
    if layout == "NHW":
        return array[..., None]
    order = axes[layout]
    out = array.transpose(order) if order else array
    return out[None] if out.ndim == 3 else out


def _to_unit_range(array: np.ndarray) -> np.ndarray:
    """uint8 stays uint8; other dtypes become float32 in [0, 1] (validated)."""
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if kind in "iu":
        low, high = int(array.min()), int(array.max())
        if low >= 0 and high <= 255:
            return array.astype(np.uint8)
        raise LayoutError(
            f"integer images must hold 8-bit values (0 to 255) or be uint16; got {array.dtype} "
            f"with range [{low}, {high}]: convert with .astype(np.uint8) or .astype(np.uint16)"
        )
    if kind == "f":
        with np.errstate(invalid="ignore"):
            low, high = float(array.min()), float(array.max())
        if not (math.isfinite(low) and math.isfinite(high)):
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise _non_finite_error(bad, array.size, array.dtype)
        _check_unit(low, high, array.dtype)
        # a new array (never the caller's memory), clipped within the tolerance
        return np.clip(array.astype(np.float32, copy=False), 0.0, 1.0)
    raise LayoutError(f"unsupported pixel dtype {array.dtype}; use uint8, uint16, bool or float")


def _check_unit(low: float, high: float, dtype: Any) -> None:
    if low < -_TOLERANCE or high > 1.0 + _TOLERANCE:
        hint = "divide by 255" if high > 1.0 + _TOLERANCE else "map [-1, 1] with (x + 1) / 2"
        raise LayoutError(
            f"float images must be in [0, 1]; got {dtype} with range [{low:.4g}, {high:.4g}]: {hint}"
        )


def _rgb_from_channels(frame: np.ndarray) -> np.ndarray:
    """(H, W, C) uint8 with C in 1..4 -> (H, W, 3) uint8 RGB (alpha composited over white)."""
    channels = frame.shape[2]
    if channels == 3:
        return np.ascontiguousarray(frame)
    if channels == 1:
        return np.ascontiguousarray(np.repeat(frame, 3, axis=2))
    if channels in (2, 4):
        color = frame[..., :-1].astype(np.float32)
        alpha = frame[..., -1:].astype(np.float32) / 255.0
        if channels == 2:
            color = np.repeat(color, 3, axis=2)
        out = color * alpha + 255.0 * (1.0 - alpha)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    raise LayoutError(f"images must have 1 to 4 channels for this operation; got {channels}")


# ---------------------------------------------------------------------------------------------
# torch float NCHW


def to_tensor(
    images: Any, *, layout: str = "auto", device: Any = None, dtype: Any = None
) -> torch.Tensor:
    """Any supported input -> float tensor (N, C, H, W) in [0, 1] on ``device``.

    Tensors stay on their device unless ``device`` is given (no round trip through NumPy); files,
    PIL images and arrays are decoded on the CPU and moved. 16-bit files keep their precision.
    ``dtype`` defaults to float32 (a floating input tensor keeps its own floating dtype).

    Raises:
        LayoutError: unreadable shape / dtype / range, NaN or inf values, or batch items of
            different sizes.
        ImageReadError: a file cannot be decoded.
    """
    from .._optional import require

    torch = require("torch", purpose="difference maps")
    tensor = _to_tensor(images, layout, torch)
    if dtype is not None:
        tensor = tensor.to(dtype)
    if device is not None:
        tensor = tensor.to(device)
    return mark_layout(tensor, "NCHW")


def _to_tensor(images: Any, layout: str, torch: Any) -> torch.Tensor:
    if isinstance(images, (list, tuple)):
        if not images:
            raise LayoutError("got an empty list of images")
        parts = [_to_tensor(item, layout, torch) for item in images]
        shapes = {tuple(p.shape[1:]) for p in parts}
        if len(shapes) > 1:
            listed = ", ".join(f"{s[2]}x{s[1]}x{s[0]}" for s in sorted(shapes))
            raise LayoutError(
                f"images in one batch must share one size and channel count; got {listed} "
                "(WxHxC): resize them first or pass them as separate pairs"
            )
        return torch.cat(parts, dim=0)
    if is_tensor(images):
        return _tensor_to_unit(images, layout, torch)
    if isinstance(images, np.ndarray):
        found = _layout_of(images, layout, channels_last=True)
        nhwc = _to_nhwc(images, found)
        unit = _to_unit_range(nhwc)
        tensor = torch.from_numpy(np.ascontiguousarray(unit)).permute(0, 3, 1, 2)
        tensor = tensor.float() / 255.0 if unit.dtype == np.uint8 else tensor.float()
        return _composite_tensor(tensor)
    if is_path(images):
        array = read_image(Path(images), dtype="float32")
    elif isinstance(images, (bytes, bytearray, memoryview)):
        array = decode_bytes(bytes(images), dtype="float32").image
    elif isinstance(images, Image.Image):
        array = pil_to_array(images, dtype="float32")
    else:
        raise LayoutError(
            f"cannot read an image from {_describe(images)}; pass a file path, bytes, a PIL image, "
            "a NumPy array or a torch tensor"
        )
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def _dense_view(tensor: torch.Tensor, torch: Any) -> torch.Tensor:
    """The same values in memory order where that order is a plain permutation (channels-last).

    Reductions over a permuted (non-contiguous) tensor are several times slower on CPU; a view in
    memory order costs nothing and gives the same min / max.
    """
    if tensor.dim() == 4 and tensor.is_contiguous(memory_format=torch.channels_last):
        return tensor.permute(0, 2, 3, 1)
    return tensor


def _tensor_to_unit(tensor: torch.Tensor, layout: str, torch: Any) -> torch.Tensor:
    found = _layout_of(tensor, layout, channels_last=False)
    tensor = tensor.detach()
    permute = {
        "HW": lambda t: t[None, None],
        "NHW": lambda t: t[:, None],
        "CHW": lambda t: t[None],
        "HWC": lambda t: t.permute(2, 0, 1)[None],
        "NCHW": lambda t: t,
        "NHWC": lambda t: t.permute(0, 3, 1, 2),
    }[found](tensor)
    if permute.dtype == torch.uint8:
        out = permute.float() / 255.0
    elif permute.dtype == torch.bool:
        out = permute.float()
    elif permute.dtype.is_floating_point:
        out = permute if permute.dtype in (torch.float32, torch.float64) else permute.float()
        low, high = (float(v) for v in torch.aminmax(_dense_view(out, torch)))
        if not (math.isfinite(low) and math.isfinite(high)):
            bad = int((~torch.isfinite(out)).sum())
            raise _non_finite_error(bad, out.numel(), tensor.dtype)
        _check_unit(low, high, tensor.dtype)
        if low < 0.0 or high > 1.0:  # within the tolerance: clip (a copy only when needed)
            out = out.clamp(0.0, 1.0)
    elif permute.dtype == getattr(torch, "uint16", None):
        out = permute.float() / 65535.0
    else:
        low, high = int(permute.min()), int(permute.max())
        if low < 0 or high > 255:
            raise LayoutError(
                f"integer tensors must hold 8-bit values (0 to 255); got {tensor.dtype} with "
                f"range [{low}, {high}]: convert with .to(torch.uint8) or to float in [0, 1]"
            )
        out = permute.float() / 255.0
    return _composite_tensor(out)


def _composite_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) in [0, 1]: C=2 (gray+alpha) or 4 (RGBA) composited over white."""
    channels = tensor.shape[1]
    if channels not in (2, 4):
        return tensor
    alpha = tensor[:, -1:]
    color = tensor[:, :-1]
    return color * alpha + (1.0 - alpha)
