"""The two naive recipes people use to box differences, reproduced as they are published.

Both are registered detectors (``get_detector("absdiff")``, ``get_detector("ssim")``) that the
benchmark runs side by side with spotdiff on the same pairs.

``absdiff`` (the OpenCV tutorial recipe)::

    gray1, gray2 = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)          # each image
    diff = cv2.absdiff(gray1, gray2)
    thresh = cv2.threshold(diff, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
    contours = cv2.findContours(thresh, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    boxes = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) > min_area]

``ssim`` (pyimagesearch "Image Difference with OpenCV and Python", 2017, and the widely copied
Stack Overflow answer built on it)::

    score, S = skimage.metrics.structural_similarity(gray1, gray2, full=True)
    diff = (S * 255).astype("uint8")
    thresh = cv2.threshold(diff, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    # contours and boxes as above

Details kept from the recipes: grayscale inputs, scikit-image's default SSIM (7x7 uniform window,
sample covariance, ``data_range`` 255 from the uint8 dtype), Otsu's threshold picked per pair,
external contours only, no blur or morphology. ``min_area=40`` is the contour-area filter of the
Stack Overflow answer (pyimagesearch's original keeps every contour: pass ``min_area=0``).
One deviation: ``S`` is clipped to [0, 1] before the uint8 cast, because ``astype`` of the
negative SSIM values of strongly changed pixels is undefined in NumPy (it wraps on x86, turning
the most changed pixels into "unchanged" ones).

Scores: the contour area in pixels (larger changes rank first for AP). Masks: the thresholded
pixels (the Otsu foreground), before the area filter.
"""

from __future__ import annotations

import cv2
import numpy as np

from .._errors import LayoutError
from .._optional import require
from .._validate import check_number, check_same_shape
from .detectors import DETECTORS, Detection, Detector

__all__ = ["absdiff_otsu", "contour_boxes", "ssim_otsu"]


def _gray_pair(img1: np.ndarray, img2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    for name, img in (("img1", img1), ("img2", img2)):
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3:
            raise LayoutError(
                f"{name} must be a uint8 (H, W, 3) RGB array, got "
                f"{getattr(img, 'dtype', type(img).__name__)} {getattr(img, 'shape', '')}"
            )
    check_same_shape("img1", img1, "img2", img2)
    return cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY), cv2.cvtColor(img2, cv2.COLOR_RGB2GRAY)


def contour_boxes(thresh: np.ndarray, *, min_area: float = 40.0) -> Detection:
    """Boxes of the external contours of a binary uint8 (H, W) image (0 / 255).

    Returns:
        A :class:`Detection`: one box ``(x, y, x + w, y + h)`` per contour of area
        ``> min_area``, scored by the contour area, largest first; ``mask = thresh > 0``.
    """
    contours = cv2.findContours(thresh, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    boxes, scores = [], []
    for c in contours:
        area = cv2.contourArea(c)
        if area > min_area:
            x, y, w, h = cv2.boundingRect(c)
            boxes.append((x, y, x + w, y + h))
            scores.append(area)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    boxes_arr = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)[order]
    return Detection(boxes_arr, np.asarray(scores, dtype=np.float32)[order], thresh > 0)


def _otsu_boxes(values: np.ndarray, *, changed_low: bool, min_area: float) -> Detection:
    """Otsu's threshold of a uint8 (H, W) map (``changed_low``: its low values are the changes,
    as in a similarity map), then :func:`contour_boxes`."""
    kind = cv2.THRESH_BINARY_INV if changed_low else cv2.THRESH_BINARY
    thresh = cv2.threshold(values, 0, 255, kind | cv2.THRESH_OTSU)[1]
    return contour_boxes(thresh, min_area=min_area)


def absdiff_otsu(img1: np.ndarray, img2: np.ndarray, /, *, min_area: float = 40.0) -> Detection:
    """Absolute grayscale difference + Otsu threshold + external contours + bounding boxes.

    Args:
        img1, img2: uint8 (H, W, 3) RGB, same size.
        min_area: contours of area ``<= min_area`` pixels are dropped.

    Returns:
        :class:`Detection` in image-1 pixels (boxes (N, 4) float32, scores = contour area).
    """
    g1, g2 = _gray_pair(img1, img2)
    return _otsu_boxes(cv2.absdiff(g1, g2), changed_low=False, min_area=min_area)


def ssim_otsu(img1: np.ndarray, img2: np.ndarray, /, *, min_area: float = 40.0) -> Detection:
    """scikit-image SSIM map + inverted Otsu threshold + external contours + bounding boxes;
    arguments and result as :func:`absdiff_otsu`."""
    metrics = require("skimage.metrics", purpose="the SSIM baseline")
    g1, g2 = _gray_pair(img1, img2)
    _, s = metrics.structural_similarity(g1, g2, full=True)
    similarity = (np.clip(s, 0.0, 1.0) * 255).astype(np.uint8)
    return _otsu_boxes(similarity, changed_low=True, min_area=min_area)


class _Baseline:
    def __init__(self, fn, name: str, min_area: float) -> None:  # type: ignore[no-untyped-def]
        self.fn = fn
        self.name = name
        self.min_area = float(check_number("min_area", min_area, low=0))

    def __call__(self, img1: np.ndarray, img2: np.ndarray, /) -> Detection:
        return self.fn(img1, img2, min_area=self.min_area)

    def __repr__(self) -> str:
        return f"{self.name}(min_area={self.min_area:g})"


@DETECTORS.register("absdiff", aliases=("absdiff_otsu",))
def _absdiff(*, min_area: float = 40.0) -> Detector:
    return _Baseline(absdiff_otsu, "absdiff", min_area)


@DETECTORS.register("ssim", aliases=("ssim_otsu",))
def _ssim(*, min_area: float = 40.0) -> Detector:
    return _Baseline(ssim_otsu, "ssim", min_area)
