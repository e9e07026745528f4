"""The no-change nuisances of ``benchmarks/bench_nochange.py``: what users' unchanged copies
carry (a JPEG or WebP re-encode, a half-size thumbnail scaled back up, a sub-pixel shift, a gamma
change, a 1-5 px crop, a blur, sensor noise, a small rotation, a shifted JPEG).

:data:`NUISANCES` maps each name to ``f(img) -> img``: uint8 (H, W, 3) RGB in, the copy out
(the crop is smaller; every other copy keeps the size). Nothing in the picture changes, so a
detector's every box on ``(img, f(img))`` is false.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

__all__ = ["NUISANCES", "encoded", "half_up", "moved", "noisy", "rotated"]


def encoded(img: np.ndarray, ext: str, flag: int, quality: int) -> np.ndarray:
    """``img`` encoded as ``ext`` (OpenCV's quality ``flag`` at ``quality``) and decoded."""
    ok, buf = cv2.imencode(ext, np.ascontiguousarray(img[..., ::-1]), [flag, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def moved(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``img`` warped by the (2, 3) affine ``m`` (bilinear, borders reflected), same size."""
    h, w = img.shape[:2]
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def half_up(img: np.ndarray) -> np.ndarray:
    """A half-size thumbnail (area) scaled back up to the size of ``img`` (bicubic)."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def rotated(img: np.ndarray) -> np.ndarray:
    """``img`` turned 1.5 degrees about its centre (:func:`moved`)."""
    h, w = img.shape[:2]
    return moved(img, cv2.getRotationMatrix2D((w / 2, h / 2), 1.5, 1.0))


def noisy(img: np.ndarray) -> np.ndarray:
    """``img`` with Gaussian sensor noise of sigma 5 levels (seeded: the same every run)."""
    noise = np.random.default_rng(0).normal(0, 5, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


NUISANCES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "jpeg q50": lambda x: encoded(x, ".jpg", cv2.IMWRITE_JPEG_QUALITY, 50),
    "webp q60": lambda x: encoded(x, ".webp", cv2.IMWRITE_WEBP_QUALITY, 60),
    "half size, scaled up": half_up,
    "shift (0.5, 0.5) px": lambda x: moved(x, np.float32([[1, 0, 0.5], [0, 1, 0.5]])),
    "gamma 0.8": lambda x: np.clip(np.rint(255 * (x / 255.0) ** 0.8), 0, 255).astype(np.uint8),
    "crop 3-5 px": lambda x: np.ascontiguousarray(x[3:-2, 4:-1]),
    "blur sigma 1": lambda x: cv2.GaussianBlur(x, (0, 0), 1.0),
    "noise sigma 5": noisy,
    "rotate 1.5 deg": rotated,
    "shift (1.3, -0.7) + jpeg q70": lambda x: encoded(
        moved(x, np.float32([[1, 0, 1.3], [0, 1, -0.7]])), ".jpg", cv2.IMWRITE_JPEG_QUALITY, 70
    ),
}
