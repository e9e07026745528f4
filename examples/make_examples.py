"""Draw the example pair shipped with spotdiff (a made-up landscape; no third-party pictures).

``before.png`` is the scene; ``after.jpg`` is the same scene with four planted changes (a tree
removed, a window recoloured, a bird and a balloon added), re-lit (+8% brightness, gamma 0.95),
shifted by (3, 2) px and saved as JPEG quality 90, as a second photo of the scene would be.
``changes.json`` lists the planted changes' boxes in ``before.png`` pixels.

Run: python examples/make_examples.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).parent
W, H = 640, 400


TREES = ((90, 270, 34), (160, 285, 28), (470, 280, 30), (590, 300, 36))


def scene(rng: np.random.Generator, trees=TREES) -> np.ndarray:
    y = np.linspace(0.0, 1.0, H)[:, None, None]
    sky = (1 - y) * np.array([110, 160, 230]) + y * np.array([200, 220, 245])
    img = np.broadcast_to(sky, (H, W, 3)).astype(np.float32).copy()
    xs = np.arange(W)
    for base, amp, freq, color in ((250, 30, 0.012, (70, 120, 60)), (290, 20, 0.02, (60, 140, 70))):
        ridge = base + amp * np.sin(xs * freq + base)
        mask = np.arange(H)[:, None] > ridge[None, :]
        img[mask] = color
    grain = rng.normal(0, 6, (H, W, 1)).astype(np.float32)
    ground = np.arange(H)[:, None] > 280
    img += grain * ground[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    cv2.circle(img, (540, 70), 32, (255, 230, 120), -1, cv2.LINE_AA)  # sun
    # house
    cv2.rectangle(img, (250, 230), (390, 330), (190, 150, 120), -1)
    cv2.fillPoly(img, [np.array([(240, 232), (320, 175), (400, 232)])], (150, 60, 50), cv2.LINE_AA)
    cv2.rectangle(img, (305, 280), (335, 330), (90, 60, 40), -1)
    for x in (265, 350):
        cv2.rectangle(img, (x, 250), (x + 24, 272), (240, 240, 200), -1)
        cv2.line(img, (x + 12, 250), (x + 12, 272), (80, 80, 80), 2)
    # trees
    for x, y, r in trees:
        cv2.rectangle(img, (x - 5, y), (x + 5, y + 45), (80, 55, 35), -1)
        cv2.circle(img, (x, y), r, (40, 110, 45), -1, cv2.LINE_AA)
        cv2.circle(img, (x - r // 3, y - r // 3), r // 2, (60, 140, 60), -1, cv2.LINE_AA)
    # clouds
    for x, y in ((120, 80), (330, 60)):
        for dx, dy, r in ((0, 0, 22), (25, -8, 26), (52, 0, 20)):
            cv2.circle(img, (x + dx, y + dy), r, (245, 245, 250), -1, cv2.LINE_AA)
    return img


def edit(img: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    out = img.copy()
    changes = []
    # 1. the tree at x=470 removed: the scene drawn without it shows through
    box = (436, 244, 504, 326)
    out[box[1] : box[3], box[0] : box[2]] = reference[box[1] : box[3], box[0] : box[2]]
    changes.append({"kind": "removed", "what": "tree", "box": list(box)})
    # 2. the right window lit orange
    cv2.rectangle(out, (350, 250), (374, 272), (250, 170, 60), -1)
    cv2.line(out, (362, 250), (362, 272), (80, 80, 80), 2)
    changes.append({"kind": "changed", "what": "window", "box": [350, 250, 375, 273]})
    # 3. a bird in the sky
    pts = np.array([(200, 150), (212, 142), (220, 150), (228, 142), (240, 150)])
    cv2.polylines(out, [pts], False, (30, 30, 30), 3, cv2.LINE_AA)
    changes.append({"kind": "added", "what": "bird", "box": [198, 140, 242, 152]})
    # 4. a red balloon
    cv2.ellipse(out, (450, 140), (16, 20), 0, 0, 360, (220, 40, 40), -1, cv2.LINE_AA)
    cv2.line(out, (450, 160), (452, 190), (60, 60, 60), 1, cv2.LINE_AA)
    changes.append({"kind": "added", "what": "balloon", "box": [433, 119, 468, 191]})
    return out, changes


def nuisances(img: np.ndarray) -> np.ndarray:
    lit = 255.0 * np.clip(img / 255.0 * 1.08, 0, 1) ** 0.95
    shift = np.float32([[1, 0, 3], [0, 1, 2]])
    moved = cv2.warpAffine(lit.astype(np.float32), shift, (W, H), borderMode=cv2.BORDER_REFLECT)
    return np.clip(moved, 0, 255).astype(np.uint8)


def main() -> None:
    before = scene(np.random.default_rng(2024))
    without_tree = scene(np.random.default_rng(2024), trees=[t for t in TREES if t[0] != 470])
    after, changes = edit(before, without_tree)
    after = nuisances(after)
    cv2.imwrite(str(HERE / "before.png"), before[..., ::-1])
    cv2.imwrite(str(HERE / "after.jpg"), after[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    (HERE / "changes.json").write_text(json.dumps(changes, indent=2) + "\n")


if __name__ == "__main__":
    main()
