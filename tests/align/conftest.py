"""Shared fixtures of the alignment tests: a real photograph and known motions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

skdata = pytest.importorskip("skimage.data")

W, H = 480, 320


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    img = cv2.resize(skdata.astronaut(), (W, W), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img[40 : 40 + H])
