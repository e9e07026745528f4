"""Bring image 2 onto image 1: geometry, then photometry and sharpness.

- :mod:`.register`: global registration (translation, similarity, affine) -> :class:`Registration`;
- :mod:`.warp`: transforms between pixel grids, warping image 2 onto image 1;
- :mod:`.tone`: per-channel tone curves (brightness, contrast, gamma, white balance);
- :mod:`.sharpness`: blur the sharper image of a pair to the other's sharpness;
- :mod:`.match`: all of the photometric side in one step -> :class:`MatchedPair`;
- :mod:`.greys`: the pair's grey copies and their pixel noise, made once per find
  (:class:`~.greys.PairGreys`, carried by :class:`MatchedPair`);
- :mod:`.flow`: dense-flow refinement of local residual misalignment (parallax, lens) after the
  global registration -> :class:`FlowRefinement`.

Importing this package loads NumPy and OpenCV only.
"""

from .flow import FlowRefinement, refine_flow
from .match import MatchedPair, match_pair
from .register import ALIGN_MODES, Registration, register
from .sharpness import match_sharpness
from .tone import ToneMap, fit_tone
from .warp import scale_transform, warp_image, warp_window

__all__ = [
    "ALIGN_MODES",
    "FlowRefinement",
    "MatchedPair",
    "Registration",
    "ToneMap",
    "fit_tone",
    "match_pair",
    "match_sharpness",
    "refine_flow",
    "register",
    "scale_transform",
    "warp_image",
    "warp_window",
]
