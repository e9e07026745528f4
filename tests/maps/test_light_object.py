"""A compact object under a relighting is not absorbed by the light (:mod:`spotdiff.maps.light`):
a drawn circuit board on a dark cloth, photographed again under a smooth light (gain 0.6-1.4
over the frame, a warm or cool cast), the camera moved (a homography and a smooth residual of
0.5 px it cannot model), sensor noise and JPEG; a chip (a dark slate rectangle with bright
pins) put on the board in image 2 (``object_arduino``'s kind of change)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import spotdiff
from spotdiff.evaluation.metrics import box_iou

W, H, M = 640, 480, 30  # image size and the canvas margin the second camera sees into


def _canvas(seed: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """float32 canvas (H + 2M, W + 2M, 3): a blue board (traces, pads, labels, components) on a
    dark cloth of fine texture; and the board's rectangle (canvas px)."""
    rng = np.random.default_rng(seed)
    cw, ch = W + 2 * M, H + 2 * M
    img = np.empty((ch, cw, 3), np.uint8)
    img[:] = (48, 48, 54)
    bx0, by0, bx1, by1 = 130, 90, cw - 130, ch - 90
    img[by0:by1, bx0:bx1] = (22, 96, 122)
    for _ in range(70):  # traces
        x, y = int(rng.integers(bx0, bx1)), int(rng.integers(by0, by1))
        n = int(rng.integers(20, 160))
        end = (min(bx1 - 1, x + n), y) if rng.random() < 0.5 else (x, min(by1 - 1, y + n))
        cv2.line(img, (x, y), end, (35, 125, 150), int(rng.integers(2, 4)))
    for _ in range(80):  # pads
        x, y = int(rng.integers(bx0 + 4, bx1 - 10)), int(rng.integers(by0 + 4, by1 - 12))
        cv2.rectangle(img, (x, y), (x + 4, y + 6), (205, 200, 185), -1)
    for _ in range(12):  # labels
        x, y = int(rng.integers(bx0 + 4, bx1 - 60)), int(rng.integers(by0 + 16, by1 - 4))
        label = f"A{int(rng.integers(0, 99))}"
        cv2.putText(img, label, (x, y), cv2.FONT_HERSHEY_PLAIN, 0.9, (225, 230, 230), 1)
    for _ in range(5):  # components
        x, y = int(rng.integers(bx0 + 4, bx1 - 40)), int(rng.integers(by0 + 4, by1 - 30))
        cv2.rectangle(img, (x, y), (x + 26, y + 20), (30, 30, 34), -1)
    out = img.astype(np.float32)
    board = np.zeros((ch, cw), bool)
    board[by0:by1, bx0:bx1] = True
    cloth = cv2.GaussianBlur(rng.normal(0, 28, (ch, cw)).astype(np.float32), (0, 0), 0.8)
    out[~board] += cloth[~board][:, None]
    out[board] += rng.normal(0, 5, out[board].shape).astype(np.float32)
    return np.clip(out, 0, 255), (bx0, by0, bx1, by1)


def _chip(canvas: np.ndarray, box: tuple[int, int, int, int], seed: int) -> np.ndarray:
    """A chip put on the canvas: a dark slate body with a row of bright pins on each long side."""
    out = canvas.copy()
    x0, y0, x1, y1 = box
    base = float(np.random.default_rng(seed + 7).uniform(28, 60))
    cv2.rectangle(out, (x0, y0), (x1, y1), (base, base + 4, base + 10), -1)
    for x in range(x0 + 3, x1 - 4, 8):
        cv2.rectangle(out, (x, y0 - 4), (x + 3, y0 - 1), (200, 200, 200), -1)
        cv2.rectangle(out, (x, y1 + 1), (x + 3, y1 + 4), (200, 200, 200), -1)
    return out


