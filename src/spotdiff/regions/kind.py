"""What happened in a region: ``added``, ``removed`` or ``changed``.

The rule is "a kind where it can be told": ``added`` / ``removed`` only when every cue agrees,
``changed`` otherwise. Cues, measured in each image on the region, a 2-px band along its outline
and a ring of pixels around it (the same pixels in both images, outside the change):

- *Same structure*: the same thing is in both images, changed in colour or tone, when the edge
  magnitudes inside the region correlate (NCC > ``SAME_EDGES``) or some colour channel of image 1
  correlates with some channel of image 2 (``|NCC| > SAME_STRUCTURE``; the absolute value and the
  channel pairs survive a hue rotation, which can invert the grey levels): ``changed``.
- *Which image holds an object*: an object stands out from its surroundings (its mean colour
  differs from the ring's) and carries edges (along its outline and inside it); the background it
  covers, or that fills its place once it is gone, does less so. The evidence is
  ``log((c2 + 4) / (c1 + 4)) + log((b2 + 2) / (b1 + 2)) + log((e2 + 2) / (e1 + 2))`` with ``c`` the
  colour distance of the region to the ring, ``b`` and ``e`` the mean Sobel gradient magnitude on
  the outline band and inside; it must pass ``+ADDED_MARGIN`` for ``added``, ``-REMOVED_MARGIN``
  for ``removed``.
- *Which image continues its surroundings*: each image's region is inpainted from its ring
  (OpenCV Telea); the background continues its surroundings and is predicted well, an object is
  not. ``log((p2 + 2) / (p1 + 2))`` with ``p`` the mean absolute inpainting error must pass
  ``+CONTINUE_MARGIN`` for ``added``, ``-CONTINUE_MARGIN`` for ``removed``.

Measured on the regions ``find`` returns on the synthetic benchmark (450 pairs at 1280x720,
seeds 0 and 1, all nuisances; truth: added, removed, recoloured / resized -> changed, moved ->
removed at the old place and added at the new, or changed when the places overlap): said
``added`` it is right 77-78 % of the time (was 44-58 %), said ``removed`` 78-85 % (was 53-61 %),
said ``changed`` 55-62 %; true changes are called ``changed`` 87-95 % of the time (was 45-58 %).
Of the wrong ``added``, half are removals (clone-stamping brings other content into the region)
and a third resized objects; most wrong ``removed`` are objects that shrank; removals mostly come
out ``changed`` (the rule's default when the cues disagree).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .._gradient import magnitude

__all__ = [
    "ADDED_MARGIN",
    "CONTINUE_MARGIN",
    "REMOVED_MARGIN",
    "SAME_EDGES",
    "SAME_STRUCTURE",
    "classify_kind",
    "colour_correlation",
    "edge_correlation",
    "edge_magnitude",
    "held_apart",
]

#: Best absolute colour-channel correlation inside the region above which it is ``changed``.
SAME_STRUCTURE = 0.7
#: Edge-magnitude correlation inside the region above which it is ``changed``.
SAME_EDGES = 0.3
#: Log-evidence margin of the object cue for ``added``. (Stricter margins -- 2.0 here, 0.5 for
#: ``removed``, 0.9 for the continuation cue -- reach 90 % precision on the benchmark but call a
#: plainly pasted object ``changed``.)
ADDED_MARGIN = 1.0
#: Log-evidence margin of the object cue for ``removed``.
REMOVED_MARGIN = 1.0
#: Log margin of the inpainting (continuation) cue for ``added`` / ``removed``.
CONTINUE_MARGIN = 0.6
#: Longer side (px) a region's window is reduced to before inpainting, for speed.
_INPAINT_SIDE = 48


def edge_magnitude(gray: np.ndarray) -> np.ndarray:
    """float32 (H, W) 3x3 Sobel gradient magnitude of a uint8 (H, W) grey image (levels: a
    step of ``s`` grey levels reads about ``4 s``)."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return magnitude(gx, gy)


def colour_correlation(colours1: np.ndarray, colours2: np.ndarray) -> float:
    """The best absolute correlation (NCC) of a colour channel of image 1 with a channel of
    image 2 over a region's pixels ((N, 3) colours each; 0 where a channel is flat): the same
    thing is in both images, perhaps hue-rotated, above :data:`SAME_STRUCTURE`."""
    x = np.hstack([colours1, colours2]).astype(np.float64)
    x -= x.mean(0)
    norm = np.sqrt((x * x).sum(0))
    cross = np.abs(x[:, :3].T @ x[:, 3:])
    den = norm[:3, None] * norm[None, 3:]
    return float(np.where(den > 0, cross / np.where(den > 0, den, 1.0), 0.0).max())


