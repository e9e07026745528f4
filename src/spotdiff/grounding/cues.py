"""Region features for grounding: what each candidate region looks like, measured once per pair.

For every candidate (a box and the mask of its changed pixels, in image-1 pixels) on a
working-resolution copy of the pair (image 2 aligned onto image 1 with the proposals'
transform):

- colours: the share of the mask's pixels taking each colour name in image 1 (*before*) and in
  image 2 (*after*) (:func:`~.colours.colour_shares`);
- position: the box centre as a fraction of the frame (0 = left / top, 1 = right / bottom);
- size: the changed pixels' area as a fraction of the frame;
- kind: probabilities of the four kinds of DiffGround edit and addition (``added``,
  ``removed``, ``recoloured``: same structure, other colours; ``replaced``: another object in
  the same place), from a multinomial logistic model on measured cues (:data:`KIND_FEATURES`)
  and the proposal's own ``kind`` when it has one. The cues: how much the region stands out from
  a ring of pixels around it in each image (colour contrast, edge energy, texture), how well its
  structure correlates between the images, and how much its chroma and lightness moved.

The kind model's weights (:data:`KIND_WEIGHTS`) were fitted on the grounding benchmark's
training seed (seed 1; the reported numbers use seed 0), see ``benchmarks/bench_ground.py
--fit-kind``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .._gradient import magnitude
from .colours import COLOUR_NAMES, colour_shares

__all__ = [
    "EDIT_KINDS",
    "KIND_FEATURES",
    "KIND_WEIGHTS",
    "RegionFeatures",
    "kind_cues",
    "kind_probabilities",
    "region_features",
]

#: The kinds the kind model tells apart (DiffGround's three plus addition).
EDIT_KINDS = ("added", "removed", "recoloured", "replaced")
#: Names of the measured kind cues (columns of :attr:`RegionFeatures.kind_cues`).
KIND_FEATURES = (
    "contrast_gain",  # log (contrast to the ring in image 2 / in image 1)
    "edge_gain",  # log (edge energy inside, image 2 / image 1)
    "texture_gain",  # log (lightness spread inside, image 2 / image 1)
    "edge_corr",  # correlation of the edge magnitudes inside (same structure -> 1)
    "grey_corr",  # |correlation| of the lightness inside
    "chroma_shift",  # distance of the mean (a, b) inside, / 20
    "light_shift",  # |difference of the mean L| inside, / 20
    "continue_gain",  # log (inpainting error image 2 / image 1): background continues around
    "both_objects",  # log of the smaller inpainting error (both images hold an object: high)
    "both_contrast",  # log of the smaller contrast to the ring
    "stand_out_gain",  # histogram distance to the ring, image 2 minus image 1
    "both_stand_out",  # the smaller histogram distance to the ring
    "find_added",  # the proposal's kind, one-hot (0 when it has none)
    "find_removed",
    "find_changed",
)
#: (len(EDIT_KINDS), len(KIND_FEATURES) + 1) weights of the kind model (last column: bias).
KIND_WEIGHTS = np.array(
    [
        [0.285, 0.325, -1.008, -0.686, -0.100, -0.375, 0.374, 1.156, -0.816, -0.284, 0.315,
         -0.485, 0.409, -0.338, -0.070, 0.740],
        [-0.233, -0.652, 0.885, 0.134, -0.144, -0.249, -0.010, -0.889, -0.366, -0.844, -0.531,
         -0.263, -0.251, 0.463, -0.211, 1.173],
        [0.287, -0.007, 0.071, 1.525, 0.867, 0.971, -0.159, 0.087, 0.394, 0.426, 0.435, 0.687,
         -0.444, -0.116, 0.558, -3.004],
        [-0.339, 0.334, 0.051, -0.974, -0.623, -0.347, -0.204, -0.354, 0.788, 0.701, -0.219,
         0.061, 0.287, -0.009, -0.277, 1.091],
    ],
    dtype=np.float64,
)  # fmt: skip

_MEASURED = 12  # measured cues (the rest: the proposal's kind)
_RING = 8  # px (working resolution) of the ring around a region
_LAB_OFFSET = np.array([0.0, 128.0, 128.0], dtype=np.float32)
_LAB_SPAN = np.array([100.01, 256.0, 256.0], dtype=np.float32)


@dataclass(frozen=True)
class RegionFeatures:
    """Features of N candidate regions (parallel arrays).

    Attributes:
        centre: (N, 2) float32 box centre ``(x, y)`` as a fraction of the frame, in [0, 1].
        area: (N,) float32 changed pixels as a fraction of the frame's pixels.
        before, after: (N, C) float32 colour shares in image 1 / image 2 (rows sum to 1; C =
            ``len(COLOUR_NAMES)``).
        kind_cues: (N, len(KIND_FEATURES)) float32 measured kind cues.
        kind_probs: (N, len(EDIT_KINDS)) float32 kind probabilities (rows sum to 1).
        score: (N,) float32 the proposals' own scores (``find``'s difference score).
    """

    centre: np.ndarray
    area: np.ndarray
    before: np.ndarray
    after: np.ndarray
    kind_cues: np.ndarray
    kind_probs: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.area)

    def colour_names(self, which: str) -> list[str]:
        """Dominant colour name per region in ``"before"`` (image 1) or ``"after"``."""
        shares = self.before if which == "before" else self.after
        return [COLOUR_NAMES[int(i)] if len(shares) else "" for i in shares.argmax(axis=1)]


def _window(box: np.ndarray, pad: int, w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return (
        max(0, int(np.floor(x1)) - pad),
        max(0, int(np.floor(y1)) - pad),
        min(w, int(np.ceil(x2)) + pad),
        min(h, int(np.ceil(y2)) + pad),
    )


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 4:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-6 else 0.0


def _inpaint_error(rgb: np.ndarray, lab: np.ndarray, mask: np.ndarray) -> float:
    """Mean CIELAB error inside ``mask`` of the window ``rgb`` inpainted from around it."""
    hole = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(np.ascontiguousarray(rgb), hole, 3, cv2.INPAINT_TELEA)
    guess = cv2.cvtColor(filled.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return float(np.linalg.norm(guess[mask] - lab[mask], axis=1).mean())


def _histogram(lab: np.ndarray) -> np.ndarray:
    """Normalised 4 x 4 x 4 CIELAB histogram of (N, 3) pixels."""
    idx = np.clip(((lab + _LAB_OFFSET) / _LAB_SPAN * 4).astype(np.int64), 0, 3)
    h = np.bincount(idx[:, 0] * 16 + idx[:, 1] * 4 + idx[:, 2], minlength=64).astype(np.float64)
    return h / max(h.sum(), 1.0)


def _hist_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - Bhattacharyya coefficient of the histograms of two pixel sets (0 = alike)."""
    if not len(a) or not len(b):
        return 0.0
    return float(1.0 - np.sqrt(_histogram(a) * _histogram(b)).sum())


