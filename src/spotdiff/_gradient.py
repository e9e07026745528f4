"""The length of a 2-vector field (a gradient, a flow), the same to the last bit on every call.

``cv2.magnitude`` is not: its vectorized body and its scalar tail round differently, and which
pixels fall in which depends on where the output buffer happens to start in memory, so one
input gave results differing in the last bit from call to call (and two processes could box a
pair with scores differing in the 6th digit). Here every step is one correctly rounded IEEE
operation per element.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["magnitude"]


def magnitude(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float32 ``sqrt(x**2 + y**2)`` per element of two float32 arrays of one shape (a new
    array)."""
    out = cv2.multiply(x, x)
    cv2.add(out, cv2.multiply(y, y), dst=out)
    return cv2.sqrt(out)
