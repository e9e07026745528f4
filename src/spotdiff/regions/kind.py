"""What happened in a region: ``added``, ``removed`` or ``changed``.

Two cues, measured in each image on the region, a 2-px band along its outline and a ring of
pixels around it (the same pixels in both images, outside the change):

- *Same structure*: when the grey levels inside the region correlate between the two images
  (NCC > ``SAME_STRUCTURE``), the same thing is there in both, changed in colour or tone:
  ``changed``.
- *Which image holds an object*: an object stands out from its surroundings (its mean colour
  differs from the ring's) and carries edges (along its outline and inside it); the background it
  covers, or that fills its place once it is gone, does less so. The evidence is
  ``log((c2 + 4) / (c1 + 4)) + log((b2 + 2) / (b1 + 2)) + log((e2 + 2) / (e1 + 2))`` with ``c`` the
  colour distance of the region to the ring, ``b`` and ``e`` the mean Sobel gradient magnitude on
  the outline band and inside; above ``+KIND_MARGIN`` ``added``, below ``-KIND_MARGIN``
  ``removed``, else ``changed``.

Measured on 304 benchmark regions (scikit-image photos, edits of the spotdiff synthetic
benchmark, no geometric nuisance): added 89 % right, removed 61 % (a removal by clone-stamping
brings other content into the region and reads as ``added``), recoloured -> changed 69 %, moved
(old place removed, new place added) 97 % given as added or removed.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["KIND_MARGIN", "SAME_STRUCTURE", "classify_kind"]

#: Grey-level correlation inside the region above which it is ``changed``.
SAME_STRUCTURE = 0.5
#: Log-evidence margin of ``added`` / ``removed``.
KIND_MARGIN = 0.1


def _edges(gray: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)


def _ncc(x: np.ndarray, y: np.ndarray) -> float:
    x = x - x.mean()
    y = y - y.mean()
    den = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    return float((x * y).sum() / den) if den > 0 else 0.0


def classify_kind(
    img1: np.ndarray, img2: np.ndarray, mask: np.ndarray, origin: tuple[int, int]
) -> str:
    """Kind of one region (see the module docstring).

    Args:
        img1, img2: uint8 (H, W, 3) RGB images 1 and 2 (image 2 aligned and tone-matched).
        mask: (h, w) bool crop of the region, placed at ``origin`` ``(x0, y0)`` in the images.

    Returns:
        ``"added"``, ``"removed"`` or ``"changed"``.
    """
    h, w = img1.shape[:2]
    x0, y0 = origin
    area = int(mask.sum())
    if area < 4:
        return "changed"
    r = max(3, round(0.25 * math.sqrt(area)))
    xa, ya = max(0, x0 - r), max(0, y0 - r)
    xb, yb = min(w, x0 + mask.shape[1] + r), min(h, y0 + mask.shape[0] + r)
    inside = np.zeros((yb - ya, xb - xa), np.uint8)
    inside[y0 - ya : y0 - ya + mask.shape[0], x0 - xa : x0 - xa + mask.shape[1]] = mask
    ring = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    ring[inside > 0] = 0
    k5 = np.ones((5, 5), np.uint8)
    band = (cv2.dilate(inside, k5) > 0) & ~(cv2.erode(inside, k5) > 0)
    if not ring.any():
        return "changed"
    feats, greys = [], []
    for img in (img1, img2):
        crop = img[ya:yb, xa:xb]
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
        edges = _edges(grey)
        mean_in = np.array(cv2.mean(crop, mask=inside)[:3])
        mean_out = np.array(cv2.mean(crop, mask=ring)[:3])
        feats.append(
            (
                float(np.linalg.norm(mean_in - mean_out)),
                float(edges[band].mean()),
                float(edges[inside > 0].mean()),
            )
        )
        greys.append(grey[inside > 0].astype(np.float64))
    if _ncc(*greys) > SAME_STRUCTURE:
        return "changed"
    (c1, b1, e1), (c2, b2, e2) = feats
    score = math.log((c2 + 4) / (c1 + 4)) + math.log((b2 + 2) / (b1 + 2))
    score += math.log((e2 + 2) / (e1 + 2))
    if score > KIND_MARGIN:
        return "added"
    if score < -KIND_MARGIN:
        return "removed"
    return "changed"
