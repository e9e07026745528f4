"""What changed in a piece: the signature that tells two changes side by side apart.

Each changed piece (a component of the evidence map, or a part of one:
:mod:`~.split`) is described by

- its *colours*: the medians (8-bit CIELAB, L scaled to 0-255) of image 1 and of image 2 over
  its pixels that changed most (the upper half of its Lab difference);
- its *structure*: ``kept`` when the same thing is in both images in another colour (its two
  colours further apart than :data:`ALIKE`: a textured object moved a few px correlates with
  itself where the two places overlap, in its own colour), recoloured or retoned: its edges
  correlate clearly (:func:`~.kind.edge_correlation` halfway from
  :data:`~.kind.SAME_EDGES` to 1, 0.65, where :func:`~.kind.classify_kind` only needs a
  default) and their mean magnitudes lie within :data:`BALANCE` of each other: a turban turned
  from purple to white (edges 0.83), a dress from blue to grey (0.68); not a cloud drawn over
  the lines of trees (it correlates with them, but holds twice their edges), a rope removed
  from wooden planks (0.31), half an icon replaced by another (0.55), or the rim of a coin
  removed, whose outline the fill kept at half its strength. The colour correlation
  does not enter: smooth shading correlates by chance (part of an object added on a gradient:
  0.89);
  ``new`` when edges are drawn in it (the 90th percentile of the edge magnitude, in either
  image, at least :data:`DRAWN`) and its edge and colour correlations
  (:func:`~.kind.colour_correlation`) stay below half :data:`~.kind.SAME_EDGES` and
  :data:`~.kind.SAME_STRUCTURE`: something appeared, vanished, moved or changed shape.
  ``unsure`` otherwise (a flat patch recoloured has no structure to correlate).

Pieces under :data:`MIN_PIXELS` are ``unsure``. (Whether a piece was added or removed,
:func:`~.kind.classify_kind`, does not enter: on a part of a component its ring holds the rest
of the change, and the parts of one square added on a blocky background come out ``added``
and ``removed``.)

Two pieces *changed otherwise* (:func:`changed_otherwise`: two changes, whatever the distance
rule says) when

- one kept its structure and the other is new: a recolour beside an object added, a dress
  recoloured beside an arm that moved (the turban and the added worker of puzzle_threshing,
  4 px apart; the arm and the dress of graphic_people, touching);
- both colours are at least :data:`OTHERWISE` apart and the pieces lie further apart than the
  structural window's reach (:func:`~.occlusion.occluded_objects`: a lock removed beside a
  rope added). Closer, the window's spread may merely have failed to bridge one change of
  several colours (a string of flags of three colours), so colours alone never part touching
  pieces; structure does.

Pieces of one object changed alike share their signature and are never otherwise: the parts
of an added object share their image-1 colour and are all ``new`` (or ``unsure``); the parts of
a recoloured object are ``kept`` (or ``unsure`` where flat).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..maps.ssim_cv import gaussian_radius
from .group import INK_LEVEL
from .kind import (
    SAME_EDGES,
    SAME_STRUCTURE,
    colour_correlation,
    edge_correlation,
    edge_magnitude,
)

__all__ = [
    "ALIKE",
    "BALANCE",
    "DRAWN",
    "MIN_PIXELS",
    "OTHERWISE",
    "Signatures",
    "changed_otherwise",
    "piece_colours",
    "signatures",
    "with_colours",
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
#: Largest ratio between a piece's mean edge magnitudes in the two images for its structure
#: ``kept`` (a recolour keeps its edges' strength: a turban 1.0, a dress 1.1, stripes 1.3):
#: more, and one image holds drawing the other lacks (a cloud drawn over trees), or only the
#: trace of an outline (the rim of a coin removed and filled in: 1.9).
BALANCE = 1.5
#: Fewest pixels of a piece for its structure (a 12 x 12 px patch): over fewer, neighbouring
#: pixels being alike, a correlation comes by chance (56 px of an object added on a textured
#: photo correlated with it at 0.73), and the piece is ``unsure``.
MIN_PIXELS = 144
#: px: pieces closer than the structural (SSIM) window's reach are never apart by colour alone.
WINDOW = gaussian_radius(1.5)

_KEPT, _UNSURE, _NEW = 1, 0, -1
_MARGIN = 2  # px around a piece: its edges need their neighbours


@dataclass(frozen=True)
class Signatures:
    """Signatures of ``K`` pieces (module docstring).

    Attributes:
        colours: float32 (K, 2, 3): median Lab colour in image 1 and image 2 over the pixels
            that changed most.
        structure: int8 (K,): 1 kept, -1 new, 0 unsure.
    """

    colours: np.ndarray
    structure: np.ndarray


def piece_colours(lab1: np.ndarray, lab2: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """float32 (2, 3): median Lab colour of ``lab1[pixels]`` and ``lab2[pixels]`` over the
    pixels that changed most (Lab distance at least the median)."""
    a, b = lab1[pixels], lab2[pixels]
    d = np.linalg.norm(a - b, axis=1)
    top = d >= np.median(d)
    return np.stack([np.median(a[top], 0), np.median(b[top], 0)]).astype(np.float32)


def signatures(
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    labels: np.ndarray,
    boxes: np.ndarray,
    origin: tuple[int, int] = (0, 0),
    *,
    colours: bool = True,
    lab: tuple[np.ndarray, np.ndarray] | None = None,
    grey: tuple[np.ndarray, np.ndarray] | None = None,
) -> Signatures:
    """Signatures of the labelled pieces.

    Args:
        rgb1, rgb2: uint8 (H, W, 3) RGB working images (image 2 aligned, tone-matched).
        labels: int32 (h, w), ``1..K`` on the pixels of each piece, 0 elsewhere: the window
            of the images at ``origin`` ``(x0, y0)`` (the whole image by default).
        boxes: (K, 4) int xyxy (exclusive ends) of each piece's pixels in ``labels``.
        colours: measure the colours; False leaves them 0 and ``kept`` unchecked for a
            change of colour (a first look, cheaper: the CIELAB medians cost most;
            :func:`with_colours` completes it).
        lab, grey: ``rgb1`` and ``rgb2`` already converted, to share the conversions between
            calls on one window: uint8 (H, W, 3) 8-bit CIELAB (``cv2.COLOR_RGB2LAB``) and
            uint8 (H, W) grey (``cv2.COLOR_RGB2GRAY``); None converts each piece's window
            (the same values: both conversions work pixel by pixel).
    """
    k = len(boxes)
    structure = np.zeros(k, np.int8)
    for i, (win, pixels) in enumerate(_windows(labels, boxes, origin)):
        if pixels.sum() < MIN_PIXELS:
            continue
        a, b = rgb1[win], rgb2[win]
        e1, e2 = (edge_magnitude(x)[pixels] for x in _converted((a, b), grey, win, "grey"))
        drawn = max(np.percentile(e1, 90), np.percentile(e2, 90)) >= DRAWN
        balanced = abs(math.log((float(e2.mean()) + 2) / (float(e1.mean()) + 2))) < math.log(
            BALANCE
        )
        edges_same = edge_correlation(e1, e2)
        if (
            drawn
            and edges_same < SAME_EDGES / 2
            and colour_correlation(a[pixels], b[pixels]) < SAME_STRUCTURE / 2
        ):
            structure[i] = _NEW
        elif balanced and edges_same > _clear(SAME_EDGES):
            structure[i] = _KEPT  # until its colours say it was no change of colour
    sig = Signatures(np.zeros((k, 2, 3), np.float32), structure)
    return with_colours(sig, rgb1, rgb2, labels, boxes, origin, lab=lab) if colours else sig


def with_colours(
    sig: Signatures,
    rgb1: np.ndarray,
    rgb2: np.ndarray,
    labels: np.ndarray,
    boxes: np.ndarray,
    origin: tuple[int, int] = (0, 0),
    *,
    lab: tuple[np.ndarray, np.ndarray] | None = None,
    pieces: np.ndarray | None = None,
) -> Signatures:
    """The signatures ``sig`` measured without colours (:func:`signatures` with
    ``colours=False``, same arguments) completed: the colours measured, and ``kept`` left only
    where they changed (further apart than :data:`ALIKE`), else ``unsure``: what
    :func:`signatures` gives, without measuring the structure again.

    Args:
        pieces: bool (K,), the pieces to complete (the others keep colours 0 and their
            structure: enough where only the structure of the ``kept`` ones can change);
            None all.
    """
    colours = np.zeros((len(boxes), 2, 3), np.float32)
    structure = sig.structure.copy()
    for i, (win, pixels) in enumerate(_windows(labels, boxes, origin)):
        if pieces is not None and not pieces[i]:
            continue
        crops = rgb1[win], rgb2[win]
        lab1, lab2 = (x.astype(np.float32) for x in _converted(crops, lab, win, "lab"))
        colours[i] = piece_colours(lab1, lab2, pixels)
        if structure[i] == _KEPT and not np.linalg.norm(colours[i, 0] - colours[i, 1]) > ALIKE:
            structure[i] = _UNSURE
    return Signatures(colours, structure)


def _windows(labels: np.ndarray, boxes: np.ndarray, origin: tuple[int, int]):
    """Per piece: its window of the images (a pair of slices: its box and :data:`_MARGIN` px
    around, within ``labels``) and bool its pixels there."""
    ox, oy = origin
    for i, (x0, y0, x1, y1) in enumerate(np.asarray(boxes, np.int64).tolist()):
        x0, y0 = max(0, x0 - _MARGIN), max(0, y0 - _MARGIN)
        pixels = labels[y0 : y1 + _MARGIN, x0 : x1 + _MARGIN] == i + 1
        win = (slice(oy + y0, oy + y0 + pixels.shape[0]), slice(ox + x0, ox + x0 + pixels.shape[1]))
        yield win, pixels


_CODES = {"lab": cv2.COLOR_RGB2LAB, "grey": cv2.COLOR_RGB2GRAY}


def _converted(crops, converted, win, space: str) -> tuple[np.ndarray, np.ndarray]:
    """The two RGB ``crops`` in ``space`` ("lab" or "grey"): ``win`` of the images already
    ``converted`` when given, else converted here."""
    if converted is not None:
        return converted[0][win], converted[1][win]
    return cv2.cvtColor(crops[0], _CODES[space]), cv2.cvtColor(crops[1], _CODES[space])


def _clear(level: float) -> float:
    """A correlation that clearly passes ``level``: halfway from it to 1 (as ``level / 2`` is
    clearly below it)."""
    return (1.0 + level) / 2


def changed_otherwise(sig: Signatures, i: int, j: int, *, distance: float) -> bool:
    """Whether pieces ``i`` and ``j``, ``distance`` px apart (nearest pixels), changed
    otherwise (module docstring): two changes that never join by distance."""
    s = sig.structure[[i, j]]
    if s.min() == _NEW and s.max() == _KEPT:
        return True
    change = np.linalg.norm(sig.colours[i] - sig.colours[j], axis=1)
    return bool(change.min() > OTHERWISE and distance > WINDOW)
