"""Nuisances of the synthetic benchmark: what changes image 2 besides the planted edits.

Each nuisance is registered in :data:`NUISANCES` as ``f(canvas, margin, rng) -> (img2, params)``:
it turns the edited canvas (uint8 (H + 2m, W + 2m, 3), image 1's scene with an ``m``-pixel
margin of real photo content) into image 2, uint8 (H, W, 3), and returns the parameters it drew.
Geometric nuisances move the camera: image 2 samples the canvas through an affine transform, so
content entering at the borders is real photo content, and ``params["transform"]`` is the (3, 3)
matrix mapping image-1 pixel coordinates to image-2 pixel coordinates. Ground truth stays in
image-1 coordinates.

========== =====================================================================
none       image 2 = the edited image 1
jpeg       JPEG round trip, quality 60-95 (OpenCV / libjpeg, 4:2:0 chroma)
noise      additive gaussian noise, sigma 2-6 levels, per channel
brightness additive offset of +-12..40 levels
contrast   gain 0.7-0.85 or 1.15-1.35 about the mean grey level
gamma      gamma 0.65-0.85 or 1.2-1.5
translate  shift of 0.3 px to 3% of the width, any direction (bilinear)
rotate     rotation of 0.2-2 degrees about the centre (bilinear)
scale      zoom of 0.5-3% about the centre, in or out (bilinear)
========== =====================================================================
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from .._registry import Registry

__all__ = ["NUISANCES", "NUISANCE_NAMES", "margin_for"]

Result = tuple[np.ndarray, dict[str, Any]]

#: name -> ``f(canvas, margin, rng) -> (img2, params)``.
NUISANCES: Registry[Result] = Registry("nuisance")

#: Every nuisance, in report order.
NUISANCE_NAMES: tuple[str, ...] = (
    "none",
    "jpeg",
    "noise",
    "brightness",
    "contrast",
    "gamma",
    "translate",
    "rotate",
    "scale",
)


def margin_for(size: tuple[int, int]) -> int:
    """Canvas margin (pixels) covering the largest translation, rotation and zoom of image 2."""
    w, h = size
    half_diag = math.hypot(w, h) / 2
    need = 0.03 * w + half_diag * math.sin(math.radians(2.0)) + 0.03 * half_diag
    return math.ceil(need) + 2


def _crop(canvas: np.ndarray, m: int) -> np.ndarray:
    return np.ascontiguousarray(canvas[m:-m, m:-m]) if m else canvas.copy()


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


@NUISANCES.register("none", aliases=("clean",))
def _none(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    return _crop(canvas, m), {}


@NUISANCES.register("jpeg", aliases=("jpg",))
def _jpeg(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    q = int(rng.integers(60, 96))
    bgr = cv2.cvtColor(_crop(canvas, m), cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
    if not ok:  # pragma: no cover - libjpeg always encodes a uint8 image
        raise RuntimeError("OpenCV could not encode the JPEG nuisance")
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), {"quality": q}


@NUISANCES.register("noise", aliases=("gaussian_noise",))
def _noise(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    sigma = float(rng.uniform(2.0, 6.0))
    img = _crop(canvas, m).astype(np.float32)
    img += rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return _to_uint8(img), {"sigma": sigma}


@NUISANCES.register("brightness")
def _brightness(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    offset = _sign(rng) * float(rng.uniform(12.0, 40.0))
    return _to_uint8(_crop(canvas, m).astype(np.float32) + offset), {"offset": offset}


@NUISANCES.register("contrast")
def _contrast(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    gain = float(rng.uniform(0.7, 0.85) if rng.random() < 0.5 else rng.uniform(1.15, 1.35))
    img = _crop(canvas, m).astype(np.float32)
    mean = float(img.mean())
    return _to_uint8((img - mean) * gain + mean), {"gain": gain}


@NUISANCES.register("gamma")
def _gamma(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    gamma = float(rng.uniform(0.65, 0.85) if rng.random() < 0.5 else rng.uniform(1.2, 1.5))
    lut = _to_uint8(255.0 * (np.arange(256) / 255.0) ** gamma)
    return cv2.LUT(_crop(canvas, m), lut), {"gamma": gamma}


def _warp(canvas: np.ndarray, m: int, t: np.ndarray) -> Result:
    """Image 2 through ``t`` (3, 3): image-1 coordinates -> image-2 coordinates."""
    h, w = canvas.shape[0] - 2 * m, canvas.shape[1] - 2 * m
    to_canvas = np.array([[1.0, 0.0, m], [0.0, 1.0, m], [0.0, 0.0, 1.0]])
    inverse = (to_canvas @ np.linalg.inv(t))[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    img = cv2.warpAffine(canvas, inverse, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT)
    return img, {"transform": t.tolist()}


def _about_centre(a: np.ndarray, w: int, h: int) -> np.ndarray:
    """(3, 3) affine applying the 2x2 linear part ``a`` about the image centre."""
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    t = np.eye(3)
    t[:2, :2] = a
    t[:2, 2] = c - a @ c
    return t


@NUISANCES.register("translate", aliases=("shift",))
def _translate(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    w = canvas.shape[1] - 2 * m
    dist = math.exp(rng.uniform(math.log(0.3), math.log(0.03 * w)))
    angle = rng.uniform(0, 2 * math.pi)
    t = np.eye(3)
    t[:2, 2] = dist * math.cos(angle), dist * math.sin(angle)
    return _warp(canvas, m, t)


@NUISANCES.register("rotate", aliases=("rotation",))
def _rotate(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    h, w = canvas.shape[0] - 2 * m, canvas.shape[1] - 2 * m
    theta = math.radians(_sign(rng) * rng.uniform(0.2, 2.0))
    a = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return _warp(canvas, m, _about_centre(a, w, h))


@NUISANCES.register("scale", aliases=("zoom",))
def _scale(canvas: np.ndarray, m: int, rng: np.random.Generator) -> Result:
    h, w = canvas.shape[0] - 2 * m, canvas.shape[1] - 2 * m
    s = 1.0 + _sign(rng) * rng.uniform(0.005, 0.03)
    return _warp(canvas, m, _about_centre(np.eye(2) * s, w, h))