def edge_correlation(edges1: np.ndarray, edges2: np.ndarray) -> float:
    """The correlation (NCC) of the edge magnitudes (:func:`edge_magnitude`, (N,) each) of a
    region's pixels in image 1 and image 2: the same outlines, above :data:`SAME_EDGES`."""
    return _ncc(np.asarray(edges1, np.float64), np.asarray(edges2, np.float64))


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
    feats, colours, edge_in = [], [], []
    crops = img1[ya:yb, xa:xb], img2[ya:yb, xa:xb]
    for crop in crops:
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
        edges = edge_magnitude(grey)
        mean_in = np.array(cv2.mean(crop, mask=inside)[:3])
        mean_out = np.array(cv2.mean(crop, mask=ring)[:3])
        feats.append(
            (
                float(np.linalg.norm(mean_in - mean_out)),
                float(edges[band].mean()),
                float(edges[inside > 0].mean()),
            )
        )
        colours.append(crop[inside > 0].astype(np.float64))
        edge_in.append(edges[inside > 0].astype(np.float64))
    if colour_correlation(*colours) > SAME_STRUCTURE or edge_correlation(*edge_in) > SAME_EDGES:
        return "changed"
    (c1, b1, e1), (c2, b2, e2) = feats
    score = math.log((c2 + 4) / (c1 + 4)) + math.log((b2 + 2) / (b1 + 2))
    score += math.log((e2 + 2) / (e1 + 2))
    if -REMOVED_MARGIN <= score <= ADDED_MARGIN:
        return "changed"  # neither cue: the inpainting (the costly one) cannot decide
    hole = cv2.dilate(inside, np.ones((3, 3), np.uint8))
    misfit = [_inpaint_error(crop, hole, inside) for crop in crops]
    cont = math.log((misfit[1] + 2) / (misfit[0] + 2))
    if score > ADDED_MARGIN and cont > CONTINUE_MARGIN:
        return "added"
    if score < -REMOVED_MARGIN and cont < -CONTINUE_MARGIN:
        return "removed"
    return "changed"


def held_apart(kinds, boxes: np.ndarray) -> np.ndarray:
    """bool (P, P): the pairs of pieces (their ``kinds``, from :func:`classify_kind`, and
    (P, 4) xyxy ``boxes``) of which one was ``added`` and the other ``removed``, side by side:
    the stroke of one is in image 2 only, of the other in image 1 only; two changes, however
    close. Side by side: each lies outside the extent (the union box) of all the pieces of the
    other kind; a piece within it, content clone-stamped into a removed object's place or the
    rim an object resized left, belongs to that change."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    kinds = np.asarray(kinds)
    outside = np.zeros((len(b), 2), bool)  # outside the extent of the added / removed pieces
    for n, kind in enumerate(("added", "removed")):
        of = kinds == kind
        if of.any():
            lo, hi = b[of, :2].min(0), b[of, 2:].max(0)
            outside[:, n] = ~(np.minimum(b[:, 2:], hi) > np.maximum(b[:, :2], lo)).all(1)
    added = (kinds == "added") & outside[:, 1]
    removed = (kinds == "removed") & outside[:, 0]
    return (added[:, None] & removed[None]) | (removed[:, None] & added[None])


def _inpaint_error(crop: np.ndarray, hole: np.ndarray, inside: np.ndarray) -> float:
    """Mean absolute error (levels) over ``inside`` of ``crop`` inpainted over ``hole`` from
    the pixels around it; uint8 (h, w, 3) crop, (h, w) uint8 masks."""
    h, w = hole.shape
    f = min(1.0, _INPAINT_SIDE / max(h, w))
    if f < 1.0:
        size = (max(1, round(w * f)), max(1, round(h * f)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        hole = cv2.resize(hole, size, interpolation=cv2.INTER_NEAREST)
        inside = cv2.resize(inside, size, interpolation=cv2.INTER_NEAREST)
        if not inside.any():
            return 0.0
    filled = cv2.inpaint(crop, hole, 3, cv2.INPAINT_TELEA)
    return float(np.abs(filled.astype(np.float32) - crop)[inside > 0].mean())
