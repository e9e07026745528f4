"""Lost fine detail: where the blurrier image is only a low-pass of the other, nothing changed.

A picture scaled down and back up (a thumbnail enlarged), rotated or otherwise resampled loses
its finest detail: roof tiles, a brick pattern, two strokes 2 px apart. The pair's sharpness
matching (:mod:`spotdiff.align.sharpness`) blurs the sharper image by one Gaussian for the whole
pair, which leaves a fine texture's residue where the resampling removed it entirely (a
half-size copy keeps nothing finer than a 4 px period, a Gaussian of 0.85 px keeps 40% of it):
such places differed by up to 9x the colour threshold and were boxed (``puzzle_townhall``'s
roofs at half size and up, rotated by 1.5 degrees: scores 0.12-0.46).

A region is *lost detail* (:func:`lost_detail`) when, over the pixels of its box whose colour
differs by more than the colour threshold (*changed*),

- nothing differs at a coarser scale: both images blurred by :data:`COARSE` px (a Gaussian
  that keeps little finer than a 5 px period) differ by at most :data:`MAX_COARSE` x the colour
  threshold at every changed pixel (an object added, removed or recoloured, a 2x2 px dot of
  contrast 200, still differs by more there), image 2 taken after or before the tone curves,
  whichever is closer (curves fitted on a blurrier copy are off by the blur: in
  ``puzzle_traffic`` at half size and up, a "0" drawn as two strokes 1 px apart filled grey
  stayed 0.93x the threshold apart at the coarse scale after the curves, 0.58x before);
- the detail went from the pair's sharper image: the blurrier image's fine energy (its
  difference from its own coarse copy, squared) over the changed pixels is at most
  :data:`MAX_KEPT` of the sharper one's (a texture added to the blurrier image, a pattern
  changed into another is no loss).

It is only asked on a pair whose sharpness matching found one image blurrier (``blur`` of
:class:`spotdiff.align.MatchedPair`). On the real development set no true region passes the
first test (their coarse differences are at least 0.96x the threshold, and at least 1.4x on
the pairs with a blurrier image); on its pictures compared with a half-size-and-up or rotated
copy of themselves, the 9 boxes of ``puzzle_townhall``, ``puzzle_ghats`` and ``puzzle_traffic``
do.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..maps.colour import colour_difference
from ..result import DiffResult
from .veto import drop_rejected, window

__all__ = ["COARSE", "MAX_COARSE", "MAX_KEPT", "drop_lost_detail", "lost_detail"]

#: px: sigma of the Gaussian that takes both images to the coarse scale.
COARSE = 2.0
#: Largest coarse colour difference at a changed pixel, in colour thresholds (lost detail on
#: the real pictures resampled: at most 0.49; true regions of the real development set: 0.96 and
#: more).
MAX_COARSE = 0.5
#: Largest ratio of the blurrier image's fine energy to the sharper one's over the changed
#: pixels (lost detail on the real pictures resampled: 0.04-0.25).
MAX_KEPT = 0.5


def lost_detail(
    img1: np.ndarray,
    img2: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    threshold: float,
    blurrier: int,
    raw2: np.ndarray | None = None,
) -> bool:
    """True when the change inside ``box`` is only fine detail the blurrier image lost.

    Args:
        img1, img2: uint8 (H, W, 3) RGB, image 2 aligned onto image 1 and tone-matched.
        box: ``(x0, y0, x1, y1)`` in the images' pixels, ends exclusive.
        threshold: the colour threshold in levels: a pixel whose colour moved by more is
            changed.
        blurrier: 1 or 2, the image the pair's sharpness matching found blurrier.
        raw2: uint8 (H, W, 3) image 2 aligned, before the tone curves, or None: the coarse
            difference is the smaller of the two images 2's (curves fitted on a pair whose
            image 2 is blurrier are off by the blur: thin dark lines lose their contrast).

    Returns:
        False as well when the box holds no changed pixel.
    """
    # the Gaussian's reach: the coarse copies see the box's surroundings
    outer, inner = window(img1.shape, box, int(3 * COARSE))
    a, b = img1[outer], img2[outer]
    changed = colour_difference(a[inner], b[inner], b[inner], radius=0) > threshold
    if not changed.any():
        return False
    a, b = a.astype(np.float32), b.astype(np.float32)
    ca, cb = cv2.GaussianBlur(a, (0, 0), COARSE), cv2.GaussianBlur(b, (0, 0), COARSE)
    coarse = np.sqrt(((ca[inner] - cb[inner]) ** 2).sum(axis=2))[changed]
    if raw2 is not None:
        cr = cv2.GaussianBlur(raw2[outer].astype(np.float32), (0, 0), COARSE)
        coarse = np.minimum(coarse, np.sqrt(((ca[inner] - cr[inner]) ** 2).sum(axis=2))[changed])
    if coarse.max() > MAX_COARSE * threshold:
        return False
    fine_a = ((a[inner] - ca[inner]) ** 2).sum(axis=2)[changed].sum()
    fine_b = ((b[inner] - cb[inner]) ** 2).sum(axis=2)[changed].sum()
    sharp, blurry = (fine_a, fine_b) if blurrier == 2 else (fine_b, fine_a)
    return bool(blurry <= MAX_KEPT * sharp)


def drop_lost_detail(
    regions: DiffResult,
    img1: np.ndarray,
    img2: np.ndarray,
    *,
    threshold: float,
    blur: tuple[float, float],
    spared: np.ndarray | None = None,
    raw2: np.ndarray | None = None,
) -> DiffResult:
    """``regions`` without those that are only fine detail the blurrier image lost
    (:func:`lost_detail`); ``regions`` itself when neither image was found blurrier.

    Args:
        regions: :func:`~.extract.extract_regions`' result, boxes in image-1 pixels.
        img1, img2: uint8 (h, w, 3) RGB working images (image 2 aligned and tone-matched); a
            box is taken to their grid by the ratio of their width to ``regions.image_size``.
        threshold: the colour threshold in levels.
        blur: the Gaussian sigmas (px) the sharpness matching applied to image 1 and image 2
            (:attr:`spotdiff.align.MatchedPair.blur`): the one blurred is the sharper image.
        spared: (h, w) on the working images' grid, non-zero where a region is no loss (a
            character reshaped on a clean render, :mod:`spotdiff.maps.glyph`), or None.
        raw2: image 2 aligned, before the tone curves (:func:`lost_detail`), or None.
    """
    if len(regions) == 0 or blur[0] == blur[1]:
        return regions
    blurrier = 2 if blur[0] > blur[1] else 1
    return drop_rejected(
        regions,
        img1.shape,
        lambda box: lost_detail(img1, img2, box, threshold=threshold, blurrier=blurrier, raw2=raw2),
        spared=spared,
    )
