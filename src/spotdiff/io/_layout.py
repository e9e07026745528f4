"""Reading the layout (axis order) of arrays and tensors.

Layouts: ``"HW"``, ``"CHW"``, ``"HWC"``, ``"NCHW"``, ``"NHWC"``, ``"NHW"`` (a batch of grayscale
images) or ``"auto"``. With ``"auto"`` a channel axis is one of size 1 to 4 at the front (after the
batch axis) or at the end. When both readings fit (e.g. shape (3, 5, 3)), the container's own
convention wins (channels last for NumPy, channels first for torch) and a
:class:`~spotdiff._errors.SpotdiffWarning` says which was assumed: never a silent guess.

Arrays and tensors that :mod:`spotdiff.io` itself produced (decoded files, converted inputs,
size-matched pairs) have a known layout: they are recorded with :func:`mark_layout`, and
:func:`known_layout` gives that layout back, so feeding them into spotdiff again (as ``spotdiff
find`` does with a decoded 1x1 file of shape (1, 1, 3)) never guesses and never warns.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any, Literal, TypeVar

from .._errors import LayoutError, SpotdiffWarning
from .._validate import check_choice

__all__ = ["LAYOUTS", "Layout", "known_layout", "mark_layout", "resolve_layout"]

Layout = Literal["auto", "HW", "CHW", "HWC", "NCHW", "NHWC", "NHW"]
LAYOUTS: tuple[str, ...] = ("auto", "HW", "CHW", "HWC", "NCHW", "NHWC", "NHW")
_CHANNELS = (1, 2, 3, 4)

T = TypeVar("T")
# id(obj) -> (weak reference to obj, its layout); an entry goes when its object is freed
_KNOWN: dict[int, tuple[weakref.ReferenceType[Any], str]] = {}


def mark_layout(obj: T, layout: str) -> T:
    """Record that ``obj`` (an array or tensor spotdiff.io produced) has ``layout``; returns it.

    Objects that cannot be weakly referenced are returned unrecorded.
    """
    key = id(obj)

    def forget(ref: weakref.ReferenceType[Any], key: int = key) -> None:
        entry = _KNOWN.get(key)
        if entry is not None and entry[0] is ref:
            _KNOWN.pop(key, None)

    try:
        ref = weakref.ref(obj, forget)
    except TypeError:
        return obj
    _KNOWN[key] = (ref, layout)
    return obj


def known_layout(obj: Any) -> str | None:
    """The layout recorded for ``obj`` by :func:`mark_layout`, or None.

    None as well when the object was reshaped in place so that the layout no longer fits.
    """
    entry = _KNOWN.get(id(obj))
    if entry is None or entry[0]() is not obj:
        return None
    layout = entry[1]
    shape = tuple(getattr(obj, "shape", ()))
    if len(shape) != len(layout) or ("C" in layout and shape[layout.index("C")] not in _CHANNELS):
        return None
    return layout


def resolve_layout(shape: tuple[int, ...], layout: str, *, channels_last: bool) -> str:
    """Return the concrete layout of an array of ``shape``.

    Args:
        shape: the array's shape.
        layout: one of :data:`LAYOUTS`.
        channels_last: the container's convention, used when both readings fit (NumPy: True).

    Raises:
        LayoutError: the shape cannot be an image (batch) in the requested layout.
    """
    layout = check_choice("layout", layout, LAYOUTS)
    ndim = len(shape)
    if layout != "auto":
        if len(layout) != ndim:
            raise LayoutError(
                f"layout={layout!r} needs a {len(layout)}-D array; got shape {tuple(shape)}"
            )
        _check_spatial(shape, layout)
        return layout
    if ndim == 2:
        found = "HW"
    elif ndim in (3, 4):
        lead = ndim - 3
        first_fits = shape[lead] in _CHANNELS
        last_fits = shape[-1] in _CHANNELS
        prefix = "N" if lead else ""
        if first_fits and last_fits:
            found = prefix + ("HWC" if channels_last else "CHW")
            warnings.warn(
                f"shape {tuple(shape)} reads as {prefix}CHW or {prefix}HWC; assumed {found} "
                f"({'NumPy' if channels_last else 'torch'} convention). Pass layout=... to choose",
                SpotdiffWarning,
                stacklevel=4,
            )
        elif first_fits:
            found = prefix + "CHW"
        elif last_fits:
            found = prefix + "HWC"
        elif ndim == 3:
            raise LayoutError(
                f"cannot read shape {tuple(shape)} as an image: a channel axis of size 1 to 4 must "
                "come first (CHW) or last (HWC); for a batch of grayscale images pass layout='NHW'"
            )
        else:
            raise LayoutError(
                f"cannot read shape {tuple(shape)} as an image batch: a channel axis of size 1 to 4 "
                "must follow the batch axis (NCHW) or come last (NHWC); pass layout=... explicitly"
            )
    else:
        raise LayoutError(
            f"images must be 2-D (HW), 3-D (CHW/HWC) or 4-D (NCHW/NHWC); got shape {tuple(shape)}"
        )
    _check_spatial(shape, found)
    return found


def _check_spatial(shape: tuple[int, ...], layout: str) -> None:
    sizes = dict(zip(layout, shape, strict=True))
    if sizes["H"] < 1 or sizes["W"] < 1 or sizes.get("N", 1) < 1 or sizes.get("C", 1) < 1:
        raise LayoutError(f"empty image: shape {tuple(shape)} read as {layout}")