def _again(canvas: np.ndarray, seed: int) -> np.ndarray:
    """The canvas photographed again (see the module docstring), uint8 (H, W, 3)."""
    rng = np.random.default_rng(seed + 1000)
    ch, cw = canvas.shape[:2]
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi)
    gain = 0.6 + 0.8 * (0.5 + 0.5 * np.sin(xx / cw * np.pi * 1.2 + yy / ch * 0.9 + phase))
    cast = 0.06 if seed % 2 else -0.06  # warm or cool
    lit = canvas * gain[..., None] * np.float32([1 + cast, 1, 1 - cast])
    dst = np.float32([[0, 0], [W, 0], [W, H], [0, H]]) + rng.uniform(-4, 4, (4, 2))
    src = np.float32([[M, M], [W + M, M], [W + M, H + M], [M, H + M]])
    t = cv2.getPerspectiveTransform(dst.astype(np.float32), src)  # output px -> canvas px
    oy, ox = np.mgrid[0:H, 0:W].astype(np.float32)
    den = t[2, 0] * ox + t[2, 1] * oy + t[2, 2]
    mx = ((t[0, 0] * ox + t[0, 1] * oy + t[0, 2]) / den).astype(np.float32)
    my = ((t[1, 0] * ox + t[1, 1] * oy + t[1, 2]) / den).astype(np.float32)
    mx += 0.5 * np.sin(my / ch * 3.0 + phase) * np.cos(mx / cw * 2.0)  # what no homography
    my += 0.5 * np.cos(mx / cw * 3.0 + phase)  # models (a lens, a board not flat)
    out = cv2.remap(lit.astype(np.float32), mx, my, cv2.INTER_LINEAR)
    out += rng.normal(0, 2.0, out.shape).astype(np.float32)
    bgr = np.clip(out, 0, 255).astype(np.uint8)[..., ::-1]
    buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def _pair(seed: int, size: tuple[int, int] | None, where=(0.2, 0.3)):
    """``(image1, image2, truth)``: image 2 with a chip of ``size`` (None: none) at ``where``
    (shares of the board), truth in image-1 px (the pins included)."""
    canvas, (bx0, by0, bx1, by1) = _canvas(seed)
    first = np.clip(canvas[M:-M, M:-M], 0, 255).astype(np.uint8)
    if size is None:
        return first, _again(canvas, seed), np.zeros((0, 4), np.float32)
    w, h = size
    x = int(bx0 + 20 + where[0] * (bx1 - bx0 - 40 - w))
    y = int(by0 + 20 + where[1] * (by1 - by0 - 40 - h))
    truth = np.array([[x - M, y - M - 4, x + w - M, y + h - M + 4]], np.float32)
    return first, _again(_chip(canvas, (x, y, x + w, y + h), seed), seed), truth


@pytest.mark.parametrize(
    ("seed", "size", "where"),
    [
        (0, (16, 12), (0.2, 0.3)),  # 3% of the robust light's reach (2 x 32 px square)
        (5, (16, 12), (0.7, 0.6)),
        (1, (32, 20), (0.7, 0.6)),
        (7, (32, 20), (0.4, 0.6)),
        (2, (64, 40), (0.2, 0.3)),
        (6, (64, 40), (0.7, 0.3)),
        (2, (240, 60), (0.2, 0.3)),  # object_arduino's chip: 243 x 63 px
    ],
)
def test_a_chip_put_on_a_relit_board_is_found(seed, size, where):
    """The chip is boxed (IoU >= 0.5, the best-scoring box). Of 40 such pairs (seeds 0-3, 5
    sizes, 2 places) 10 were: the pair's level (what its evidence is divided by) was taken
    before the light was explained, 5.6 (median) on these pairs, whose noise sigma is what the
    light leaves (1.8); taken after it (each texture's level capped at the level before), 1.0,
    and 31 are (14 false pieces beside them: the field follows a chip's hue where its mean
    level stays). Seed 6's cloth leaves more than the light (sigma 14.5, level 1.18)."""
    img1, img2, truth = _pair(seed, size, where)
    r = spotdiff.find(img1, img2)
    assert r.metadata["light"]["relit"] is True and r.metadata["global_level"] < 2.0
    assert len(r) >= 1 and box_iou(r.boxes[:1], truth)[0, 0] >= 0.5


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_relit_board_without_the_chip_gives_no_box(seed):
    img1, img2, _ = _pair(seed, None)
    r = spotdiff.find(img1, img2)
    assert r.metadata["light"]["relit"] is True
    assert len(r) == 0
