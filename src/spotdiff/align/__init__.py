from ._tmp_align import *  # noqa: F403
from ._tmp_align import MOTIONS, ToneMap, fit_tone, register, scale_transform, warp_image  # noqa: F401