def kind_cues(
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    lab1: np.ndarray,
    lab2: np.ndarray,
    edges1: np.ndarray,
    edges2: np.ndarray,
    mask: np.ndarray,
    window: tuple[int, int, int, int],
) -> np.ndarray:
    """The measured :data:`KIND_FEATURES` of one region (all but the proposal's kind).

    Args:
        rgb1, rgb2: (h, w, 3) uint8 RGB of the two images (image 2 aligned).
        lab1, lab2: (h, w, 3) float32 CIELAB of the same.
        edges1, edges2: (h, w) float32 Sobel gradient magnitudes of their lightness.
        mask: (wh, ww) bool, the region's pixels inside ``window`` (x0, y0, x1, y1).
    """
    x0, y0, x1, y1 = window
    if mask.sum() < 4:
        mask = np.ones_like(mask)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _RING + 1, 2 * _RING + 1))
    grown = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
    near = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    ring = grown & ~near
    out = []
    inside = {}
    for rgb, lab, edges in ((rgb1, lab1, edges1), (rgb2, lab2, edges2)):
        win = lab[y0:y1, x0:x1]
        e = edges[y0:y1, x0:x1]
        px = win[mask]
        mean = px.mean(axis=0)
        ring_mean = win[ring].mean(axis=0) if ring.any() else mean
        inside[len(out)] = (px, e[mask])
        out.append(
            (
                float(np.linalg.norm(mean - ring_mean)),
                float(e[mask].mean()),
                float(px[:, 0].std()),
                mean,
                _inpaint_error(rgb[y0:y1, x0:x1], win, mask),
                _hist_distance(px, win[ring]),
            )
        )
    (c1, e1, s1, m1, p1, h1), (c2, e2, s2, m2, p2, h2) = out
    return np.array(
        [
            np.log((c2 + 4) / (c1 + 4)),
            np.log((e2 + 2) / (e1 + 2)),
            np.log((s2 + 2) / (s1 + 2)),
            _corr(inside[0][1], inside[1][1]),
            abs(_corr(inside[0][0][:, 0], inside[1][0][:, 0])),
            float(np.linalg.norm(m1[1:] - m2[1:])) / 20.0,
            abs(float(m1[0] - m2[0])) / 20.0,
            np.log((p2 + 2) / (p1 + 2)),
            np.log(min(p1, p2) + 2) - 2.0,
            np.log(min(c1, c2) + 4) - 2.0,
            h2 - h1,
            min(h1, h2),
        ],
        dtype=np.float32,
    )


