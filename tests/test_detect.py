"""find(): constructed cases on real photographs.

No region on an unchanged scene under shifts, rotation, zoom, JPEG, noise, tone changes and
resampling; one tight box per planted object; colour-only and 8x8-at-1080p changes found;
fragments merged, separate changes kept apart; ignore areas; input forms; options.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from spotdiff._errors import InvalidOptionError, SizeMismatchError, SpotdiffWarning
from spotdiff.detect import FindConfig, find
from spotdiff.result import DiffResult

from .realpairs import needs_realpairs, real_pair

skdata = pytest.importorskip("skimage.data")

W, H = 480, 320


def _photo(name: str, size: tuple[int, int] = (W, H)) -> np.ndarray:
    img = getattr(skdata, name)()[..., :3]
    h, w = img.shape[:2]
    s = max(size[0] / w, size[1] / h)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    img = cv2.resize(img, (round(w * s + 0.5), round(h * s + 0.5)), interpolation=interp)
    y0, x0 = (img.shape[0] - size[1]) // 2, (img.shape[1] - size[0]) // 2
    return np.ascontiguousarray(img[y0 : y0 + size[1], x0 : x0 + size[0]])


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return _photo("astronaut")


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return _photo("coffee")


def _warp(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.warpAffine(img, m[:2], (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _about_centre(img: np.ndarray, angle: float = 0.0, scale: float = 1.0) -> np.ndarray:
    h, w = img.shape[:2]
    return np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, scale), [0, 0, 1]])


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def _shift(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    return _warp(img, np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1]]))


NUISANCES = {
    "shift_subpixel": lambda x: _shift(x, 0.4, -0.3),
    "shift_3px": lambda x: _shift(x, 3.3, -2.1),
    "shift_5pct": lambda x: _shift(x, 0.05 * W, 0.03 * H),
    "rotate_1deg": lambda x: _warp(x, _about_centre(x, angle=1.0)),
    "zoom_3pct": lambda x: _warp(x, _about_centre(x, scale=1.03)),
    "jpeg_60": lambda x: _jpeg(x, 60),
    "jpeg_90": lambda x: _jpeg(x, 90),
    "noise_4": lambda x: np.clip(x + np.random.default_rng(0).normal(0, 4, x.shape), 0, 255).astype(
        np.uint8
    ),
    "brightness_+30": lambda x: np.clip(x.astype(int) + 30, 0, 255).astype(np.uint8),
    "contrast_1.3": lambda x: np.clip((x - 128.0) * 1.3 + 128, 0, 255).astype(np.uint8),
    "gamma_0.7": lambda x: np.rint(255 * (x / 255.0) ** 0.7).astype(np.uint8),
    "resample_half": lambda x: cv2.resize(
        cv2.resize(x, (W // 2, H // 2), interpolation=cv2.INTER_AREA), (W, H)
    ),
}


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def _plant(img: np.ndarray, box: tuple[int, int, int, int], donor: str = "chelsea") -> np.ndarray:
    """Paste an elliptical piece of another photo (an "object") filling ``box``."""
    x1, y1, x2, y2 = box
    out = img.copy()
    src = _photo(donor, (img.shape[1], img.shape[0]))
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(
        mask, ((x1 + x2) // 2, (y1 + y2) // 2), ((x2 - x1) // 2, (y2 - y1) // 2), 0, 0, 360, 1, -1
    )
    out[mask > 0] = src[mask > 0]
    return out


def _truth(img: np.ndarray, edited: np.ndarray) -> list[int]:
    ys, xs = np.nonzero((img != edited).any(axis=2))
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


# ------------------------------------------------------------------------ nothing changed


@pytest.mark.parametrize("nuisance", list(NUISANCES), ids=list(NUISANCES))
@pytest.mark.parametrize("photo", ["astronaut", "coffee"])
def test_unchanged_scene_gives_no_region(photo, nuisance, request):
    img = request.getfixturevalue(photo)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no registration failure either
        r = find(img, NUISANCES[nuisance](img))
    assert len(r) == 0, r.boxes.tolist()


def test_identical_images(astronaut):
    r = find(astronaut, astronaut)
    assert len(r) == 0 and not r.aligned and r.diff_map.max() == 0
    assert r.metadata["registration"]["method"] == "identity"


# ------------------------------------------------------------------------ changes found

PLANTED = (300, 60, 380, 130)


@pytest.mark.parametrize("nuisance", ["none", "jpeg_60", "shift_3px", "rotate_1deg", "gamma_0.7"])
def test_planted_object_gives_one_tight_box(astronaut, nuisance):
    edited = _plant(astronaut, PLANTED)
    img2 = edited if nuisance == "none" else NUISANCES[nuisance](edited)
    r = find(astronaut, img2)
    assert len(r) == 1, r.boxes.tolist()
    assert _iou(r.boxes[0], _truth(astronaut, edited)) >= 0.7
    assert r.kind[0] == "added"
    assert 0.5 < r.scores[0] <= 1.0


def test_removed_object(astronaut):
    edited = _plant(astronaut, PLANTED)
    r = find(edited, astronaut)  # image 1 has the object, image 2 not
    assert len(r) == 1 and _iou(r.boxes[0], _truth(astronaut, edited)) >= 0.7
    assert r.kind[0] == "removed"


def test_colour_only_change_is_found(coffee):
    x1, y1, x2, y2 = 130, 60, 260, 200  # the cup's body and saucer
    hsv = cv2.cvtColor(coffee, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(int) + 60) % 180
    shifted = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    edited = coffee.copy()
    edited[y1:y2, x1:x2] = shifted[y1:y2, x1:x2]
    r = find(coffee, edited)
    assert len(r) == 1 and _iou(r.boxes[0], _truth(coffee, edited)) >= 0.7
    assert r.kind[0] == "changed"


@pytest.mark.parametrize(("x", "y"), [(400, 300), (1500, 820)])
def test_8x8_change_at_1080p_gets_a_tight_box(x, y):
    img = _photo("astronaut", (1920, 1080))
    edited = img.copy()
    edited[y : y + 8, x : x + 8] = (255, 40, 40)
    r = find(img, edited)
    assert len(r) == 1
    # found at 960x540 with a ~26 px box (SSIM halo and rounding), refined at full resolution
    assert _iou(r.boxes[0], (x, y, x + 8, y + 8)) >= 0.5
    x1, y1, x2, y2 = r.boxes[0]
    assert x1 <= x + 1 and y1 <= y + 1 and x2 >= x + 7 and y2 >= y + 7  # covers the change
    assert r.masks.crop(0)[0].shape == (y2 - y1, x2 - x1)  # the mask is cut to the box
    assert r.metadata["working_size"] == [960, 540]


def test_10x10_change_on_a_tiny_image_gets_a_tight_box():
    rng = np.random.default_rng(0)
    img = np.clip(120 + rng.normal(0, 3, (64, 64, 3)), 0, 255).astype(np.uint8)
    edited = img.copy()
    edited[20:30, 30:40] = (200, 50, 50)
    r = find(img, edited)
    assert len(r) == 1 and _iou(r.boxes[0], (30, 20, 40, 30)) >= 0.6  # was 20x20 px: 0.25


def test_example_pair():
    """The shipped example: a tree removed, a window lit (two panes and an unchanged 2-px
    divider: one region), a bird and a balloon added."""
    root = Path(__file__).resolve().parents[1] / "examples"
    truth = json.loads((root / "changes.json").read_text())
    r = find(root / "before.png", root / "after.jpg")
    assert len(r) == 4
    for t in truth:
        ious = [_iou(b, t["box"]) for b in r.boxes]
        best = int(np.argmax(ious))
        assert ious[best] >= 0.5, t["what"]
        assert r.kind[best] == t["kind"], t["what"]
    assert ((r.scores > 0) & (r.scores < 0.99)).all()  # scores do not saturate


def test_fragments_of_one_object_make_one_region(astronaut):
    edited = _plant(astronaut, PLANTED, donor="coffee")
    edited[70:130:10] = astronaut[70:130:10]  # unchanged bands cut the object in pieces
    edited[75:130:10] = astronaut[75:130:10]
    r = find(astronaut, edited)
    assert len(r) == 1 and _iou(r.boxes[0], _truth(astronaut, edited)) >= 0.7


def test_two_separate_changes_stay_two(astronaut):
    edited = _plant(_plant(astronaut, (40, 200, 110, 260)), (300, 60, 380, 130), donor="coffee")
    r = find(astronaut, edited)
    assert len(r) == 2
    truths = [[40, 200, 110, 260], [300, 60, 380, 130]]
    for t in truths:
        assert max(_iou(b, t) for b in r.boxes) >= 0.7


# ------------------------------------------------------------------------ ignore areas


def test_ignore_rectangles_and_masks(astronaut):
    edited = _plant(_plant(astronaut, (40, 200, 110, 260)), PLANTED, donor="coffee")
    r = find(astronaut, edited, ignore=[(30, 190, 120, 270)])
    assert len(r) == 1 and _iou(r.boxes[0], PLANTED) >= 0.7
    mask = np.zeros((H, W), np.uint8)
    mask[50:140, 290:390] = 255
    r = find(astronaut, edited, ignore=mask)
    assert len(r) == 1 and _iou(r.boxes[0], (40, 200, 110, 260)) >= 0.7
    # half an object ignored: only the other half is reported, inside its own box
    r = find(astronaut, edited, ignore=[(0, 0, 340, H)])
    assert len(r) == 1 and r.boxes[0, 0] >= 339


# ------------------------------------------------------------------------ alignment report


def test_transform_is_reported(astronaut):
    edited = _plant(astronaut, PLANTED)
    r = find(astronaut, _shift(edited, 6.0, -4.0))
    assert r.aligned and r.metadata["registration"]["method"] != "identity"
    np.testing.assert_allclose(r.transform[:2, 2], [-6.0, 4.0], atol=0.3)
    assert len(r) == 1 and _iou(r.boxes[0], _truth(astronaut, edited)) >= 0.7
    # the area image 2 does not cover (right and top border strips) is never reported
    assert r.diff_map[:3].max() == 0 and r.diff_map[:, -6:].max() == 0


def test_no_alignment_when_asked(astronaut):
    r = find(astronaut, _shift(astronaut, 6.0, -4.0), align="none")
    assert not r.aligned and len(r) > 0  # edges everywhere


def test_failed_registration_warns_never_raises():
    rng = np.random.default_rng(0)
    a = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), (0, 0), 3)
    b = cv2.GaussianBlur(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), (0, 0), 3)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        r = find(a, b)
    assert isinstance(r, DiffResult) and not r.aligned


# ------------------------------------------------------------------------ inputs


def test_grey_against_colour(astronaut):
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    edited = grey.copy()
    edited[100:140, 200:260] = 255 - edited[100:140, 200:260]
    r = find(grey, np.repeat(edited[..., None], 3, axis=2))
    assert len(r) == 1 and _iou(r.boxes[0], (200, 100, 260, 140)) >= 0.6  # SSIM halo: 5 px
    assert len(find(grey, np.repeat(grey[..., None], 3, axis=2))) == 0


def test_alpha_and_float_inputs(astronaut):
    rgba = np.dstack([astronaut, np.full((H, W), 255, np.uint8)])
    edited = _plant(astronaut, PLANTED)
    r = find(rgba, edited.astype(np.float32) / 255.0)
    assert len(r) == 1 and _iou(r.boxes[0], _truth(astronaut, edited)) >= 0.7


def test_images_of_different_sizes(astronaut):
    edited = _plant(astronaut, PLANTED)
    bigger = cv2.resize(edited, (W * 3 // 2, H * 3 // 2), interpolation=cv2.INTER_CUBIC)
    with pytest.warns(SpotdiffWarning, match="resized"):
        r = find(astronaut, bigger)
    assert r.image_size == (W, H)
    assert len(r) == 1 and _iou(r.boxes[0], _truth(astronaut, edited)) >= 0.7
    with pytest.raises(SizeMismatchError):
        find(astronaut, bigger, size_mismatch="error")


# ------------------------------------------------------------------------ result and options


def test_result_fields(astronaut):
    edited = _plant(astronaut, PLANTED)
    r = find(astronaut, edited)
    assert r.diff_map.shape == (H, W) and r.diff_map.dtype == np.float32
    x1, y1, x2, y2 = r.boxes[0].astype(int)
    assert r.diff_map[y1:y2, x1:x2].max() >= 1.0  # evidence: 1 = threshold
    assert r.masks.shape == (1, H, W) and r.masks[0][(y1 + y2) // 2, (x1 + x2) // 2]
    assert r.area[0] == np.asarray(r.masks)[0].sum()
    for key in ("timings_ms", "noise_sigma", "thresholds", "registration", "options"):
        assert key in r.metadata
    assert r.to_dict()["boxes"][0] == r.boxes[0].tolist()
    slim = find(astronaut, edited, masks=False, diff_map=False)
    assert slim.masks is None and slim.diff_map is None
    np.testing.assert_allclose(slim.boxes, r.boxes)


def test_sensitivity_min_area_max_regions(astronaut):
    edited = _plant(astronaut, (40, 200, 110, 260))
    edited[50:56, 300:306] = (255, 255, 0)  # a small second change: 36 px
    r = find(astronaut, edited)
    assert len(r) == 2 and r.scores[0] > r.scores[1]
    assert len(find(astronaut, edited, min_area=200)) == 1
    assert len(find(astronaut, edited, max_regions=1)) == 1
    faint = astronaut.copy()
    faint[100:140, 200:260] = np.clip(faint[100:140, 200:260].astype(int) + 10, 0, 255)
    assert len(find(astronaut, faint)) == 0  # 10 levels a channel: below the default threshold
    assert len(find(astronaut, faint, sensitivity=1.0)) == 1
    assert len(find(astronaut, faint, threshold=10)) == 1


def test_config_object(astronaut):
    cfg = FindConfig(min_area=10_000)
    edited = _plant(astronaut, PLANTED)
    assert len(find(astronaut, edited, config=cfg)) == 0
    assert len(find(astronaut, edited, config=cfg, min_area=10)) == 1  # keywords override
    assert cfg.for_size(640, 480).max_side == 1024


def test_find_metadata_holds_the_resolved_settings(astronaut):
    res = find(astronaut, astronaut)
    h, w = astronaut.shape[:2]
    assert res.metadata["options"] == FindConfig().for_size(w, h).to_dict()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sensitivity": 1.5}, "sensitivity must be <= 1"),
        ({"sensitivity": "high"}, "sensitivity must be a number"),
        ({"threshold": 0}, "threshold must be > 0"),
        ({"min_area": -1}, "min_area must be >= 0"),
        ({"max_regions": 0}, "max_regions must be >= 1"),
        ({"max_regions": 2.5}, "max_regions must be an integer"),
        ({"align": "perspective"}, "align must be one of"),
        ({"max_side": 32}, "max_side must be 0"),
        ({"masks": "yes"}, "masks must be True or False"),
        ({"colour_space": "lab"}, "unknown option"),
        ({"config": {"min_area": 3}}, "config must be a FindConfig"),
        ({"ignore": [[10, 10, 5, 5]]}, "x2 >= x1"),
    ],
)
def test_invalid_options(astronaut, options, match):
    with pytest.raises(InvalidOptionError, match=match):
        find(astronaut, astronaut, **options)


def test_import_stays_light():
    code = (
        "import sys, numpy as np, spotdiff\n"
        "from spotdiff import find\n"
        "a = np.zeros((64, 64, 3), np.uint8); b = a.copy(); b[20:30, 20:30] = 255\n"
        "assert len(find(a, b)) == 1\n"
        "heavy = [m for m in ('torch', 'skimage', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _large_jpeg_pair(tmp_path, size=(6000, 4000), rect=(3000, 1600, 3400, 1900)):
    """A smooth 6000x4000 scene (cheap to encode) and a copy with one red rectangle."""
    from PIL import Image

    w, h = size
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    img = np.stack([np.broadcast_to(x, (h, w)), np.broadcast_to(y, (h, w)), (x + y) / 2], -1)
    img = img.astype(np.uint8)
    img[::400] = 0  # some structure to register on
    img[:, ::400] = 0
    edited = img.copy()
    x1, y1, x2, y2 = rect
    edited[y1:y2, x1:x2] = (230, 20, 20)
    p1, p2 = tmp_path / "big1.jpg", tmp_path / "big2.jpg"
    Image.fromarray(img).save(p1, quality=92)
    Image.fromarray(edited).save(p2, quality=92)
    return p1, p2


def test_large_files_are_decoded_reduced_and_answered_in_original_pixels(tmp_path):
    from PIL import Image

    p1, p2 = _large_jpeg_pair(tmp_path)
    # max_side 512: files beyond 4 x 512 px are decoded reduced (JPEG at 1/2 in the decoder)
    res = find(p1, p2, diff_map=False, max_side=512)
    assert res.image_size == (6000, 4000)
    assert res.metadata["decoded_size"] == [3000, 2000]
    assert len(res) == 1
    # at a 512 px working size one working pixel is 12 original pixels: the box is that coarse
    np.testing.assert_allclose(res.boxes[0], [3000, 1600, 3400, 1900], atol=60)
    assert res.masks.shape == (1, 4000, 6000)
    assert res.metadata["options"]["image_size"] == [6000, 4000]
    assert res.metadata["options"]["min_area"] == pytest.approx(2e-5 * 6000 * 4000)
    # the same pair decoded in full (arrays are never reduced) gives the same answer
    a1, a2 = (np.asarray(Image.open(p)) for p in (p1, p2))
    full = find(a1, a2, diff_map=False, max_side=512)
    assert full.metadata["decoded_size"] == [6000, 4000]
    np.testing.assert_allclose(res.boxes[0], full.boxes[0], atol=12)
    assert abs(int(res.area[0]) - int(full.area[0])) <= 0.05 * int(full.area[0])


# --- issue 9: real geometry, renders and dense pairs ------------------------------------------


def test_find_on_a_photo_rotated_16_degrees_with_shear():
    """Issue 9.1: registration gave up and one box covered 85% of the frame."""
    img1 = _photo("astronaut", (480, 320))
    img1[120:170, 300:360] = (30, 220, 40)  # the real change, in image 1 only
    img2 = _photo("astronaut", (480, 320))
    c = np.array([[1, 0, -239.5], [0, 1, -159.5], [0, 0, 1.0]])
    rot = np.vstack([cv2.getRotationMatrix2D((239.5, 159.5), 16, 1.0), [0, 0, 1]])
    m = np.linalg.inv(c) @ np.array([[1, 0.12, 0], [0, 1, 0], [0, 0, 1.0]]) @ c @ rot
    img2 = cv2.warpAffine(img2, m[:2], (480, 320), borderMode=cv2.BORDER_REFLECT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpotdiffWarning)
        r = find(img1, img2)
    assert not r.metadata["registration"]["failed"] and r.aligned
    assert len(r) >= 1
    x1, y1, x2, y2 = r.boxes[0]
    assert abs(x1 - 300) < 8 and abs(y1 - 120) < 8 and abs(x2 - 360) < 8 and abs(y2 - 170) < 8
    assert ((r.boxes[:, 2] - r.boxes[:, 0]) * (r.boxes[:, 3] - r.boxes[:, 1])).max() < 0.05 * (
        480 * 320
    )


@needs_realpairs
def test_screenshot_with_a_recoloured_button_gives_one_box():
    """Issue 9: the tone fit bent the red curve; every grey input field came out as a box."""
    p = real_pair("ui_signin_button")
    r = find(p.img1, p.img2)
    assert len(r) == 1
    from spotdiff.evaluation.metrics import box_iou

    assert box_iou(r.boxes, p.boxes).max() >= 0.8


@needs_realpairs
def test_dense_resampled_puzzle_is_not_one_box():
    """Issue 9.3: thin differences chained 12 changes into one box over 90% of the picture."""
    from spotdiff.evaluation.metrics import match_boxes

    p = real_pair("puzzle_pirate")
    r = find(p.img1, p.img2)
    area = (r.boxes[:, 2] - r.boxes[:, 0]) * (r.boxes[:, 3] - r.boxes[:, 1])
    assert area.max() < 0.25 * p.img1.shape[0] * p.img1.shape[1]
    assert match_boxes(r.boxes, r.scores, p.boxes, iou=0.5).counts.tp >= 6


# ---------------------------------------------- the whole picture changed a little, one thing a lot
RERENDERED_OBJECT = (300, 90, 370, 140)


def _rerendered(img: np.ndarray, seed: int) -> np.ndarray:
    """``img`` with one object inverted, then every pixel re-rendered: blur, a smooth 2-px
    displacement field, a smooth colour drift (up to ~25 levels), noise and JPEG q70."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = RERENDERED_OBJECT
    out = img.copy()
    out[y0:y1, x0:x1] = 255 - out[y0:y1, x0:x1]
    out = cv2.GaussianBlur(out, (0, 0), 1.0)
    h, w = out.shape[:2]

    def smooth(shape, amp):
        field = rng.normal(0, 1, shape).astype(np.float32)
        return cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC) * amp

    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = cv2.remap(
        out,
        gx + smooth((6, 8), 2.0),
        gy + smooth((6, 8), 2.0),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT,
    )
    out = out.astype(np.float32) + smooth((4, 5, 3), 12.0) + rng.normal(0, 4, out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    _ok, enc = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 70])
    return np.ascontiguousarray(cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1])


