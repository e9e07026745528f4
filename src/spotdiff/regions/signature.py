"""What changed in a piece: the signature that tells two changes side by side apart.

Each changed piece (a component of the evidence map, or a part of one:
:mod:`~.split`) is described by

- its *colours*: the medians (8-bit CIELAB, L scaled to 0-255) of image 1 and of image 2 over
  its pixels that changed most (the upper half of its Lab difference);
- its *structure*: ``kept`` when the same thing is in both images, recoloured or retoned
  (:func:`~.kind.structure_correlations` pass :data:`~.kind.SAME_STRUCTURE` or
  :data:`~.kind.SAME_EDGES`, and its edges are as strong in both: direction ``neither``; a
  turban turned from purple to white, a dress from blue to grey; a cloud drawn over the lines
  of trees correlates with them but is ``added``);
  ``new`` when edges are drawn in it (the 90th percentile of the edge magnitude, in either image,
  at least :data:`DRAWN`) and both correlations stay below half those levels: something
  appeared, vanished, moved or changed shape; ``unsure`` otherwise (a flat patch recoloured has
  no structure to correlate);
- its *direction*: ``added`` when its edges are at least :data:`DIRECTION` times stronger in
  image 2 than in image 1 (``log((E2 + 2) / (E1 + 2)) >= log DIRECTION``, ``E`` the mean edge
  magnitude), ``removed`` the other way round, ``neither`` in between, or where no edges are
  drawn. Pieces under :data:`MIN_PIXELS` are ``unsure`` and ``neither``.

Two pieces *changed otherwise* (:func:`changed_otherwise`: two changes, whatever the distance
rule says) when

- one kept its structure and the other is new: a recolour beside an object added, a dress
  recoloured beside an arm that moved (the turban and the added worker of puzzle_threshing,
  4 px apart; the arm and the dress of graphic_people, touching);
- one was added and the other removed, and not as one object moved: a move carries the
  object's colour from the removed place (its image-1 colour) to the added one (its image-2
  colour), within :data:`ALIKE`; a man added beside a mark removed carries nothing
  (puzzle_temple);
- both colours are at least :data:`OTHERWISE` apart and the pieces lie further apart than the
  structural window's reach (:func:`~.occlusion.occluded_objects`: a lock removed beside a
  rope added). Closer, the window's spread may merely have failed to bridge one change of
  several colours (a string of flags of three colours), so colours alone never part touching
  pieces; structure and direction do.

Pieces of one object changed alike share their signature and are never otherwise: the parts
of an added object share their image-1 colour and are all ``new`` and ``added``; the parts of
a recoloured object are ``kept`` (or ``unsure`` where flat).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..maps.ssim_cv import gaussian_radius
from .group import INK_LEVEL
from .kind import SAME_EDGES, SAME_STRUCTURE, edge_magnitude, structure_correlations

__all__ = [
    "ALIKE",
    "DIRECTION",
    "DRAWN",
    "MIN_PIXELS",
    "OTHERWISE",
    "Signatures",
    "changed_otherwise",
    "piece_colours",
    "signatures",
]

#: Largest distance (8-bit CIELAB, L scaled to 0-255) between two colours "alike": a cloud's
#: two halves differ by 1-2, a scarf's dotted halves by 6 before (45 after: more dots on one),
#: a cloud and a rope beside it by 80 and more.
ALIKE = 20.0
#: Smallest distance between two pieces' colours in image 1 *and* in image 2 for a change
#: "otherwise" by colour: a different colour before and a different colour after (a lock
#: removed from a chest beside a rope added on the floor: 83 and 33; the dots added on one
#: scarf: 6-13 before).
OTHERWISE = 30.0
#: Edge magnitude (:func:`~.kind.edge_magnitude`) of a step of :data:`~.group.INK_LEVEL` grey
#: levels: a piece whose 90th percentile reaches it in either image has edges drawn in it
#: (JPEG grain of sigma 3 reads about 20).
DRAWN = 4.0 * INK_LEVEL
#: Ratio of mean edge magnitudes between the images above which a piece was ``added`` (image
#: 2 holds more drawing) or ``removed``: a man added on sandstone 2.8, a dark mark removed from
#: it 3.6, an arm moved 1.1.
DIRECTION = 2.0
#: Fewest pixels of a piece for its structure and direction (a 6 x 6 px patch): fewer are
#: too few to correlate, and the piece's are ``unsure`` and ``neither``.
MIN_PIXELS = 36
#: px: pieces closer than the structural (SSIM) window's reach are never apart by colour alone.
WINDOW = gaussian_radius(1.5)

_KEPT, _UNSURE, _NEW = 1, 0, -1


@dataclass(frozen=True)
class Signatures:
    """Signatures of ``K`` pieces (module docstring).

    Attributes:
        colours: float32 (K, 2, 3): median Lab colour in image 1 and image 2 over the pixels
            that changed most.
        structure: int8 (K,): 1 kept, -1 new, 0 unsure.
        direction: int8 (K,): 1 added, -1 removed, 0 neither.
    """

    colours: np.ndarray
    structure: np.ndarray
    direction: np.ndarray


def piece_colours(lab1: np.ndarray, lab2: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """float32 (2, 3): median Lab colour of ``lab1[pixels]`` and ``lab2[pixels]`` over the
    pixels that changed most (Lab distance at least the median)."""
    a, b = lab1[pixels], lab2[pixels]
    d = np.linalg.norm(a - b, axis=1)
    top = d >= np.median(d)
    return np.stack([np.median(a[top], 0), np.median(b[top], 0)]).astype(np.float32)


def signatures(
    rgb1: np.ndarray, rgb2: np.ndarray, labels: np.ndarray, boxes: np.ndarray
) -> Signatures:
    """Signatures of the labelled pieces.

    Args:
        rgb1, rgb2: uint8 (H, W, 3) RGB working images (image 2 aligned, tone-matched).
        labels: int32 (H, W), ``1..K`` on the pixels of each piece, 0 elsewhere.
        boxes: (K, 4) int xyxy (exclusive ends) of each piece's pixels.
    """
    k = len(boxes)
    colours = np.zeros((k, 2, 3), np.float32)
    structure = np.zeros(k, np.int8)
    direction = np.zeros(k, np.int8)
    for i, (x0, y0, x1, y1) in enumerate(np.asarray(boxes, np.int64).tolist()):
        win = (slice(max(0, y0 - 2), y1 + 2), slice(max(0, x0 - 2), x1 + 2))
        a, b = rgb1[win], rgb2[win]
        pixels = labels[win] == i + 1
        lab1, lab2 = (cv2.cvtColor(x, cv2.COLOR_RGB2LAB).astype(np.float32) for x in (a, b))
        colours[i] = piece_colours(lab1, lab2, pixels)
        e1, e2 = (edge_magnitude(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY))[pixels] for x in (a, b))
        drawn = max(np.percentile(e1, 90), np.percentile(e2, 90)) >= DRAWN
        if pixels.sum() < MIN_PIXELS:
            continue
        ratio = math.log((float(e2.mean()) + 2) / (float(e1.mean()) + 2))
        if drawn and abs(ratio) >= math.log(DIRECTION):
            direction[i] = 1 if ratio > 0 else -1
        same, edges_same = structure_correlations(a[pixels], b[pixels], e1, e2)
        if drawn and same < SAME_STRUCTURE / 2 and edges_same < SAME_EDGES / 2:
            structure[i] = _NEW
        elif direction[i] == 0 and (same > SAME_STRUCTURE or edges_same > SAME_EDGES):
            structure[i] = _KEPT
    return Signatures(colours, structure, direction)


def changed_otherwise(sig: Signatures, i: int, j: int, *, distance: float) -> bool:
    """Whether pieces ``i`` and ``j``, ``distance`` px apart (nearest pixels), changed
    otherwise (module docstring): two changes that never join by distance."""
    s = sig.structure[[i, j]]
    if s.min() == _NEW and s.max() == _KEPT:
        return True
    d = sig.direction[[i, j]]
    if d.min() == -1 and d.max() == 1:
        removed, added = (i, j) if d[0] == -1 else (j, i)
        carried = np.linalg.norm(sig.colours[removed, 0] - sig.colours[added, 1])
        if carried > ALIKE:
            return True
    change = np.linalg.norm(sig.colours[i] - sig.colours[j], axis=1)
    return bool(change.min() > OTHERWISE and distance > WINDOW)
