"""Image 2 placed on image 1's working grid after registration (:func:`spotdiff.find`, step 3).

A registration beyond the identity warps image 2 onto image 1's pixel grid at the working size
(bilinear: a sub-pixel warp softens image 2 and leaves its edges a fraction of a pixel off, which
the sharpness matching and the anti-aliasing test then allow for). A *crop by whole pixels* is not
resampled: two screenshots scrolled or cropped a pixel apart, or a pair of slightly different
sizes placed on one canvas, share their pixels exactly. Two cases:

- at full resolution (no reduction), the registration snaps such a translation to whole pixels
  and the warp copies image 2's pixels: nothing is softened (:func:`interpolates` is False);
- reduced to the working size, a shift of whole original pixels is a fraction of a working pixel;
  image 2 is then shifted at full resolution and reduced as image 1 is, so the two reductions
  see the same phase of the grid (:func:`whole_crop`).

Before, either case was taken as resampled: image 1 was blurred by half a pixel and every sharp
edge differed a little. Flipping a pair whose images differ in size by a pixel (placed on one
canvas at the top-left corner) turns a pair that needs no shift into one a whole pixel apart;
``puzzle_traffic`` lost a box and gained a false one that way, a 1425 px screenshot pair one pixel
apart gained a false box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._area import reduce_area
from .align import Registration, scale_transform, warp_image

__all__ = ["WHOLE_PX", "Placed", "interpolates", "place_image2", "to_working_size", "whole_crop"]

#: Original pixels: a translation this close to whole pixels in both axes is a crop by whole
#: pixels (the registration snaps by the same margin at the working resolution).
WHOLE_PX = 0.1


def _shift(transform: np.ndarray) -> np.ndarray | None:
    """The shift (2,) of a ``transform`` ((3, 3)) that is a translation, else None."""
    t = np.asarray(transform, dtype=np.float64) / transform[2, 2]
    if not np.allclose(t[:2, :2], np.eye(2), rtol=0.0, atol=1e-9) or np.abs(t[2, :2]).max() > 0:
        return None
    return t[:2, 2]


def interpolates(transform: np.ndarray) -> bool:
    """Whether warping by ``transform`` ((3, 3)) resamples: anything but a translation by whole
    pixels (within 1e-6 px: it copies the pixels as they are)."""
    shift = _shift(transform)
    return shift is None or not np.allclose(shift, np.round(shift), rtol=0.0, atol=1e-6)


def whole_crop(transform: np.ndarray) -> np.ndarray | None:
    """``transform`` ((3, 3), image 2 -> image 1, original pixels) snapped to whole pixels when
    it is a translation within :data:`WHOLE_PX` of them in both axes, else None."""
    shift = _shift(transform)
    if shift is None or np.abs(shift - np.round(shift)).max() >= WHOLE_PX:
        return None
    out = np.eye(3)
    out[:2, 2] = np.round(shift)
    return out


@dataclass(frozen=True)
class Placed:
    """Image 2 on image 1's working grid.

    Attributes:
        img2: uint8 (h, w, 3) image 2 at the working size, aligned.
        quiet: bool (h, w), pixels image 2 does not cover (never reported).
        transform: (3, 3) float64, image 2 -> image 1 in original pixels (identity when not
            aligned).
        resampled: image 2 was interpolated (a warp other than a crop by whole pixels).
    """

    img2: np.ndarray
    quiet: np.ndarray
    transform: np.ndarray
    resampled: bool


def to_working_size(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``img`` reduced to ``size`` (w, h) by area averaging, as find's working copies are made;
    ``img`` itself when it has that size (the same pixels as OpenCV's ``INTER_AREA``, computed
    faster: :mod:`spotdiff._area`)."""
    if (img.shape[1], img.shape[0]) == size:
        return img
    return reduce_area(img, size)


def place_image2(
    reg: Registration,
    img2: np.ndarray,
    img2_full: np.ndarray,
    cover2_full: np.ndarray | None = None,
) -> Placed:
    """Image 2 placed by ``reg`` (see the module docstring).

    Args:
        reg: the registration of the working images (its transform in working pixels).
        img2: uint8 (h, w, 3) image 2 at the working size, as registered.
        img2_full: uint8 (H, W, 3) image 2 at full (decoded) size, on image 1's canvas.
        cover2_full: bool (H, W), where ``img2_full`` holds image 2's own pixels, or None
            (everywhere).

    Returns:
        :class:`Placed`; ``quiet`` includes the pixels outside ``cover2_full`` (eroded by one
        working pixel, no mixed border pixel counts).
    """
    wh, ww = img2.shape[:2]
    h, w = img2_full.shape[:2]
    small, full = (ww, wh), (w, h)
    cover2 = None if cover2_full is None else cover2_full.view(np.uint8) * np.uint8(255)
    transform, crop = np.eye(3), None
    if reg.aligned:
        transform = scale_transform(reg.transform, small, full)
        crop = whole_crop(transform) if small != full else None
    if crop is not None:  # a crop by whole original pixels: placed there, reduced as image 1
        placed, covered = warp_image(img2_full, crop, full)
        out = to_working_size(placed, small)
        quiet = to_working_size((~covered).view(np.uint8) * np.uint8(255), small) > 0
        if cover2 is not None:
            cover2 = to_working_size(warp_image(cover2, crop, full)[0], small)
        transform = crop
    else:
        out, quiet = img2, np.zeros((wh, ww), dtype=bool)
        if cover2 is not None:
            cover2 = to_working_size(cover2, small)
        if reg.aligned:
            out, covered = warp_image(img2, reg.transform, small)
            quiet = ~covered
            if cover2 is not None:
                cover2 = warp_image(cover2, reg.transform, small)[0]
    if cover2 is not None:
        quiet |= cv2.erode(cover2, np.ones((3, 3), np.uint8)) < 255
    resampled = reg.aligned and crop is None and interpolates(reg.transform)
    return Placed(out, quiet, transform, resampled)