@pytest.mark.parametrize(("name", "seed"), [("astronaut", 0), ("coffee", 1), ("rocket", 2)])
def test_globally_changed_pair_ranks_the_edited_object_first_with_a_tight_box(name, seed):
    img1 = _photo(name, (480, 360))
    img2 = _rerendered(img1, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpotdiffWarning)
        r = find(img1, img2)
    assert len(r) >= 1
    assert _iou(r.boxes[0], RERENDERED_OBJECT) >= 0.5, r.boxes[:3]
    share = r.box_area / (480 * 360)
    assert share.max() <= 0.25, share.max()
    assert r.metadata["global_level"] > 1.0


@pytest.mark.parametrize("replace", ["black", "white", "inverted", "other photo"])
def test_a_picture_against_a_blank_inverted_or_other_one_is_one_box_over_it(astronaut, replace):
    """Not "no differences": a blank render, an inverted or a different picture is the change."""
    img2 = {
        "black": np.zeros_like(astronaut),
        "white": np.full_like(astronaut, 255),
        "inverted": 255 - astronaut,
        "other photo": _photo("coffee"),
    }[replace]
    with pytest.warns(SpotdiffWarning, match="most of the picture differs"):
        r = find(astronaut, img2)
    assert len(r) >= 1
    assert r.metadata["replaced"]
    share = r.box_area / (W * H)
    assert share[0] >= 0.9, (r.boxes[:3], share[:3])
    assert r.scores[0] == r.scores.max()
    assert r.metadata["global_level"] == 1.0