def kind_probabilities(cues: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(N, len(EDIT_KINDS)) softmax of the kind model on (N, len(KIND_FEATURES)) cues."""
    w = KIND_WEIGHTS if weights is None else weights
    x = np.concatenate([cues, np.ones((len(cues), 1), dtype=cues.dtype)], axis=1)
    logits = x.astype(np.float64) @ w.T
    logits -= logits.max(axis=1, keepdims=True) if len(logits) else 0.0
    p = np.exp(logits)
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def region_features(
    img1: np.ndarray,
    img2: np.ndarray,
    boxes: np.ndarray,
    masks: list[tuple[np.ndarray, tuple[int, int]] | None],
    *,
    scores: np.ndarray,
    kinds: np.ndarray | None = None,
) -> RegionFeatures:
    """Features of every region on a pair at working resolution.

    Args:
        img1, img2: (h, w, 3) uint8 RGB, image 2 already aligned onto image 1.
        boxes: (N, 4) float xyxy in these pixels.
        masks: per region ``(crop, (x0, y0))``: a bool crop of its changed pixels in these
            pixels, or None (the pixels whose colour differs inside the box are used).
        scores: (N,) the proposals' scores; kinds: (N,) str proposal kinds or None.

    Returns:
        :class:`RegionFeatures`.
    """
    h, w = img1.shape[:2]
    n = len(boxes)
    lab1 = cv2.cvtColor(img1.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    lab2 = cv2.cvtColor(img2.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    edges = []
    for lab in (lab1, lab2):
        gx = cv2.Sobel(lab[..., 0], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(lab[..., 0], cv2.CV_32F, 0, 1, ksize=3)
        edges.append(magnitude(gx, gy))
    c = len(COLOUR_NAMES)
    before = np.zeros((n, c), np.float32)
    after = np.zeros((n, c), np.float32)
    area = np.zeros(n, np.float32)
    centre = np.zeros((n, 2), np.float32)
    cues = np.zeros((n, len(KIND_FEATURES)), np.float32)
    for i, box in enumerate(np.asarray(boxes, dtype=np.float64)):
        win = _window(box, _RING + 3, w, h)
        x0, y0, x1, y1 = win
        if x1 <= x0 or y1 <= y0:
            continue
        mask = _region_mask(masks[i], win, box, lab1, lab2)
        centre[i] = ((box[0] + box[2]) / 2 / w, (box[1] + box[3]) / 2 / h)
        area[i] = max(int(mask.sum()), 1) / float(w * h)
        before[i] = colour_shares(img1[y0:y1, x0:x1][mask])
        after[i] = colour_shares(img2[y0:y1, x0:x1][mask])
        cues[i, :_MEASURED] = kind_cues(img1, img2, lab1, lab2, edges[0], edges[1], mask, win)
    if kinds is not None:
        for j, name in enumerate(("added", "removed", "changed")):
            cues[:, _MEASURED + j] = np.asarray(kinds).astype(str) == name
    return RegionFeatures(
        centre=np.clip(centre, 0.0, 1.0),
        area=area,
        before=before,
        after=after,
        kind_cues=cues,
        kind_probs=kind_probabilities(cues),
        score=np.asarray(scores, dtype=np.float32).reshape(-1),
    )


def _region_mask(
    given: tuple[np.ndarray, tuple[int, int]] | None,
    win: tuple[int, int, int, int],
    box: np.ndarray,
    lab1: np.ndarray,
    lab2: np.ndarray,
) -> np.ndarray:
    """(wh, ww) bool mask of the region inside ``win``."""
    x0, y0, x1, y1 = win
    out = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    if given is not None:
        crop, (cx, cy) = given
        ys, xs = (
            slice(max(cy, y0), min(cy + crop.shape[0], y1)),
            slice(max(cx, x0), min(cx + crop.shape[1], x1)),
        )
        if ys.stop > ys.start and xs.stop > xs.start:
            out[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0] = crop[
                ys.start - cy : ys.stop - cy, xs.start - cx : xs.stop - cx
            ]
    if out.sum() >= 4:
        return out
    bx0, by0 = int(np.floor(box[0])) - x0, int(np.floor(box[1])) - y0
    bx1, by1 = int(np.ceil(box[2])) - x0, int(np.ceil(box[3])) - y0
    inside = np.zeros_like(out)
    inside[max(0, by0) : max(0, by1), max(0, bx0) : max(0, bx1)] = True
    diff = np.linalg.norm(lab1[y0:y1, x0:x1] - lab2[y0:y1, x0:x1], axis=2)
    changed = inside & (diff > 10.0)
    return changed if changed.sum() >= 0.1 * max(inside.sum(), 1) else inside
