"""Difference maps -> regions, without model weights (the engine behind :func:`spotdiff.find`).

One concept per module, each a pure function:

- :mod:`.components`: hysteresis components of the evidence map;
- :mod:`.merge`: fragments of one object merged, separate changes kept apart;
- :mod:`.group`: the same by pixel distance, and on renders by the image's own objects (a
  button's outline, a text line, touching bars);
- :mod:`.signature`: what changed in a piece (colours, structure kept or new, added / removed),
  and when two pieces changed otherwise;
- :mod:`.split`: a component holding two changes that touch cut where its parts changed
  otherwise;
- :mod:`.spread`: a change spread over a large area (a river re-coloured) judged against its
  own level, so what stands out from it stays;
- :mod:`.kind`: ``added`` / ``removed`` / ``changed``;
- :mod:`.refine`: small regions' boxes shrunk to the pixels that differ at full resolution,
  every region's mask cut to them at its outline;
- :mod:`.retrace`: weak regions that are only strokes of a drawing traced again 1-2 px over
  (a redrawn puzzle) dropped;
- :mod:`.bars`: refined regions that are parallel bars of one object (two crossbars) joined;
- :mod:`.ignore`: ignore rectangles and masks;
- :mod:`.extract`: all of it into a :class:`~spotdiff.result.DiffResult`.

Importing this package loads NumPy and OpenCV only.
"""

from .components import Components, find_components
from .extract import extract_regions, region_score
from .ignore import ignore_mask
from .kind import classify_kind
from .merge import box_gaps, group_boxes
from .refine import tight_box

__all__ = [
    "Components",
    "box_gaps",
    "classify_kind",
    "extract_regions",
    "find_components",
    "group_boxes",
    "ignore_mask",
    "region_score",
    "tight_box",
]
