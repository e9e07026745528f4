"""How far a render was enlarged by interpolation before it reached the working grid.

A picture enlarged by interpolation (a screenshot or drawing upscaled 1.5x, cubic) holds no
detail finer than its source's pixels, so every tolerance counted in working pixels (how far a
stroke may have been traced again, :mod:`.retrace`) is too tight for it by the enlargement.
Measured on its edges (3x3 grey range above :data:`EDGE_RANGE`), the energy of the finest band
(the grey image minus its Gaussian blur of sigma 0.6 px) against the next band (that blur minus
the blur of sigma 1.2 px) is 0.48-1.24 on the renders of the real development set at their size
(working grid), 0.31-0.41 on the same enlarged 1.5x (0.27 at 2x, 0.42 at 1.25x on a constructed
drawing, 0.64 at its size). The enlargement is ``NATIVE_RATIO / ratio``, at least 1 and at most
:data:`MAX_ENLARGEMENT` (it reads a little under the factor: 1.27 at 1.5x, 1.64 at 2x before
the bound). A soft photograph reads as enlarged too (the synthetic benchmark's photos, enlarged
to 1280x720 from 300-500 px, read 1.85-2.0), hence the bound.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["EDGE_RANGE", "MAX_ENLARGEMENT", "NATIVE_RATIO", "enlargement"]

#: Fine-to-next band energy ratio below which a render reads as enlarged: the lowest of the
#: development set's renders at their size (0.48; one, a home-screen picture enlarged before it
#: was stored, 0.32).
NATIVE_RATIO = 0.45
#: Largest enlargement reported: beyond it a soft photograph is as likely as an enlarged
#: drawing (the synthetic benchmark's photos read 1.85-2.0 unbounded, and a 4 px reach in
#: :mod:`.retrace` dropped 21 of its 918 changes; at 1.5 (3 px) 2 of the 90 pairs that lost
#: one).
MAX_ENLARGEMENT = 1.5
#: 3x3 grey range (levels) of an edge pixel.
EDGE_RANGE = 24
_MIN_EDGES = 200


def enlargement(gray: np.ndarray) -> float:
    """The factor by which a render was enlarged before it reached this grid (see the module).

    Args:
        gray: uint8 (H, W) grey image at the working resolution.

    Returns:
        float in [1, :data:`MAX_ENLARGEMENT`]: 1.0 for a picture drawn at its size (and one with
        fewer than 200 edge pixels to tell).
    """
    k = np.ones((3, 3), np.uint8)
    edge = cv2.subtract(cv2.dilate(gray, k), cv2.erode(gray, k)) > EDGE_RANGE
    if np.count_nonzero(edge) < _MIN_EDGES:
        return 1.0
    g = gray.astype(np.float32)
    b1, b2 = (cv2.GaussianBlur(g, (0, 0), s) for s in (0.6, 1.2))
    fine = float(((g - b1)[edge] ** 2).sum())
    mid = float(((b1 - b2)[edge] ** 2).sum())
    if fine <= 0.0 or mid <= 0.0:
        return 1.0
    return float(np.clip(NATIVE_RATIO * mid / fine, 1.0, MAX_ENLARGEMENT))
