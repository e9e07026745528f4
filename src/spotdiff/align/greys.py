"""The grey copies of a pair's working images as they came, and their pixel noise, made once.

Several steps of :func:`spotdiff.find` read the same grey image and its noise: the pair-matching
step greys both images and measures their noise to decide a blur (:mod:`.sharpness`), and the maps
step (:func:`spotdiff.maps.judge.judge_pair`) measures each image's noise against its tonal range
(:func:`spotdiff.maps.noise.relative_noise`) on the greys of the images as they came. A
:class:`PairGreys` made for one find holds them: each grey is converted once, each noise level
measured once, and a step that is handed another array computes as it did alone. Not a global
cache: it lives as long as the pair (:class:`~.match.MatchedPair` carries it).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .sharpness import noise_level

__all__ = ["PairGreys"]


class PairGreys:
    """The greys and noise levels of one pair's images (see the module docstring).

    Args:
        img1, img2: uint8 (H, W, 3) RGB working images as they came (image 2 registered, before
            tone matching and sharpness).

    The greys are ``cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)``, uint8 (H, W), made on first use;
    :meth:`noise` is :func:`~.sharpness.noise_level` of a grey, remembered for the two greys held
    here (by identity: another array, even an equal one, is measured afresh).
    """

    def __init__(self, img1: np.ndarray, img2: np.ndarray):
        self.images = (img1, img2)
        self._greys: list[np.ndarray | None] = [None, None]
        self._noise: dict[int, float] = {}
        self._lock = threading.Lock()  # the steps ask from two threads at once

    def for_pair(self, img1: np.ndarray, img2: np.ndarray) -> PairGreys:
        """These greys for the pair ``(img1, img2)``: ``self`` when it holds these two arrays,
        else new greys keeping what was made of an image they share (the same array)."""
        if img1 is self.images[0] and img2 is self.images[1]:
            return self
        out = PairGreys(img1, img2)
        for i, img in enumerate((img1, img2)):
            if img is self.images[i] and self._greys[i] is not None:
                out._greys[i] = self._greys[i]
                if i in self._noise:
                    out._noise[i] = self._noise[i]
        return out

    def grey(self, i: int) -> np.ndarray:
        """uint8 (H, W): the grey of image ``i`` (0 or 1) as it came."""
        g = self._greys[i]
        if g is None:
            img = self.images[i]  # into a NumPy buffer: a fresh OpenCV output costs more
            g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY, dst=np.empty(img.shape[:2], np.uint8))
            self._greys[i] = g
        return g

    def hold(self, i: int, grey: np.ndarray) -> None:
        """Take ``grey`` as image ``i``'s grey: a caller that converted an array of the same
        pixels as image ``i`` (e.g. image 2 through identity tone curves) shares it here."""
        self._greys[i] = grey

    def noise(self, grey: np.ndarray) -> float:
        """:func:`~.sharpness.noise_level` of ``grey`` (uint8 (H, W)), measured once when it is
        one of the greys held here."""
        held = next((i for i, g in enumerate(self._greys) if g is grey), None)
        if held is None:
            return noise_level(grey)
        with self._lock:
            level = self._noise.get(held)
        if level is None:
            level = noise_level(grey)
            with self._lock:
                self._noise[held] = level
        return level
